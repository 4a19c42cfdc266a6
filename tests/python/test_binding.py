# SPDX-License-Identifier: MIT
"""The Python binding: both entry points, every error class, parity with the CLI, no leaks."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import gridpart

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("GP_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
PROV = os.path.join(SHARED, "providence", "clean")
DEMO = os.path.join(ROOT, "examples", "data")
CLI = os.environ.get("GP_CLI", os.path.join(ROOT, "build", "examples", "gridpart"))
FIXTURES = os.path.join(ROOT, "tests", "pipeline", "fixtures")


def lattice(w, h, households):
    """A w x h grid graph in CSR form."""
    xadj, adj = [0], []
    for y in range(h):
        for x in range(w):
            for dx, dy in ((0, -1), (-1, 0), (1, 0), (0, 1)):
                nx, ny = x + dx, y + dy
                if 0 <= nx < w and 0 <= ny < h:
                    adj.append(ny * w + nx)
            xadj.append(len(adj))
    return np.array(xadj, np.int32), np.array(adj, np.int32), np.full(w * h, households, np.int64)


def connected(xadj, adj, members):
    members = set(int(v) for v in members)
    start = next(iter(members))
    seen, stack = {start}, [start]
    while stack:
        v = stack.pop()
        for u in adj[xadj[v]:xadj[v + 1]]:
            if int(u) in members and int(u) not in seen:
                seen.add(int(u))
                stack.append(int(u))
    return seen == members


def check_graph_result(r, xadj, adj, hh, lo, hi):
    assert len(r.assignment) == len(hh)
    assert r.assignment.min() >= 0 and r.assignment.max() == r.n_grids - 1
    assert sum(g["households"] for g in r.grids) == hh.sum()
    for g in range(r.n_grids):
        members = np.flatnonzero(r.assignment == g)
        assert connected(xadj, adj, members), f"grid {g} is not connected"
        assert hh[members].sum() == r.grids[g]["households"]
        assert lo <= r.grids[g]["households"] <= hi, r.grids[g]


def test_version_matches_binding():
    assert gridpart.version() == gridpart.__version__


def test_partition_graph_numpy():
    xadj, adj, hh = lattice(8, 8, 30)  # 1920 households: 4 or 5 grids of [300, 500]
    r = gridpart.partition_graph(xadj, adj, hh, seed=7)
    check_graph_result(r, xadj, adj, hh, 300, 500)
    assert r.n_grids in (4, 5)
    assert r.problems == []
    again = gridpart.partition_graph(xadj, adj, hh, seed=7)
    assert np.array_equal(r.assignment, again.assignment), "same seed, same grids"


def test_partition_graph_lists_and_fixed_count():
    xadj, adj, hh = lattice(6, 6, 50)  # 1800 households
    r = gridpart.partition_graph(list(xadj), list(adj), list(hh), grids=4, min=300, max=500)
    check_graph_result(r, xadj, adj, hh, 300, 500)
    assert r.n_grids == 4


def test_partition_graph_previous_assignment_moves_few_households():
    # 20 x 20 lattice of 20..59 households: about 16 grids. One block then gains 200.
    xadj, adj, _ = lattice(20, 20, 0)
    hh = np.array([20 + (v * 37) % 40 for v in range(400)], np.int64)
    first = gridpart.partition_graph(xadj, adj, hh, seed=3)
    check_graph_result(first, xadj, adj, hh, 300, 500)
    grid_hh = np.bincount(first.assignment, weights=hh)
    hot = int(np.argmax(grid_hh[first.assignment]))  # a block of the fullest grid
    hh2 = hh.copy()
    hh2[hot] += 200
    need = int(grid_hh[first.assignment[hot]]) + 200 - 500
    kept = gridpart.partition_graph(xadj, adj, hh2, previous=first.assignment, seed=3)
    fresh = gridpart.partition_graph(xadj, adj, hh2, seed=4)
    check_graph_result(kept, xadj, adj, hh2, 300, 500)
    check_graph_result(fresh, xadj, adj, hh2, 300, 500)

    def moved(a, b):
        # households outside their grid's one-to-one match, heaviest overlap first
        pairs = {}
        for v in range(len(hh2)):
            pairs[(a[v], b[v])] = pairs.get((a[v], b[v]), 0) + int(hh2[v])
        used_a, used_b, kept_hh = set(), set(), 0
        for (ga, gb), w in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])):
            if ga not in used_a and gb not in used_b:
                used_a.add(ga)
                used_b.add(gb)
                kept_hh += w
        return int(hh2.sum()) - kept_hh

    assert kept.households_moved == moved(first.assignment, kept.assignment)
    afresh = moved(first.assignment, fresh.assignment)
    print(f"moved {kept.households_moved} ({need} must leave the hot grid), {afresh} afresh")
    # grids around the hot one were near the maximum too, so the change ripples a little
    assert kept.households_moved * 10 < hh2.sum()
    assert kept.households_moved * 4 < afresh


def test_partition_graph_reports_infeasible_component():
    # one component of 520 households: no number of [300, 500] grids can hold it
    xadj, adj, hh = lattice(4, 2, 65)
    r = gridpart.partition_graph(xadj, adj, hh)
    assert r.problems, "an infeasible component must be reported"
    assert any("520" in p["message"] for p in r.problems), r.problems


def test_partition_graph_is_thread_safe_and_deterministic():
    xadj, adj, hh = lattice(10, 10, 20)
    serial = gridpart.partition_graph(xadj, adj, hh, seed=3).assignment
    out = [None] * 4

    def work(i):
        out[i] = gridpart.partition_graph(xadj, adj, hh, seed=3).assignment

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a in out:
        assert np.array_equal(a, serial)


def test_errors_carry_status_and_message():
    xadj, adj, hh = lattice(3, 3, 100)
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition_graph(xadj, adj, hh, min=600, max=450)
    assert e.value.status == 1
    assert "600" in e.value.message and "450" in e.value.message
    bad = adj.copy()
    bad[0] = 99  # neighbour out of range
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition_graph(xadj, bad, hh)
    assert "99" in str(e.value)
    with pytest.raises(gridpart.ArgumentError):
        gridpart.partition_graph(xadj, adj, hh[:-1])
    neg = hh.copy()
    neg[4] = -3
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition_graph(xadj, adj, neg)
    assert "4" in e.value.message


def test_progress_can_cancel():
    xadj, adj, hh = lattice(30, 30, 20)
    with pytest.raises(gridpart.CanceledError) as e:
        gridpart.partition_graph(xadj, adj, hh, progress=lambda f, s: True)
    assert e.value.status == 8


def prov(name):
    """A Providence layer; the test fails, saying where it looked, when the data is absent."""
    path = os.path.join(PROV, name + ".gpkg")
    if not os.path.exists(path):
        pytest.fail(f"Providence data not found at {path}: put the shared data beside the "
                    "repository (../shared) or configure with -Dshared_dir=PATH")
    return path


def test_partition_errors_name_the_input(tmp_path):
    out = tmp_path / "x.gpkg"
    with pytest.raises(gridpart.GridpartIOError) as e:
        gridpart.partition(str(tmp_path / "nope.gpkg"), prov("streets"), prov("households"),
                           out=str(out))
    assert e.value.status == 3 and "nope.gpkg" in e.value.message
    with pytest.raises(gridpart.InputError) as e:
        gridpart.partition(prov("communities"), prov("streets"), prov("households"),
                           out=str(out), id_field="no_such_field")
    assert e.value.status == 4 and "no_such_field" in e.value.message
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition(prov("communities"), prov("streets"), prov("households"),
                           out=str(out), min=600, max=450)
    assert "600" in e.value.message and "450" in e.value.message
    assert not out.exists(), "a failed run must not write its output"
    assert list(tmp_path.iterdir()) == [], "no temporary file may be left behind"


def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_exceptions_do_not_leak(tmp_path):
    xadj, adj, hh = lattice(8, 8, 30)

    def round_():
        for _ in range(20):
            with pytest.raises(gridpart.InputError):
                gridpart.partition(prov("communities"), prov("streets"), prov("households"),
                                   id_field="no_such_field")
            with pytest.raises(gridpart.ArgumentError):
                gridpart.partition_graph(xadj, adj, hh, min=600, max=450)
            gridpart.partition_graph(xadj, adj, hh)

    round_()  # warm up caches (GDAL drivers, PROJ database)
    before = rss_kb()
    for _ in range(5):
        round_()
    grown = rss_kb() - before
    assert grown < 4096, f"resident memory grew by {grown} kB over 100 failing runs"


def test_partition_matches_cli(tmp_path):
    import geopandas as gpd
    py_out = tmp_path / "py.gpkg"
    cli_out = tmp_path / "cli.gpkg"
    with gridpart.partition(prov("communities"), prov("streets"), prov("households"),
                            out=str(py_out), id_field="code", class_field="class",
                            count_field="households", seed=5, threads=2) as r:
        assert len(r.communities) == 39
        assert sum(c["households"] for c in r.communities) + r.households_outside \
            == r.households_read
        assert len(r.grid_records) == sum(c["grids"] for c in r.communities)
        report = r.report
        assert report["totals"]["grids"] == len(r.grid_records)
        gdf = r.to_geopandas()
        assert len(gdf) == len(r.grid_records)
        assert set(gdf.columns) >= {"grid_code", "community", "households", "workload",
                                    "blocks", "flags", "geometry"}
    cmd = [CLI, "partition", "--communities", prov("communities"), "--id-field", "code",
           "--streets", prov("streets"), "--class-field", "class", "--households",
           prov("households"), "--count-field", "households", "--seed", "5", "--threads", "1",
           "-o", str(cli_out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    a = gpd.read_file(py_out, layer="grids").sort_values("grid_code").reset_index(drop=True)
    b = gpd.read_file(cli_out, layer="grids").sort_values("grid_code").reset_index(drop=True)
    assert list(a["grid_code"]) == list(b["grid_code"])
    assert list(a["households"]) == list(b["households"])
    assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-6).all()


def test_example_script_makes_a_png(tmp_path):
    assert os.path.exists(os.path.join(DEMO, "communities.gpkg")), "the repository's demo data"
    png = tmp_path / "demo.png"
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "python",
                                                        "demo_map.py"), str(png)],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert png.stat().st_size > 10_000
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def fixture(name):
    return [os.path.join(FIXTURES, name, layer + ".geojson")
            for layer in ("communities", "streets", "households")]


def test_partition_split_mirrors_the_cli(tmp_path):
    import geopandas as gpd
    kw = dict(id_field="code", class_field="class", count_field="households", target=300)
    with gridpart.partition(*fixture("oversize"), out=str(tmp_path / "never.gpkg"),
                            split="never", **kw) as r:
        assert r.out_of_bounds == 2
        assert all(c["split_blocks"] == 0 for c in r.communities)
        assert any("over_max" in g["flags"] for g in r.grid_records)
    with gridpart.partition(*fixture("oversize"), out=str(tmp_path / "split.gpkg"), **kw) as r:
        assert r.out_of_bounds == 0
        assert [c["split_blocks"] for c in r.communities] == [1, 1]
        assert all("split_block" in g["flags"] for g in r.grid_records)
        assert r.report["totals"]["split_blocks"] == 2
        blocks = r.to_geopandas("blocks")
        assert sorted(blocks["on_streets"]) == [0] * 5 + [1]
        assert blocks["households"].sum() == 1700
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition(*fixture("oversize"), split="sometimes", **kw)
    assert "sometimes" in e.value.message


def test_library_compatibility_not_equality():
    from gridpart import _lib
    assert _lib.compatible(gridpart.version())
    assert _lib.compatible("0.3.0") and _lib.compatible("0.3.7")
    assert not _lib.compatible("0.2.9"), "older than the functions the binding declares"
    assert not _lib.compatible("0.4.0"), "below 1.0 a minor release may change the API"
    assert not _lib.compatible("1.2.0") and not _lib.compatible("x.y")


def test_partition_graph_validates_shapes_and_types():
    xadj, adj, hh = lattice(3, 3, 100)
    # adjncy shorter than xadj[-1]: the C API would read past its end
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition_graph(xadj, adj[:-2], hh)
    assert f"adjncy has {len(adj) - 2} entries, but xadj[-1] = {len(adj)}" in e.value.message
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition_graph(xadj, np.append(adj, 0), hh)
    assert "adjncy has" in e.value.message
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition_graph(xadj.astype(float) + 0.5, adj, hh)
    assert "xadj: expected whole numbers" in e.value.message
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition_graph(xadj, adj, hh.astype(bool))
    assert "households: expected numbers" in e.value.message
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition_graph(xadj, adj.reshape(1, -1), hh)
    assert "adjncy must be one-dimensional" in e.value.message
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition_graph(xadj, adj.astype(np.int64) + 2**33, hh)
    assert "outside the range of int32" in e.value.message
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition_graph(xadj[::-1], adj, hh)
    assert "xadj must start at 0 and never decrease" in e.value.message
    # whole floats and Python lists are fine
    r = gridpart.partition_graph(xadj.astype(float), list(adj), list(hh), min=200, max=500)
    assert sum(g["households"] for g in r.grids) == 900


def test_paths_as_bytes_and_pathlike_and_clear_type_errors(tmp_path):
    with pytest.raises(gridpart.GridpartIOError) as e:
        gridpart.partition(os.fsencode(tmp_path / "nope.gpkg"), prov("streets"),
                           prov("households"))
    assert str(tmp_path / "nope.gpkg") in e.value.message
    assert "b'" not in e.value.message
    with pytest.raises(TypeError) as e:
        gridpart.partition(3, prov("streets"), prov("households"))
    assert "communities: expected a path" in str(e.value) and "not int" in str(e.value)
    # A GeoDataFrame is a layer too (test_frames.py); messages name it, not its copy.
    import geopandas as gpd
    frame = gpd.read_file(os.path.join(DEMO, "communities.gpkg"))
    with pytest.raises(gridpart.InputError) as e:
        gridpart.partition(frame, prov("streets"), prov("households"))
    assert "lies in any community of the communities GeoDataFrame:" in e.value.message
    assert "gridpart-frames-" not in str(e.value)


def demo(name):
    return os.path.join(DEMO, name + ".gpkg")


DEMO_KW = dict(id_field="code", class_field="class", count_field="households")


def test_outputs_are_never_replaced_without_overwrite(tmp_path):
    import geopandas as gpd
    city = tmp_path / "city.gpkg"
    gpd.read_file(demo("communities")).to_file(city, layer="communities", driver="GPKG")
    report = tmp_path / "r.json"
    report.write_text("mine")
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition(demo("communities"), demo("streets"), demo("households"),
                           out=city, report=report, **DEMO_KW)
    assert "r.json: the report file already exists" in e.value.message
    assert report.read_text() == "mine"
    with gridpart.partition(demo("communities"), demo("streets"), demo("households"),
                            out=city, **DEMO_KW) as r:
        assert len(r.grid_records) == 84
        with pytest.raises(gridpart.ArgumentError) as e:
            r.write(city)
        assert "layer 'grids' already exists" in e.value.message
        r.write(city, overwrite=True, report=report)
    import fiona
    assert sorted(fiona.listlayers(city)) == ["blocks", "communities", "grids"]
    assert len(gpd.read_file(city, layer="communities")) == 12
    assert json_load(report)["totals"]["grids"] == 84
    assert [p.name for p in tmp_path.iterdir() if "gridpart-tmp" in p.name] == []


def json_load(path):
    import json
    with open(path) as f:
        return json.load(f)


def test_problems_are_records_with_codes_and_ids():
    with gridpart.partition(demo("communities"), demo("streets"), demo("households"),
                            **DEMO_KW) as r:
        kinds = {(p["severity"], p["kind"]) for p in r.problem_records}
        assert ("violation", "vertex_over_max") in kinds
        assert ("warning", "households_outside") in kinds
        assert ("note", "block_cut") in kinds
        over = [p for p in r.violations]
        assert len(over) == 1
        v = over[0]
        assert v["community"] == "640106003001" and v["grid_code"] == "640106003001002"
        assert len(v["blocks"]) == 1
        assert f"block {v['blocks'][0]} holds 560" in v["message"], v["message"]
        assert "vertex" not in v["message"]
        blocks = r.to_geopandas("blocks")
        mine = blocks[(blocks["community"] == v["community"]) &
                      (blocks["block_id"] == v["blocks"][0])]
        assert list(mine["households"]) == [560] and list(mine["grid_code"]) == [v["grid_code"]]
        outside = next(p for p in r.problem_records if p["kind"] == "households_outside")
        assert outside["features"] == [1186, 1187, 1188] and outside["community"] is None
        report = r.report
        assert report["totals"]["violations"] == 1
        assert report["problems"][0]["kind"] == "households_outside"
        assert report["inputs"]["count_field"] == "households"
        assert report["working_crs"].startswith("EPSG:45")  # a CGCS2000 Gauss-Kruger zone
        assert report["options"]["min"] == 300 and report["options"]["grids"] == "auto"


def test_overlapping_communities_refused_or_resolved(tmp_path):
    import json as _json
    with open(fixture("oversize")[0]) as f:
        d = _json.load(f)
    # C2 grown south over 50 m of C1: a real overlap, not a digitising sliver
    ring = d["features"][1]["geometry"]["coordinates"][0]
    d["features"][1]["geometry"]["coordinates"][0] = [
        [x, 4000150.0 if y == 4000300.0 else y] for x, y in ring]
    c = tmp_path / "c.geojson"
    c.write_text(_json.dumps(d))
    _, streets, households = fixture("oversize")
    kw = dict(id_field="code", class_field="class", count_field="households", target=300)
    with pytest.raises(gridpart.InputError) as e:
        gridpart.partition(str(c), streets, households, **kw)
    assert "'C1' (feature 0) and 'C2' (feature 1) overlap by 20000.0 m^2" in e.value.message
    with gridpart.partition(str(c), streets, households, overlaps="first", **kw) as r:
        over = [p for p in r.problem_records if p["kind"] == "community_overlap"]
        assert over and over[0]["features"] == [0, 1]
        assert sum(g["households"] for g in r.grid_records) == 1700
        assert r.report["options"]["overlaps"] == "first"
    with pytest.raises(gridpart.ArgumentError):
        gridpart.partition(str(c), streets, households, overlaps="sometimes", **kw)


def test_results_in_memory():
    """Grid and block shapes as WKB and each household feature's grid, from the plan (#14)."""
    from shapely import wkb
    with gridpart.partition(os.path.join(DEMO, "communities.gpkg"),
                            os.path.join(DEMO, "streets.gpkg"),
                            os.path.join(DEMO, "households.gpkg"), id_field="code",
                            class_field="class", count_field="households") as r:
        shapes = [wkb.loads(r.grid_wkb(g)) for g in range(len(r.grid_records))]
        assert all(s.geom_type in ("Polygon", "MultiPolygon") and s.area > 0 for s in shapes)
        with pytest.raises(IndexError):
            r.grid_wkb(len(r.grid_records))
        blocks = [r.block(b) for b in range(r.block_count)]
        assert sum(b["households"] for b in blocks) == sum(g["households"] for g in r.grid_records)
        area = {}
        for b in range(r.block_count):
            code = blocks[b]["grid_code"]
            area[code] = area.get(code, 0.0) + wkb.loads(r.block_wkb(b)).area
        for g, shape in zip(r.grid_records, shapes):
            assert abs(area[g["grid_code"]] - shape.area) <= 1e-9 * shape.area
        fids, grids = r.household_grids()
        assert len(fids) == 1188 and (np.diff(fids) > 0).all()
        assert sorted(fids[grids < 0].tolist()) == [1186, 1187, 1188]
        counts = np.zeros(len(r.grid_records), np.int64)
        from osgeo import ogr
        ds = ogr.Open(os.path.join(DEMO, "households.gpkg"))
        count = {f.GetFID(): f.GetField("households") for f in ds.GetLayer(0)}
        for fid, g in zip(fids.tolist(), grids.tolist()):
            if g >= 0:
                counts[g] += count[fid]
        assert counts.tolist() == [g["households"] for g in r.grid_records]
