#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""compare_parts.py WHOLE.gpkg PART.gpkg...: the parts' grids and blocks layers together must
equal the whole run's, feature for feature: every field and the geometry (WKB). Also each
part's report (PART.json beside it) must show it read fewer streets and households than the
whole run (WHOLE.json). Exits 1 saying what differs."""

import json
import sys

from osgeo import ogr

ogr.UseExceptions()


def rows(path, layer):
    """Every feature of the layer as (fields..., WKB), sorted; None when the layer is absent."""
    ds = ogr.Open(path)
    lyr = ds.GetLayerByName(layer)
    out = []
    for f in lyr:
        fields = tuple(f.GetField(i) for i in range(f.GetFieldCount()))
        g = f.GetGeometryRef()
        out.append(fields + (bytes(g.ExportToWkb(ogr.wkbNDR)) if g else b"",))
    return out


def main(whole, parts):
    ok = True
    for layer in ("grids", "blocks"):
        want = sorted(rows(whole, layer), key=repr)
        got = sorted((r for p in parts for r in rows(p, layer)), key=repr)
        if got != want:
            ok = False
            extra = [r[:3] for r in got if r not in want][:5]
            missing = [r[:3] for r in want if r not in got][:5]
            print(f"FAIL: layer {layer}: {len(got)} features in the parts, {len(want)} in the "
                  f"whole run; only in the parts: {extra}; only in the whole run: {missing}")
        else:
            print(f"ok: layer {layer}: {len(got)} features equal (fields and WKB)")
    read = json.load(open(whole[:-5] + ".json"))["read"]
    for p in parts:
        r = json.load(open(p[:-5] + ".json"))["read"]
        for k in ("streets", "households"):
            if not r[k] < read[k]:
                ok = False
                print(f"FAIL: {p}: read {r[k]} {k}, not fewer than the whole run's {read[k]}")
        print(f"ok: {p} read {r} (whole {read})")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
