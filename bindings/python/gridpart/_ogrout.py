# SPDX-License-Identifier: MIT
"""Layers written with osgeo.ogr (python3-gdal) straight from plain columns and WKB, as
:meth:`gridpart.Result.layer_columns` gives them: no geometry object is made, so the caller of a
distributed run writes a province's grids at GDAL's speed. Used for file outputs (a temporary
file renamed onto the target) and for PostGIS staging tables (:mod:`gridpart._pgout`)."""

from __future__ import annotations

import os
import struct
from typing import Any, Dict, List, Optional, Sequence

import gridpart

# Extensions whose driver is not ambiguous; others are looked up in GDAL's driver metadata.
_DRIVERS = {"gpkg": "GPKG", "sqlite": "SQLite", "shp": "ESRI Shapefile",
            "geojson": "GeoJSON", "json": "GeoJSON", "fgb": "FlatGeobuf"}
_MULTIPOLYGON = 6


_OGR_TYPES = {"int32": "OFTInteger", "int64": "OFTInteger64", "float64": "OFTReal"}


def field_type(values: Sequence[Any], dtype: Optional[str] = None):
    """The OGR field type of a column: the one of its declared dtype (int32, int64,
    float64), else of its first value that is not None."""
    from osgeo import ogr
    if dtype in _OGR_TYPES:
        return getattr(ogr, _OGR_TYPES[dtype])
    sample = next((v for v in values if v is not None), "")
    if isinstance(sample, bool):
        return ogr.OFTInteger
    if isinstance(sample, int):
        return ogr.OFTInteger64
    if isinstance(sample, float):
        return ogr.OFTReal
    return ogr.OFTString


def create_layer(ds: Any, name: str, columns: Dict[str, List[Any]], crs: Any, geom_type: int,
                 options: Sequence[str] = (), dtypes: Optional[Dict[str, str]] = None) -> Any:
    """Layer ``name`` in ``ds`` with a field per column (but `wkb`), typed as ``dtypes``
    declares (see :func:`field_type`), in ``crs`` (WKT, any user input OSR takes, or an
    object with to_wkt)."""
    from osgeo import ogr, osr
    srs = None
    if crs is not None:
        srs = osr.SpatialReference()
        srs.SetFromUserInput(crs if isinstance(crs, str) else crs.to_wkt())
        srs.AutoIdentifyEPSG()
    layer = ds.CreateLayer(name, srs, geom_type, list(options))
    if layer is None:
        raise gridpart.GridpartIOError(3, f"cannot create the layer '{name}'")
    for column, values in columns.items():
        if column != "wkb":
            kind = field_type(values, (dtypes or {}).get(column))
            layer.CreateField(ogr.FieldDefn(column, kind))
    return layer


def insert(layer: Any, columns: Dict[str, List[Any]], rows: Optional[Sequence[int]] = None,
           multi: bool = False) -> None:
    """Rows ``rows`` (all, in order, when None) of ``columns`` as features of ``layer``;
    ``multi`` makes every polygon a MultiPolygon (the layer declares MultiPolygon)."""
    from osgeo import ogr
    names = [c for c in columns if c != "wkb"]
    defn = layer.GetLayerDefn()
    wkbs = columns["wkb"]
    for row in range(len(wkbs)) if rows is None else rows:
        feature = ogr.Feature(defn)
        for name in names:
            value = columns[name][row]
            if value is not None:
                feature.SetField(name, value)
        if wkbs[row] is not None:
            geom = ogr.CreateGeometryFromWkb(bytes(wkbs[row]))
            feature.SetGeometryDirectly(ogr.ForceToMultiPolygon(geom) if multi else geom)
        if layer.CreateFeature(feature) != 0:
            raise gridpart.GridpartIOError(3, f"cannot write a feature into '{layer.GetName()}'")


def _wkb_type(blob: bytes) -> int:
    """The 2D geometry type code of a WKB (ISO Z/M and EWKB flags dropped)."""
    code = struct.unpack("<I" if blob[0] == 1 else ">I", blob[1:5])[0]
    return (code & 0x0FFFFFFF) % 1000


def has_multipolygon(columns: Dict[str, List[Any]]) -> bool:
    """Whether any shape of the column set is a MultiPolygon."""
    return any(b is not None and _wkb_type(b) == _MULTIPOLYGON for b in columns["wkb"])


def driver_name(path: str, driver: Optional[str]) -> str:
    """The OGR driver for ``path``: ``driver`` when given, else the one its extension names.
    The driver must write several layers into one dataset (grids and blocks)."""
    from osgeo import ogr
    if driver is None:
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        driver = _DRIVERS.get(ext)
        for i in range(ogr.GetDriverCount()):
            if driver is not None:
                break
            d = ogr.GetDriver(i)
            if ext and ext in (d.GetMetadataItem("DMD_EXTENSIONS") or "").split() and \
                    d.GetMetadataItem("DCAP_CREATE") == "YES":
                driver = d.GetName()
        if driver is None:
            raise gridpart.GridpartIOError(
                3, f"'{path}': no vector format writes '.{ext}' files (give format=)")
    d = ogr.GetDriverByName(driver)
    if d is None or d.GetMetadataItem("DCAP_CREATE") != "YES":
        raise gridpart.GridpartIOError(3, f"'{path}': GDAL cannot create {driver} datasets")
    if d.GetMetadataItem("DCAP_MULTIPLE_VECTOR_LAYERS") != "YES":
        raise gridpart.GridpartIOError(
            3, f"'{path}': {driver} holds one layer; the grids and blocks need a format with "
               "several (a GeoPackage, .gpkg)")
    return driver


def write_file(path: str, driver: str, layers: Dict[str, Dict[str, List[Any]]], crs: Any,
               rows: Dict[str, Sequence[int]], dtypes: Dict[str, Dict[str, str]]) -> None:
    """A new dataset at ``path`` holding each layer's ``rows`` of its columns (typed as
    ``dtypes[layer]`` declares), one transaction per layer where the format has them."""
    from osgeo import gdal, ogr
    gdal.UseExceptions()
    try:
        ds = ogr.GetDriverByName(driver).CreateDataSource(path)
    except RuntimeError as e:
        raise gridpart.GridpartIOError(3, f"cannot create '{path}': {e}") from e
    try:
        for name, columns in layers.items():
            multi = has_multipolygon(columns)
            geom_type = ogr.wkbMultiPolygon if multi else ogr.wkbPolygon
            layer = create_layer(ds, name, columns, crs, geom_type, (), dtypes.get(name))
            transactions = ds.TestCapability(ogr.ODsCTransactions)
            if transactions:
                ds.StartTransaction()
            insert(layer, columns, rows[name], multi)
            if transactions:
                ds.CommitTransaction()
    finally:
        ds = None
