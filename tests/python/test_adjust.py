# SPDX-License-Identifier: MIT
"""gridpart.adjust: a previous division kept, repaired and recoded; bad previous layers."""

import os
import subprocess

import geopandas as gpd
import pytest

import gridpart

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEMO = os.path.join(ROOT, "examples", "data")
CLI = os.environ.get("GP_CLI", os.path.join(ROOT, "build", "examples", "gridpart"))
LAYERS = dict(communities=DEMO + "/communities.gpkg", streets=DEMO + "/streets.gpkg",
              households=DEMO + "/households.gpkg")
FIELDS = dict(id_field="code", class_field="class", count_field="households", threads=2)


@pytest.fixture(scope="module")
def old(tmp_path_factory):
    """The demo city partitioned: (its grids layer path, the result's grids)."""
    path = str(tmp_path_factory.mktemp("adjust") / "old.gpkg")
    with gridpart.partition(out=path, **LAYERS, **FIELDS) as r:
        return path, list(r.grid_records)


def test_own_output_is_kept_as_it_was(old, tmp_path):
    path, grids = old
    out = str(tmp_path / "new.gpkg")
    with gridpart.adjust(path + ":grids", out=out, **LAYERS, **FIELDS) as r:
        assert r.adjusted and r.moved == 0 and r.retired == []
        assert [(g["grid_code"], g["households"], g["blocks"]) for g in r.grid_records] == \
            [(g["grid_code"], g["households"], g["blocks"]) for g in grids]
        assert {g["change"] for g in r.grid_records} == {"kept"}
        assert sum(c["grids_kept"] for c in r.communities) == len(grids)
        assert r.report["adjust"]["households_moved"] == 0
    a = gpd.read_file(path, layer="grids").set_index("grid_code").sort_index()
    b = gpd.read_file(out, layer="grids").set_index("grid_code").sort_index()
    assert list(b["change"].unique()) == ["kept"]
    for code in a.index:
        assert a.loc[code].geometry.symmetric_difference(b.loc[code].geometry).area < \
            1e-9 * a.loc[code].geometry.area


def test_partition_has_no_change_field(old):
    path, grids = old
    assert {g["change"] for g in grids} == {""}
    assert "change" not in gpd.read_file(path, layer="grids").columns


def test_half_covered_community_gets_new_grids(old, tmp_path):
    """A previous layer missing grids of one community: its uncovered blocks are in no
    previous grid, the grids made for them are new with codes never used."""
    path, grids = old
    g = gpd.read_file(path, layer="grids")
    first = sorted(g["community"])[0]
    codes = sorted(g.loc[g["community"] == first, "grid_code"])
    dropped = codes[: len(codes) // 2 + 1]
    part = str(tmp_path / "part.gpkg")
    g[~g["grid_code"].isin(dropped)].to_file(part, layer="grids", driver="GPKG")
    with gridpart.adjust(part + ":grids", **LAYERS, **FIELDS) as r:
        c = next(c for c in r.communities if c["id"] == first)
        assert c["grids_new"] >= 1
        assert r.report["communities"][r.communities.index(c)]["adjust"]["fit"][
            "blocks_unmatched"] > 0
        new = [x["grid_code"] for x in r.grid_records if x["change"] == "new"]
        assert new and not set(new) & set(g["grid_code"])
        # Other communities are untouched.
        assert all(x["change"] == "kept" for x in r.grid_records if x["community"] != first)
        assert any(p["kind"] == "previous_fit" and p["community"] == first for p in r.problem_records)


def test_duplicate_codes_are_an_error(old, tmp_path):
    path, _ = old
    g = gpd.read_file(path, layer="grids")
    g.loc[1, "grid_code"] = g.loc[0, "grid_code"]
    bad = str(tmp_path / "dup.gpkg")
    g.to_file(bad, layer="grids", driver="GPKG")
    with pytest.raises(gridpart.InputError, match="duplicate"):
        gridpart.adjust(bad + ":grids", **LAYERS, **FIELDS)


def test_missing_code_field_is_an_error(old):
    path, _ = old
    with pytest.raises(gridpart.InputError, match="nope"):
        gridpart.adjust(path + ":grids", previous_code_field="nope", **LAYERS, **FIELDS)


def test_layer_without_crs_is_taken_as_the_communities(old, tmp_path):
    path, grids = old
    g = gpd.read_file(path, layer="grids")
    bare = str(tmp_path / "bare.gpkg")
    g.crs = None
    g.to_file(bare, layer="grids", driver="GPKG")
    with gridpart.adjust(bare + ":grids", **LAYERS, **FIELDS) as r:
        assert r.moved == 0
        assert {x["change"] for x in r.grid_records} == {"kept"}
        assert any(p["kind"] == "previous_fit" and p["severity"] == "warning" and
                   "no CRS" in p["message"] for p in r.problem_records)


def test_cli_adjust_writes_change_and_refuses_its_input(old, tmp_path):
    path, grids = old
    out = str(tmp_path / "cli.gpkg")
    args = [CLI, "adjust", "--previous", path + ":grids", "--communities",
            LAYERS["communities"], "--id-field", "code", "--streets", LAYERS["streets"],
            "--class-field", "class", "--households", LAYERS["households"], "--count-field",
            "households"]
    r = subprocess.run(args + ["-o", out], capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    assert "0 household(s) moved" in r.stdout
    assert set(gpd.read_file(out, layer="grids")["change"]) == {"kept"}
    # The previous layer is an input: never replaced, not even with --overwrite.
    r = subprocess.run(args + ["-o", path, "--overwrite"], capture_output=True, text=True)
    assert r.returncode == 2 and "previous grids input" in r.stderr
    # --previous is adjust's; adjust needs it.
    r = subprocess.run([CLI, "partition", "--previous", path], capture_output=True, text=True)
    assert r.returncode == 2 and "options of gridpart adjust" in r.stderr
    r = subprocess.run(args[:2] + args[4:] + ["-o", out + "2"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "--previous is required" in r.stderr
