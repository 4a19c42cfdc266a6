#!/usr/bin/python3
"""Check the gridpart demo data independently of the generator (shapely + pyproj + fiona).

    /usr/bin/python3 examples/data/check_demo.py [--dir DIR] [--tolerance 2]

Reads the three GeoPackages, projects them to EPSG:4523 (CGCS2000 / 3-degree Gauss-Krüger
zone 35) and checks: communities valid and not overlapping; every household point inside a
community except the deliberate outsiders; points at least 5 m from every street; community totals
in 1,000-5,000 and feasible for grids of 300-500 (also per separate part); the street blocks of
each community (streets clipped to it, ends snapped within the tolerance, noded with its border
and polygonized), counted two ways: with every street class, and without service roads and
footways (internal paths). Exits 1 if a check fails.
"""
import argparse
import math
import os
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
    print("\n     %-12s %-14s %6s %6s %7s %7s %8s %s" % ("code", "name", "hh", "points",
          "blocks", "blocks*", ">500", "parts (households)"))
    total_blocks = [0, 0]
    over = []
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
    print("     blocks: %d with all street classes, %d without service/footway (blocks*)"
          % tuple(total_blocks))
    print("     blocks over 500 households (blocks*): %s" % over)
    print("\n%d check(s) failed" % len(fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
