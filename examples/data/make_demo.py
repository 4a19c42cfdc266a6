#!/usr/bin/python3
"""Generate the gridpart demo data: a synthetic city in Yinchuan with real community codes.

Run with Debian's interpreter (it has shapely, pyproj, numpy and fiona):

    /usr/bin/python3 examples/data/make_demo.py [--out DIR] [--codes CSV]

Writes communities.gpkg, streets.gpkg and households.gpkg (EPSG:4490, CGCS2000 lon/lat) next
to this script. Everything is drawn from one seeded generator, so a rerun gives the same features
(and, with the fixed OGR_CURRENT_DATE below, the same bytes on the same GDAL version).

The geometry is built in metres in EPSG:4544 (CGCS2000 / 3-degree Gauss-Krüger CM 105E) and
projected to EPSG:4490 at the end. See README.md for what the data contains.
"""
import argparse
import csv
import math
import os
import sys

os.environ.setdefault("OGR_CURRENT_DATE", "2024-01-01T00:00:00.000Z")  # fixed GPKG timestamps

import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="STRtree will be changed")
import fiona  # noqa: E402
import numpy as np  # noqa: E402
import pyproj  # noqa: E402
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, mapping  # noqa: E402
from shapely.ops import linemerge, polygonize, substring, transform, unary_union  # noqa: E402
from shapely.strtree import STRtree  # noqa: E402
import shapely.vectorized  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240611
METRIC = "EPSG:4544"
GEOGRAPHIC = "EPSG:4490"
ORIGIN_LONLAT = (106.2360, 38.4680)  # south-west corner of the city
DECIMALS = 9  # 1e-9 degree is about 0.1 mm

# Street lattice between community borders (metres from the origin); 4 columns x 3 rows of
# communities. The border streets are bent by smooth wiggles and two kinks below.
XV = [0.0, 800.0, 1520.0, 2330.0, 3100.0]
YH = [0.0, 690.0, 1360.0, 2080.0]
XV_CLASS = ["secondary", "secondary", "primary", "secondary", "secondary"]
YH_CLASS = ["secondary", "primary", "secondary", "secondary"]
OVERHANG = 150.0  # border streets continue this far beyond the city
TERT_COLS = {1: 0.52, 3: 0.46}  # column -> fraction of a tertiary street crossing the city N-S
TERT_ROWS = {1: 0.48}  # row -> fraction of a tertiary street crossing the city W-E

# Community codes (长城中路街道, 金凤区, 银川市), assigned north-west to south-east, and households.
CODES = ["640106003001", "640106003002", "640106003003", "640106003004", "640106003005",
         "640106003007", "640106003008", "640106003009", "640106003010", "640106003011",
         "640106003012", "640106003013"]
# households per community, row-major from the north-west community
TOTALS = [1530, 4170, 2760, 3590,
          2950, 1780, 3310, 2480,
          2140, 3870, 1260, 4620]

# Special features, by cell (row from the south, column from the west).
HOLE_CELL = (1, 1)      # an inner block is a park that belongs to no community (a hole)
ENCLAVE_CELL = (1, 2)   # an inner block of this cell belongs to ...
ENCLAVE_OWNER = (1, 3)  # ... this community, which therefore has two parts
COMPOUND_A = (0, 1)     # gated compound with a service road + footway through it
COMPOUND_B = (2, 3)     # gated compound with a dead-end footway into it
MEGA_CELL = (2, 0)      # a block holding one point with > 500 households
COMPOUND_A_HALVES = (470, 490)
COMPOUND_B_HALVES = (400, 380)
COMPOUND_B_PATH = 0.55  # the footway into compound B ends this far along its way across
ENCLAVE_HOUSEHOLDS = 430
MEGA_HOUSEHOLDS = 560
BLOCK_CAP = 230  # ordinary residential blocks hold at most this many households ...
BLOCK_MIN = 12   # ... and at least this many
BLOCK_MEAN = 80  # the lattice spacing of a community aims at this many households per block
SPACING = (75.0, 120.0)  # lattice spacing (metres) between residential streets, per community
TOLERANCE = 2.0  # undershoots and overshoots stay below this (metres)


def load_names(path):
    names = {}
    with open(path, encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            names[row["code"]] = (row["name"], row["is_community"] == "1")
    return names


class Wiggle:
    """A smooth offset along one coordinate: a sine plus an optional piecewise-linear kink."""

    def __init__(self, rng, amp, wl, kink=None):
        self.a = rng.uniform(*amp)
        self.l = rng.uniform(*wl)
        self.p = rng.uniform(0, 2 * math.pi)
        self.kink = kink

    def __call__(self, t):
        v = self.a * np.sin(2 * np.pi * np.asarray(t) / self.l + self.p)
        if self.kink is not None:
            v = v + np.interp(t, self.kink[0], self.kink[1])
        return v


def line_parts(g):
    if g.is_empty:
        return []
    if g.geom_type == "LineString":
        return [g]
    if hasattr(g, "geoms"):
        out = []
        for p in g.geoms:
            out.extend(line_parts(p))
        return out
    return []


def single_line(g):
    parts = [p for p in line_parts(g) if p.length > 1e-6]
    if len(parts) == 1:
        return parts[0]
    merged = linemerge(unary_union(parts))
    assert merged.geom_type == "LineString", merged.geom_type
    return merged


def extend_end(line, at_start, d):
    """Lengthen (d > 0) or shorten (d < 0) a line at one end, along its end segment."""
    c = list(line.coords)
    if d < 0:
        L = line.length
        return substring(line, -d, L) if at_start else substring(line, 0, L + d)
    if at_start:
        (x0, y0), (x1, y1) = c[0], c[1]
    else:
        (x0, y0), (x1, y1) = c[-1], c[-2]
    n = math.hypot(x0 - x1, y0 - y1)
    p = (x0 + (x0 - x1) / n * d, y0 + (y0 - y1) / n * d)
    return LineString([p] + c[1:]) if at_start else LineString(c[:-1] + [p])


class City:
    def __init__(self, rng):
        self.rng = rng
        self.xv = []  # functions y -> x of the N-S border streets
        self.yh = []  # functions x -> y of the W-E border streets
        for i, x0 in enumerate(XV):
            kink = ([700.0, 1400.0], [0.0, -45.0]) if i == 3 else None
            w = Wiggle(rng, (6, 22), (1400, 3200), kink)
            self.xv.append(lambda y, x0=x0, w=w: x0 + w(y))
        for j, y0 in enumerate(YH):
            kink = ([900.0, 1700.0], [0.0, 60.0]) if j == 2 else None
            w = Wiggle(rng, (6, 22), (1400, 3200), kink)
            self.yh.append(lambda x, y0=y0, w=w: y0 + w(x))
        self.streets = []  # (LineString, class)

    # -- coordinates inside a cell -------------------------------------------------------------
    def vx(self, c, t, y):
        a, b = self.xv[c](y), self.xv[c + 1](y)
        return a + t * (b - a)

    def hy(self, r, s, x):
        a, b = self.yh[r](x), self.yh[r + 1](x)
        return a + s * (b - a)

    def cell_point(self, r, c, t, s):
        x, y = XV[c] + t * (XV[c + 1] - XV[c]), YH[r] + s * (YH[r + 1] - YH[r])
        for _ in range(30):
            x = float(self.vx(c, t, y))
            y = float(self.hy(r, s, x))
        return Point(x, y)

    def vline(self, c, t, y0, y1, noise=0.5):
        ys = np.arange(y0, y1 + 1e-9, 35.0)
        xs = self.vx(c, t, ys) + self.rng.normal(0, noise, len(ys))
        return LineString(np.column_stack([xs, ys]))

    def hline(self, r, s, x0, x1, noise=0.5):
        xs = np.arange(x0, x1 + 1e-9, 35.0)
        ys = self.hy(r, s, xs) + self.rng.normal(0, noise, len(xs))
        return LineString(np.column_stack([xs, ys]))

    # -- border streets and communities --------------------------------------------------------
    def build_borders(self):
        W, H = XV[-1], YH[-1]
        arterials = []
        for i in range(len(XV)):
            ys = np.arange(-OVERHANG, H + OVERHANG + 1e-9, 50.0)
            xs = self.xv[i](ys) + self.rng.normal(0, 0.4, len(ys))
            arterials.append((LineString(np.column_stack([xs, ys])), XV_CLASS[i]))
        for j in range(len(YH)):
            xs = np.arange(-OVERHANG, W + OVERHANG + 1e-9, 50.0)
            ys = self.yh[j](xs) + self.rng.normal(0, 0.4, len(xs))
            arterials.append((LineString(np.column_stack([xs, ys])), YH_CLASS[j]))
        faces = list(polygonize(unary_union([a for a, _ in arterials])))
        assert len(faces) == 12, len(faces)
        self.faces = {}
        for f in faces:
            p = f.representative_point()
            c = sum(1 for i in range(1, 4) if p.x > self.xv[i](p.y))
            r = sum(1 for j in range(1, 3) if p.y > self.yh[j](p.x))
            self.faces[(r, c)] = f.normalize()
        assert len(self.faces) == 12
        # border streets as OSM-like ways: split some of them at a vertex
        for line, cls in arterials:
            coords = list(line.coords)
            cuts = sorted(self.rng.choice(np.arange(8, len(coords) - 8),
                                          size=int(self.rng.integers(0, 3)), replace=False))
            start = 0
            for k in list(cuts) + [len(coords) - 1]:
                self.streets.append((LineString(coords[start:k + 1]), cls))
                start = k

    def build_tertiaries(self):
        W, H = XV[-1], YH[-1]
        self.tert_v, self.tert_h = {}, {}
        for c, t in TERT_COLS.items():
            col = unary_union([self.faces[(r, c)] for r in range(3)])
            line = single_line(self.vline(c, t, -100.0, H + 100.0).intersection(col))
            self.tert_v[c] = line
        for r, s in TERT_ROWS.items():
            row = unary_union([self.faces[(r, c)] for c in range(4)])
            line = single_line(self.hline(r, s, -100.0, W + 100.0).intersection(row))
            self.tert_h[r] = line

    # -- streets inside one community cell -----------------------------------------------------
    def fractions(self, size, fixed, spacing):
        """Fractions (0..1) of the inner streets across a cell `size` metres wide, about
        `spacing` metres apart."""
        anchors = [0.0] + ([fixed] if fixed is not None else []) + [1.0]
        out = []
        for a, b in zip(anchors[:-1], anchors[1:]):
            span = (b - a) * size
            n = max(0, int(round(span / (spacing * self.rng.uniform(0.9, 1.1)))) - 1)
            for k in range(n):
                out.append(a + (b - a) * (k + 1 + self.rng.uniform(-0.15, 0.15)) / (n + 1))
        if fixed is not None:
            out.append(fixed)
        return sorted(out)

    def build_cell(self, r, c, households):
        """Streets inside one community cell; `households` (those in ordinary residential
        blocks) sets the lattice spacing so that a block holds about BLOCK_MEAN households."""
        rng = self.rng
        face = self.faces[(r, c)]
        wc, hc = XV[c + 1] - XV[c], YH[r + 1] - YH[r]
        spacing = float(np.clip(math.sqrt(face.area * BLOCK_MEAN / households), *SPACING))
        fv = self.fractions(wc, TERT_COLS.get(c), spacing)
        fh = self.fractions(hc, TERT_ROWS.get(r), spacing)
        nv, nh = len(fv), len(fh)
        V, H = [], []  # (geometry inside the cell, is_tertiary)
        for t in fv:
            if c in TERT_COLS and t == TERT_COLS[c]:
                V.append((single_line(self.tert_v[c].intersection(face)), True))
            else:
                g = self.vline(c, t, YH[r] - 130, YH[r + 1] + 130)
                V.append((single_line(g.intersection(face)), False))
        for s in fh:
            if r in TERT_ROWS and s == TERT_ROWS[r]:
                H.append((single_line(self.tert_h[r].intersection(face)), True))
            else:
                g = self.hline(r, s, XV[c] - 130, XV[c + 1] + 130)
                H.append((single_line(g.intersection(face)), False))
        bv = [0.0] + fv + [1.0]  # block column i spans bv[i]..bv[i+1]
        bh = [0.0] + fh + [1.0]
        inner = lambda i, j: 1 <= i <= nv - 1 and 1 <= j <= nh - 1  # noqa: E731
        compound_kj = None  # (t, s) of the compound's centre
        merged = {}  # lattice block -> partner
        reserved = set()
        removed_v, removed_h = set(), set()  # (line index, segment index)
        tags = {}  # lattice block -> tag

        def pick_inner():
            cands = [(i, j) for i in range(nv + 1) for j in range(nh + 1)
                     if inner(i, j) and (i, j) not in reserved]
            return cands[int(rng.integers(len(cands)))]

        def merge_v(k, j):
            """Remove segment j of vertical line k: blocks (k, j) and (k+1, j) merge."""
            removed_v.add((k, j))
            merged[(k, j)] = (k + 1, j)
            merged[(k + 1, j)] = (k, j)

        def merge_h(k, i):
            removed_h.add((k, i))
            merged[(i, k)] = (i, k + 1)
            merged[(i, k + 1)] = (i, k)

        if (r, c) in (COMPOUND_A, COMPOUND_B):
            # q lattice blocks side by side (q - 1 vertical segments removed), 200-360 m wide
            cands = [(k, q, j) for q in (2, 3) for k in range(nv + 2 - q) for j in range(1, nh)
                     if not any(V[kk][1] for kk in range(k, k + q - 1))
                     and 200 <= (bv[k + q] - bv[k]) * wc <= 360
                     and 80 <= (bh[j + 1] - bh[j]) * hc <= 150]
            k, q, j = cands[int(rng.integers(len(cands)))]
            for kk in range(k, k + q - 1):
                merge_v(kk, j)
            reserved |= {(kk, j) for kk in range(k, k + q)}
            tags[(k, j)] = "compound"
            compound_kj = ((bv[k] + bv[k + q]) / 2, (bh[j] + bh[j + 1]) / 2)
        for cell, tag in ((HOLE_CELL, "hole"), (ENCLAVE_CELL, "enclave"), (MEGA_CELL, "mega")):
            if (r, c) == cell:
                b = pick_inner()
                reserved.add(b)
                tags[b] = tag
        # a few ordinary merges (T-junctions): blocks of up to ~220 m on their long side
        want = int(rng.integers(2, 5))
        tries = 0
        while want > 0 and tries < 200:
            tries += 1
            if rng.random() < 0.5:
                k, j = int(rng.integers(nv)), int(rng.integers(nh + 1))
                a, b = (k, j), (k + 1, j)
                ok = not V[k][1] and (bv[k + 2] - bv[k]) * wc <= 220
            else:
                k, i = int(rng.integers(nh)), int(rng.integers(nv + 1))
                a, b = (i, k), (i, k + 1)
                ok = not H[k][1] and (bh[k + 2] - bh[k]) * hc <= 220
            if not ok or a in merged or b in merged or a in reserved or b in reserved:
                continue
            if a[0] == b[0]:
                merge_h(k, a[0])
            else:
                merge_v(k, a[1])
            want -= 1

        # cut the lattice lines at their crossings and drop the removed segments
        pieces = []  # (LineString, class)

        def cut(line, others, removed_idx):
            L = line.length
            d = sorted(line.project(single_point(line.intersection(o))) for o, _ in others)
            nodes = [0.0] + d + [L]
            runs, cur = [], None
            for seg in range(len(nodes) - 1):
                if seg in removed_idx:
                    if cur is not None:
                        runs.append(cur)
                    cur = None
                    continue
                cur = (nodes[seg] if cur is None else cur[0], nodes[seg + 1])
            if cur is not None:
                runs.append(cur)
            return [substring(line, a, b) for a, b in runs]

        for k, (g, tert) in enumerate(V):
            if tert:
                continue
            for p in cut(g, H, {j for kk, j in removed_v if kk == k}):
                pieces.append((p, "residential"))
        for k, (g, tert) in enumerate(H):
            if tert:
                continue
            for p in cut(g, V, {i for kk, i in removed_h if kk == k}):
                pieces.append((p, "residential"))
        clean = [p for p, _ in pieces] + [g for g, t in V + H if t]
        blocks = faces_of(clean, face.boundary)
        # name the blocks by lattice position
        found = {}
        for (i, j), tag in tags.items():
            pt = self.cell_point(r, c, (bv[i] + bv[i + 1]) / 2, (bh[j] + bh[j + 1]) / 2)
            hits = [b for b in blocks if b.contains(pt)]
            assert len(hits) == 1
            found[tag] = hits[0]
        return dict(face=face, pieces=pieces, blocks=blocks, tagged=found,
                    compound_ts=compound_kj, spacing=spacing)


class Index:
    """Indices of the geometries within a distance of a geometry (shapely 1.8 STRtree)."""

    def __init__(self, geoms):
        self.geoms = list(geoms)
        self.tree = STRtree(self.geoms, list(range(len(self.geoms))))

    def near(self, g, d):
        hits = self.tree.query_items(g.buffer(d, 4) if d > 0 else g)
        return sorted(i for i in hits if self.geoms[i].distance(g) <= d)


def faces_of(lines, boundary):
    """The faces cut out by lines that end on each other or on a boundary (up to round-off):
    each line is lengthened by 5 cm so that its ends cross what they end on."""
    long = [extend_end(extend_end(g, True, 0.05), False, 0.05) for g in lines]
    return [f.normalize() for f in polygonize(unary_union(long + [boundary]))]


def single_point(g):
    if g.geom_type == "Point":
        return g
    pts = [p for p in g.geoms if p.geom_type == "Point"]
    assert len(pts) == 1, g.wkt
    return pts[0]


def building_sizes(rng, total, mu, sigma, lo=6, hi=120):
    """Households per building: skewed (log-normal), each in [lo, hi], summing to total."""
    sizes = []
    while sum(sizes) < total:
        sizes.append(int(np.clip(round(rng.lognormal(math.log(mu), sigma)), lo, hi)))
    sizes[-1] -= sum(sizes) - total
    if sizes[-1] < lo:  # too small a last building: fold it into the one before
        both = sizes.pop() + sizes.pop()
        sizes += [both] if both <= hi else [both - lo, lo]
    assert sum(sizes) == total and all(lo <= s <= hi for s in sizes)
    return sizes


def place_points(rng, area, n, spacing=32.0):
    """n well-spread points inside polygon `area`: a jittered grid, thinned at random."""
    if area.is_empty:
        raise RuntimeError("no room for buildings")
    minx, miny, maxx, maxy = area.bounds
    s = spacing
    while s > 3:
        ox, oy = rng.uniform(0, s, 2)
        xs = np.arange(minx + ox, maxx, s)
        ys = np.arange(miny + oy, maxy, s)
        gx, gy = np.meshgrid(xs, ys)
        gx = gx.ravel() + rng.uniform(-0.2 * s, 0.2 * s, gx.size)
        gy = gy.ravel() + rng.uniform(-0.2 * s, 0.2 * s, gy.size)
        ok = shapely.vectorized.contains(area, gx, gy)
        inside = [Point(x, y) for x, y in zip(gx[ok], gy[ok])]
        if len(inside) >= n:
            idx = np.sort(rng.permutation(len(inside))[:n])
            return [inside[i] for i in idx]
        s *= 0.85
    raise RuntimeError("no room for %d buildings" % n)


def allocate(rng, total, weights, cap):
    """Split total into integers proportional to weights, each <= cap."""
    w = np.asarray(weights, float)
    alloc = np.zeros(len(w))
    free = np.ones(len(w), bool)
    rest = float(total)
    for _ in range(len(w) + 1):
        share = rest * w * free / (w * free).sum()
        over = free & (alloc + share > cap)
        if not over.any():
            alloc += share
            break
        alloc[over] = cap
        free &= ~over
        rest = total - alloc.sum()
    base = np.floor(alloc).astype(int)
    rem = total - base.sum()
    order = np.argsort(-(alloc - base), kind="stable")
    for k in order[:rem]:
        base[k] += 1
    assert base.sum() == total and base.max() <= cap
    return base


def perturb_ends(rng, streets, stats):
    """Undershoot or overshoot some street ends at junctions (T-junctions, borders)."""
    geoms = [g for g, _ in streets]
    tree = Index(geoms)
    ends = [Point(c) for g in geoms for c in (g.coords[0], g.coords[-1])]
    end_tree = Index(ends)
    out = []
    for idx, (g, cls) in enumerate(streets):
        if cls in ("primary", "secondary"):
            out.append((g, cls))
            continue
        for at_start in (True, False):
            p = Point(g.coords[0] if at_start else g.coords[-1])
            others = [o for o in tree.near(p, 1e-6) if o != idx]
            if not others:
                continue  # a dead end: leave it
            near_ends = [e for e in end_tree.near(p, 0.01)
                         if e // 2 != idx]
            if near_ends:
                continue  # an L-junction of two ends: keep it closed
            u = rng.random()
            if u < 0.16:
                d = -rng.uniform(0.5, 1.5)
                stats["undershoots"] += 1
            elif u < 0.26:
                d = rng.uniform(0.3, 1.5)
                stats["overshoots"] += 1
            else:
                continue
            g = extend_end(g, at_start, d)
        out.append((g, cls))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--codes", default="/work/shared/data/yinchuan_villages_communities.csv",
                    help="the village/community code list (only needed for the names)")
    args = ap.parse_args()
    rng = np.random.default_rng(SEED)
    names = load_names(args.codes)
    for code in CODES:
        assert code in names and names[code][1], code

    city = City(rng)
    city.build_borders()
    city.build_tertiaries()
    order = sorted(((r, c) for r in range(3) for c in range(4)),
                   key=lambda k: (-k[0], k[1]))  # north-west first
    total_of = {key: TOTALS[n] for n, key in enumerate(order)}
    special_hh = {COMPOUND_A: sum(COMPOUND_A_HALVES), COMPOUND_B: sum(COMPOUND_B_HALVES),
                  MEGA_CELL: MEGA_HOUSEHOLDS, ENCLAVE_OWNER: ENCLAVE_HOUSEHOLDS}
    cells = {}
    for r in range(3):
        for c in range(4):
            cells[(r, c)] = city.build_cell(r, c, total_of[(r, c)] - special_hh.get((r, c), 0))

    # tertiary streets: one way each, crossing the city
    for line in list(city.tert_v.values()) + list(city.tert_h.values()):
        city.streets.append((line, "tertiary"))
    for key in sorted(cells):
        city.streets.extend(cells[key]["pieces"])

    # -- communities ----------------------------------------------------------------------
    hole = cells[HOLE_CELL]["tagged"]["hole"]
    enclave = cells[ENCLAVE_CELL]["tagged"]["enclave"]
    polys = {}
    for key, cell in cells.items():
        f = cell["face"]
        if key == HOLE_CELL:
            polys[key] = MultiPolygon([Polygon(f.exterior.coords, [hole.exterior.coords])])
        elif key == ENCLAVE_CELL:
            polys[key] = MultiPolygon([Polygon(f.exterior.coords, [enclave.exterior.coords])])
        elif key == ENCLAVE_OWNER:
            polys[key] = MultiPolygon([f, enclave])
        else:
            polys[key] = MultiPolygon([f])
        assert polys[key].is_valid, key
    code_of = {key: CODES[n] for n, key in enumerate(order)}

    # -- paths inside compounds, dead ends, parks ------------------------------------------------
    extra = []  # (LineString, class) added after the blocks are known
    stats = {"undershoots": 0, "overshoots": 0}
    compound_paths = {}
    for key in (COMPOUND_A, COMPOUND_B):
        cell = cells[key]
        blk = cell["tagged"]["compound"]
        t, s = cell["compound_ts"]
        r, c = key
        # a N-S path through the middle of the compound, from street to street
        y = city.cell_point(r, c, t, s).y
        a = city.vline(c, t + (0.01 if key == COMPOUND_A else -0.01), y - 200.0, y + 200.0)
        path = single_line(a.intersection(blk))
        m = path.interpolate(0.5, normalized=True)
        dx, dy = np.subtract(path.coords[-1], path.coords[0])
        n = math.hypot(dx, dy)
        bend = Point(m.x - dy / n * 6.0, m.y + dx / n * 6.0)
        first = LineString([path.coords[0], (bend.x, bend.y)])
        second = LineString([(bend.x, bend.y), path.coords[-1]])
        if key == COMPOUND_A:
            second = extend_end(second, False, -1.0)  # the footway stops 1 m short of the street
            stats["undershoots"] += 1
            extra += [(first, "service"), (second, "footway")]
        else:
            extra += [(LineString(list(first.coords) + [second.coords[-1]]), "footway")]
        compound_paths[key] = LineString([path.coords[0], (bend.x, bend.y), path.coords[-1]])

    # -- households -------------------------------------------------------------------------
    households = []  # (Point, n, community key or None)
    dead_ends = 0
    park_blocks = 0
    for key in order:
        cell = cells[key]
        special = cell["tagged"]
        plain = [b for b in cell["blocks"] if not any(b.equals(s) for s in special.values())]
        total = total_of[key]
        # 2-3 parks or schools per community
        n_park = 2 + int(rng.random() < 0.5)
        idx = rng.permutation(len(plain))
        parks = [plain[i] for i in idx[:n_park]]
        homes = [plain[i] for i in sorted(idx[n_park:])]
        park_blocks += len(parks)
        for pk in parks:  # a footway into each park, ending inside it
            extra.append((dead_end(pk, rng, 0.45), "footway"))
            dead_ends += 1
        fixed = 0
        plan = []  # (block polygon, households, kind)
        if "compound" in special:
            halves = COMPOUND_A_HALVES if key == COMPOUND_A else COMPOUND_B_HALVES
            plan.append((special["compound"], halves, "compound"))
            fixed += sum(halves)
        if "mega" in special:
            plan.append((special["mega"], MEGA_HOUSEHOLDS, "mega"))
            fixed += MEGA_HOUSEHOLDS
        if key == ENCLAVE_OWNER:
            plan.append((enclave, ENCLAVE_HOUSEHOLDS, "plain"))
            fixed += ENCLAVE_HOUSEHOLDS
        weights = [b.area ** 0.8 * rng.lognormal(0, 0.45) for b in homes]
        alloc = allocate(rng, total - fixed - BLOCK_MIN * len(homes), weights,
                         BLOCK_CAP - BLOCK_MIN) + BLOCK_MIN
        for b, n in zip(homes, alloc):
            plan.append((b, int(n), "plain"))
        for blk, n, kind in plan:
            avoid = []
            if kind == "plain" and rng.random() < 0.12:  # a dead-end service road
                d = dead_end(blk, rng, 0.55)
                extra.append((d, "service"))
                avoid.append(d)
                dead_ends += 1
            if kind == "mega":
                households.append((blk.representative_point(), n, key))
                continue
            room = blk.buffer(-9.0)
            if kind == "compound":
                path = compound_paths[key]
                halves = faces_of([path], blk.boundary)
                assert len(halves) == 2
                halves.sort(key=lambda h: (h.centroid.y, h.centroid.x))
                for half, m in zip(halves, n):
                    area = half.intersection(room).difference(path.buffer(8.0))
                    sizes = building_sizes(rng, m, 75, 0.3)
                    for p, s in zip(place_points(rng, area, len(sizes), 40.0), sizes):
                        households.append((p, s, key))
                continue
            for a in avoid:
                room = room.difference(a.buffer(8.0))
            sizes = building_sizes(rng, n, 28, 0.75)
            for p, s in zip(place_points(rng, room, len(sizes)), sizes):
                households.append((p, s, key))

    # three points outside every community
    outsiders = [
        (hole.representative_point(), 12),       # caretaker housing in the park (the hole)
        (Point(-70.0, 420.0), 36),                # west of the city
        (Point(1950.0, YH[-1] + 95.0), 24),       # north of the city
    ]
    for p, n in outsiders:
        households.append((p, n, None))

    # -- imperfections and checks in metres ----------------------------------------------------
    streets = perturb_ends(rng, city.streets + extra, stats)
    # The footway into compound B stops inside it: the compound stays one block over the
    # maximum that must be split along the footway and then between buildings. Done after
    # perturb_ends so that every other feature stays as it was (same random draws).
    b_path = compound_paths[COMPOUND_B]
    for i, (g, cls) in enumerate(streets):
        if cls == "footway" and g.distance(Point(b_path.coords[0])) < TOLERANCE and \
                g.distance(Point(b_path.coords[-1])) < TOLERANCE:
            streets[i] = (substring(g, 0.0, COMPOUND_B_PATH, normalized=True), cls)
            far = Point(g.coords[-1]).distance(Point(b_path.coords[-1]))
            if far > 1e-6:  # the end cut off had been moved: count it no more
                stats["undershoots" if g.length < b_path.length else "overshoots"] -= 1
            dead_ends += 1
            break
    else:
        raise AssertionError("compound B's footway not found")
    street_tree = Index([g for g, _ in streets])
    for p, n, key in households:
        near = street_tree.near(p, 6.0)
        assert len(near) == 0, (p.wkt, n, key)
        inside = [k for k, poly in polys.items() if poly.contains(p)]
        assert inside == ([key] if key else []), (p.wkt, key, inside)

    # -- write ---------------------------------------------------------------------------------
    to_geo = pyproj.Transformer.from_crs(METRIC, GEOGRAPHIC, always_xy=True)
    x0, y0 = pyproj.Transformer.from_crs(GEOGRAPHIC, METRIC, always_xy=True).transform(
        *ORIGIN_LONLAT)

    def geo(g):
        def f(x, y):
            lon, lat = to_geo.transform(np.asarray(x) + x0, np.asarray(y) + y0)
            return np.round(lon, DECIMALS), np.round(lat, DECIMALS)
        return transform(f, g)

    os.makedirs(args.out, exist_ok=True)
    crs = fiona.crs.CRS.from_epsg(4490)

    def write(name, layer, geom_type, props, rows):
        path = os.path.join(args.out, name)
        if os.path.exists(path):
            os.remove(path)
        schema = {"geometry": geom_type, "properties": props}
        with fiona.open(path, "w", driver="GPKG", layer=layer, crs=crs, schema=schema) as dst:
            for g, p in rows:
                dst.write({"geometry": mapping(g), "properties": p})

    write("communities.gpkg", "communities", "MultiPolygon",
          {"code": "str:12", "name": "str:40"},
          [(geo(polys[k]), {"code": code_of[k], "name": names[code_of[k]][0]}) for k in order])
    write("streets.gpkg", "streets", "LineString", {"class": "str:12"},
          [(geo(g), {"class": cls}) for g, cls in streets])
    write("households.gpkg", "households", "Point", {"households": "int32"},
          [(geo(p), {"households": int(n)}) for p, n, _ in households])

    per = {k: sum(n for _, n, kk in households if kk == k) for k in order}
    for k in order:
        assert per[k] == total_of[k], (k, per[k], total_of[k])
    print("communities: %d, streets: %d, household points: %d, households: %d"
          % (len(order), len(streets), len(households), sum(n for _, n, _ in households)))
    print("undershoots: %d, overshoots: %d, dead ends added: %d, parks/schools: %d"
          % (stats["undershoots"], stats["overshoots"], dead_ends, park_blocks))
    for k in order:
        print("  %s %s %5d" % (code_of[k], names[code_of[k]][0], per[k]))
    return 0


def dead_end(blk, rng, frac):
    """A street from the middle of one side of a block towards its centre, ending inside."""
    ring = list(blk.exterior.coords)
    segs = [(ring[i], ring[i + 1]) for i in range(len(ring) - 1)]
    lens = np.array([math.dist(a, b) for a, b in segs])
    cand = np.flatnonzero(lens > 25.0)
    a, b = segs[int(cand[int(rng.integers(len(cand)))])]
    t = rng.uniform(0.35, 0.65)
    start = (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))
    cen = blk.centroid
    d = math.dist(start, (cen.x, cen.y))
    L = min(70.0, frac * d)
    end = (start[0] + (cen.x - start[0]) / d * L, start[1] + (cen.y - start[1]) / d * L)
    return LineString([start, end])


if __name__ == "__main__":
    sys.exit(main())
