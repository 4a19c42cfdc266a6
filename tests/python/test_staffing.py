# SPDX-License-Identifier: MIT
"""Staffing through the Python binding: the rules, the roster, Result.workers as a DataFrame,
and bad rosters raising InputError that names file, field and feature."""

import collections
import os

import pandas as pd
import pytest

import gridpart

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("GP_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
PROV = os.path.join(SHARED, "providence", "clean")


def prov(name):
    path = os.path.join(PROV, name + ".gpkg")
    assert os.path.isfile(path), f"{path} is absent: put the shared data beside the repository"
    return path


def run(**kw):
    return gridpart.partition(prov("communities"), prov("streets"), prov("households"),
                              id_field="code", class_field="class", count_field="households",
                              **kw)


def test_rules_at_their_thresholds():
    z = [gridpart.staffing_required("zhejiang", h) for h in (1999, 2000, 2001, 2350, 2351)]
    assert z == [6, 6, 7, 7, 8]
    assert gridpart.staffing_required("zhejiang:base=8,above=1500,per=300", 1801) == 10
    assert gridpart.staffing_required("per10k:16", 0, residents=10000) == 16
    assert gridpart.staffing_required("per10k:16", 0, residents=10001) == 17
    assert gridpart.staffing_required("per10k:18,persons=3", 1000) == 6
    assert gridpart.staffing_required("grid", 5000, grids=9) == 9
    with pytest.raises(gridpart.ArgumentError, match="per=0"):
        gridpart.staffing_required("zhejiang:per=0", 100)


def test_roster_on_providence(tmp_path):
    with run() as base:
        codes = collections.defaultdict(list)
        for g in base.grid_records:
            codes[g["community"]].append(g["grid_code"])
    roster = tmp_path / "workers.csv"
    expected = {}
    with open(roster, "w") as f:
        f.write("worker_id,community,grid_code\n")
        for i, c in enumerate(sorted(codes)):
            n = max(1, len(codes[c]) + (-2, 0, 1)[i % 3])
            expected[c] = n
            for k in range(n):
                f.write(f"{c}-{k},{c},{codes[c][-1] if k == 0 else ''}\n")
    with run(staffing="zhejiang", workers=str(roster)) as r:
        df = r.workers
        assert isinstance(df, pd.DataFrame)
        assert list(df.columns) == list(gridpart.WORKER_COLUMNS)
        assert len(df) == sum(expected.values())
        assert df["worker_id"].is_unique
        by_code = {g["grid_code"]: g for g in r.grid_records}
        report = {c["id"]: c for c in r.report["communities"]}
        for c in r.communities:
            cid = c["id"]
            h = c["households"]
            rule = 6 + -(-(h - 2000) // 350) if h > 2000 else 6
            assert c["staffing_required"] == rule
            assert report[cid]["staffing"]["required"] == rule
            assert c["staffing_roster"] == expected[cid]
            mine = df[df["community"] == cid]
            given = [code for codes_ in mine["grid_codes"] for code in codes_]
            assert sorted(given) == sorted(codes[cid])  # every grid once, own community
            for code in given:
                assert by_code[code]["worker"] in set(mine["worker_id"])
            # The worker holding the last grid keeps it.
            assert by_code[codes[cid][-1]]["worker"] == f"{cid}-0"
            if expected[cid] >= len(codes[cid]):
                assert (mine["grids"] <= 1).all()
                idle = sorted(mine[mine["grids"] == 0]["worker_id"])
                assert sorted(report[cid]["staffing"]["surplus_ids"]) == idle
                assert len(idle) == expected[cid] - len(codes[cid])
            else:
                assert (mine["grids"] >= 1).all()
                assert report[cid]["staffing"]["surplus_ids"] == []
            assert mine["households"].sum() == h


def test_bad_roster_names_file_field_and_feature(tmp_path):
    roster = tmp_path / "dup.csv"
    roster.write_text("worker_id,community\nA,44007000101\nA,44007000102\n")
    with pytest.raises(gridpart.InputError,
                       match=r"dup.csv.*feature 2: field 'worker_id': worker id 'A' repeats"):
        run(workers=str(roster))
    roster = tmp_path / "unknown.csv"
    roster.write_text("worker_id,community\nA,nowhere\n")
    with pytest.raises(gridpart.InputError,
                       match=r"unknown.csv.*feature 1: field 'community'.*'nowhere'"):
        run(workers=str(roster))


def test_no_roster_empty_workers():
    with run(staffing="grid") as r:
        assert r.workers.empty
        assert all(g["worker"] is None for g in r.grid_records)
        assert all(c["staffing_required"] == c["grids"] for c in r.communities)
