# SPDX-License-Identifier: MIT
"""Layers given as GeoDataFrames (and the roster as a DataFrame) to partition, adjust and check
give exactly what the same layers given as paths give."""

import glob
import os
import tempfile

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import gridpart

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEMO = os.path.join(ROOT, "examples", "data")
PATHS = dict(communities=DEMO + "/communities.gpkg", streets=DEMO + "/streets.gpkg",
             households=DEMO + "/households.gpkg")
FIELDS = dict(id_field="code", class_field="class", count_field="households", threads=2)


def frames():
    return {k: gpd.read_file(v) for k, v in PATHS.items()}


def grids_of(result):
    return [(g["grid_code"], g["households"], g["blocks"], round(g["workload"], 6), g["worker"])
            for g in result.grid_records]


@pytest.fixture(scope="module")
def by_path(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("frames") / "grids.gpkg")
    with gridpart.partition(out=out, **PATHS, **FIELDS) as r:
        return out, grids_of(r)


def leftovers():
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "gridpart-frames-*")))


def test_partition_on_geodataframes_equals_paths(by_path):
    before = leftovers()
    with gridpart.partition(**frames(), **FIELDS) as r:
        assert grids_of(r) == by_path[1]
    assert leftovers() == before  # the temporary copies are gone


def test_adjust_with_previous_as_geodataframe_keeps_everything(by_path):
    previous = gpd.read_file(by_path[0], layer="grids").to_crs(4326)
    with gridpart.adjust(previous, **frames(), **FIELDS) as r:
        assert r.moved == 0 and r.retired == []
        assert {g["change"] for g in r.grid_records} == {"kept"}
        assert [g[:3] for g in grids_of(r)] == [g[:3] for g in by_path[1]]


def test_extra_load_and_roster_as_frames_equal_files(tmp_path):
    comm = gpd.read_file(PATHS["communities"])
    x0, y0, x1, y1 = comm.total_bounds
    shops = gpd.GeoDataFrame({"load": [3.0, 5.0, 7.0, 2.0]},
                             geometry=[Point(x0 + (x1 - x0) * f, y0 + (y1 - y0) * f)
                                       for f in (0.2, 0.4, 0.6, 0.8)], crs=comm.crs)
    shops.to_file(tmp_path / "shops.gpkg", layer="shops")
    roster = pd.DataFrame({"worker_id": [f"w{i}" for i in range(len(comm))],
                           "community": list(comm["code"])})
    roster.to_csv(tmp_path / "workers.csv", index=False)
    kw = dict(staffing="grid", **FIELDS)
    with gridpart.partition(**PATHS, extra_load=[(str(tmp_path / "shops.gpkg"), "load")],
                            workers=str(tmp_path / "workers.csv"), **kw) as a:
        files = grids_of(a)
        assert a.extra_load_read == pytest.approx(17.0)
    with gridpart.partition(**frames(), extra_load=[(shops, "load")], workers=roster,
                            **kw) as b:
        assert grids_of(b) == files
        assert b.extra_load_read == pytest.approx(17.0)
    with gridpart.partition(**frames(), extra_load=shops, workers=roster, **kw) as c:
        assert c.extra_load_read == pytest.approx(4.0)  # 1 per feature without a field


def test_check_on_a_geodataframe_equals_the_file(by_path):
    with gridpart.check(by_path[0] + ":grids", **PATHS, id_field="code", class_field="class",
                        count_field="households") as a:
        want = [(g["grid_code"], g["households"], g["flags"]) for g in a.grid_records]
        failures = a.hard_failures
    grids = gpd.read_file(by_path[0], layer="grids")
    with gridpart.check(grids, **frames(), id_field="code", class_field="class",
                        count_field="households") as b:
        assert [(g["grid_code"], g["households"], g["flags"]) for g in b.grid_records] == want
        assert b.hard_failures == failures


def test_a_list_is_still_a_type_error():
    with pytest.raises(TypeError, match="communities"):
        gridpart.partition([1, 2], PATHS["streets"], PATHS["households"], **FIELDS)
