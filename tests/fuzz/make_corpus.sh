#!/usr/bin/env bash
# Writes the seed corpora of the fuzz targets. The optimizer's (corpus/fuzz_partition/*): a few
# graphs in fuzz_partition.c's byte layout. The layer targets' (corpus/fuzz_LAYER/*): the
# pipeline fixtures through ogr2ogr, each seed one selector byte (see fuzz_layer.c: '0' GeoJSON,
# '1' CSV+WKT in EPSG:32650, '2' CSV+WKT in EPSG:4326, '3' GML; '4'..'7' the same beside the
# `oversize` fixture instead of `leaftrap`) and the layer's file. Run it again after changing a
# fixture; the seeds are committed, so tests do not need it. Usage: tests/fuzz/make_corpus.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fix=$here/../pipeline/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Barriers are not part of the fixtures: a river line and a railway strip across each one.
cat >"$tmp/leaftrap_barriers.geojson" <<'JSON'
{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32650"}}, "features": [
{"type": "Feature", "properties": {"kind": "river"}, "geometry": {"type": "LineString", "coordinates": [[500180.0, 3999950.0], [500185.0, 4000100.0], [500190.0, 4000250.0]]}},
{"type": "Feature", "properties": {"kind": "railway"}, "geometry": {"type": "Polygon", "coordinates": [[[499950.0, 4000095.0], [500350.0, 4000095.0], [500350.0, 4000105.0], [499950.0, 4000105.0], [499950.0, 4000095.0]]]}}]}
JSON
cat >"$tmp/oversize_barriers.geojson" <<'JSON'
{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32650"}}, "features": [
{"type": "Feature", "properties": {"kind": "river"}, "geometry": {"type": "LineString", "coordinates": [[500300.0, 4000250.0], [500300.0, 4000550.0]]}}]}
JSON
for f in leaftrap oversize; do
    for l in communities streets households; do
        cp "$fix/$f/$l.geojson" "$tmp/${f}_$l.geojson"
    done
done

# seed FILE SELECTOR SOURCE [ogr2ogr arguments...]: the selector byte, then ogr2ogr's output.
seed() {
    local out=$1 sel=$2 src=$3
    shift 3
    mkdir -p "$(dirname "$out")"
    { printf '%s' "$sel"; ogr2ogr "$@" /vsistdout/ "$src"; } >"$out"
}
for l in communities streets households barriers; do
    d=$here/corpus/fuzz_$l
    rm -rf "$d"
    seed "$d/geojson-utm-leaftrap" 0 "$tmp/leaftrap_$l.geojson" -f GeoJSON
    seed "$d/geojson-lonlat-leaftrap" 0 "$tmp/leaftrap_$l.geojson" -f GeoJSON -t_srs EPSG:4326 \
        -lco RFC7946=YES -lco COORDINATE_PRECISION=7
    seed "$d/geojson-mercator-leaftrap" 0 "$tmp/leaftrap_$l.geojson" -f GeoJSON \
        -t_srs EPSG:3857 -lco COORDINATE_PRECISION=2
    seed "$d/geojson-utm-oversize" 4 "$tmp/oversize_$l.geojson" -f GeoJSON
    seed "$d/csv-utm-leaftrap" 1 "$tmp/leaftrap_$l.geojson" -f CSV -lco GEOMETRY=AS_WKT
    seed "$d/csv-lonlat-oversize" 6 "$tmp/oversize_$l.geojson" -f CSV -lco GEOMETRY=AS_WKT \
        -t_srs EPSG:4326
    seed "$d/gml-utm-leaftrap" 3 "$tmp/leaftrap_$l.geojson" -f GML -dsco XSISCHEMA=OFF \
        -dsco FORMAT=GML3
done
# The optimizer's seeds: n, min - 1, max - min, flags (1 grid count, 2 edge costs, 4 shapes,
# 8 previous assignment), [grid count - 1], seed, households per vertex (250 + k: 100 (k + 5)),
# edge count, (u, v, cost * 16 - 1.6) per edge, [area / 100 - 1, perimeter - 40 per vertex],
# [previous grid + 1 per vertex].
/usr/bin/python3 - "$here/corpus/fuzz_partition" <<'PY'
import os, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    os.remove(os.path.join(out, f))
def graph(name, n, lo, hi, flags, seed, hh, edges, want=None, shape=None, prev=None):
    b = [n, lo - 1, hi - lo, flags] + ([want - 1] if flags & 1 else []) + [seed] + hh
    b += [len(edges)] + [x for e in edges for x in e]
    for v in range(n):
        b += list(shape[v]) if flags & 4 else []
    b += [p + 1 for p in prev] if flags & 8 else []
    with open(os.path.join(out, name), 'wb') as fh:
        fh.write(bytes(b))
grid = [(r * 4 + c, r * 4 + c + 1, 16) for r in range(4) for c in range(3)]
grid += [(r * 4 + c, r * 4 + c + 4, 30) for r in range(3) for c in range(4)]
graph('grid-4x4-costs', 16, 100, 160, 2, 7, [60] * 16, grid)
graph('path-10-three-grids-shapes', 10, 100, 200, 1 | 2 | 4, 3, [45, 50, 55, 60, 40, 35, 70, 20, 30, 90],
      [(i, i + 1, 8 * (i % 3 + 1)) for i in range(9)], want=3,
      shape=[(10 + i, 40 + 5 * i) for i in range(10)])
graph('star-oversize-previous', 7, 150, 250, 8, 11, [252, 80, 90, 100, 110, 60, 70],
      [(0, i, 16) for i in range(1, 7)], prev=[0, 0, 0, 1, 1, -1, 2])
graph('two-components-all-flags', 8, 50, 120, 15, 5, [40, 30, 20, 50, 60, 10, 40, 30],
      [(0, 1, 4), (1, 2, 20), (2, 3, 9), (4, 5, 2), (5, 6, 40), (6, 7, 12)], want=4,
      shape=[(5, 20)] * 8, prev=[0, 0, 1, 1, 2, 2, 3, 3])
graph('empty', 0, 100, 200, 0, 0, [], [])
PY
# The WKB arrays target's seeds (fuzz_wkb.c): the selector byte (layer, fixture), then each
# feature of that layer as a 2-byte little-endian length and its ISO WKB.
/usr/bin/python3 - "$tmp" "$here/corpus/fuzz_wkb" <<'PY'
import os, struct, sys
from osgeo import ogr
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    os.remove(os.path.join(out, f))
def seed(name, selector, path):
    body = bytes([selector])
    ds = ogr.Open(path)  # kept alive while its layer is read
    for f in ds.GetLayer(0):
        w = bytes(f.GetGeometryRef().ExportToIsoWkb(ogr.wkbNDR))
        body += struct.pack('<H', len(w)) + w
    with open(os.path.join(out, name), 'wb') as fh:
        fh.write(body)
for sel, layer in enumerate(['communities', 'streets', 'households', 'barriers']):
    seed(layer + '-leaftrap', sel, os.path.join(src, 'leaftrap_' + layer + '.geojson'))
    seed(layer + '-oversize', sel + 4, os.path.join(src, 'oversize_' + layer + '.geojson'))
PY
echo "make_corpus: wrote $(find "$here"/corpus -type f | wc -l) seeds" >&2
