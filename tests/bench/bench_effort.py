#!/usr/bin/python3
"""Benchmark (#15 item 3): what `--effort` buys, on a province of COPIES tiles of Providence
(make_province.py; 5 copies ~ 356k households).

Each effort is run on 2 threads with SEEDS seeds (--seed 1..SEEDS), interleaved with the I/O
floor (`ogr2ogr` copying the same three layers, as bench_pipeline.py does) because the machine
may be shared. Prints, per effort: the median wall seconds, their ratio to the floor and to
effort 1, and the quality of the grids averaged over the seeds: total cut cost (from the run's
report), mean Polsby-Popper of the grids (4 pi area / perimeter^2, from the grids layer, as the
referee computes it), mean of each community's max/mean workload, and grids out of bounds.
Then the largest effort measured whose median is within 2x the floor.

Fails when a run fails, when an effort leaves more grids out of bounds than effort 1 does (a
smaller budget may trade cut cost and shape, never the household bounds), or when a seed's
grids differ between two runs of the same effort (a run must not depend on timing).

usage: bench_effort.py CLI SHARED_DIR SCRATCH [COPIES [SEEDS [EFFORT ...]]]
"""

import hashlib
import math
import os
import statistics
import sys

from osgeo import ogr

import bench_pipeline

EFFORTS = (0.5, 0.6, 0.7, 0.8, 1.0, 1.5)


def partition(cli, city, out, effort, seed):
    """bench_pipeline's run on 2 threads at this effort and seed: wall seconds and report."""
    return bench_pipeline.partition(cli, city, out, 2,
                                    ["--effort", repr(effort), "--seed", str(seed)])


def grids_quality(out):
    """Mean Polsby-Popper of the grids layer and a digest of its codes, households and
    geometries."""
    ds = ogr.Open(out)
    if ds is None:
        raise SystemExit("cannot open %s" % out)
    layer = ds.GetLayerByName("grids")
    if layer is None:
        raise SystemExit("%s has no grids layer" % out)
    pps = []
    digest = hashlib.sha256()
    for f in layer:
        g = f.GetGeometryRef()
        perimeter = g.Boundary().Length()
        pps.append(4 * math.pi * g.GetArea() / (perimeter * perimeter) if perimeter > 0 else 0)
        digest.update(("%s %d" % (f.GetFieldAsString("grid_code"), f.GetFieldAsInteger64("households"))).encode())
        digest.update(g.ExportToWkb())
    if not pps:
        raise SystemExit("%s: no grids" % out)
    return statistics.mean(pps), digest.hexdigest()


def quality(report, out):
    communities = report["communities"]
    pp, digest = grids_quality(out)
    balance = [c["workload_max_over_mean"] for c in communities if c["grids"] > 1]
    return {"cut": sum(c["cut_cost"] for c in communities), "pp": pp,
            "balance": statistics.mean(balance) if balance else 1.0,
            "out_of_bounds": report["totals"]["grids_out_of_bounds"], "digest": digest}


def summary(rows):
    """Mean cut cost, Polsby-Popper and balance over an effort's seeds, and the most grids out
    of bounds."""
    means = {k: statistics.mean(r[k] for r in rows) for k in ("cut", "pp", "balance")}
    return means, max(r["out_of_bounds"] for r in rows)


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    cli, shared, scratch = sys.argv[1:4]
    copies = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    seeds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    efforts = tuple(float(x) for x in sys.argv[6:]) or EFFORTS
    if 1.0 not in efforts:
        efforts = tuple(sorted(efforts + (1.0,)))
    os.makedirs(scratch, exist_ok=True)
    city = bench_pipeline.make_city(shared, scratch, copies)
    out = os.path.join(scratch, "effort_%d.gpkg" % copies)
    print("load before: %.2f %.2f %.2f" % os.getloadavg())
    floors = []
    times = {e: [] for e in efforts}
    rows = {e: [] for e in efforts}
    for seed in range(1, seeds + 1):
        floors.append(bench_pipeline.floor(city, os.path.join(scratch, "floor_%d.gpkg" % copies)))
        for e in efforts:
            seconds, report = partition(cli, city, out, e, seed)
            times[e].append(seconds)
            rows[e].append(quality(report, out))
    # Timing must not change the grids: the first seed's run at effort 1 once more.
    _, report = partition(cli, city, out, 1.0, 1)
    again = quality(report, out)["digest"]
    print("load after: %.2f %.2f %.2f" % os.getloadavg())
    floor = statistics.median(floors)
    base_t = statistics.median(times[1.0])
    base, base_oob = summary(rows[1.0])
    print("floor (ogr2ogr, 3 layers) median %.2f s, runs %s" %
          (floor, " ".join("%.2f" % x for x in floors)))
    print("%-6s %8s %8s %8s %10s %8s %9s %9s %8s" %
          ("effort", "median s", "x floor", "x eff 1", "cut cost", "vs eff1", "mean PP",
           "max/mean", "out of b"))
    failed = []
    within = None
    for e in efforts:
        t = statistics.median(times[e])
        q, oob = summary(rows[e])
        print("%-6.2f %8.2f %8.2f %8.2f %10.0f %+7.2f%% %9.4f %9.4f %8d" %
              (e, t, t / floor, t / base_t, q["cut"], 100 * (q["cut"] / base["cut"] - 1),
               q["pp"], q["balance"], oob))
        if oob > base_oob:
            failed.append("effort %.2f leaves %d grids out of bounds, effort 1 leaves %d" %
                          (e, oob, base_oob))
        if t <= 2 * floor and (within is None or e > within):
            within = e
    if again != rows[1.0][0]["digest"]:
        failed.append("effort 1, seed 1: a second run gave other grids")
    print("seeds 1-%d, 2 threads, %d copies; the largest effort within 2x the floor: %s" %
          (seeds, copies, "%.2f" % within if within is not None else "none measured"))
    if failed:
        raise SystemExit("; ".join(failed))


if __name__ == "__main__":
    main()
