# SPDX-License-Identifier: MIT
"""Helpers of the bad-input catalogue (test_catalogue.c): make a bad input, check an output.

Run with Debian's /usr/bin/python3 (GDAL's osgeo module for `valid` and `same`):
  edit IN OUT CODE        copy the GeoJSON IN (- for an empty one) to OUT after running the Python
                          statements CODE on `d` (the FeatureCollection) and `f` (its features),
                          with the helpers put, shape, feature, point, square, lonlat below
  codes GPKG ID CODE...   the grids of community ID in GPKG have exactly the grid codes CODE...
  valid GPKG              every grid and block geometry in GPKG is valid
  same GPKG REF           GPKG and REF hold the same grids: codes, households, equal geometries
  disjoint GPKG           no two grids in GPKG overlap (by more than a millionth of the smaller)
Each check prints what differs and exits 1.
"""

import json
import sys


def put(f, i, **props):
    """Set properties of feature i."""
    f[i]["properties"].update(props)


def feature(props, geometry):
    return {"type": "Feature", "properties": props, "geometry": geometry}


def point(x, y):
    return {"type": "Point", "coordinates": [x, y]}


def square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def edit(src, dst, code):
    if src == "-":
        d = {"type": "FeatureCollection", "features": []}
    else:
        with open(src, encoding="utf-8") as fh:
            d = json.load(fh)
    f = d["features"]

    def shape(i, geometry):
        f[i]["geometry"] = geometry

    def lonlat():
        d["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}

    exec(code, {"d": d, "f": f, "json": json, "put": lambda i, **p: put(f, i, **p),
                "shape": shape, "lonlat": lonlat, "feature": feature, "point": point,
                "square": square})
    with open(dst, "w", encoding="utf-8") as fh:
        json.dump(d, fh, ensure_ascii=False)


def grids(path):
    import sqlite3
    con = sqlite3.connect(path)
    return con.execute("select community, grid_code, households from grids").fetchall()


def codes(path, community, *expected):
    got = sorted(code for c, code, _ in grids(path) if c == community)
    if got != sorted(expected):
        print(f"community {community!r}: grid codes {got}, expected {sorted(expected)}")
        return 1
    return 0


def quiet():
    """GDAL's warnings (GEOS's reasons for invalidity) off: the checks print what matters."""
    from osgeo import gdal
    gdal.PushErrorHandler("CPLQuietErrorHandler")


def valid(path):
    from osgeo import ogr
    quiet()
    ds = ogr.Open(path)
    bad = []
    for name in ("grids", "blocks"):
        layer = ds.GetLayerByName(name)
        if layer is None:
            bad.append(f"no layer {name}")
            continue
        for feat in layer:
            g = feat.GetGeometryRef()
            if g is None or not g.IsValid():
                bad.append(f"{name} feature {feat.GetFID()}")
    if bad:
        print("invalid output geometries: " + ", ".join(bad))
        return 1
    return 0


def same(path, ref):
    from osgeo import ogr
    quiet()

    def shapes(p):
        ds = ogr.Open(p)
        out = {}
        for feat in ds.GetLayerByName("grids"):
            out[feat["grid_code"]] = (feat["households"], feat.GetGeometryRef().Clone())
        return out

    a, b = shapes(path), shapes(ref)
    diff = sorted(k for k in set(a) | set(b)
                  if k not in a or k not in b or a[k][0] != b[k][0] or not a[k][1].Equals(b[k][1]))
    if diff:
        print(f"{len(diff)} of {len(b)} grids differ from the reference: {', '.join(diff[:10])}")
        return 1
    return 0


def disjoint(path):
    from osgeo import ogr
    quiet()
    ds = ogr.Open(path)
    shapes = [(feat["grid_code"], feat.GetGeometryRef().Clone())
              for feat in ds.GetLayerByName("grids")]
    bad = []
    for i, (a, ga) in enumerate(shapes):
        for b, gb in shapes[i + 1:]:
            common = ga.Intersection(gb) if ga.Intersects(gb) else None
            if common is not None and common.GetDimension() == 2:
                if common.GetArea() > 1e-6 * min(ga.GetArea(), gb.GetArea()):
                    bad.append(f"{a} and {b}")
    if bad:
        print("overlapping grids: " + ", ".join(bad[:10]))
        return 1
    return 0


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "edit":
        edit(*args)
        return 0
    return {"codes": codes, "valid": valid, "same": same, "disjoint": disjoint}[cmd](*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
