# SPDX-License-Identifier: MIT
"""gridpart.distributed's PostGIS output: each chunk in one transaction into staging tables,
then one transaction that drops the old `grids`/`blocks` and renames the staging tables in, so
readers see the old layers or the new ones, never half. Through osgeo.ogr (python3-gdal)."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Sequence

import gridpart

LAYERS = ("grids", "blocks")


def _open(out: str):
    from osgeo import gdal, ogr
    gdal.UseExceptions()
    try:
        ds = ogr.Open(out, update=1)
    except RuntimeError as e:
        raise gridpart.GridpartIOError(3, f"cannot open '{out}' for writing: {e}") from e
    if ds is None:
        raise gridpart.GridpartIOError(3, f"cannot open '{out}' for writing")
    return ds


def _exists(ds: Any, name: str) -> bool:
    sql = f"SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = '{name}'"
    result = ds.ExecuteSQL(sql)
    try:
        return result is not None and result.GetFeatureCount() > 0
    finally:
        if result is not None:
            ds.ReleaseResultSet(result)


def refuse_existing(out: str) -> None:
    """GridpartIOError when `grids` or `blocks` already exists in ``out``."""
    ds = _open(out)
    found = [name for name in LAYERS if _exists(ds, name)]
    if found:
        raise gridpart.GridpartIOError(3, f"'{out}' already has the table(s) {', '.join(found)} "
                                          "(overwrite=True replaces them)")


def _field_type(values: Sequence[Any]):
    from osgeo import ogr
    sample = next((v for v in values if v is not None), "")
    if isinstance(sample, bool):
        return ogr.OFTInteger
    if isinstance(sample, int):
        return ogr.OFTInteger64
    if isinstance(sample, float):
        return ogr.OFTReal
    return ogr.OFTString


def _create(ds: Any, name: str, columns: Dict[str, List[Any]], crs: Any):
    from osgeo import ogr, osr
    srs = None
    if crs is not None:
        srs = osr.SpatialReference()
        srs.SetFromUserInput(crs if isinstance(crs, str) else crs.to_wkt())
        srs.AutoIdentifyEPSG()
    layer = ds.CreateLayer(name, srs, ogr.wkbUnknown,
                           ["GEOMETRY_NAME=geom", "FID=fid", "OVERWRITE=NO"])
    if layer is None:
        raise gridpart.GridpartIOError(3, f"cannot create the staging table '{name}'")
    for column, values in columns.items():
        if column != "wkb":
            layer.CreateField(ogr.FieldDefn(column, _field_type(values)))
    return layer


def _insert(layer: Any, columns: Dict[str, List[Any]]) -> None:
    from osgeo import ogr
    names = [c for c in columns if c != "wkb"]
    defn = layer.GetLayerDefn()
    for row, wkb in enumerate(columns["wkb"]):
        feature = ogr.Feature(defn)
        for name in names:
            value = columns[name][row]
            if value is not None:
                feature.SetField(name, value)
        feature.SetGeometryDirectly(ogr.CreateGeometryFromWkb(bytes(wkb)))
        if layer.CreateFeature(feature) != 0:
            raise gridpart.GridpartIOError(3, f"cannot insert into '{layer.GetName()}'")


def _execute(ds: Any, sql: str) -> None:
    result = ds.ExecuteSQL(sql)
    if result is not None:
        ds.ReleaseResultSet(result)


def _swap(ds: Any, staging: Dict[str, str]) -> None:
    ds.StartTransaction()
    try:
        for name in LAYERS:
            _execute(ds, f'DROP TABLE IF EXISTS "{name}" CASCADE')
            _execute(ds, f'ALTER TABLE "{staging[name]}" RENAME TO "{name}"')
        ds.CommitTransaction()
    except BaseException:
        ds.RollbackTransaction()
        raise


def write(out: str, payloads: Sequence[Dict[str, Any]], overwrite: bool) -> None:
    """The chunks' grids and blocks into ``out`` (a "PG:CONNINFO"): one transaction per chunk
    into staging tables, then one swap; on any failure the staging tables are dropped and the
    old tables stay as they were."""
    ds = _open(out)
    if not overwrite:
        refuse_existing(out)
    token = uuid.uuid4().hex[:10]
    staging = {name: f"{name}_staging_{token}" for name in LAYERS}
    crs = next((p["crs"] for p in payloads if p["crs"]), None)
    try:
        layers = {name: _create(ds, staging[name], payloads[0][name], crs) for name in LAYERS}
        for payload in payloads:
            ds.StartTransaction()
            try:
                for name in LAYERS:
                    _insert(layers[name], payload[name])
            except BaseException:
                ds.RollbackTransaction()
                raise
            ds.CommitTransaction()
        layers = None
        _swap(ds, staging)
    except BaseException:
        for name in LAYERS:
            try:
                _execute(ds, f'DROP TABLE IF EXISTS "{staging[name]}" CASCADE')
            except RuntimeError:
                pass
        raise
    finally:
        ds = None
