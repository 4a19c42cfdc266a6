# SPDX-License-Identifier: MIT
"""Workload (issue #13): weights on household fields, extra loads, balancing, bad input.

Each grid's written workload is checked against an independent recomputation: a geopandas
spatial join of the input features with the written grids."""

import json
import os
import subprocess

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

import gridpart

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("GP_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
PROV = os.path.join(SHARED, "providence", "clean")
DEMO = os.path.join(ROOT, "examples", "data")
CLI = os.environ.get("GP_CLI", os.path.join(ROOT, "build", "examples", "gridpart"))
REFEREE = os.path.join(SHARED, "..", "referee", "referee.py")

DEMO_ARGS = ["--communities", os.path.join(DEMO, "communities.gpkg"), "--id-field", "code",
             "--streets", os.path.join(DEMO, "streets.gpkg"), "--class-field", "class",
             "--count-field", "households"]


def run(args, check="done"):
    """gridpart partition; check: the exit status wanted ("done": 0, or 1 for a grid out of
    the household bounds, which the demo city has), or None."""
    p = subprocess.run([CLI, "partition", *args], capture_output=True, text=True, timeout=600)
    if check == "done":
        assert p.returncode in (0, 1), (p.returncode, p.stderr)
    elif check is not None:
        assert p.returncode == check, (p.returncode, p.stderr)
    return p


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo city with an `elderly` field (0..5 per feature, one feature null-free) and 150
    shops (points, loads 1..10) plus 2 shops as polygons, 3 shops outside every community."""
    d = tmp_path_factory.mktemp("workload_demo")
    rng = np.random.default_rng(13)
    hh = gpd.read_file(os.path.join(DEMO, "households.gpkg"))
    hh["elderly"] = rng.integers(0, 6, len(hh)).astype(np.int64)
    hh["disabled"] = rng.uniform(0, 2, len(hh)).round(2)
    hh["note"] = "x"
    hh.to_file(d / "hh.gpkg", layer="households")
    comm = gpd.read_file(os.path.join(DEMO, "communities.gpkg"))
    x0, y0, x1, y1 = comm.total_bounds
    pts = [Point(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(150)]
    geoms = pts + [box(x0 + 0.003, y0 + 0.003, x0 + 0.0035, y0 + 0.0034),
                   box(x1 - 0.004, y1 - 0.004, x1 - 0.0036, y1 - 0.0037)]
    geoms += [Point(x1 + 0.01, y1 + 0.01), Point(x0 - 0.02, y0), Point(x1 + 0.05, y0 - 0.01)]
    loads = rng.integers(1, 11, len(geoms)).astype(float)
    shops = gpd.GeoDataFrame({"load": loads, "kind": "shop"}, geometry=geoms, crs=comm.crs)
    shops.to_file(d / "shops.gpkg", layer="shops")
    return d


def grids_of(path):
    return gpd.read_file(path, layer="grids")


def recomputed_workload(grids, hh, weights, loads=()):
    """Per grid code: households + sum W x field + loads whose representative point lies in
    it, by a spatial join in the grids' CRS."""
    hh = hh.to_crs(grids.crs)
    pts = hh.copy()
    pts["geometry"] = hh.geometry.representative_point()
    pts["w"] = pts["households"].astype(float)
    for field, w in weights.items():
        pts["w"] += w * pts[field].astype(float)
    j = gpd.sjoin(pts[["w", "geometry"]], grids[["grid_code", "geometry"]], predicate="within")
    total = j.groupby("grid_code")["w"].sum()
    for layer, field in loads:
        layer = layer.to_crs(grids.crs)
        lp = gpd.GeoDataFrame({"w": layer[field].astype(float) if field
                               else np.ones(len(layer))},
                              geometry=layer.geometry.representative_point(), crs=grids.crs)
        jl = gpd.sjoin(lp, grids[["grid_code", "geometry"]], predicate="within")
        total = total.add(jl.groupby("grid_code")["w"].sum(), fill_value=0)
    return total.reindex(grids["grid_code"]).fillna(0).to_numpy()


def test_written_workload_is_households_plus_weights_plus_loads(demo, tmp_path):
    out, rep = tmp_path / "g.gpkg", tmp_path / "r.json"
    run(DEMO_ARGS + ["--households", str(demo / "hh.gpkg"), "--weight", "elderly=0.5",
                     "--weight", "disabled=1", "--extra-load", f"{demo / 'shops.gpkg'}=load",
                     "-o", str(out), "--report", str(rep)])
    grids = grids_of(out)
    hh = gpd.read_file(demo / "hh.gpkg")
    shops = gpd.read_file(demo / "shops.gpkg")
    want = recomputed_workload(grids, hh, {"elderly": 0.5, "disabled": 1.0},
                               [(shops, "load")])
    np.testing.assert_allclose(grids["workload"].to_numpy(), want, atol=1e-6)
    # The weights and loads made a difference: workload is not the households.
    assert (grids["workload"] - grids["households"]).min() > 0
    # Conservation: every household's and every inside shop's load is in exactly one grid.
    r = json.loads(rep.read_text())
    comm = gpd.read_file(os.path.join(DEMO, "communities.gpkg"))
    inside_hh = gpd.sjoin(hh, comm, predicate="within")
    expect = (inside_hh["households"] + 0.5 * inside_hh["elderly"]
              + inside_hh["disabled"]).sum()
    shop_pts = shops.set_geometry(shops.geometry.representative_point())
    inside = shops.index.isin(gpd.sjoin(shop_pts, comm, predicate="within").index)
    outside_load = shops.loc[~inside, "load"].sum()
    expect += shops["load"].sum() - outside_load
    assert grids["workload"].sum() == pytest.approx(expect, abs=1e-6)
    assert r["totals"]["extra_load_read"] == pytest.approx(shops["load"].sum())
    assert r["totals"]["extra_load_outside"] == pytest.approx(outside_load)
    assert r["options"]["balance"] == "workload"
    assert r["inputs"]["weights"] == {"elderly": 0.5, "disabled": 1.0}
    assert r["inputs"]["extra_loads"] == [{"source": str(demo / "shops.gpkg"), "field": "load"}]
    outside = [p for p in r["problems"] if p["kind"] == "load_outside"]
    assert len(outside) == 1 and outside[0]["severity"] == "warning"
    # GeoPackage feature ids are 1-based row numbers; the last three shops lie far outside.
    assert outside[0]["features"] == [int(i) + 1 for i in np.flatnonzero(~inside)]
    assert outside[0]["features"][-3:] == [153, 154, 155]
    assert "shops.gpkg:shops" in outside[0]["message"]
    # Per community: workload max/mean from the written grids.
    for c in r["communities"]:
        w = grids.loc[grids["community"] == c["id"], "workload"]
        assert c["workload"] == pytest.approx(w.sum(), abs=1e-3)
        assert c["workload_max_over_mean"] == pytest.approx(w.max() / w.mean(), abs=1e-4)


def test_extra_load_without_field_counts_one_each(demo, tmp_path):
    out = tmp_path / "g.gpkg"
    run(DEMO_ARGS + ["--households", str(demo / "hh.gpkg"),
                     "--extra-load", str(demo / "shops.gpkg"), "-o", str(out)])
    grids = grids_of(out)
    hh = gpd.read_file(demo / "hh.gpkg")
    shops = gpd.read_file(demo / "shops.gpkg")
    want = recomputed_workload(grids, hh, {}, [(shops, None)])
    np.testing.assert_allclose(grids["workload"].to_numpy(), want, atol=1e-6)
    comm = gpd.read_file(os.path.join(DEMO, "communities.gpkg"))
    shop_pts = shops.set_geometry(shops.geometry.representative_point())
    n_inside = len(gpd.sjoin(shop_pts, comm, predicate="within"))
    assert 140 <= n_inside <= 152  # 155 shops, the last 3 far outside
    assert (grids["workload"] - grids["households"]).sum() == n_inside


def test_no_weights_workload_is_households(demo, tmp_path):
    out, rep = tmp_path / "g.gpkg", tmp_path / "r.json"
    run(DEMO_ARGS + ["--households", str(demo / "hh.gpkg"), "-o", str(out),
                     "--report", str(rep)])
    grids = grids_of(out)
    assert (grids["workload"] == grids["households"]).all()
    r = json.loads(rep.read_text())
    assert r["options"]["balance"] == "households"
    assert r["totals"]["extra_load_read"] == 0


def test_python_matches_cli(demo, tmp_path):
    out = tmp_path / "cli.gpkg"
    run(DEMO_ARGS + ["--households", str(demo / "hh.gpkg"), "--weight", "elderly=0.5",
                     "--extra-load", f"{demo / 'shops.gpkg'}=load", "-o", str(out)])
    cli = grids_of(out)
    with gridpart.partition(os.path.join(DEMO, "communities.gpkg"),
                            os.path.join(DEMO, "streets.gpkg"), str(demo / "hh.gpkg"),
                            class_field="class", count_field="households",
                            weights={"elderly": 0.5},
                            extra_load=[(str(demo / "shops.gpkg"), "load")],
                            balance="workload") as r:
        py = {g["grid_code"]: g["workload"] for g in r.grid_records}
        assert r.extra_load_read == pytest.approx(
            gpd.read_file(demo / "shops.gpkg")["load"].sum())
        assert r.extra_load_outside >= gpd.read_file(demo / "shops.gpkg")["load"].iloc[-3:].sum()
    assert py == pytest.approx(dict(zip(cli["grid_code"], cli["workload"])))
    assert gridpart.split_extra_load("a.gpkg:shops=load") == (b"a.gpkg:shops", b"load")
    assert gridpart.split_extra_load("PG:dbname=city:shops") == (b"PG:dbname=city:shops", None)


@pytest.mark.parametrize("args, message", [
    (["--weight", "age=1"], "weight field 'age': no such field (numeric fields: households, "
                            "elderly, disabled)"),
    (["--weight", "note=1"], "weight field 'note' is not numeric (it holds String"),
    (["--weight", "elderly=-1"], "--weight needs FIELD=W with W a finite number >= 0, not "
                                 "'elderly=-1'"),
    (["--weight", "elderly=nan"], "not 'elderly=nan'"),
    (["--weight", "elderly=inf"], "not 'elderly=inf'"),
    (["--weight", "elderly"], "not 'elderly'"),
    (["--weight", "elderly=1", "--weight", "elderly=2"], "weight of field 'elderly' given twice"),
    (["--extra-load", "SHOPS=price"], "shops.gpkg:shops: load field 'price': no such field "
                                      "(numeric fields: load)"),
    (["--extra-load", "SHOPS=kind"], "load field 'kind' is not numeric"),
    (["--balance", "elderly"], "--balance needs workload or households, not 'elderly'"),
    (["--max-workload", "-3"], "--max-workload needs a finite number > 0, not '-3'"),
    (["--max-workload", "nan"], "not 'nan'"),
])
def test_bad_workload_arguments(demo, tmp_path, args, message):
    args = [a.replace("SHOPS", str(demo / "shops.gpkg")) for a in args]
    p = run(DEMO_ARGS + ["--households", str(demo / "hh.gpkg"), *args,
                         "-o", str(tmp_path / "g.gpkg")], check=2)
    assert message in p.stderr
    assert not (tmp_path / "g.gpkg").exists()


def write_variant(demo, tmp_path, layer, fid_change):
    """A copy of a demo layer with one feature's field changed: {fid: (field, value)}; a
    GeoPackage written anew numbers its features 1, 2, ... in row order."""
    src = demo / ("hh.gpkg" if layer == "households" else "shops.gpkg")
    df = gpd.read_file(src)
    for fid, (field, value) in fid_change.items():
        df[field] = df[field].astype(float)
        df.loc[df.index[fid - 1], field] = value
    path = tmp_path / f"{layer}.gpkg"
    df.to_file(path, layer=layer, index=False)
    return path


@pytest.mark.parametrize("layer, change, message", [
    ("households", {7: ("elderly", None)}, "feature 7: weight field 'elderly' is null"),
    ("households", {9: ("elderly", -2.0)}, "feature 9: weight field 'elderly': -2 is negative"),
    ("shops", {5: ("load", None)}, "feature 5: load field 'load' is null"),
    ("shops", {11: ("load", -1.5)}, "feature 11: load field 'load': -1.5 is negative"),
])
def test_bad_feature_values_name_file_feature_field(demo, tmp_path, layer, change, message):
    path = write_variant(demo, tmp_path, layer, change)
    hh = path if layer == "households" else demo / "hh.gpkg"
    shops = path if layer == "shops" else demo / "shops.gpkg"
    p = run(DEMO_ARGS + ["--households", str(hh), "--weight", "elderly=0.5",
                         "--extra-load", f"{shops}=load", "-o", str(tmp_path / "g.gpkg")],
            check=2)
    assert f"{path}:{layer}: {message}" in p.stderr


def test_python_rejects_bad_weights(demo):
    args = (os.path.join(DEMO, "communities.gpkg"), os.path.join(DEMO, "streets.gpkg"),
            str(demo / "hh.gpkg"))
    for weights, text in [({"elderly": float("nan")}, "not a finite number >= 0"),
                          ({"elderly": -0.5}, "not a finite number >= 0"),
                          ({"elderly": "x"}, "must be a number")]:
        with pytest.raises(gridpart.ArgumentError, match=text):
            gridpart.partition(*args, count_field="households", weights=weights)
    with pytest.raises(gridpart.ArgumentError, match="balance must be one of"):
        gridpart.partition(*args, count_field="households", balance="elders")
    with pytest.raises(gridpart.InputError, match="weight field 'age': no such field"):
        gridpart.partition(*args, count_field="households", weights={"age": 1})


# ---- Providence: workload balancing against household balancing ---------------------------

def providence_workload_inputs(d):
    """Providence households with an `elderly` count whose share differs by community (5% to
    40%, by a fixed shuffle), and 240 shops in 12 clusters with loads 1..10 (seed 13)."""
    rng = np.random.default_rng(13)
    comm = gpd.read_file(os.path.join(PROV, "communities.gpkg"))
    hh = gpd.read_file(os.path.join(PROV, "households.gpkg"))
    shares = np.linspace(0.05, 0.40, len(comm))
    rng.shuffle(shares)
    j = gpd.sjoin(hh, comm[["geometry"]].assign(share=shares), predicate="within", how="left")
    j = j[~j.index.duplicated()]
    share = j["share"].fillna(0.05).to_numpy()
    hh["elderly"] = np.round(hh["households"].to_numpy() * share).astype(np.int64)
    hh.to_file(d / "hh.gpkg", layer="households")
    centres = comm.geometry.representative_point().sample(12, random_state=13)
    pts = []
    for c in centres:
        for _ in range(20):
            pts.append(Point(c.x + rng.normal(0, 120), c.y + rng.normal(0, 120)))
    shops = gpd.GeoDataFrame({"load": rng.integers(1, 11, len(pts)).astype(float)},
                             geometry=pts, crs=comm.crs)
    shops.to_file(d / "units.gpkg", layer="units")
    return hh, shops


def spread(grids):
    """Mean over communities of (max/mean workload - 1)."""
    s = grids.groupby("community")["workload"].agg(["max", "mean"])
    return float((s["max"] / s["mean"] - 1).mean())


def roster_of(grids, path):
    """A roster of grids-2, grids+1, grids, grids-1 ... workers per community in turn (at least
    one), the first worker of each community holding its first grid now."""
    rows = []
    for i, (community, codes) in enumerate(sorted(grids.groupby("community")["grid_code"])):
        codes = sorted(codes)
        n = max(1, len(codes) + (-2, 1, 0, -1)[i % 4])
        for k in range(n):
            rows.append({"worker_id": f"{community}-w{k}", "community": community,
                         "grid_code": codes[0] if k == 0 else ""})
    pd.DataFrame(rows).to_csv(path, index=False)
    return pd.DataFrame(rows)


def zhejiang(households, base=6, above=2000, per=350):
    return base + -(-(households - above) // per) if households > above else base


def test_providence_workload_balancing_beats_household_balancing(tmp_path):
    """The run issue #13 is judged by: --weight elderly=0.5 --extra-load units=load --balance
    workload --staffing zhejiang --workers (grids-2 .. grids+1 per community)."""
    assert os.path.isdir(PROV), f"shared Providence data missing: {PROV}"
    hh, shops = providence_workload_inputs(tmp_path)
    base = ["--communities", os.path.join(PROV, "communities.gpkg"), "--id-field", "code",
            "--streets", os.path.join(PROV, "streets.gpkg"), "--class-field", "class",
            "--households", str(tmp_path / "hh.gpkg"), "--count-field", "households",
            "--weight", "elderly=0.5", "--extra-load", f"{tmp_path / 'units.gpkg'}=load"]
    result = {}
    for mode in ("households", "workload"):
        out, rep = tmp_path / f"{mode}.gpkg", tmp_path / f"{mode}.json"
        staffing = []
        if mode == "workload":
            roster = roster_of(grids, tmp_path / "workers.csv")
            staffing = ["--staffing", "zhejiang", "--workers", str(tmp_path / "workers.csv")]
        run(base + ["--balance", mode, "-o", str(out), "--report", str(rep), *staffing])
        grids = grids_of(out)
        want = recomputed_workload(grids, hh, {"elderly": 0.5}, [(shops, "load")])
        assert np.abs(grids["workload"].to_numpy() - want).max() <= 0.5
        result[mode] = spread(grids)
    ref = subprocess.run(
        ["/usr/bin/python3", REFEREE, "--communities", os.path.join(PROV, "communities.gpkg"),
         "--community-id", "code", "--households", str(tmp_path / "hh.gpkg"),
         "--household-count", "households", "--streets", os.path.join(PROV, "streets.gpkg"),
         "--grids", f"{out}:grids"], capture_output=True, text=True, timeout=600)
    assert ref.returncode == 0, ref.stdout[-3000:] + ref.stderr[-2000:]
    print("mean (max/mean - 1): workload %.4f, households %.4f" %
          (result["workload"], result["households"]))
    assert result["workload"] <= 0.8 * result["households"], result
    # Staffing: the Zhejiang count per community, a worker of the grid's own community on every
    # grid (one each where the roster suffices), every worker without a grid listed.
    report = json.loads((tmp_path / "workload.json").read_text())
    by_id = roster.set_index("worker_id")
    for c in report["communities"]:
        assert c["staffing"]["required"] == zhejiang(c["households"]), c["id"]
        mine = grids[grids["community"] == c["id"]]
        assert mine["worker"].notna().all() and (mine["worker"] != "").all(), c["id"]
        assert (by_id.loc[mine["worker"], "community"] == c["id"]).all(), c["id"]
        n_workers = int((roster["community"] == c["id"]).sum())
        if n_workers >= len(mine):
            assert mine["worker"].is_unique, c["id"]
        else:
            assert mine["worker"].nunique() == n_workers, c["id"]
        idle = set(roster.loc[roster["community"] == c["id"], "worker_id"]) - set(mine["worker"])
        assert set(c["staffing"]["surplus_ids"]) == idle, c["id"]


def test_workload_cap_violations_are_explained(demo, tmp_path):
    out, rep = tmp_path / "g.gpkg", tmp_path / "r.json"
    p = run(DEMO_ARGS + ["--households", str(demo / "hh.gpkg"), "--weight", "elderly=0.5",
                         "--max-workload", "200", "-o", str(out), "--report", str(rep)], check=1)
    grids = grids_of(out)
    r = json.loads(rep.read_text())
    over = grids[grids["workload"] > 200]
    assert len(over) == len(grids)  # 300 households at least, so every grid is above 200
    assert all("over_workload" in f for f in over["flags"])
    cap = [q for q in r["problems"] + sum((c["problems"] for c in r["communities"]), [])
           if q["kind"] == "workload_over_max"]
    assert sorted(q["grid_code"] for q in cap) == sorted(over["grid_code"])
    assert all(q["severity"] == "violation" for q in cap)
    # 300 households per grid at least: the cap of 200 needs more grids than the bounds allow,
    # unless one block alone is above it.
    for q in cap:
        assert ("needs at least" in q["message"]
                or ("alone has" in q["message"] and len(q["blocks"]) >= 1)), q["message"]
    assert any("needs at least" in q["message"] for q in cap)
    assert "above the cap 200" in p.stderr
    assert r["options"]["max_workload"] == 200


def test_generous_workload_cap_changes_nothing(demo, tmp_path):
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    common = DEMO_ARGS + ["--households", str(demo / "hh.gpkg"), "--weight", "elderly=0.5"]
    pa = run(common + ["-o", str(a)])
    pb = run(common + ["--max-workload", "100000", "-o", str(b)])
    assert pa.returncode == pb.returncode
    ga, gb = grids_of(a), grids_of(b)
    assert list(ga["grid_code"]) == list(gb["grid_code"])
    assert not any("over_workload" in f for f in gb["flags"])


def test_extra_load_in_another_crs_and_thread_count(demo, tmp_path):
    """Shops in Web Mercator land in the same grids; 1 or 4 threads give the same plan."""
    shops = gpd.read_file(demo / "shops.gpkg").to_crs(3857)
    shops.to_file(tmp_path / "shops3857.gpkg", layer="shops")
    common = DEMO_ARGS + ["--households", str(demo / "hh.gpkg"), "--weight", "elderly=0.5"]
    run(common + ["--extra-load", f"{demo / 'shops.gpkg'}=load", "--threads", "1",
                  "-o", str(tmp_path / "a.gpkg")])
    run(common + ["--extra-load", f"{tmp_path / 'shops3857.gpkg'}:shops=load", "--threads", "4",
                  "-o", str(tmp_path / "b.gpkg")])
    ga, gb = grids_of(tmp_path / "a.gpkg"), grids_of(tmp_path / "b.gpkg")
    assert list(ga["grid_code"]) == list(gb["grid_code"])
    np.testing.assert_allclose(ga["workload"], gb["workload"], atol=1e-9)
    assert list(ga["households"]) == list(gb["households"])


def test_extra_load_without_geometry_or_crs_is_named(demo, tmp_path):
    shops = gpd.read_file(demo / "shops.gpkg")
    shops.loc[shops.index[3], "geometry"] = None
    shops.to_file(tmp_path / "nogeom.gpkg", layer="shops")
    p = run(DEMO_ARGS + ["--households", str(demo / "hh.gpkg"),
                         "--extra-load", f"{tmp_path / 'nogeom.gpkg'}=load",
                         "-o", str(tmp_path / "a.gpkg")], check=2)
    assert f"{tmp_path / 'nogeom.gpkg'}:shops: feature 4: no geometry" in p.stderr
    plain = gpd.read_file(demo / "shops.gpkg")
    gpd.GeoDataFrame(plain.drop(columns="geometry"), geometry=list(plain.geometry)).to_file(
        tmp_path / "nocrs.gpkg", layer="shops")
    p = run(DEMO_ARGS + ["--households", str(demo / "hh.gpkg"),
                         "--extra-load", f"{tmp_path / 'nocrs.gpkg'}=load",
                         "-o", str(tmp_path / "b.gpkg")], check=2)
    assert f"extra load: {tmp_path / 'nocrs.gpkg'}:shops has no CRS" in p.stderr
    assert not (tmp_path / "a.gpkg").exists() and not (tmp_path / "b.gpkg").exists()


def test_adjust_keeps_weighted_workloads_and_repairs_above_the_cap(demo, tmp_path):
    """adjust on its own weighted output keeps every grid with the same workload; with a cap
    below the heaviest grid's workload that grid no longer holds and is repaired."""
    args = (os.path.join(DEMO, "communities.gpkg"), os.path.join(DEMO, "streets.gpkg"),
            str(demo / "hh.gpkg"))
    kw = dict(class_field="class", count_field="households", weights={"elderly": 0.5},
              extra_load=[(str(demo / "shops.gpkg"), "load")])
    first = tmp_path / "first.gpkg"
    with gridpart.partition(*args, out=str(first), **kw) as r:
        households = {g["grid_code"]: g["households"] for g in r.grid_records}
        workload = {g["grid_code"]: g["workload"] for g in r.grid_records}
        flags = {g["grid_code"]: g["flags"] for g in r.grid_records}
    assert any(workload[c] != households[c] for c in workload)
    with gridpart.adjust(f"{first}:grids", *args, **kw) as a:
        assert a.moved == 0
        assert [g["change"] for g in a.grid_records] == ["kept"] * len(households)
        assert {g["grid_code"]: g["households"] for g in a.grid_records} == households
        assert {g["grid_code"]: g["workload"] for g in a.grid_records} == pytest.approx(workload)
    # The heaviest grid not above the household maximum (an indivisible block above it stays a
    # grid of its own, above any cap below its workload too).
    divisible = [c for c in workload if "over_max" not in flags[c]]
    heaviest = max(divisible, key=workload.get)
    cap = workload[heaviest] - 1
    with gridpart.adjust(f"{first}:grids", *args, max_workload=cap, **kw) as a:
        assert a.moved > 0
        assert not [g for g in a.grid_records if g["grid_code"] == heaviest and g["change"] == "kept"]
        above = [g for g in a.grid_records if g["workload"] > cap]
        assert above and all("over_max" in g["flags"] and g["blocks"] == 1 for g in above)
        assert {g["grid_code"] for g in above} <= {c for c in workload if c not in divisible}
