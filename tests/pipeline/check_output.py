# SPDX-License-Identifier: MIT
"""Check a gridpart output in its own (output) CRS: every grid and block geometry valid, the
grids and the blocks tiling each community within 1e-9 of its area, households conserved,
nothing left for the output-CRS repair.

usage: check_output.py COMMUNITIES ID_FIELD OUT.gpkg REPORT.json
Prints what it measured; exits 1 naming every failed check.
"""
import json
import sys
import warnings

import geopandas as gpd
from shapely.ops import unary_union

TOLERANCE = 1e-9  # of the community's area

warnings.filterwarnings("ignore", message=".*geographic CRS.*")


def main(communities_path, id_field, out_path, report_path):
    failures = []
    communities = gpd.read_file(communities_path).set_index(id_field)
    report = json.load(open(report_path))
    for layer in ("grids", "blocks"):
        g = gpd.read_file(out_path, layer=layer)
        if g.crs is None or not g.crs.equals(communities.crs):
            failures.append(f"{layer}: CRS {g.crs} is not the communities' {communities.crs}")
        invalid = g[~g.is_valid]
        print(f"{layer}: {len(g)} geometries, {len(invalid)} invalid")
        if len(invalid):
            failures.append(f"{layer}: {len(invalid)} invalid geometries")
        worst = (0.0, None)
        for cid, part in g.groupby("community"):
            c = communities.geometry[str(cid)]
            try:
                union = unary_union(list(part.geometry.values))
            except ValueError as e:  # GEOS fails on invalid input
                failures.append(f"{layer}: community {cid}: cannot unite its shapes ({e})")
                continue
            area = c.area
            gap = c.difference(union).area / area
            outside = union.difference(c).area / area
            overlap = (part.geometry.area.sum() - union.area) / area
            for what, v in (("gap", gap), ("outside", outside), ("overlap", overlap)):
                if v > worst[0]:
                    worst = (v, f"{what} in {cid}")
                if v > TOLERANCE:
                    failures.append(f"{layer}: community {cid}: {what} {v:.3g} of its area")
        print(f"{layer}: worst tiling error {worst[0]:.3g} of a community's area ({worst[1]})")
        households = int(g["households"].sum())
        if households != report["totals"]["households"]:
            failures.append(f"{layer}: {households} households, the report says "
                            f"{report['totals']['households']}")
    totals = report["totals"]
    if totals["households"] + totals["households_outside"] != totals["households_read"]:
        failures.append(f"households not conserved: {totals}")
    repaired = [p for p in report["problems"] if "repaired" in json.dumps(p)]
    if repaired:
        failures.append(f"output geometries needed a repair: {repaired}")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
