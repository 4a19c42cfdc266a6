#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# parts_cli.sh CLI SCRATCH N COMMUNITIES STREETS HOUSEHOLDS
# The scheduler pattern of the README (issue #16 item 5): split the communities' ids into N
# files, run `gridpart partition --only FILE` on each (two at a time, as GNU parallel or a
# Slurm array would), and check that the parts' grids and blocks layers together equal one
# whole run's, every field and geometry (compare_parts.py), each part reading fewer features.
# The sources may be files or PostGIS tables (PG:...:TABLE). Fails loudly when an input is
# missing. Prints the wall-clock seconds of the whole run and of the parts.
set -uo pipefail
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
[ $# -eq 6 ] || fail "usage: $0 CLI SCRATCH N COMMUNITIES STREETS HOUSEHOLDS"
cli=$1 scratch=$2 n=$3 communities=$4 streets=$5 households=$6
here=$(dirname "$(readlink -f "$0")")
for f in "$communities" "$streets" "$households"; do
    case $f in PG:*) ;; *) [ -f "$f" ] || fail "input $f is missing (shared data: -Dshared_dir)" ;; esac
done
rm -rf "$scratch" && mkdir -p "$scratch" || fail "cannot make $scratch"
run() { # NAME [ARGS...]: partition into SCRATCH/NAME.gpkg and .json; 1 (a bound broken) is fine
    local name=$1
    shift
    "$cli" partition --communities "$communities" --id-field code --streets "$streets" \
        --class-field class --households "$households" --count-field households --threads 1 \
        -o "$scratch/$name.gpkg" --report "$scratch/$name.json" "$@" >"$scratch/$name.log" 2>&1
    local rc=$?
    [ $rc -le 1 ] || fail "$name exited $rc: $(cat "$scratch/$name.log")"
}
export -f run fail
export cli scratch communities streets households
t0=$(date +%s.%N)
run whole
t1=$(date +%s.%N)
# The ids, from the whole run's report, dealt round-robin into N files of one id per line.
/usr/bin/python3 - "$scratch/whole.json" "$scratch" "$n" <<'PY' || fail "cannot split the ids"
import json, sys
ids = [c["id"] for c in json.load(open(sys.argv[1]))["communities"]]
n = int(sys.argv[3])
for k in range(n):
    with open(f"{sys.argv[2]}/ids-{k}.txt", "w") as f:
        f.write("# part %d of %d\n" % (k, n) + "".join(i + "\n" for i in ids[k::n]))
print(f"{len(ids)} communities in {n} parts")
PY
seq 0 $((n - 1)) | xargs -P 2 -I K bash -c 'run part-K --only "$scratch/ids-K.txt"' ||
    fail "a part failed"
t2=$(date +%s.%N)
one=$(sed -n 2p "$scratch/ids-0.txt")
run one --only "$one"
t3=$(date +%s.%N)
echo "seconds: whole $(echo "$t1 - $t0" | bc), $n parts (2 at a time) $(echo "$t2 - $t1" | bc)," \
    "one community ($one) $(echo "$t3 - $t2" | bc)"
parts=()
for k in $(seq 0 $((n - 1))); do parts+=("$scratch/part-$k.gpkg"); done
/usr/bin/python3 "$here/compare_parts.py" "$scratch/whole.gpkg" "${parts[@]}" ||
    fail "the parts differ from the whole run"
echo "ok"
