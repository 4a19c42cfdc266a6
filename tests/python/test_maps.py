# SPDX-License-Identifier: MIT
"""Maps through the binding (issue #14): the whole-city sheets, the colour modes, and the
matplotlib example colouring touching grids differently."""
import importlib.util
import os
import re

import pytest

import gridpart

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEMO = os.path.join(ROOT, "examples", "data")


def demo(**kw):
    layer = lambda name: os.path.join(DEMO, name + ".gpkg")  # noqa: E731
    return gridpart.partition(layer("communities"), layer("streets"), layer("households"),
                              id_field="code", class_field="class", count_field="households",
                              **kw)


def grid_fills(svg):
    body = svg[svg.index('<g id="grids"'):]
    body = body[:body.index("</g>")]
    return re.findall(r'<path fill="(#[0-9a-f]{6})"', body)


def test_sheets_and_colour(tmp_path):
    maps = tmp_path / "maps"
    with demo(map_sheets=str(maps), map_colour="community", out=str(tmp_path / "g.gpkg")) as r:
        ids = [c["id"] for c in r.communities]
        assert sorted(os.listdir(maps)) == sorted(["overview.svg"] + [i + ".svg" for i in ids])
        sheet = (maps / (ids[0] + ".svg")).read_text()
        assert "Service grids of community %s</text>" % ids[0] in sheet
        assert len(set(grid_fills(sheet))) == 1  # one community, one colour
        overview = (maps / "overview.svg").read_text()
        assert all('<a href="%s.svg"' % i in overview for i in ids)
        # Result.write_map_sheets: an existing folder's files are kept unless overwrite
        with pytest.raises(gridpart.ArgumentError) as e:
            r.write_map_sheets(str(maps))
        assert "overview.svg" in e.value.message
        r.write_map_sheets(str(maps), overwrite=True, colour="grid")
        assert len(set(grid_fills((maps / (ids[0] + ".svg")).read_text()))) >= 2
        with pytest.raises(gridpart.ArgumentError) as e:
            r.write_map(str(tmp_path / "w.svg"), colour="worker")
        assert "roster" in e.value.message
        assert not (tmp_path / "w.svg").exists()
        with pytest.raises(gridpart.ArgumentError):
            r.write_map(str(tmp_path / "w.svg"), colour="purple")
        with pytest.raises(gridpart.GridpartIOError) as e:
            r.write_map_sheets(str(tmp_path / "absent" / "maps"))
        assert str(tmp_path / "absent" / "maps") in e.value.message


def test_example_colours_touching_grids_apart():
    spec = importlib.util.spec_from_file_location(
        "demo_map", os.path.join(ROOT, "examples", "python", "demo_map.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with demo() as r:
        grids = r.to_geopandas()
    colours = mod.greedy_colours(grids)
    pairs = 0
    for i, g in enumerate(grids.geometry):
        for j in grids.sindex.query(g, predicate="intersects"):
            if j > i:
                pairs += 1
                assert colours[i] != colours[j], (grids.grid_code[i], grids.grid_code[j])
    assert pairs >= len(grids)  # the demo's grids do touch: the check ran
    for _, group in grids.groupby("community"):
        if len(group) > 1:
            assert len({colours[k] for k in group.index}) > 1


def test_change_colours(tmp_path):
    """adjust's map coloured by change: kept grey, changed blue, new purple, as counted."""
    with demo(out=str(tmp_path / "prev.gpkg")):
        pass
    layer = lambda name: os.path.join(DEMO, name + ".gpkg")  # noqa: E731
    svg = tmp_path / "change.svg"
    with gridpart.adjust(str(tmp_path / "prev.gpkg") + ":grids", layer("communities"),
                         layer("streets"), layer("households"), id_field="code",
                         class_field="class", count_field="households", min=250, max=450,
                         map=str(svg), map_colour="change") as r:
        kinds = [g["change"] for g in r.grid_records]
    text = svg.read_text()
    body = text[text.index('<g id="grids"'):]
    body = body[:body.index("</g>")]
    tones = {"kept": {"#e3e3e3", "#cccccc", "#f2f2f2", "#d6d6d6"},
             "changed": {"#9ecae1", "#c6dbef", "#6baed6", "#b3d3ea"},
             "new": {"#d4b9da", "#e7d4e8", "#c994c7", "#dcc6e0"}}
    fills = re.findall(r'<path fill="(#[0-9a-f]{6})"[^>]*class="(\w+)"', body)
    assert len(fills) == len(kinds) and {k for _, k in fills} == set(kinds)
    assert all(f in tones[k] for f, k in fills)
    for kind in ("kept", "changed", "new"):
        n = kinds.count(kind)
        assert "%s grid</text>" % kind.capitalize() in text
        assert ">%d grids; tones tell touching ones apart<" % n in text
    with pytest.raises(gridpart.ArgumentError) as e:
        demo(map=str(tmp_path / "x.svg"), map_colour="change")
    assert "adjust" in e.value.message


def test_audit_sheets(tmp_path):
    """gridpart check's plan has sheets too: an audit's overview and one sheet per community."""
    with demo(out=str(tmp_path / "own.gpkg")) as r:
        ids = [c["id"] for c in r.communities]
    layer = lambda name: os.path.join(DEMO, name + ".gpkg")  # noqa: E731
    maps = tmp_path / "audit"
    with gridpart.check(str(tmp_path / "own.gpkg") + ":grids", layer("communities"),
                        layer("streets"), layer("households"), id_field="code",
                        class_field="class", count_field="households",
                        map_sheets=str(maps), map_colour="community") as a:
        assert a.hard_failures == 0
    assert sorted(os.listdir(maps)) == sorted(["overview.svg"] + [i + ".svg" for i in ids])
    assert "Service grids of 12 communities (audit): overview" in (maps / "overview.svg").read_text()
    assert "Service grids of community %s (audit)" % ids[3] in (maps / (ids[3] + ".svg")).read_text()
