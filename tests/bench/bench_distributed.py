#!/usr/bin/python3
"""gridpart.distributed at scale (#16 item 4): one process against a LocalCluster of 1 and of 2
worker processes on a synthetic province (make_province.py tiles Providence).

    bench_distributed.py SHARED SCRATCH [--communities N] [--chunk C] [--rounds R]

Makes (once; kept in SCRATCH/provinceN) a province of N communities (default 2000), then per
round runs, side by side: one process (gridpart.partition, threads=1), a LocalCluster of 1
worker and one of 2 workers (gd.local_client: what client=None makes; 1 thread each, gridpart
threads=1). Prints for each the wall time,
communities per second, the time to the first chunk's result, the peak RSS (VmHWM) of the
process or of each worker, and the 2-worker speedup over 1 worker and over one process (goal:
>= 1.8x one worker). The clusters are started before the clock runs (their start-up is printed
apart). All runs must give the same grid count, else it fails.
"""
import argparse
import logging
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OPTIONS = dict(class_field="class", count_field="households", threads=1)
SINGLE = """
import sys, time, resource, gridpart
t = time.perf_counter()
with gridpart.partition(*sys.argv[1:4], class_field="class", count_field="households",
                        threads=1) as r:
    n = len(r.grid_records)
u = resource.getrusage(resource.RUSAGE_SELF)
print(n, time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime)
"""


def province(shared, scratch, n):
    out = os.path.join(scratch, f"province{n}")
    paths = [os.path.join(out, f"{k}.gpkg") for k in ("communities", "streets", "households")]
    if not all(os.path.exists(p) for p in paths):
        source = os.path.join(shared, "data", "providence", "clean")
        subprocess.run([sys.executable, os.path.join(HERE, "make_province.py"),
                        "--communities", str(n), "--out", out, "--source", source], check=True)
    return paths


def run_single(paths):
    """One process (a child, so its peak memory is its own): grids, seconds, peak MB, CPU
    seconds."""
    out = subprocess.run([sys.executable, "-c", SINGLE, *paths], check=True,
                         capture_output=True, text=True).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]) / 1024, float(out[3])


class FirstResult(logging.Handler):
    """The time of the first 'chunk done' log line of gridpart.distributed."""

    def __init__(self):
        super().__init__()
        self.first = None

    def emit(self, record):
        if self.first is None:
            self.first = time.perf_counter()


def cpu_seconds():
    """This process's CPU time (user + system), seconds."""
    import resource
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def peak_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_cluster(paths, workers, chunk):
    """gd.local_client(workers), the LocalCluster of processes a run with client=None makes:
    grids, seconds, first result, peak MB each, start-up seconds, CPU seconds of the workers."""
    import gridpart.distributed as gd
    t0 = time.perf_counter()
    with gd.local_client(workers) as client:
        client.wait_for_workers(workers)
        startup = time.perf_counter() - t0
        cpu0 = client.run(cpu_seconds)
        handler = FirstResult()
        logger = logging.getLogger("gridpart.distributed")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            t = time.perf_counter()
            result = gd.partition(*paths, client=client, chunk=chunk, **OPTIONS)
            seconds = time.perf_counter() - t
            peaks = sorted(client.run(peak_mb).values())
            cpu = sum(v - cpu0[w] for w, v in client.run(cpu_seconds).items())
        finally:
            logger.removeHandler(handler)
    return len(result.grids), seconds, handler.first - t, peaks, startup, cpu


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("shared")
    ap.add_argument("scratch")
    ap.add_argument("--communities", type=int, default=2000)
    ap.add_argument("--chunk", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args(argv)
    print(subprocess.run(["sh", "-c", "uptime; ps aux --sort=-%cpu | head -6"],
                         capture_output=True, text=True).stdout)
    paths = province(args.shared, args.scratch, args.communities)
    n = args.communities
    times = {"single": [], "1 worker": [], "2 workers": []}
    cpus = {k: [] for k in times}
    grids = set()
    for r in range(args.rounds):
        g, s, mb, cpu = run_single(paths)
        grids.add(g)
        times["single"].append(s)
        cpus["single"].append(cpu)
        print(f"round {r + 1} single process: {s:.1f} s, {n / s:.2f} communities/s, "
              f"{g} grids, peak {mb:.0f} MB, CPU {cpu:.1f} s", flush=True)
        for w in (1, 2):
            g, s, first, peaks, startup, cpu = run_cluster(paths, w, args.chunk)
            grids.add(g)
            times[f"{w} worker" + ("s" if w > 1 else "")].append(s)
            cpus[f"{w} worker" + ("s" if w > 1 else "")].append(cpu)
            print(f"round {r + 1} LocalCluster {w} worker(s): {s:.1f} s, {n / s:.2f} "
                  f"communities/s, first result after {first:.1f} s, peak per worker "
                  f"{', '.join(f'{p:.0f}' for p in peaks)} MB, CPU of the workers {cpu:.1f} s "
                  f"(cluster start {startup:.1f} s)",
                  flush=True)
    if len(grids) != 1:
        sys.exit(f"bench_distributed: the runs disagree on the grid count: {sorted(grids)}")
    best = {k: min(v) for k, v in times.items()}
    print(f"{n} communities, chunk {args.chunk}, best of {args.rounds}: single "
          f"{best['single']:.1f} s, 1 worker {best['1 worker']:.1f} s, 2 workers "
          f"{best['2 workers']:.1f} s; 2 workers / 1 worker speedup "
          f"{best['1 worker'] / best['2 workers']:.2f}x (goal >= 1.8x), 2 workers / single "
          f"{best['single'] / best['2 workers']:.2f}x")
    # Load-proof: the CPU seconds the work costs. On N free cores the N workers would take
    # (their CPU seconds) / N, so the speedup over one worker is N x cpu(1) / cpu(N).
    cpu = {k: min(v) for k, v in cpus.items()}
    print(f"CPU seconds: single {cpu['single']:.1f}, 1 worker {cpu['1 worker']:.1f}, 2 workers "
          f"{cpu['2 workers']:.1f} (sum); on 2 free cores 2 workers would be "
          f"{2 * cpu['1 worker'] / cpu['2 workers']:.2f}x one worker; one worker costs "
          f"{cpu['1 worker'] / cpu['single']:.2f}x the CPU of one process; "
          f"{n / cpu['1 worker']:.2f} communities per CPU second")
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
