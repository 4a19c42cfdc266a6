#!/usr/bin/env bash
# Run `gridpart partition` on a data set and check the result with the independent referee
# (../shared/referee/referee.py). Skips (exit 77) when ../shared or the data is absent.
# usage: referee.sh CLI SHARED_DIR SCRATCH NAME COMMUNITIES STREETS HOUSEHOLDS EXCUSED [EXTRA...]
# EXCUSED: comma-separated community ids proven to have no street-following division within the
# bounds (the referee calls a community feasible from its total alone); "-" for none. Only in
# those may a grid break the bounds; every other hard rule must pass everywhere.
set -uo pipefail
cli=$1 shared=$2 scratch=$3 name=$4 comm=$5 streets=$6 hh=$7 excused=$8
shift 8
referee="$shared/referee/referee.py"
if [ ! -f "$referee" ] || [ ! -f "$comm" ]; then
    echo "SKIP: $referee or $comm is absent"
    exit 77
fi
mkdir -p "$scratch"
out="$scratch/$name.gpkg"
rm -f "$out"
start=$(date +%s.%N)
"$cli" partition --communities "$comm" --id-field code --streets "$streets" --class-field class \
    --households "$hh" --count-field households -o "$out" --report "$scratch/$name.json" "$@"
rc=$?
end=$(date +%s.%N)
echo "gridpart exit $rc in $(awk "BEGIN{print $end - $start}") s"
# 0: every grid within bounds; 1: some grid is not, which the referee judges (only a lone
# oversized feature or an infeasible community is excused).
[ $rc -le 1 ] || exit 1
/usr/bin/python3 "$referee" --communities "$comm" --community-id code --households "$hh" \
    --household-count households --streets "$streets" --grids "$out:grids" --street-tolerance 2.5 \
    --json "$scratch/$name.referee.json"
/usr/bin/python3 - "$scratch/$name.referee.json" "$excused" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
excused = set(x for x in sys.argv[2].split(",") if x and x != "-")
failed = [k for k, ok in rep["hard"].items() if not ok]
bounds = "bounds held where feasible"
if bounds in failed:
    # The referee's count of unexcused grids must all lie in the excused communities.
    in_excused = sum(1 for c in rep["per_community"] if c["id"] in excused and c["feasible"]
                     for load in c["loads"] if load < 300 or load > 500)
    n = rep["summary"]["grids_out_of_bounds_in_feasible_communities"]
    print(f"referee.sh: {n} grid(s) out of bounds in feasible communities; {in_excused} in the "
          f"communities proven infeasible at block level ({', '.join(sorted(excused)) or 'none'})")
    if n <= in_excused:
        failed.remove(bounds)
print("referee.sh: " + ("every hard rule holds" if not failed else "FAILED: " + ", ".join(failed)))
sys.exit(1 if failed else 0)
PY
