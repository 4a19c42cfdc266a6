#!/usr/bin/env python3
"""Benchmark: `gridpart adjust` of Providence with three changed communities (+900 households,
a third of one community's points gone, a new street across a block; see
tests/pipeline/adjust_city.py) against a full `gridpart partition` of the same changed city.
Prints the CPU seconds (user + system of the gridpart process, best of 3; the machine may be
shared, so CPU time is steadier than wall time) and the ratio adjust / partition.

usage: bench_adjust.py CLI SHARED_DIR SCRATCH
"""

import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pipeline"))
import adjust_city  # noqa: E402


def timed(args):
    """Best CPU and wall seconds of 3 runs of gridpart."""
    best_cpu, best_wall = float("inf"), float("inf")
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        r = subprocess.run(args, capture_output=True, text=True)
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode > 1:
            raise SystemExit("gridpart failed: %s" % r.stderr)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, wall)
    return best_cpu, best_wall


def main():
    cli, shared, scratch = sys.argv[1:4]
    data = os.path.join(shared, "data", "providence", "clean")
    adjust_city.configure([None, cli, shared, scratch, "bench", data])
    os.makedirs(adjust_city.OUT, exist_ok=True)
    old, _ = adjust_city.run("partition", "old", data)
    changed = os.path.join(adjust_city.OUT, "changed")
    adjust_city.change_city(old, changed)
    out = os.path.join(adjust_city.OUT, "bench.gpkg")
    base = [cli] + adjust_city.inputs(changed)[:-2] + ["--threads", "1", "-o", out,
                                                        "--overwrite"]
    full_cpu, full_wall = timed([base[0], "partition"] + base[1:])
    adj_cpu, adj_wall = timed([base[0], "adjust", "--previous", old + ":grids"] + base[1:])
    print("partition (full): %.3f s CPU, %.3f s wall" % (full_cpu, full_wall))
    print("adjust (3 communities changed): %.3f s CPU, %.3f s wall" % (adj_cpu, adj_wall))
    print("ratio adjust / partition: %.3f CPU, %.3f wall" % (adj_cpu / full_cpu,
                                                           adj_wall / full_wall))


if __name__ == "__main__":
    main()
