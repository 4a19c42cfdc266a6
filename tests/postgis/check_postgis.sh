#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The `postgis` test, run inside `pgserver.sh with --load ...` (GP_PG set; the demo loaded as
# tables communities, streets, households): the CLI, the Python binding and the C API reading
# every layer from PostGIS must give the grids they give from the demo's GeoPackage files.
# Environment (set by tests/postgis/meson.build): GP_CLI, GP_DEMO, GP_SCRATCH, GP_PG_CTEST
# (the criterion program), GP_PG_BINDING (yes: run the binding too; no under sanitizers),
# GRIDPART_LIBRARY and PYTHONPATH for the binding.
set -uo pipefail
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
for v in GP_PG GP_CLI GP_DEMO GP_SCRATCH GP_PG_CTEST GP_PG_BINDING; do
    [ -n "${!v:-}" ] || fail "$v is not set: run me through meson test (tests/postgis/meson.build)"
done
here=$(dirname "$(readlink -f "$0")")
psql=${PG_BINDIR:-/usr/lib/postgresql/15/bin}/psql
mkdir -p "$GP_SCRATCH" || fail "cannot make $GP_SCRATCH"
step() {
    echo "--- $* ($SECONDS s)"
}

step "the tables keep the SRID of the files"
for t in communities streets households; do
    want=$(ogrinfo -ro -so "$GP_DEMO/$t.gpkg" "$t" | grep -o 'ID\["EPSG",[0-9]*\]' | tail -n 1 |
           tr -dc 0-9)
    got=$("$psql" -X -A -t -v ON_ERROR_STOP=1 -c "SELECT Find_SRID('public', '$t', 'geom')") ||
        fail "cannot read the SRID of table $t"
    [ -n "$want" ] && [ "$got" = "$want" ] || fail "table $t has SRID '$got', $t.gpkg EPSG '$want'"
done

# The demo holds one building above the maximum: both runs complete and exit 1.
partition() { # OUT_NAME COMMUNITIES STREETS HOUSEHOLDS
    local out=$GP_SCRATCH/$1
    rm -f "$out.gpkg" "$out.json"
    "$GP_CLI" partition --communities "$2" --id-field code --streets "$3" --class-field class \
        --households "$4" --count-field households -o "$out.gpkg" --report "$out.json" \
        >"$out.log" 2>&1
    local rc=$?
    [ $rc = 1 ] || { cat "$out.log" >&2; fail "gridpart on $2 exited $rc, expected 1"; }
}
step "the CLI on PostGIS"
partition from_pg "$GP_PG:communities" "$GP_PG:streets" "$GP_PG:households"
step "the CLI on the files"
partition from_files "$GP_DEMO/communities.gpkg" "$GP_DEMO/streets.gpkg" \
    "$GP_DEMO/households.gpkg"

step "the CLI on a database with no table named"
out=$("$GP_CLI" partition --communities "$GP_PG" --id-field code --streets "$GP_PG:streets" \
      --households "$GP_PG:households" -o "$GP_SCRATCH/none.gpkg" 2>&1)
rc=$?
[ $rc = 2 ] || fail "gridpart with --communities $GP_PG exited $rc, expected 2: $out"
grep -qF "communities: $GP_PG: name the table to read, as $GP_PG:TABLE (tables there: " <<<"$out" ||
    fail "no 'name the table' message: $out"
[ ! -e "$GP_SCRATCH/none.gpkg" ] || fail "a failed run wrote $GP_SCRATCH/none.gpkg"

if [ "$GP_PG_BINDING" = yes ]; then
    step "comparing the outputs; the Python binding on PostGIS"
    binding=(--binding)
else
    step "comparing the outputs (the Python binding is not run under sanitizers)"
    binding=()
fi
/usr/bin/python3 "$here/compare.py" "$GP_SCRATCH/from_pg.gpkg" "$GP_SCRATCH/from_files.gpkg" \
    "$GP_SCRATCH/from_pg.json" "$GP_SCRATCH/from_files.json" "${binding[@]}" ||
    fail "PostGIS and the files give different grids"

step "the CLI writes its layers into PostGIS, nothing else"
count() { "$psql" -X -A -t -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM $1"; }
before=$(count households)
cli_write() { # EXPECTED_EXIT [ARGS...]
    local want=$1
    shift
    out=$("$GP_CLI" partition --communities "$GP_PG:communities" --id-field code \
          --streets "$GP_PG:streets" --class-field class --households "$GP_PG:households" \
          --count-field households -o "$GP_PG" "$@" 2>&1)
    local rc=$?
    [ $rc = "$want" ] || fail "gridpart -o $GP_PG $* exited $rc, expected $want: $out"
}
"$psql" -X -q -c "DROP TABLE IF EXISTS grids, blocks" || fail "cannot drop the output tables"
cli_write 1
[ "$(count grids)" = 84 ] || fail "grids has $(count grids) rows, expected the demo's 84"
srid=$("$psql" -X -A -t -c "SELECT Find_SRID('public', 'grids', 'wkb_geometry')")
[ "$srid" = 4490 ] || fail "grids has SRID '$srid', expected the communities' 4490"
[ "$(count households)" = "$before" ] || fail "the households table changed"
cli_write 2
grep -qF "layer 'grids' already exists" <<<"$out" || fail "no 'already exists' message: $out"
cli_write 1 --overwrite
[ "$(count grids)" = 84 ] || fail "after --overwrite grids has $(count grids) rows, expected 84"
if [ "$GP_PG_BINDING" = yes ]; then
    step "the Python binding writes into PostGIS"
    /usr/bin/python3 - <<PY || fail "the binding did not write into PostGIS as expected"
import os, gridpart
pg = os.environ["GP_PG"]
kw = dict(id_field="code", class_field="class", count_field="households")
try:
    gridpart.partition(pg + ":communities", pg + ":streets", pg + ":households", out=pg, **kw)
    raise SystemExit("an existing layer was replaced without overwrite")
except gridpart.ArgumentError as e:
    assert "layer 'grids' already exists" in e.message, e.message
with gridpart.partition(pg + ":communities", pg + ":streets", pg + ":households", out=pg,
                        overwrite=True, **kw) as r:
    assert len(r.grids) == 84, len(r.grids)
PY
    [ "$(count grids)" = 84 ] || fail "after the binding grids has $(count grids) rows"
fi

step "the C API on PostGIS"
"$GP_PG_CTEST" -j1 --ascii || fail "the C API tests on PostGIS failed"
step "done"
