# SPDX-License-Identifier: MIT
"""Assert that gridpart gives the same grids from PostGIS as from the demo's files.

usage: compare.py FROM_PG.gpkg FROM_FILES.gpkg FROM_PG.json FROM_FILES.json [--binding]

The two outputs must hold the same `grids` rows (every field) with exactly the same geometry,
the same `blocks` rows, and the same report apart from the seconds per stage. With --binding,
``gridpart.partition`` (the Python binding) reads every layer from $GP_PG and must give the
grids of FROM_FILES.gpkg. Prints what differs and exits 1 when anything does.
"""

import json
import os
import sys

import geopandas as gpd


def rows(path, layer, key):
    df = gpd.read_file(path, layer=layer)
    return df.sort_values(key).reset_index(drop=True)


def same_layer(a_path, b_path, layer, key):
    a, b = rows(a_path, layer, key), rows(b_path, layer, key)
    errors = []
    if list(a.columns) != list(b.columns):
        return [f"{layer}: fields {list(a.columns)} != {list(b.columns)}"]
    if len(a) != len(b):
        return [f"{layer}: {len(a)} rows from PostGIS, {len(b)} from the files"]
    if len(a) == 0:
        return [f"{layer}: no rows"]
    for col in a.columns:
        if col == "geometry":
            same = a.geometry.normalize().geom_equals_exact(b.geometry.normalize(), 0)
            for i in (~same).to_numpy().nonzero()[0][:5]:
                errors.append(f"{layer} {a.loc[i, key]}: geometries differ")
        else:
            diff = ~((a[col] == b[col]) | (a[col].isna() & b[col].isna()))
            for i in diff.to_numpy().nonzero()[0][:5]:
                errors.append(f"{layer} {a.loc[i, key]}: {col} {a.loc[i, col]!r} from PostGIS, "
                              f"{b.loc[i, col]!r} from the files")
    return errors


def without_seconds(report):
    """The report without what names the sources or depends on the clock: timings, the inputs
    and the problems' messages (their records, kinds, ids and grid codes are compared)."""
    if isinstance(report, dict):
        return {k: without_seconds(v) for k, v in report.items()
                if "seconds" not in k and k not in ("inputs", "message")}
    if isinstance(report, list):
        return [without_seconds(v) for v in report]
    return report


def binding(files_out):
    import gridpart
    pg = os.environ["GP_PG"]
    with gridpart.partition(f"{pg}:communities", f"{pg}:streets", f"{pg}:households",
                            id_field="code", class_field="class",
                            count_field="households") as result:
        grids = result.grids  # a GeoDataFrame since 0.3
        got = sorted(zip(grids["grid_code"].tolist(), grids["households"].tolist(),
                         grids["flags"].tolist()))
        read, outside = result.households_read, result.households_outside
    ref = rows(files_out, "grids", "grid_code")
    expect = sorted(zip(ref["grid_code"], (int(h) for h in ref["households"]),
                        (f or "" for f in ref["flags"])))
    errors = []
    if got != expect:
        errors.append(f"binding: grids (code, households, flags) from PostGIS differ from the "
                      f"files': first differences {[x for x in got if x not in expect][:3]} vs "
                      f"{[x for x in expect if x not in got][:3]}")
    if sum(h for _, h, _ in got) != read - outside:
        errors.append(f"binding: grids hold {sum(h for _, h, _ in got)} households, "
                      f"{read} read - {outside} outside")
    print(f"binding: {len(got)} grids from PostGIS, {read} households read")
    return errors


def main(argv):
    if len(argv) not in (5, 6) or (len(argv) == 6 and argv[5] != "--binding"):
        print(__doc__, file=sys.stderr)
        return 2
    pg_out, files_out, pg_json, files_json = argv[1:5]
    errors = same_layer(pg_out, files_out, "grids", "grid_code")
    errors += same_layer(pg_out, files_out, "blocks", "block_id")
    with open(pg_json, encoding="utf-8") as f:
        a = without_seconds(json.load(f))
    with open(files_json, encoding="utf-8") as f:
        b = without_seconds(json.load(f))
    if a != b:
        errors.append(f"the reports differ (beyond seconds): {pg_json} vs {files_json}")
    if not errors:
        print("compare: the same grids (codes, households, every field, geometries), blocks and "
              "report")
    if len(argv) == 6:
        errors += binding(files_out)
    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
