#!/usr/bin/python3
"""Check the gridpart demo data independently of the generator (shapely + pyproj + fiona).

    /usr/bin/python3 examples/data/check_demo.py [--dir DIR] [--tolerance 2]

Reads the three GeoPackages, projects them to EPSG:4523 (CGCS2000 / 3-degree Gauss-Krüger
zone 35) and checks: communities valid and not overlapping; every household point inside a
community except the deliberate outsiders; points at least 5 m from every street; community totals
in 1,000-5,000 and feasible for grids of 300-500 (also per separate part); the street blocks of
each community (streets clipped to it, ends snapped within the tolerance, noded with its border
and polygonized), counted two ways: with every street class, and without service roads and
footways (internal paths); and block-level feasibility: with every street class bounding blocks,
each community (each of its parts on its own) is divided into connected groups of blocks holding
300-500 households each (a block over 500 made of a single household point is a group alone;
one over 500 in several points is first split along its dead-end path, continued straight to
the block border away from every point, as gridpart's split stage does), found by a dynamic
program over spanning trees of the block adjacency graph and verified.
Exits 1 if a check fails.
"""
import argparse
import math
import os
import random
import sys
import warnings

warnings.filterwarnings("ignore", message="STRtree will be changed")
import fiona  # noqa: E402
import numpy as np  # noqa: E402
import pyproj  # noqa: E402
from shapely.geometry import LineString, Point, shape  # noqa: E402
from shapely.ops import nearest_points, polygonize, transform, unary_union  # noqa: E402
from shapely.strtree import STRtree  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PATHS = ("service", "footway")


def read(path, layer):
    with fiona.open(path, layer=layer) as src:
        crs = src.crs
        return crs, [(shape(f["geometry"]), dict(f["properties"])) for f in src]


def feasible(h, lo=300, hi=500):
    return h == 0 or math.ceil(h / hi) <= h // lo


def lines_of(g):
    if g.is_empty:
        return []
    if g.geom_type == "LineString":
        return [g]
    if hasattr(g, "geoms"):
        return [x for p in g.geoms for x in lines_of(p)]
    return []


def snap_ends(lines, boundary, tol):
    """Extend line ends that stop within tol of another line or the border (undershoots).
    Ends that overshoot (their last tol metres cross something) are left: they are dangles."""
    geoms = lines + [boundary]
    tree = STRtree(geoms, list(range(len(geoms))))
    out, snapped = [], 0
    for i, g in enumerate(lines):
        c = list(g.coords)
        for at_start in (True, False):
            p = Point(c[0] if at_start else c[-1])
            near = [j for j in tree.query_items(p.buffer(tol, 4)) if j != i]
            best, bd = None, None
            touching = False
            for j in near:
                d = geoms[j].distance(p)
                if d < 1e-6:
                    touching = True
                    break
                if d <= tol and (bd is None or d < bd):
                    best, bd = j, d
            if touching or best is None:
                continue
            # an overshoot crosses the other line near this end: nothing to do
            tip = LineString(c[:2]) if at_start else LineString(c[-2:])
            if tip.length > tol:
                q = tip.interpolate(tol) if at_start else tip.interpolate(tip.length - tol)
                tip = LineString([p, q])
            if tip.intersects(geoms[best]):
                continue
            q = nearest_points(p, geoms[best])[1]
            # go a few centimetres past the target so that noding sees the junction
            v = np.subtract(q.coords[0], p.coords[0])
            v = v / np.hypot(*v)
            q = tuple(np.add(q.coords[0], v * 0.05))
            c = [q] + c if at_start else c + [q]
            snapped += 1
        out.append(LineString(c))
    return out, snapped


def blocks(comm, streets, tol):
    border = comm.boundary
    near_border = border.buffer(0.01)
    pieces = []
    for g in streets:
        if not g.intersects(comm):
            continue
        for p in lines_of(g.intersection(comm)):
            p = p.difference(near_border)  # drop street parts lying on the border
            pieces += [x for x in lines_of(p) if x.length > 1e-3]
    pieces, snapped = snap_ends(pieces, border, tol)
    faces = [f for f in polygonize(unary_union(pieces + [border]))
             if f.area > 1.0 and comm.contains(f.representative_point())]
    return faces, snapped


def split_along_path(face, pts, paths, hi=500, clearance=5.0):
    """What gridpart's split stage does first with a block over `hi` households in several
    points: cut it along a dead-end path inside it, continued straight from its dead end to the
    block border, away from every point. Returns the two parts, or None."""
    inner = face.buffer(-0.5)
    for path in paths:
        if not path.intersects(inner):
            continue
        for line in lines_of(path.intersection(face)):
            c = list(line.coords)
            for tip, prev in ((c[-1], c[-2]), (c[0], c[1])):
                if face.boundary.distance(Point(tip)) < 0.5:
                    continue  # this end is at the block border
                v = np.subtract(tip, prev)
                v = v / np.hypot(*v)
                ray = LineString([tip, tuple(np.add(tip, v * 10000.0))])
                hits = [p for p in lines_of(ray.intersection(face)) if p.distance(Point(tip)) < 1e-6]
                if not hits:
                    continue
                ext = hits[0]
                if min(ext.distance(q) for q, _ in pts) < clearance:
                    continue
                far = Point(ext.coords[-1])
                ext = LineString([tip, tuple(np.add(far.coords[0], v * 0.05))])
                start = Point(c[0] if tip == c[-1] else c[-1])
                snap = nearest_points(start, face.boundary)[1]
                cut = unary_union([face.boundary, LineString([snap, start]), line, ext])
                parts = [f for f in polygonize(cut) if face.contains(f.representative_point())]
                if len(parts) != 2:
                    continue
                sums = [sum(n for q, n in pts if f.contains(q)) for f in parts]
                if max(sums) <= hi:
                    return parts
    return None


def adjacency(faces):
    """Pairs of blocks sharing a border of positive length (a shared corner point does not
    count)."""
    tree = STRtree(faces, list(range(len(faces))))
    adj = {i: set() for i in range(len(faces))}
    for i, f in enumerate(faces):
        for j in tree.query_items(f):
            if j > i and f.intersection(faces[j]).length > 1e-3:
                adj[i].add(j)
                adj[j].add(i)
    return adj


def components(nodes, adj):
    seen, out = set(), []
    for v in sorted(nodes):
        if v in seen:
            continue
        comp, stack = [], [v]
        seen.add(v)
        while stack:
            u = stack.pop()
            comp.append(u)
            for w in sorted(adj[u]):
                if w in nodes and w not in seen:
                    seen.add(w)
                    stack.append(w)
        out.append(sorted(comp))
    return out


def divide_tree(root, children, w, alone, lo, hi):
    """Cut a tree into connected parts with sums in [lo, hi] (nodes in `alone` are parts on
    their own). Dynamic program: for each subtree, the bitset of achievable sums of the part
    still open at its root (every part closed below is within [lo, hi]); a child either closes
    its part or merges its open sum into its parent's. Returns a list of parts or None."""
    full = (1 << (hi + 1)) - 1
    band = full & ~((1 << lo) - 1)
    order, stack = [], [root]
    while stack:
        v = stack.pop()
        order.append(v)
        stack.extend(children[v])
    open_, prefix = {}, {}
    for v in reversed(order):
        if v in alone:  # a part on its own: every child closes, nothing stays open
            if any(c not in alone and not open_[c] & band for c in children[v]):
                return None
            open_[v] = 1  # {0}: closed, merges nothing into its parent
            continue
        if w[v] > hi:
            return None
        cur = 1 << w[v]
        pre = [cur]
        for c in children[v]:
            if c in alone:  # closed on its own
                pre.append(cur)
                continue
            sc, nxt = open_[c], (cur if open_[c] & band else 0)
            x = sc
            while x:
                b = x & -x
                nxt |= (cur << (b.bit_length() - 1)) & full
                x ^= b
            cur = nxt
            pre.append(cur)
            if not cur:
                return None
        open_[v], prefix[v] = cur, pre
    if root in alone:
        top = 0
    else:
        hits = open_[root] & band
        if not hits:
            return None
        top = (hits & -hits).bit_length() - 1

    # walk back down: which children close, which merge, with which open sums
    parts = []

    def pick(bits):
        return (bits & -bits).bit_length() - 1

    todo = [(root, top, None)]  # (node, target open sum, part it belongs to)
    while todo:
        v, t, part = todo.pop()
        if part is None:
            part = []
            parts.append(part)
        part.append(v)
        if v in alone:
            for c in children[v]:
                todo.append((c, 0 if c in alone else pick(open_[c] & band), None))
            continue
        pre = prefix[v]
        for idx in range(len(children[v]) - 1, -1, -1):
            c = children[v][idx]
            before = pre[idx]
            if c in alone:
                todo.append((c, 0, None))
                continue
            if open_[c] & band and before >> t & 1:
                todo.append((c, pick(open_[c] & band), None))
                continue
            x = open_[c]
            while x:
                b = x & -x
                sv = b.bit_length() - 1
                if sv <= t and before >> (t - sv) & 1:
                    break
                x ^= b
            assert x, "inconsistent dynamic program"
            todo.append((c, sv, part))
            t -= sv
        assert t == w[v], (t, w[v])
    return parts


def divide(comp, adj, w, alone, lo=300, hi=500, tries=200, seed=1):
    """Try BFS trees from every block, then random spanning trees, until one divides."""
    rng = random.Random(seed)
    roots = [v for v in comp if v not in alone] or comp
    plans = [(r, False) for r in roots] + [(rng.choice(comp), True) for _ in range(tries)]
    for root, shuffle in plans:
        children = {v: [] for v in comp}
        seen, queue = {root}, [root]
        while queue:
            if shuffle:  # a random spanning tree: grow from a random frontier block
                k = rng.randrange(len(queue))
                queue[k], queue[-1] = queue[-1], queue[k]
                u = queue.pop()
            else:
                u = queue.pop(0)
            nb = sorted(adj[u] & set(comp))
            if shuffle:
                rng.shuffle(nb)
            for x in nb:
                if x not in seen:
                    seen.add(x)
                    children[u].append(x)
                    queue.append(x)
        parts = divide_tree(root, children, w, alone, lo, hi)
        if parts is not None:
            return parts
    return None


def verify(parts, comp, adj, w, alone, lo=300, hi=500):
    """An independent check of a division: a partition of the blocks into connected groups
    with sums in [lo, hi] (or a single block in `alone`)."""
    flat = sorted(v for p in parts for v in p)
    if flat != sorted(comp):
        return False
    for p in parts:
        if len(components(set(p), adj)) != 1:
            return False
        s = sum(w[v] for v in p)
        if not (lo <= s <= hi or (len(p) == 1 and p[0] in alone)):
            return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=HERE)
    ap.add_argument("--tolerance", type=float, default=2.0)
    ap.add_argument("--outsiders", type=int, default=3)
    args = ap.parse_args()
    fails = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            fails.append(what)

    ccrs, comms = read(os.path.join(args.dir, "communities.gpkg"), "communities")
    scrs, streets = read(os.path.join(args.dir, "streets.gpkg"), "streets")
    hcrs, homes = read(os.path.join(args.dir, "households.gpkg"), "households")
    for name, crs in (("communities", ccrs), ("streets", scrs), ("households", hcrs)):
        check(pyproj.CRS(crs).to_epsg() == 4490, "%s CRS is EPSG:4490" % name)
    tr = pyproj.Transformer.from_crs(4490, 4523, always_xy=True)
    m = lambda g: transform(tr.transform, g)  # noqa: E731

    # communities
    geo = [g for g, _ in comms]
    check(all(g.is_valid for g in geo), "communities are valid")
    codes = [p["code"] for _, p in comms]
    check(len(set(codes)) == len(codes) and all(len(c) == 12 and c.isdigit() for c in codes),
          "%d communities with distinct 12-digit codes" % len(codes))
    for label, gs in (("EPSG:4490", geo), ("EPSG:4523", [m(g) for g in geo])):
        s = sum(g.area for g in gs)
        u = unary_union(gs).area
        check(abs(u - s) <= 1e-9 * s, "no overlaps in %s: union area %.12g = sum %.12g "
              "(rel. diff %.1e)" % (label, u, s, abs(u - s) / s))
    cm = [m(g) for g in geo]
    union = unary_union(cm)
    holes = sum(len(p.interiors) for p in getattr(union, "geoms", [union]))
    print("     union of communities: %s, %.3f km2, %d hole(s); minx..maxx %.4f..%.4f E, "
          "%.4f..%.4f N" % (union.geom_type, union.area / 1e6, holes,
                            *unary_union(geo).bounds[0::2], *unary_union(geo).bounds[1::2]))
    lons = unary_union(geo).bounds
    print("     lon %.4f..%.4f, lat %.4f..%.4f" % (lons[0], lons[2], lons[1], lons[3]))
    multi = [(p["code"], len(g.geoms)) for g, p in comms
             if g.geom_type == "MultiPolygon" and len(g.geoms) > 1]
    holed = [p["code"] for g, p in comms
             if any(len(q.interiors) for q in getattr(g, "geoms", [g]))]
    print("     communities in several parts: %s; with holes: %s" % (multi, holed))

    # streets
    classes = {}
    for _, p in streets:
        classes[p["class"]] = classes.get(p["class"], 0) + 1
    print("     streets: %d lines %s" % (len(streets), dict(sorted(classes.items()))))
    sm = [m(g) for g, _ in streets]
    check(all(g.geom_type == "LineString" and g.is_valid and g.length > 0 for g in sm),
          "streets are valid LineStrings")

    ends = {"junction": 0, "undershoot": 0, "overshoot": 0, "dangle": 0}
    gaps = {"undershoot": [], "overshoot": []}
    tree = STRtree(sm, list(range(len(sm))))
    for i, g in enumerate(sm):
        c = list(g.coords)
        for at_start in (True, False):
            p = Point(c[0] if at_start else c[-1])
            near = [j for j in tree.query_items(p.buffer(args.tolerance, 4)) if j != i]
            d = min([sm[j].distance(p) for j in near], default=math.inf)
            seg = LineString(c[:2] if at_start else c[-2:])
            tip = seg if seg.length <= args.tolerance else LineString(
                [p, seg.interpolate(args.tolerance if at_start else seg.length - args.tolerance)])
            crossed = [j for j in near if tip.intersects(sm[j])]
            if d < 1e-3:
                ends["junction"] += 1
            elif crossed:
                ends["overshoot"] += 1
                gaps["overshoot"].append(min(p.distance(tip.intersection(sm[j])) for j in crossed))
            elif d <= args.tolerance:
                ends["undershoot"] += 1
                gaps["undershoot"].append(d)
            else:
                ends["dangle"] += 1
    print("     street ends: %s; undershoot gaps %.2f-%.2f m, overshoots %.2f-%.2f m"
          % (ends, min(gaps["undershoot"]), max(gaps["undershoot"]),
             min(gaps["overshoot"]), max(gaps["overshoot"])))
    check(all(x < args.tolerance for v in gaps.values() for x in v),
          "every undershoot and overshoot is under the %g m tolerance" % args.tolerance)

    # households
    hm = [(m(g), p["households"]) for g, p in homes]
    owner = []
    ctree = STRtree(cm, list(range(len(cm))))
    for g, _ in hm:
        owner.append([i for i in ctree.query_items(g) if cm[i].contains(g)])
    outside = [(g, n) for (g, n), o in zip(hm, owner) if not o]
    check(all(len(o) <= 1 for o in owner), "no point in two communities")
    check(len(outside) == args.outsiders,
          "%d points outside every community (%s households)"
          % (len(outside), "+".join(str(n) for _, n in outside)))
    stree = STRtree(sm)
    dmin = min(min(s.distance(g) for s in stree.query(g.buffer(50))) if stree.query(g.buffer(50))
               else 50.0 for g, _ in hm)
    check(dmin >= 5.0, "every point at least 5 m from every street (min %.1f m)" % dmin)
    sizes = [n for _, n in hm]
    big = [n for n in sizes if n > 120]
    print("     %d points, %d households; per point: min %d, median %d, max %d; over 120: %s"
          % (len(sizes), sum(sizes), min(sizes), int(np.median(sizes)), max(sizes), big))

    # per community
    paths_out = [g for g, (_, p) in zip(sm, streets) if p["class"] not in PATHS]
    path_lines = [g for g, (_, p) in zip(sm, streets) if p["class"] in PATHS]
    print("\n     %-12s %-14s %6s %6s %7s %7s %8s %s" % ("code", "name", "hh", "points",
          "blocks", "blocks*", ">500", "parts (households)"))
    total_blocks = [0, 0]
    over = []
    summary = []
    all_per = []
    for i, ((g, p), c) in enumerate(zip(comms, cm)):
        pts = [(hm[k][0], hm[k][1]) for k, o in enumerate(owner) if o == [i]]
        h = sum(n for _, n in pts)
        parts = list(getattr(c, "geoms", [c]))
        part_h = [sum(n for q, n in pts if part.contains(q)) for part in parts]
        check(1000 <= h <= 5000 and feasible(h) and all(feasible(x) for x in part_h),
              "%s %s: %d households in 1000-5000, feasible (parts %s)"
              % (p["code"], p["name"], h, part_h))
        res = []
        for k, lines in enumerate((sm, paths_out)):
            faces, snapped = blocks(c, lines, args.tolerance)
            cover = sum(f.area for f in faces) / c.area
            check(abs(cover - 1) < 1e-6, "%s blocks (%s) tile the community (%.9f)"
                  % (p["code"], "all classes" if k == 0 else "no service/footway", cover))
            per = [sum(n for q, n in pts if f.contains(q)) for f in faces]
            check(sum(per) == h, "%s every point in one block" % p["code"])
            res.append((faces, per, snapped))
            total_blocks[k] += len(faces)
        faces, per, _ = res[1]
        o = [x for x in per if x > 500]
        over += [(p["code"], x) for x in o]
        sides = [math.sqrt(f.area) for f in faces]
        print("     %-12s %-14s %6d %6d %7d %7d %8s %s   empty %d, sqrt(area) %.0f-%.0f m"
              % (p["code"], p["name"], h, len(pts), len(res[0][0]), len(faces),
                 o or "-", part_h, sum(1 for x in per if x == 0), min(sides), max(sides)))

        # block-level feasibility, every street class bounding blocks (as gridpart reads them);
        # a block over 500 in several points is first split along its dead-end path
        faces, per, _ = res[0]
        npts = [sum(1 for q, _ in pts if f.contains(q)) for f in faces]
        split = []
        for b in [b for b, (x, k) in enumerate(zip(per, npts)) if x > 500 and k > 1]:
            inside = [(q, n) for q, n in pts if faces[b].contains(q)]
            halves = split_along_path(faces[b], inside, path_lines)
            if halves is not None:
                split.append((per[b], [sum(n for q, n in inside if f.contains(q)) for f in halves]))
                faces = faces[:b] + halves + faces[b + 1:]
        if split:
            print("     %s split along a dead-end path: %s"
                  % (p["code"], ", ".join("%d -> %s" % x for x in split)))
            per = [sum(n for q, n in pts if f.contains(q)) for f in faces]
            npts = [sum(1 for q, _ in pts if f.contains(q)) for f in faces]
        alone = {b for b, (x, k) in enumerate(zip(per, npts)) if x > 500 and k == 1}
        check(all(x <= 500 or b in alone for b, x in enumerate(per)),
              "%s every block over 500 households is a single point or splits along its path "
              "(%s)" % (p["code"], [x for x in per if x > 500]))
        adj = adjacency(faces)
        comps = components(set(range(len(faces))), adj)
        check(len(comps) == len(parts), "%s block graph: %d component(s) for %d part(s)"
              % (p["code"], len(comps), len(parts)))
        groups, ok = [], True
        for comp in comps:
            found = divide(comp, adj, per, alone)
            good = found is not None and verify(found, comp, adj, per, alone)
            ok &= good
            groups.append(sorted(sum(per[b] for b in g) for g in found) if good else None)
        per0 = res[0][1]  # statistics of the blocks as read, before any split
        lived = [x for x in per0 if x > 0]
        all_per += lived
        stats = (len(per0), sum(1 for x in per0 if x == 0), min(lived), int(np.median(lived)),
                 max(lived))
        check(ok, "%s divides at block level: %d blocks (%d empty), households per inhabited "
              "block min %d / median %d / max %d; groups per part %s"
              % ((p["code"],) + stats + (groups,)))
        summary.append((p["code"], p["name"], h) + stats + (ok, [len(x) if x else None for x in groups]))
    print("     blocks: %d with all street classes, %d without service/footway (blocks*)"
          % tuple(total_blocks))
    print("     blocks over 500 households (blocks*): %s" % over)
    a = np.array(all_per)
    print("     households per inhabited block (all classes): %d blocks, min %d, median %d, "
          "max %d; 20-200: %d%%, 40-120: %d%%"
          % (len(a), a.min(), np.median(a), a.max(), round(100 * np.mean((a >= 20) & (a <= 200))),
             round(100 * np.mean((a >= 40) & (a <= 120)))))
    print("\n     block-level feasibility (blocks bounded by every street class):")
    print("     %-12s %-14s %6s %6s %5s %4s %4s %4s  %s" % ("code", "name", "hh", "blocks",
          "empty", "min", "med", "max", "division (groups per part)"))
    for code, name, h, nb, ne, lo_, med, hi_, ok, ng in summary:
        print("     %-12s %-14s %6d %6d %5d %4d %4d %4d  %s %s"
              % (code, name, h, nb, ne, lo_, med, hi_, "found" if ok else "NONE", ng))
    print("\n%d check(s) failed" % len(fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
