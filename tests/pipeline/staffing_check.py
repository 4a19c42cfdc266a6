#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Staffing end to end through the CLI: divide a data set, make a roster of grids-2, grids,
grids+1 and grids-1 workers per community in turn (the last community none, some workers
holding a grid now), run again with --staffing zhejiang --workers, and check what a
civil-affairs office relies on:
- the report's staffing.required per community is the Zhejiang rule's count;
- every grid has a worker of its own community, or (no roster for it) the flag no_worker;
- with enough workers: one grid per worker, current holders keep their grid, every worker
  without a grid is in staffing.surplus_ids;
- with too few: every worker has grids, which form one polygon (or the report warns that the
  community's grids lie in parts that do not touch);
- the workers layer agrees with the grids layer.
usage: staffing_check.py CLI SCRATCH NAME COMMUNITIES STREETS HOUSEHOLDS
Fails loudly when an input is absent."""

import collections
import csv
import json
import math
import os
import subprocess
import sys

from osgeo import ogr

ogr.UseExceptions()


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def run(cli, args):
    p = subprocess.run([cli, "partition"] + args, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        fail("gridpart exit %d: %s" % (p.returncode, p.stderr))
    return p


def zhejiang(households, base=6, above=2000, per=350):
    return base + math.ceil((households - above) / per) if households > above else base


def main():
    cli, scratch, name, comm, streets, hh = sys.argv[1:7]
    for need in (comm, streets, hh):
        if not os.path.isfile(need):
            fail("%s is absent: put the shared data beside the repository (../shared)" % need)
    os.makedirs(scratch, exist_ok=True)
    common = ["--communities", comm, "--id-field", "code", "--streets", streets,
              "--class-field", "class", "--households", hh, "--count-field", "households",
              "--overwrite"]
    base = os.path.join(scratch, name + ".staff0.gpkg")
    run(cli, common + ["-o", base])
    codes = collections.defaultdict(list)
    base_ds = ogr.Open(base)  # kept open while its layer is read (OGR's Python needs it)
    for f in base_ds.GetLayerByName("grids"):
        codes[f["community"]].append(f["grid_code"])
    communities = sorted(codes)
    roster = os.path.join(scratch, name + ".workers.csv")
    deltas = [-2, 0, 1, -1]
    workers = {}  # id -> (community, held grid or "")
    with open(roster, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["worker_id", "community", "grid_code"])
        for i, c in enumerate(communities):
            n = 0 if i == len(communities) - 1 else max(1, len(codes[c]) + deltas[i % 4])
            for k in range(n):
                held = codes[c][-1 - k] if k % 3 == 0 and k < len(codes[c]) else ""
                wid = "%s-w%02d" % (c, k)
                workers[wid] = (c, held)
                w.writerow([wid, c, held])
    out = os.path.join(scratch, name + ".staffed.gpkg")
    report = os.path.join(scratch, name + ".staffed.json")
    run(cli, common + ["-o", out, "--report", report, "--staffing", "zhejiang",
                       "--workers", roster])
    rep = json.load(open(report))
    ds = ogr.Open(out)
    grids = {f["grid_code"]: (f["community"], f["worker"], f["flags"] or "",
                              f.GetGeometryRef().Clone())
             for f in ds.GetLayerByName("grids")}
    if sorted(grids) != sorted(g for c in codes for g in codes[c]):
        fail("a roster changed the grids")
    layer = {f["worker_id"]: (f["community"], f["grid_codes"], f["grids"])
             for f in ds.GetLayerByName("workers")}
    if sorted(layer) != sorted(workers):
        fail("the workers layer lists %d workers, the roster %d" % (len(layer), len(workers)))
    checked = collections.Counter()
    for c in rep["communities"]:
        cid, st = c["id"], c["staffing"]
        mine = sorted(wid for wid in workers if workers[wid][0] == cid)
        if st["required"] != zhejiang(c["households"]):
            fail("%s: required %s, the Zhejiang rule says %d for %d households"
                 % (cid, st["required"], zhejiang(c["households"]), c["households"]))
        if st["roster"] != len(mine) or st["grids"] != len(codes[cid]):
            fail("%s: roster %s grids %s, expected %d %d" % (cid, st["roster"], st["grids"],
                                                             len(mine), len(codes[cid])))
        given = collections.defaultdict(list)
        for g in codes[cid]:
            gc, wk, flags, _ = grids[g]
            if not mine:
                if wk or "no_worker" not in flags.split(","):
                    fail("%s: grid %s of a community without workers: worker %r flags %r"
                         % (cid, g, wk, flags))
                continue
            if wk not in mine:
                fail("%s: grid %s has worker %r, not one of its community's" % (cid, g, wk))
            given[wk].append(g)
        if not mine:
            if not any(p["kind"] == "no_worker" for p in c["problems"]):
                fail("%s: no worker, and no no_worker problem" % cid)
            checked["no_worker"] += 1
            continue
        idle = [wid for wid in mine if wid not in given]
        if sorted(st["surplus_ids"]) != sorted(idle):
            fail("%s: surplus_ids %s, workers without a grid %s" % (cid, st["surplus_ids"], idle))
        for wid in mine:
            lc, lcodes, ln = layer[wid]
            mine_grids = given.get(wid, [])
            if lc != cid or ln != len(mine_grids) or \
                    sorted(filter(None, (lcodes or "").split(","))) != sorted(mine_grids):
                fail("%s: worker %s in the layer: %s %s %s, in the grids %s"
                     % (cid, wid, lc, lcodes, ln, mine_grids))
        if len(mine) >= len(codes[cid]):
            if any(len(v) != 1 for v in given.values()) or len(given) != len(codes[cid]):
                fail("%s: %d workers for %d grids, not one grid each: %s"
                     % (cid, len(mine), len(codes[cid]), dict(given)))
            for wid in mine:
                held = workers[wid][1]
                if held and grids[held][1] != wid:
                    fail("%s: worker %s held %s, which went to %s" % (cid, wid, held,
                                                                     grids[held][1]))
            checked["one_per_grid"] += 1
        else:
            if idle:
                fail("%s: %d workers for %d grids, idle: %s" % (cid, len(mine),
                                                                len(codes[cid]), idle))
            warned = any("do not touch" in p["message"] for p in c["problems"])
            for wid, gs in given.items():
                u = grids[gs[0]][3]
                for g in gs[1:]:
                    u = u.Union(grids[g][3])
                flat = ogr.GT_Flatten(u.GetGeometryType())
                parts = u.GetGeometryCount() if flat == ogr.wkbMultiPolygon else 1
                if parts != 1 and not warned:
                    fail("%s: worker %s's grids %s are %d polygons" % (cid, wid, gs, parts))
            checked["sets"] += 1
    total = rep["staffing"]
    if total["required"] != sum(zhejiang(c["households"]) for c in rep["communities"]):
        fail("total required %s" % total["required"])
    if sorted(total["surplus_ids"]) != sorted(w for w in workers if w not in
                                             {grids[g][1] for g in grids}):
        fail("total surplus_ids %s" % total["surplus_ids"])
    if not (checked["one_per_grid"] and checked["sets"] and checked["no_worker"]):
        fail("the roster did not exercise every case: %s" % dict(checked))
    print("staffing %s: %d communities, %d workers, %d grids: %s; total required %d, roster %d, "
          "surplus ids %d" % (name, len(communities), len(workers), len(grids), dict(checked),
                              total["required"], total["roster"], len(total["surplus_ids"])))


if __name__ == "__main__":
    main()
