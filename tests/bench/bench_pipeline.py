#!/usr/bin/python3
"""Benchmark (#15 items 3 and 4): the whole pipeline against its I/O floor, on a province of
COPIES tiles of Providence (make_province.py; 5 copies ~ 356k households, 16 ~ 1.14M).

The floor is `ogr2ogr` copying the same three layers (communities, streets, households) into one
GeoPackage. Runs are interleaved (floor, 1 thread, 2 threads, repeated ROUNDS times) because
the machine may be shared; prints the median wall seconds of each, the ratios to the floor, the
speedup of 2 threads over 1 and the load average before and after.

usage: bench_pipeline.py CLI SHARED_DIR SCRATCH COPIES [ROUNDS]
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def make_city(shared, scratch, copies):
    out = os.path.join(scratch, "province_%d" % copies)
    done = os.path.join(out, "done")
    if not os.path.exists(done):
        os.makedirs(out, exist_ok=True)
        source = os.path.join(shared, "data", "providence", "clean")
        subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make_province.py"), "--copies",
                        str(copies), "--out", out, "--source", source], check=True)
        open(done, "w").close()
    return out


CPU = {}  # CPU seconds (user + system) of the last run per command name


def wall(args, ok=(0,)):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(args, capture_output=True, text=True)
    seconds = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[args[0]] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if r.returncode not in ok:
        raise SystemExit("%s failed (%d): %s" % (args[0], r.returncode, r.stderr[-2000:]))
    return seconds


STAGES = {}  # threads -> [(read, run after reading, the rest)] per round


def floor(city, out):
    """ogr2ogr: the three layers copied into one GeoPackage."""
    if os.path.exists(out):
        os.remove(out)
    t = 0.0
    for i, layer in enumerate(("communities", "streets", "households")):
        args = ["ogr2ogr", "-f", "GPKG"] + (["-update"] if i else []) + [
            "-nln", layer, out, os.path.join(city, layer + ".gpkg")]
        t += wall(args)
    return t


def partition(cli, city, out, threads, extra=()):
    """gridpart partition into a new GeoPackage, as the floor writes one (an existing one would
    take the other path: its layers replaced in place), with the `extra` arguments; exit 1
    (grids out of bounds the inputs force) is a normal result. Returns the wall seconds and the
    run's report."""
    report = out + ".json"
    for path in (out, report):
        if os.path.exists(path):
            os.remove(path)
    seconds = wall([cli, "partition", "--communities", os.path.join(city, "communities.gpkg"),
                    "--id-field", "code", "--streets", os.path.join(city, "streets.gpkg"),
                    "--class-field", "class", "--households",
                    os.path.join(city, "households.gpkg"), "--count-field", "households",
                    "--threads", str(threads), "-o", out, "--report", report, "--overwrite"] +
                   list(extra), ok=(0, 1))
    with open(report) as f:
        return seconds, json.load(f)


def main():
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    cli, shared, scratch, copies = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    city = make_city(shared, scratch, copies)
    print("load before: %.2f %.2f %.2f" % os.getloadavg())
    times = {"floor": [], "1 thread": [], "2 threads": []}
    cpu = {"1 thread": [], "2 threads": []}
    for _ in range(rounds):
        times["floor"].append(floor(city, os.path.join(scratch, "floor_%d.gpkg" % copies)))
        for threads in (1, 2):
            key = "1 thread" if threads == 1 else "2 threads"
            out = os.path.join(scratch, "grids_%d_%d.gpkg" % (copies, threads))
            seconds, report = partition(cli, city, out, threads)
            times[key].append(seconds)
            cpu[key].append(CPU[cli])
            # Where the time went: reading, the run after it (blocks, optimizer, assembly), and
            # the rest (writing the outputs, starting and ending the process).
            w = report["seconds"]["wall"]
            STAGES.setdefault(threads, []).append((w["read"], w["run"] - w["read"],
                                                   seconds - w["run"]))
    print("load after: %.2f %.2f %.2f" % os.getloadavg())
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print("%-9s median %7.2f s  runs %s" % (k, med[k], " ".join("%.2f" % x for x in v)))
    for k, v in cpu.items():
        print("%-9s CPU median %7.2f s  runs %s" % (k, statistics.median(v),
                                                   " ".join("%.2f" % x for x in v)))
    for threads, rows in sorted(STAGES.items()):
        print("%d thread(s): read %.2f s, run after reading %.2f s, writing and the rest %.2f s "
              "(medians)" % (threads, *(statistics.median(r[i] for r in rows) for i in range(3))))
    print("%d copies: 1 thread %.2fx the I/O floor, 2 threads %.2fx; 2 threads %.2fx faster "
          "than 1" % (copies, med["1 thread"] / med["floor"], med["2 threads"] / med["floor"],
                      med["1 thread"] / med["2 threads"]))


if __name__ == "__main__":
    main()
