#!/usr/bin/python3
"""The province generator tiles its source faithfully: check_province.py GRIDPART SHARED SCRATCH.

Makes a province of 50 communities from Providence clean (one whole copy, 11 communities of the
second), divides it, and asserts what the benchmarks rely on: 50 communities with unique codes;
the second copy's communities hold exactly the households of the first copy's namesakes; each of
them gets the same grids (serials and households) as its namesake, so a tiled province costs what
its copies cost. Fails (never skips) when the shared data is absent.
"""
import os
import subprocess
import sys

import fiona

here = os.path.dirname(os.path.abspath(__file__))
gridpart, shared, scratch = sys.argv[1:4]
source = os.path.join(shared, "data", "providence", "clean")
out = os.path.join(scratch, "province50")
os.makedirs(out, exist_ok=True)
subprocess.run(["/usr/bin/python3", os.path.join(here, "make_province.py"), "--communities", "50",
                "--out", out, "--source", source], check=True)

with fiona.open(os.path.join(out, "communities.gpkg")) as c:
    codes = [f["properties"]["code"] for f in c]
assert len(codes) == 50 and len(set(codes)) == 50, codes
assert sum(code.startswith("P000") for code in codes) == 39, codes
assert sum(code.startswith("P001") for code in codes) == 11, codes

grids = os.path.join(out, "grids.gpkg")
# Exit 1: Providence's two single address points of 549 and 749 households stay over the maximum.
run = subprocess.run([gridpart, "partition", "--communities", os.path.join(out, "communities.gpkg"),
                "--id-field", "code", "--streets", os.path.join(out, "streets.gpkg"),
                "--households", os.path.join(out, "households.gpkg"), "--count-field",
                "households", "-o", grids, "--overwrite", "--threads", "2"])
assert run.returncode == 1, run.returncode
by_community = {}
with fiona.open(grids, layer="grids") as g:
    for f in g:
        p = f["properties"]
        by_community.setdefault(p["community"], []).append((p["grid_code"][len(p["community"]):],
                                                            p["households"]))
assert sorted(by_community) == sorted(codes), sorted(set(codes) ^ set(by_community))
second = [code for code in codes if code.startswith("P001")]
for code in second:
    twin = "P000" + code[4:]
    assert sorted(by_community[code]) == sorted(by_community[twin]), (code, by_community[code],
                                                                      by_community[twin])
print(f"province of 50: {sum(len(v) for v in by_community.values())} grids; the 11 copied "
      "communities divide exactly as their originals")
