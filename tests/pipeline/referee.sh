#!/usr/bin/env bash
# Run `gridpart partition` on a data set and check the result with the independent referee
# (../shared/referee/referee.py): every hard rule must hold. Fails, saying what is missing,
# when the referee or the data is absent.
# usage: referee.sh CLI SHARED_DIR SCRATCH NAME COMMUNITIES STREETS HOUSEHOLDS [EXTRA...]
set -uo pipefail
cli=$1 shared=$2 scratch=$3 name=$4 comm=$5 streets=$6 hh=$7
shift 7
referee="$shared/referee/referee.py"
for need in "$referee" "$comm" "$streets" "$hh"; do
    if [ ! -f "$need" ]; then
        echo "FAIL: $need is absent: put the shared data beside the repository (../shared) or" \
             "configure with -Dshared_dir=PATH" >&2
        exit 1
    fi
done
mkdir -p "$scratch"
out="$scratch/$name.gpkg"
rm -f "$out" "$scratch/$name.json"
start=$(date +%s.%N)
"$cli" partition --communities "$comm" --id-field code --streets "$streets" --class-field class \
    --households "$hh" --count-field households -o "$out" --report "$scratch/$name.json" "$@"
rc=$?
end=$(date +%s.%N)
echo "gridpart exit $rc in $(awk "BEGIN{print $end - $start}") s"
# 0: every grid within bounds; 1: some grid is not, which the referee judges (it excuses a
# grid that holds a household feature above the maximum, and communities whose total no whole
# number of grids can fit). --blocks gives it our own street blocks, on which it decides exactly
# whether a small community (up to 14 blocks, none above the maximum) can be divided at all.
[ $rc -le 1 ] || exit 1
/usr/bin/python3 "$referee" --communities "$comm" --community-id code --households "$hh" \
    --household-count households --streets "$streets" --grids "$out:grids" --blocks "$out:blocks" \
    --street-tolerance 2.5 --json "$scratch/$name.referee.json"
