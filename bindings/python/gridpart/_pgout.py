# SPDX-License-Identifier: MIT
"""gridpart.distributed's PostGIS output: each chunk in one transaction into staging tables,
then one transaction that drops the old `grids`/`blocks` and renames the staging tables in, so
readers see the old layers or the new ones, never half. Through osgeo.ogr (python3-gdal)."""

from __future__ import annotations

import uuid
from typing import Any, Dict

import gridpart

from . import _frames, _ogrout

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


class Staging:
    """Staging tables in ``out`` ("PG:CONNINFO") filled one chunk per transaction as chunks
    arrive (:meth:`add`), then swapped in for `grids` and `blocks` in one transaction
    (:meth:`commit`) or dropped (:meth:`abort`), leaving the old tables as they were."""

    def __init__(self, out: str, overwrite: bool) -> None:
        if not overwrite:
            refuse_existing(out)
        self.ds = _open(out)
        token = uuid.uuid4().hex[:10]
        self.names = {name: f"{name}_staging_{token}" for name in LAYERS}
        self.layers: Dict[str, Any] = {}

    def add(self, payload: Dict[str, Any]) -> None:
        """One chunk's grids and blocks, in one transaction."""
        from osgeo import ogr
        if not self.layers:
            self.layers = {name: _ogrout.create_layer(
                self.ds, self.names[name], payload[name], payload["crs"], ogr.wkbUnknown,
                ["GEOMETRY_NAME=geom", "FID=fid", "OVERWRITE=NO"], _frames.LAYER_DTYPES[name])
                for name in LAYERS}
        self.ds.StartTransaction()
        try:
            for name in LAYERS:
                _ogrout.insert(self.layers[name], payload[name])
        except BaseException:
            self.ds.RollbackTransaction()
            raise
        self.ds.CommitTransaction()

    def commit(self) -> None:
        """The staging tables become `grids` and `blocks` (the old ones dropped), at once."""
        self.layers = {}
        try:
            _swap(self.ds, self.names)
        except BaseException:
            self.abort()
            raise
        self.ds = None

    def abort(self) -> None:
        """Drop the staging tables; the old `grids` and `blocks` stay."""
        self.layers = {}
        for name in LAYERS:
            try:
                _execute(self.ds, f'DROP TABLE IF EXISTS "{self.names[name]}" CASCADE')
            except RuntimeError:
                pass
        self.ds = None
