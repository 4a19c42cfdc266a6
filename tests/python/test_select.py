# SPDX-License-Identifier: MIT
"""gridpart.partition/adjust/check with only= and bbox=: a part of the input, read with GDAL
filters, gives exactly the grids a whole run gives to its communities (#16 item 1)."""

import os

import pytest

import gridpart

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEMO = os.path.join(ROOT, "examples", "data")
SHARED = os.environ.get("GP_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
LAYERS = dict(communities=DEMO + "/communities.gpkg", streets=DEMO + "/streets.gpkg",
              households=DEMO + "/households.gpkg")
FIELDS = dict(id_field="code", class_field="class", count_field="households", threads=2)


def grids_of(result):
    """(code, community, households, WKB) of every grid, sorted by code."""
    return sorted((r.grid_code, r.community, r.households, r.geometry.wkb)
                  for r in result.grids.itertuples())


def assignment_of(result):
    return {k: v for k, v in result.assignment.dropna().to_dict().items()}


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("select") / "whole.gpkg")
    with gridpart.partition(out=path, **LAYERS, **FIELDS) as r:
        return dict(path=path, grids=grids_of(r), assignment=assignment_of(r),
                    ids=sorted(c["id"] for c in r.communities),
                    read=dict(r.features_read))


def test_whole_run_reads_every_feature(whole):
    assert whole["read"] == {"communities": 12, "streets": 254, "households": 1188,
                             "barriers": 0}


def test_one_community_equals_its_part_of_the_whole_run(whole):
    one = whole["ids"][0]
    with gridpart.partition(**LAYERS, **FIELDS, only=[one]) as r:
        assert [c["id"] for c in r.communities] == [one]
        assert grids_of(r) == [g for g in whole["grids"] if g[1] == one]
        read = r.features_read
        # Pushed down: its neighbours within 100 m, and the streets and households there.
        for layer in ("communities", "streets", "households"):
            assert 0 < read[layer] < whole["read"][layer], layer
        assert r.report["read"] == read


def test_parts_concatenated_equal_the_whole_run(whole):
    grids, assignment = [], {}
    for k in range(3):
        with gridpart.partition(**LAYERS, **FIELDS, only=whole["ids"][k::3]) as r:
            assert len(r.communities) == len(whole["ids"][k::3])
            grids += grids_of(r)
            assignment.update(assignment_of(r))
    assert sorted(grids) == whole["grids"]
    assert assignment == whole["assignment"]


def test_boxes_tiling_the_plane_split_the_communities_once(whole):
    # The demo lies near 106.2 E, 38.5 N (EPSG:4490): two half-planes split at a longitude
    # between the communities' centres.
    import geopandas as gpd
    c = gpd.read_file(LAYERS["communities"])
    cx = sorted(((b[0] + b[2]) / 2, code) for code, b in zip(c["code"], c.geometry.bounds.values))
    cut = (cx[5][0] + cx[6][0]) / 2
    west, east = [], []
    with gridpart.partition(**LAYERS, **FIELDS, bbox=(-180, -90, cut, 90)) as r:
        west = grids_of(r)
        assert sorted(x["id"] for x in r.communities) == sorted(code for _, code in cx[:6])
    with gridpart.partition(**LAYERS, **FIELDS, bbox=(cut, -90, 180, 90)) as r:
        east = grids_of(r)
        assert len(r.communities) == 6
    assert sorted(west + east) == whole["grids"]


def test_only_and_bbox_together_select_both(whole):
    with gridpart.partition(**LAYERS, **FIELDS, only=whole["ids"], bbox=(-180, -90, 180, 90)) \
            as r:
        assert grids_of(r) == whole["grids"]


def test_an_unknown_id_is_an_error_naming_it(whole):
    with pytest.raises(gridpart.InputError, match="no community has id '999'"):
        gridpart.partition(**LAYERS, **FIELDS, only=[whole["ids"][0], "999"])


def test_a_box_without_communities_is_an_error():
    with pytest.raises(gridpart.InputError, match="no community has the centre"):
        gridpart.partition(**LAYERS, **FIELDS, bbox=(0, 0, 1, 1))


def test_a_bad_box_is_an_argument_error():
    with pytest.raises(gridpart.ArgumentError, match="minx < maxx"):
        gridpart.partition(**LAYERS, **FIELDS, bbox=(2, 0, 1, 1))
    with pytest.raises(gridpart.ArgumentError, match="4 numbers"):
        gridpart.partition(**LAYERS, **FIELDS, bbox=(0, 0, 1))


def test_adjust_a_part_keeps_its_grids(whole):
    part = whole["ids"][:2]
    with gridpart.adjust(whole["path"] + ":grids", **LAYERS, **FIELDS, only=part,
                         previous_community_field="community") as r:
        assert r.moved == 0 and r.retired == []
        assert grids_of(r) == [g for g in whole["grids"] if g[1] in part]
        assert {g["change"] for g in r.grid_records} == {"kept"}


def test_adjust_a_part_needs_the_community_field(whole):
    with pytest.raises(gridpart.ArgumentError, match="community field"):
        gridpart.adjust(whole["path"] + ":grids", **LAYERS, **FIELDS, only=whole["ids"][:1])


def test_check_a_part_audits_its_grids(whole):
    part = whole["ids"][3:5]
    fields = {k: v for k, v in FIELDS.items() if k != "threads"}
    with gridpart.check(whole["path"] + ":grids", **LAYERS, **fields, only=part,
                        grids_community_field="community") as r:
        assert sorted(g["grid_code"] for g in r.grid_records) == \
            [g[0] for g in whole["grids"] if g[1] in part]
        assert r.households_no_grid == 0


def test_providence_in_parts_equals_one_whole_run():
    base = os.path.join(SHARED, "providence", "noisy")
    assert os.path.isdir(base), f"shared data missing: {base} (set GP_SHARED_DATA)"
    layers = {k: os.path.join(base, k + ".gpkg") for k in ("communities", "streets", "households")}
    with gridpart.partition(**layers, **FIELDS) as r:
        expect, expect_hh = grids_of(r), assignment_of(r)
        ids, total = sorted(c["id"] for c in r.communities), dict(r.features_read)
    assert len(ids) == 39
    grids, assignment = [], {}
    for k in range(4):
        with gridpart.partition(**layers, **FIELDS, only=ids[k::4]) as r:
            grids += grids_of(r)
            assignment.update(assignment_of(r))
            assert r.features_read["streets"] < total["streets"]
    assert sorted(grids) == expect
    assert assignment == expect_hh
