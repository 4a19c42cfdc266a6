# SPDX-License-Identifier: MIT
"""gridpart.distributed on Providence with a LocalCluster of 2 worker processes: the same grids
as one process, a chunk that keeps failing stops the run naming it with nothing written, and a
worker killed mid-run loses no community."""

import os
import shutil
import signal
import threading
import time

import geopandas as gpd
import numpy as np
import pytest

import gridpart
import gridpart.distributed as gd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("GP_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
DATA = os.path.join(SHARED, "providence", "clean")
OPTIONS = dict(class_field="class", count_field="households", threads=1)


def layers():
    names = ("communities", "streets", "households")
    paths = [os.path.join(DATA, n + ".gpkg") for n in names]
    for path in paths:
        assert os.path.exists(path), f"shared data missing: {path} (set GP_SHARED_DATA)"
    return paths


@pytest.fixture(scope="module")
def client():
    with gd.local_client(2) as c:
        yield c


@pytest.fixture(scope="module")
def single():
    """One process: the grids, blocks and report."""
    with gridpart.partition(*layers(), **OPTIONS) as r:
        return r.grids, r.blocks, r.report, r.assignment


def by_code(frame):
    return frame.sort_values("grid_code").reset_index(drop=True)


def assert_same_grids(a, b):
    a, b = by_code(a), by_code(b)
    assert list(a.grid_code) == list(b.grid_code)
    assert list(a.community) == list(b.community)
    assert list(a.households) == list(b.households)
    assert list(a.blocks) == list(b.blocks)
    assert list(a.geometry.to_wkb()) == list(b.geometry.to_wkb())


def test_hilbert_order_of_a_2x2_square_is_the_u_curve():
    points = [(0, 0), (10, 0), (10, 10), (0, 10)]
    assert list(gd.hilbert_order(points, bits=1)) == [0, 3, 2, 1]


def test_make_chunks_cuts_the_order_into_whole_chunks():
    ids = ["a", "b", "c", "d", "e"]
    assert gd.make_chunks(ids, [4, 0, 3, 1, 2], 2) == [["e", "a"], ["d", "b"], ["c"]]
    with pytest.raises(ValueError, match="chunk"):
        gd.make_chunks(ids, range(5), 0)


def test_chunks_are_spatially_compact():
    """Along the Hilbert order, neighbours are near: the chunks' envelopes overlap little
    compared with chunks taken in layer order of a shuffled layer."""
    ids, centres = gd.community_centres(layers()[0])
    assert len(ids) == 39
    order = gd.hilbert_order(centres)
    assert sorted(order) == list(range(39))
    steps = np.linalg.norm(np.diff(centres[order], axis=0), axis=1).sum()
    shuffled = np.random.default_rng(1).permutation(39)
    assert steps < 0.5 * np.linalg.norm(np.diff(centres[shuffled], axis=0), axis=1).sum()


def test_two_workers_give_the_single_process_grids(client, single, tmp_path):
    grids, blocks, report, _ = single
    out = tmp_path / "dist.gpkg"
    result = gd.partition(*layers(), str(out), client=client, chunk=5, **OPTIONS)
    assert len(result.chunks) == 8 and sum(map(len, result.chunks)) == 39
    assert len(result.grids) == 177
    assert_same_grids(result.grids, grids)
    assert len(result.blocks) == len(blocks) == 3014
    assert sorted(result.blocks.grid_code) == sorted(blocks.grid_code)
    for key in ("communities", "grids", "blocks", "households", "households_read",
                "grids_out_of_bounds", "violations", "split_blocks"):
        assert result.report["totals"][key] == report["totals"][key], key
    assert [c["id"] for c in result.report["communities"]] == \
        [c["id"] for c in report["communities"]]
    assert sorted(result.problems.message) == sorted(
        p["message"] for c in report["communities"] for p in c["problems"])
    # The file (written with OGR from the chunks' WKB) holds the same, with the columns,
    # types, shape types and CRS of the single process's layers, in input community order.
    written = gpd.read_file(out, layer="grids")
    assert_same_grids(written, grids)
    assert list(written.columns) == list(grids.columns)
    one = str(tmp_path / "one" / "one.gpkg")
    os.mkdir(os.path.dirname(one))
    gridpart.partition(*layers(), one, **OPTIONS).close()
    assert schema(out) == schema(one)  # the C writer's field types and geometry types
    assert set(written.geom_type) == set(grids.geom_type)
    assert written.crs == grids.crs
    assert list(dict.fromkeys(written.community)) == \
        [c["id"] for c in report["communities"] if c["grids"]]
    written = gpd.read_file(out, layer="blocks")
    assert len(written) == 3014
    assert list(written.columns) == list(blocks.columns)
    assert sorted(zip(written.community, written.block_id, written.grid_code)) == \
        sorted(zip(blocks.community, blocks.block_id, blocks.grid_code))
    assert sorted(os.listdir(tmp_path)) == ["dist.gpkg", "one"]


def schema(path):
    """Per layer: its declared geometry type, SRS (as EPSG) and (field, OGR type) list."""
    from osgeo import ogr
    ds = ogr.Open(str(path))
    out = {}
    for name in ("grids", "blocks"):
        layer = ds.GetLayerByName(name)
        defn = layer.GetLayerDefn()
        srs = layer.GetSpatialRef()
        out[name] = (ogr.GeometryTypeToName(layer.GetGeomType()),
                     srs.GetAuthorityCode(None) if srs else None,
                     [(defn.GetFieldDefn(i).GetName(), defn.GetFieldDefn(i).GetTypeName())
                      for i in range(defn.GetFieldCount())])
    return out


def test_a_one_layer_format_is_refused_before_any_work(client, tmp_path):
    """grids and blocks need a format with several layers: GeoJSON is refused at once, the
    message naming the file and the format, nothing written."""
    out = tmp_path / "grids.geojson"
    with pytest.raises(gridpart.GridpartIOError, match="grids.geojson.*GeoJSON holds one layer"):
        gd.partition(*layers(), str(out), client=client, chunk=5, **OPTIONS)
    assert os.listdir(tmp_path) == []


def test_existing_output_is_refused_before_any_work(client, tmp_path):
    out = tmp_path / "taken.gpkg"
    out.write_bytes(b"mine")
    with pytest.raises(gridpart.GridpartIOError, match="exists"):
        gd.partition(*layers(), str(out), client=client, chunk=5, **OPTIONS)
    assert out.read_bytes() == b"mine"


def test_a_chunk_that_keeps_failing_stops_the_run_naming_it(client, single, tmp_path):
    """Household feature 1000 has a negative count: its chunk fails on every retry; the error
    names the chunk and its communities, and no file (nor temporary) is left."""
    communities, streets, households = layers()
    bad = str(tmp_path / "households.gpkg")
    shutil.copy(households, bad)
    from osgeo import ogr
    ds = ogr.Open(bad, update=1)
    ds.ExecuteSQL("UPDATE households SET households = -7 WHERE fid = 1000")
    ds = None
    grid = single[3].iloc[999]
    community = single[0].set_index("grid_code").loc[grid, "community"]
    out = tmp_path / "out.gpkg"
    with pytest.raises(gd.ChunkError) as info:
        gd.partition(communities, streets, bad, str(out), client=client, chunk=5, retries=1,
                     **OPTIONS)
    err = info.value
    assert community in err.communities and len(err.communities) == 5
    assert f"chunk {err.chunk} " in str(err) and community in str(err)
    assert isinstance(err.cause, gridpart.InputError) and "-7 is negative" in str(err.cause)
    assert sorted(os.listdir(tmp_path)) == ["households.gpkg"]


def test_a_worker_killed_mid_run_loses_no_community(client, single, tmp_path):
    """SIGKILL one worker process while chunks are running: the nanny restarts it, Dask runs
    its chunks again and the grids are still the single process's."""
    done = {}

    def run():
        try:
            done["result"] = gd.partition(*layers(), str(tmp_path / "k.gpkg"), client=client,
                                          chunk=2, retries=2, **OPTIONS)
        except BaseException as e:  # reported below
            done["error"] = e

    pids = client.run(os.getpid)
    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.time() + 60
    while not any(client.processing().values()):
        assert time.time() < deadline, "no chunk started within 60 s"
        time.sleep(0.05)
    busy = next(w for w, tasks in client.processing().items() if tasks)
    os.kill(pids[busy], signal.SIGKILL)
    killed_before_end = thread.is_alive()
    thread.join(300)
    assert killed_before_end and not thread.is_alive()
    assert "error" not in done, repr(done.get("error"))
    assert_same_grids(done["result"].grids, single[0])
    assert os.listdir(tmp_path) == ["k.gpkg"]


def test_report_is_merged_and_an_existing_one_refused_first(client, single, tmp_path):
    """report=: the merged JSON (totals summed, 39 communities in input order); an existing
    report file is refused before any work, like an existing output."""
    path = tmp_path / "report.json"
    result = gd.partition(*layers(), client=client, chunk=10, report=str(path), **OPTIONS)
    import json
    written = json.loads(path.read_text())
    assert written["totals"] == result.report["totals"]
    assert written["totals"]["households"] == single[2]["totals"]["households"] == 71188
    assert written["chunks"] == 4
    assert [c["id"] for c in written["communities"]] == \
        [c["id"] for c in single[2]["communities"]]
    with pytest.raises(gridpart.GridpartIOError, match="exists"):
        gd.partition(*layers(), client=client, chunk=10, report=str(path), **OPTIONS)


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    """Last year's division of Providence (a file) and this year's households: 240 more in
    each of three features of different communities, so some grids must be repaired."""
    d = tmp_path_factory.mktemp("changed")
    previous = str(d / "previous.gpkg")
    with gridpart.partition(*layers(), out=previous, **OPTIONS):
        pass
    households = str(d / "households.gpkg")
    shutil.copy(layers()[2], households)
    from osgeo import ogr
    ds = ogr.Open(households, update=1)
    ds.ExecuteSQL("UPDATE households SET households = households + 240 "
                  "WHERE fid IN (100, 900, 1700)")
    ds = None
    return previous + ":grids", households


def test_adjust_on_two_workers_equals_one_process(client, changed, tmp_path):
    """gd.adjust keeps the codes a whole adjust keeps and repairs the same grids the same way
    (codes, households, change, geometry), moving the same households."""
    previous, households = changed
    communities, streets, _ = layers()
    with gridpart.adjust(previous, communities, streets, households, **OPTIONS) as one:
        grids, moved = one.grids, one.moved
        report = one.report
    assert moved > 0 and set(grids["change"]) >= {"kept", "changed"}
    out = tmp_path / "adjusted.gpkg"
    result = gd.adjust(previous, communities, streets, households, str(out), client=client,
                       chunk=5, **OPTIONS)
    assert len(result.chunks) == 8
    assert_same_grids(result.grids, grids)
    assert list(by_code(result.grids)["change"]) == list(by_code(grids)["change"])
    assert result.report["adjust"]["households_moved"] == report["adjust"]["households_moved"]
    assert result.report["adjust"]["households_moved"] == moved
    written = gpd.read_file(out, layer="grids")
    assert list(by_code(written)["change"]) == list(by_code(grids)["change"])
    assert os.listdir(tmp_path) == ["adjusted.gpkg"]


def test_adjust_needs_the_previous_community_field(client, changed, tmp_path):
    """A previous layer without `community` (a hand-drawn one) is refused before any work,
    naming the argument that fixes it."""
    previous, households = changed
    bare = str(tmp_path / "bare.gpkg")
    gpd.read_file(previous.rsplit(":", 1)[0], layer="grids").drop(
        columns=["community"]).to_file(bare, layer="grids")
    communities, streets, _ = layers()
    with pytest.raises(gridpart.InputError, match="previous_community_field="):
        gd.adjust(bare, communities, streets, households, client=client, **OPTIONS)


def test_progress_is_dasks_own_bar(client, capfd):
    """progress=True draws distributed's text progress bar until every chunk is done."""
    gd.partition(*layers(), client=client, chunk=10, progress=True, **OPTIONS)
    out = capfd.readouterr().out
    assert "100% Completed" in out, out[-500:]


def test_local_client_turns_the_monitors_down_on_its_processes_only(client):
    """The cluster gd.local_client makes runs without the workers' statistical profiler and
    with slower monitors (LOCAL_CLUSTER_CONFIG), in every worker, a worker its nanny restarted
    after it died included; the caller's own Dask config is as it was."""
    import dask
    key = "distributed.worker.profile.enabled"

    def seen():
        return client.run(lambda: (dask.config.get(key),
                                   dask.config.get("distributed.admin.tick.interval")))
    assert set(seen().values()) == {(False, "200ms")}
    pids = client.run(os.getpid)
    victim = next(iter(pids))
    os.kill(pids[victim], signal.SIGKILL)
    deadline = time.time() + 60
    while True:  # until the scheduler has dropped the dead worker and its restart came in
        workers = set(client.scheduler_info()["workers"])
        if victim not in workers and len(workers) == 2:
            break
        assert time.time() < deadline, "the killed worker was not restarted within 60 s"
        time.sleep(0.2)
    after = seen()
    assert len(after) == 2 and set(after.values()) == {(False, "200ms")}
    assert dask.config.get(key) is True  # the caller's config: Dask's default, untouched
    assert gd.LOCAL_CLUSTER_CONFIG[key] is False
