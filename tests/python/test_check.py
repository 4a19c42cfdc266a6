# SPDX-License-Identifier: MIT
"""gridpart.check and `gridpart check`: gridpart's own grids audit clean; spoiled copies
(a grid deleted, grids overlapping, a grid in two pieces, a hand-drawn WGS 84 copy, bad layers)
are reported, each as the rule it breaks, with the same answer from the CLI."""

import json
import math
import os
import subprocess

import geopandas as gpd
import pytest
import shapely.ops
from shapely.geometry import MultiPolygon

import gridpart

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("GP_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
PROV = os.path.join(SHARED, "providence", "clean")
DEMO = os.path.join(ROOT, "examples", "data")
CLI = os.environ.get("GP_CLI", os.path.join(ROOT, "build", "examples", "gridpart"))

DEMO_INPUTS = dict(communities=os.path.join(DEMO, "communities.gpkg"),
                   streets=os.path.join(DEMO, "streets.gpkg"),
                   households=os.path.join(DEMO, "households.gpkg"),
                   id_field="code", class_field="class", count_field="households")


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """The demo city divided by gridpart: (result summary, grids GeoDataFrame, path)."""
    d = tmp_path_factory.mktemp("own")
    path = str(d / "own.gpkg")
    with gridpart.partition(out=path, **DEMO_INPUTS) as r:
        grids = {g["grid_code"]: g["households"] for g in r.grid_records}
    return grids, gpd.read_file(path, layer="grids"), path


def audit(grids, **kw):
    return gridpart.check(grids, **DEMO_INPUTS, **kw)


def kinds(result, kind):
    return [p for p in result.problem_records if p["kind"] == kind]


def conserved(r):
    assert (sum(g["households"] for g in r.grid_records) + r.households_no_grid
            + r.households_outside) == r.households_read == 34532


def cli_check(grids, *extra):
    args = [CLI, "check", "--grids", grids,
            "--communities", DEMO_INPUTS["communities"], "--id-field", "code",
            "--streets", DEMO_INPUTS["streets"], "--class-field", "class",
            "--households", DEMO_INPUTS["households"], "--count-field", "households", *extra]
    return subprocess.run(args, capture_output=True, text=True)


def test_own_output_checks_clean(own):
    households, _, path = own
    with audit(path + ":grids") as r:
        assert r.hard_failures == 0
        assert r.violations == []
        assert len(r.grid_records) == 84 == len(households)
        assert {g["grid_code"]: g["households"] for g in r.grid_records} == households
        assert r.households_no_grid == 0
        conserved(r)
        assert r.report["check"]["hard_failures"] == 0
    p = cli_check(path + ":grids")
    assert p.returncode == 0, p.stderr
    assert "84 grids checked in 12 communities: 34460 households in grids, 0 in no grid" \
        in p.stdout
    assert "every hard rule holds" in p.stdout


def test_deleted_grid_is_a_gap(own, tmp_path):
    households, gdf, _ = own
    gone = gdf.iloc[20]
    path = str(tmp_path / "gap.gpkg")
    gdf.drop(index=20).to_file(path, layer="grids")
    with audit(path) as r:
        assert len(r.grid_records) == 83
        gaps = kinds(r, "grids_gap")
        assert len(gaps) == 1
        assert gaps[0]["severity"] == "violation"
        assert gaps[0]["community"] == gone["community"]
        assert f"holding {households[gone['grid_code']]} household(s)" in gaps[0]["message"]
        assert r.households_no_grid == households[gone["grid_code"]]
        assert r.hard_failures == 1
        conserved(r)
    report = tmp_path / "report.json"
    p = cli_check(path, "--report", str(report))
    assert p.returncode == 1, p.stderr
    data = json.loads(report.read_text())
    assert data["check"]["households_in_no_grid"] == households[gone["grid_code"]]
    assert [q["kind"] for c in data["communities"] for q in c["problems"]
            if q["severity"] == "violation"] == ["grids_gap"]


def test_overlapping_grids_name_both_codes(own, tmp_path):
    _, gdf, _ = own
    g = gdf.copy()
    a, b = g.iloc[30], g.iloc[31]
    assert a["community"] == b["community"]
    g.loc[g.index[30], "geometry"] = a.geometry.union(b.geometry)  # a grows over all of b
    path = str(tmp_path / "overlap.gpkg")
    g.to_file(path, layer="grids")
    with audit(path) as r:
        over = kinds(r, "grids_overlap")
        assert len(over) == 1
        assert a["grid_code"] in over[0]["message"] and b["grid_code"] in over[0]["message"]
        assert over[0]["grid_code"] == a["grid_code"]
        assert over[0]["severity"] == "violation"
        conserved(r)
    assert cli_check(path).returncode == 1


def test_multipart_grid_is_not_contiguous(own, tmp_path):
    _, gdf, _ = own
    g = gdf.copy()
    near, far = next((i, j) for i in range(len(g)) for j in range(i + 1, len(g))
                     if g.iloc[i]["community"] == g.iloc[j]["community"]
                     and not g.iloc[i].geometry.intersects(g.iloc[j].geometry))
    first = g.iloc[near]
    geoms = list(g.geometry)
    geoms[near] = MultiPolygon([first.geometry, g.iloc[far].geometry])
    g = g.set_geometry(gpd.GeoSeries(geoms, index=g.index, crs=g.crs))
    g = g.drop(index=g.index[far])
    path = str(tmp_path / "multi.gpkg")
    g.to_file(path, layer="grids")
    with audit(path) as r:
        pieces = kinds(r, "grid_not_contiguous")
        assert [p["grid_code"] for p in pieces] == [first["grid_code"]]
        assert "is in 2 separate pieces" in pieces[0]["message"]
        grid = next(x for x in r.grid_records if x["grid_code"] == first["grid_code"])
        assert "not_contiguous" in grid["flags"]
        assert kinds(r, "grids_gap") == []
        conserved(r)


def test_hand_drawn_copy(own, tmp_path):
    """In WGS 84, codes renamed, every vertex moved 1-2 m (the same point the same way)."""
    households, gdf, _ = own
    g = gdf.to_crs("EPSG:4326")

    def move(xs, ys):
        out_x, out_y = [], []
        for x, y in zip(xs, ys):
            t = math.fmod(abs(x * 7.31e5 + y * 3.17e5), 2 * math.pi)
            r = 1.0 + math.fmod(abs(x * 1.3e6 + y * 0.7e6), 1.0)
            out_x.append(x + r * math.cos(t) / (111320.0 * math.cos(math.radians(y))))
            out_y.append(y + r * math.sin(t) / 110540.0)
        return out_x, out_y

    g["geometry"] = [shapely.ops.transform(move, geom) for geom in g.geometry]
    g["name"] = ["N-" + c for c in g["grid_code"]]
    g = g.drop(columns=["grid_code", "community", "households"])
    path = str(tmp_path / "drawn.gpkg")
    g.to_file(path, layer="drawn")
    with audit(path + ":drawn", grids_code_field="name") as r:
        assert r.hard_failures == 0, [p["message"] for p in r.violations]
        assert len(r.grid_records) == 84
        assert {x["grid_code"][2:]: x["households"] for x in r.grid_records} == households
        bounded = [x for x in r.grid_records if "over_max" not in x["flags"]]
        assert all(300 <= x["households"] <= 500 for x in bounded)
        for kind in ("grids_gap", "grids_overlap", "grid_not_contiguous",
                     "grid_crosses_community"):
            assert kinds(r, kind) == []
        # Off streets only where the run cut blocks between buildings (flag split_block).
        split = set(gdf.loc[gdf["flags"].fillna("").str.contains("split_block"), "grid_code"])
        assert sum(x["off_streets_m"] for x in r.grid_records if x["grid_code"][2:] not in split) < 20
        conserved(r)


def test_bad_grids_layers(own, tmp_path):
    _, gdf, path = own
    with pytest.raises(gridpart.InputError, match="'zone'.*grid_code"):
        audit(path + ":grids", grids_code_field="zone")
    dup = gdf.copy()
    dup.loc[dup.index[5], "grid_code"] = dup.iloc[4]["grid_code"]
    dpath = str(tmp_path / "dup.gpkg")
    dup.to_file(dpath, layer="grids")
    with pytest.raises(gridpart.InputError, match="is used by features 5 and 6"):
        audit(dpath)
    p = cli_check(dpath)
    assert p.returncode == 2 and "is used by features 5 and 6" in p.stderr
    # No CRS: taken to be the communities'; in metres without CRS: a CRS error.
    npath = str(tmp_path / "nocrs.shp")
    gdf.to_file(npath)
    os.remove(str(tmp_path / "nocrs.prj"))
    with audit(npath) as r:
        assert r.report["check"]["assumed_crs"] is True
        assert r.hard_failures == 0
    mpath = str(tmp_path / "metres.shp")
    gdf.to_crs("EPSG:32648").to_file(mpath)
    os.remove(str(tmp_path / "metres.prj"))
    with pytest.raises(gridpart.CRSError, match="the layer has no CRS"):
        audit(mpath)


# noisy: two of its communities were once reported wholly "in no grid" (one GEOS overlay of the
# community against the union of its neighbourhood's grids came out wrong).
@pytest.mark.parametrize("variant", ["clean", "noisy"])
def test_providence_own_output_checks_clean(tmp_path, variant):
    prov = os.path.join(SHARED, "providence", variant)
    assert os.path.isdir(prov), f"Providence data not found at {prov} (../shared)"
    inputs = dict(communities=os.path.join(prov, "communities.gpkg"),
                  streets=os.path.join(prov, "streets.gpkg"),
                  households=os.path.join(prov, "households.gpkg"),
                  class_field="class", count_field="households")
    out = str(tmp_path / "prov.gpkg")
    with gridpart.partition(out=out, **inputs) as run:
        expected = {g["grid_code"]: g["households"] for g in run.grid_records}
    with gridpart.check(out + ":grids", **inputs) as r:
        assert r.hard_failures == 0
        assert len(r.grid_records) == 177
        assert {g["grid_code"]: g["households"] for g in r.grid_records} == expected
        assert r.households_no_grid == 0
        assert r.households_read == 71188
