#!/usr/bin/python3
"""Make a synthetic province by tiling copies of a real city (Providence by default).

    /usr/bin/python3 tests/bench/make_province.py --copies N --out DIR [--source DIR]
    /usr/bin/python3 tests/bench/make_province.py --communities N --out DIR

Copy k of the source is shifted by whole tiles (the source's extent plus a 500 m gap) in a
near-square layout, row by row, and its community codes get the prefix `Pkkk` (`P003` +
`44007000101`), so every code stays unique and grid codes stay readable. Streets and households
are copied with their fields (`class`, `households`). `--communities N` takes as many copies as
N needs and keeps the first N communities of the last one (with the households inside them and
the streets within their envelope). The layers keep the source's CRS (EPSG:32619 for
Providence); coordinates are metres, so shifting is exact.

Providence clean has 39 communities and 71,188 households: 16 copies make a city of 1.14 million
households, 52 copies (or `--communities 2000`) a province of 2,000 communities and 3.6 million.
Writes DIR/communities.gpkg, DIR/streets.gpkg and DIR/households.gpkg (replacing them) and prints
the totals. Same arguments, same features.
"""
import argparse
import math
import os
import sys

import fiona
from shapely.geometry import box, shape
from shapely.ops import unary_union

GAP = 500.0  # metres between tiles
LAYERS = ("communities", "streets", "households")


def default_source():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "data", "providence",
                                         "clean"))


def shift_coords(coords, dx, dy):
    """Coordinates of any nesting depth shifted by (dx, dy)."""
    if isinstance(coords[0], (int, float)):
        return (coords[0] + dx, coords[1] + dy) + tuple(coords[2:])
    return [shift_coords(c, dx, dy) for c in coords]


def shifted(geometry, dx, dy):
    return {"type": geometry["type"], "coordinates": shift_coords(geometry["coordinates"], dx, dy)}


def read_layer(path, layer):
    with fiona.open(path, layer=layer) as src:
        return src.schema, src.crs_wkt, src.bounds, [(dict(f["properties"]), f["geometry"])
                                                      for f in src]


def tile_offsets(copies, width, height):
    columns = max(1, math.ceil(math.sqrt(copies)))
    return [((k % columns) * (width + GAP), (k // columns) * (height + GAP)) for k in range(copies)]


def write(path, layer, schema, crs_wkt, records):
    if os.path.exists(path):
        os.remove(path)
    with fiona.open(path, "w", driver="GPKG", layer=layer, schema=schema, crs_wkt=crs_wkt) as dst:
        dst.writerecords(records)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    size = ap.add_mutually_exclusive_group(required=True)
    size.add_argument("--copies", type=int, help="whole copies of the source")
    size.add_argument("--communities", type=int, help="communities wanted")
    ap.add_argument("--out", required=True)
    ap.add_argument("--source", default=default_source(),
                    help="folder with communities.gpkg (field code), streets.gpkg, "
                         "households.gpkg (default: ../shared/data/providence/clean)")
    args = ap.parse_args(argv)
    for name in LAYERS:
        if not os.path.exists(os.path.join(args.source, name + ".gpkg")):
            sys.exit(f"make_province: {args.source}/{name}.gpkg not found (see --source)")
    data = {name: read_layer(os.path.join(args.source, name + ".gpkg"), name) for name in LAYERS}
    per_copy = len(data["communities"][3])
    want = args.communities if args.communities else args.copies * per_copy
    if want < 1:
        sys.exit("make_province: --copies and --communities must be at least 1")
    copies = math.ceil(want / per_copy)
    minx, miny, maxx, maxy = data["communities"][2]
    offsets = tile_offsets(copies, maxx - minx, maxy - miny)

    kept_last = want - (copies - 1) * per_copy
    last_env = None
    if kept_last < per_copy:
        kept = unary_union([shape(g) for _, g in data["communities"][3][:kept_last]])
        last_env = kept.bounds
        last_box = box(*last_env)

    def inside_last(name, geometry):
        return (kept if name == "households" else last_box).intersects(shape(geometry))

    os.makedirs(args.out, exist_ok=True)
    totals = {}
    for name in LAYERS:
        schema, crs_wkt, _, features = data[name]
        records = []
        for k, (dx, dy) in enumerate(offsets):
            last = k == copies - 1 and last_env is not None
            source = features[:kept_last] if last and name == "communities" else features
            for props, geometry in source:
                if last and name != "communities" and not inside_last(name, geometry):
                    continue
                props = dict(props)
                if name == "communities":
                    props["code"] = f"P{k:03d}{props['code']}"
                records.append({"properties": props, "geometry": shifted(geometry, dx, dy)})
        write(os.path.join(args.out, name + ".gpkg"), name, schema, crs_wkt, records)
        totals[name] = records
    households = sum(int(r["properties"].get("households") or 0) for r in totals["households"])
    print(f"{len(totals['communities'])} communities, {len(totals['streets'])} streets, "
          f"{len(totals['households'])} household points, {households} households "
          f"({copies} copies) in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
