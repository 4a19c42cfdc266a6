# SPDX-License-Identifier: MIT
"""gridpart.distributed with PostGIS in and out: Providence read from a throwaway server
(pgserver.sh `with` loads the three tables and sets GP_PG and PG*), divided by a LocalCluster
of 2 worker processes, written back; checked by SQL against the single-process run."""

import os
import subprocess

import geopandas as gpd
import pytest

import gridpart
import gridpart.distributed as gd

PG = os.environ.get("GP_PG")
SHARED = os.environ.get("GP_SHARED_DATA")
OPTIONS = dict(class_field="class", count_field="households", threads=1)


def sql(query):
    """One value per row, '|' between columns, through psql (PG* set by pgserver.sh)."""
    out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", query],
                         check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()


@pytest.fixture(scope="module")
def single():
    assert PG, "GP_PG is not set: run this under tests/postgis/pgserver.sh with"
    assert SHARED, "GP_SHARED_DATA is not set"
    data = os.path.join(SHARED, "providence", "clean")
    paths = [os.path.join(data, n + ".gpkg") for n in ("communities", "streets", "households")]
    with gridpart.partition(*paths, **OPTIONS) as r:
        return r.grids


@pytest.fixture(scope="module")
def client():
    with gd.local_client(2) as c:
        yield c


def inputs():
    return [f"{PG}:{t}" for t in ("communities", "streets", "households")]


def test_postgis_in_and_out_gives_the_single_process_grids(client, single):
    result = gd.partition(*inputs(), PG, client=client, chunk=5, **OPTIONS)
    assert len(result.chunks) == 8
    assert sql("SELECT count(*), count(DISTINCT grid_code), sum(households) FROM grids") == \
        [f"{len(single)}|{len(single)}|71188"]
    assert sql("SELECT DISTINCT ST_SRID(geom) FROM grids") == ["32619"]
    assert sql("SELECT DISTINCT ST_SRID(geom) FROM blocks") == ["32619"]
    assert sql("SELECT count(*) FROM blocks") == ["3014"]
    # No two grids share area (shared borders only).
    assert sql("SELECT count(*) FROM grids a JOIN grids b ON a.fid < b.fid AND a.geom && b.geom"
               " WHERE ST_Area(ST_Intersection(a.geom, b.geom)) > 1e-6") == ["0"]
    # No staging table is left.
    assert sql("SELECT count(*) FROM pg_tables WHERE tablename LIKE '%staging%'") == ["0"]
    back = _read_grids()
    a = single.sort_values("grid_code").reset_index(drop=True)
    b = back.sort_values("grid_code").reset_index(drop=True)
    assert list(a.grid_code) == list(b.grid_code)
    assert list(a.households) == list(b.households)
    assert list(a.community) == list(b.community)
    assert a.geometry.geom_equals_exact(b.geometry, 1e-6).all()


def _read_grids():
    """The grids table through OGR: grid_code, community, households, geometry."""
    from osgeo import ogr
    ds = ogr.Open(PG)
    layer = ds.GetLayerByName("grids")
    rows = [(f.GetField("grid_code"), f.GetField("community"), f.GetField("households"),
             bytes(f.GetGeometryRef().ExportToWkb())) for f in layer]
    frame = gpd.GeoDataFrame({"grid_code": [r[0] for r in rows],
                              "community": [r[1] for r in rows],
                              "households": [r[2] for r in rows]},
                             geometry=gpd.GeoSeries.from_wkb([r[3] for r in rows]))
    return frame


def test_existing_tables_are_refused_then_replaced_in_one_swap(client, single):
    """grids exists from the test above: refused without overwrite (nothing changes), replaced
    with it."""
    before = sql("SELECT count(*) FROM grids")
    with pytest.raises(gridpart.GridpartIOError, match="grids"):
        gd.partition(*inputs(), PG, client=client, chunk=5, **OPTIONS)
    assert sql("SELECT count(*) FROM grids") == before
    gd.partition(*inputs(), PG, client=client, chunk=13, overwrite=True, **OPTIONS)
    assert sql("SELECT count(*), count(DISTINCT grid_code) FROM grids") == \
        [f"{len(single)}|{len(single)}"]
    assert sql("SELECT count(*) FROM pg_tables WHERE tablename LIKE '%staging%'") == ["0"]


def test_a_failing_chunk_leaves_the_tables_as_they_were(client):
    """A chunk that keeps failing (a household count made negative): ChunkError, the old
    grids untouched, no staging table left."""
    before = sql("SELECT md5(string_agg(grid_code || ST_AsText(geom), ',' ORDER BY grid_code))"
                 " FROM grids")
    sql("CREATE TABLE households_bad AS SELECT * FROM households")
    sql("UPDATE households_bad SET households = -7 WHERE fid = 1000")
    bad = [f"{PG}:communities", f"{PG}:streets", f"{PG}:households_bad"]
    with pytest.raises(gd.ChunkError, match="-7 is negative"):
        gd.partition(*bad, PG, client=client, chunk=5, retries=1, overwrite=True, **OPTIONS)
    assert sql("SELECT md5(string_agg(grid_code || ST_AsText(geom), ',' ORDER BY grid_code))"
               " FROM grids") == before
    assert sql("SELECT count(*) FROM pg_tables WHERE tablename LIKE '%staging%'") == ["0"]


def test_keep_false_streams_chunks_into_postgis_and_holds_no_layers(client, single):
    """keep=False: each chunk goes into staging as it arrives and is let go; the tables get
    every grid all the same, and the result holds the merged report only."""
    result = gd.partition(*inputs(), PG, client=client, chunk=4, overwrite=True, keep=False,
                          **OPTIONS)
    assert result.grids is None and result.blocks is None
    assert result.report["totals"]["grids"] == len(single)
    assert len(result.report["communities"]) == 39
    assert sql("SELECT count(*), count(DISTINCT grid_code) FROM grids") == \
        [f"{len(single)}|{len(single)}"]
    assert sql("SELECT count(*) FROM blocks") == ["3014"]
