# SPDX-License-Identifier: MIT
"""GDAL's conventions in the binding: open_options and assume_crs (a CSV of lon/lat households
gives the GeoPackage's grids), format/layer_options/dataset_options, QGIS-style sources."""

import os

import pytest

import gridpart

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEMO = os.path.join(ROOT, "examples", "data")
KW = dict(id_field="code", class_field="class", count_field="households")
LONLAT = {"X_POSSIBLE_NAMES": "lon", "Y_POSSIBLE_NAMES": "lat"}


def demo(name):
    return os.path.join(DEMO, name + ".gpkg")


def grids(result):
    return [(g["grid_code"], g["households"]) for g in result.grid_records]


@pytest.fixture(scope="module")
def baseline():
    with gridpart.partition(demo("communities"), demo("streets"), demo("households"),
                            **KW) as r:
        assert len(r.grids) > 0
        return grids(r)


@pytest.fixture
def csv(tmp_path):
    """The demo households as a CSV of lon/lat points (17 significant digits: the same
    doubles), without a CRS, as a city's address export would be."""
    from osgeo import ogr
    ds = ogr.Open(demo("households"))
    path = tmp_path / "pts.csv"
    with open(path, "w") as f:
        f.write("id,lon,lat,households\n")
        for feat in ds.GetLayer(0):
            g = feat.GetGeometryRef()
            f.write("%d,%.17g,%.17g,%d\n" % (feat.GetFID(), g.GetX(), g.GetY(),
                                             feat.GetField("households")))
    return str(path)


def test_csv_households_through_open_options_give_the_geopackage_grids(baseline, csv):
    for oo in (LONLAT, ["X_POSSIBLE_NAMES=lon", "Y_POSSIBLE_NAMES=lat"]):
        with gridpart.partition(demo("communities"), demo("streets"), csv, open_options=oo,
                                assume_crs="EPSG:4490", **KW) as r:
            assert grids(r) == baseline
    # the options of the CSV alone, QGIS style
    spec = csv + "|option:X_POSSIBLE_NAMES=lon|option:Y_POSSIBLE_NAMES=lat"
    with gridpart.partition(demo("communities"), demo("streets"), spec,
                            assume_crs="EPSG:4490", **KW) as r:
        assert grids(r) == baseline


def test_csv_without_crs_or_columns_says_what_to_give(csv):
    with pytest.raises(gridpart.CRSError) as e:
        gridpart.partition(demo("communities"), demo("streets"), csv, open_options=LONLAT,
                           **KW)
    assert "pts.csv:pts has no CRS" in e.value.message
    assert "--assume-crs" in e.value.message
    with pytest.raises(gridpart.InputError) as e:
        gridpart.partition(demo("communities"), demo("streets"), csv, assume_crs="EPSG:4490",
                           **KW)
    assert "has no geometry column" in e.value.message
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition(demo("communities"), demo("streets"), csv,
                           open_options={"X_POSIBLE_NAMES": "lon"}, **KW)
    assert "no GDAL vector driver has an open option 'X_POSIBLE_NAMES'" in e.value.message
    with pytest.raises(gridpart.CRSError):
        gridpart.partition(demo("communities"), demo("streets"), csv, open_options=LONLAT,
                           assume_crs="EPSG:99999999", **KW)


def test_qgis_sources_equal_path_colon_layer(baseline, tmp_path):
    with gridpart.partition(demo("communities") + "|layername=communities",
                            demo("streets") + "|layerid=0",
                            demo("households") + "|layername=households", **KW) as r:
        assert grids(r) == baseline
        out = str(tmp_path / "base.gpkg")
        r.write(out)
    with gridpart.check(out + "|layername=grids", demo("communities"), demo("streets"),
                        demo("households"), **KW) as a, \
            gridpart.check(out + ":grids", demo("communities"), demo("streets"),
                           demo("households"), **KW) as b:
        assert [(g["grid_code"], g["households"]) for g in a.grid_records] == \
            [(g["grid_code"], g["households"]) for g in b.grid_records] == baseline
    with gridpart.adjust(out + "|layername=grids", demo("communities"), demo("streets"),
                         demo("households"), **KW) as r:
        assert grids(r) == baseline
    assert gridpart.split_extra_load("a.gpkg|layername=shops") == (b"a.gpkg|layername=shops",
                                                                   None)
    assert gridpart.split_extra_load("a.gpkg|layername=shops=load") == (
        b"a.gpkg|layername=shops", b"load")
    assert gridpart.split_extra_load("a.csv|option:X_POSSIBLE_NAMES=lon") == (
        b"a.csv|option:X_POSSIBLE_NAMES=lon", None)


def test_format_and_creation_options_read_back_whole(baseline, tmp_path):
    import geopandas as gpd
    out = tmp_path / "city.geo"
    with gridpart.partition(demo("communities"), demo("streets"), demo("households"),
                            out=str(out), format="GeoJSON", layer_options={"RFC7946": "YES"},
                            **KW) as r:
        n_blocks = r.block_count
    got = gpd.read_file(out)
    assert list(zip(got["grid_code"], got["households"])) == baseline
    assert len(gpd.read_file(tmp_path / "city.blocks.geo")) == n_blocks
    assert '"crs"' not in out.read_text()[:500]
    shp = tmp_path / "shp"
    with gridpart.partition(demo("communities"), demo("streets"), demo("households"),
                            out=str(shp), layer_options=["ENCODING=UTF-8"], **KW) as r:
        r.write(str(tmp_path / "again.gpkg"), dataset_options={"VERSION": "1.2"})
    assert (shp / "grids.cpg").read_text() == "UTF-8"
    got = gpd.read_file(shp / "grids.shp")
    assert list(zip(got["grid_code"], got["households"])) == baseline
    assert len(gpd.read_file(shp / "blocks.shp")) == n_blocks
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition(demo("communities"), demo("streets"), demo("households"),
                           out=str(tmp_path / "x.shp"), layer_options={"ENCODNG": "UTF-8"},
                           **KW)
    assert "no layer creation option 'ENCODNG'" in e.value.message
    assert not (tmp_path / "x.shp").exists()
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition(demo("communities"), demo("streets"), demo("households"),
                           out=str(tmp_path / "x.gpkg"), dataset_options="VERSION=9", **KW)
    assert "VERSION takes one of AUTO" in e.value.message
