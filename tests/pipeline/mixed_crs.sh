#!/usr/bin/env bash
# Providence clean with its layers in three CRSs: communities in EPSG:4326 (so the output is in
# degrees), streets in EPSG:3857, households in EPSG:3857. Every output geometry must be valid
# in the output CRS, grids and blocks must tile each community there within 1e-9 of its area,
# households add up, no geometry needs the output-CRS repair (check_output.py), and the
# referee passes. Fails, saying what is missing, when ogr2ogr, the referee or the data is absent.
# usage: mixed_crs.sh CLI SHARED_DIR SCRATCH
set -uo pipefail
cli=$1 shared=$2 scratch=$3
here=$(cd "$(dirname "$0")" && pwd)
data="$shared/data/providence/clean"
referee="$shared/referee/referee.py"
for need in "$referee" "$data/communities.gpkg" "$data/streets.gpkg" "$data/households.gpkg"; do
    if [ ! -f "$need" ]; then
        echo "FAIL: $need is absent: put the shared data beside the repository (../shared) or" \
             "configure with -Dshared_dir=PATH" >&2
        exit 1
    fi
done
command -v ogr2ogr >/dev/null || { echo "FAIL: ogr2ogr (gdal-bin) is not installed" >&2; exit 1; }
dir="$scratch/mixed_crs"
rm -rf "$dir"
mkdir -p "$dir"
ogr2ogr -t_srs EPSG:4326 "$dir/communities.gpkg" "$data/communities.gpkg" &&
    ogr2ogr -t_srs EPSG:3857 "$dir/streets.gpkg" "$data/streets.gpkg" &&
    ogr2ogr -t_srs EPSG:3857 "$dir/households.gpkg" "$data/households.gpkg" ||
    { echo "FAIL: ogr2ogr could not reproject the inputs" >&2; exit 1; }
out="$dir/out.gpkg"
"$cli" partition --communities "$dir/communities.gpkg" --id-field code \
    --streets "$dir/streets.gpkg" --class-field class \
    --households "$dir/households.gpkg" --count-field households \
    -o "$out" --report "$dir/report.json"
rc=$?
echo "gridpart exit $rc"
# 1: a grid breaks a bound (Providence has two single features above the maximum).
[ $rc -le 1 ] || exit 1
/usr/bin/python3 "$here/check_output.py" "$dir/communities.gpkg" code "$out" "$dir/report.json" ||
    exit 1
/usr/bin/python3 "$referee" --communities "$dir/communities.gpkg" --community-id code \
    --households "$dir/households.gpkg" --household-count households \
    --streets "$dir/streets.gpkg" --grids "$out:grids" --street-tolerance 2.5 \
    --blocks "$out:blocks" --json "$dir/referee.json"
