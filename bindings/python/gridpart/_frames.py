# SPDX-License-Identifier: MIT
"""GeoDataFrames in and out without files (issue #14).

In: a GeoDataFrame given for communities, streets, households or barriers becomes the arrays the
C setters ``gp_inputs_set_*_wkb`` take: one WKB buffer with pointers into it, the sizes, feature
ids (row position + 1, the ids a GeoPackage written from the frame would get, so a run equals
the CLI's on that file) and the one field the run needs. Messages naming a memory layer's
feature are rewritten to name the frame and the row's index label.

Out: the plan's grids, blocks, problems and household assignment as (Geo)DataFrames, read with
the ``gp_plan_*`` accessors, in the output CRS (``gp_plan_crs_wkt``).
"""

from __future__ import annotations

import ctypes
import math
import re
from ctypes import byref, c_size_t, c_void_p
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

from . import _lib
from ._lib import lib

if TYPE_CHECKING:  # pragma: no cover
    import geopandas
    import numpy
    import pandas

def is_geoframe(value: Any) -> bool:
    """Whether value is a geopandas GeoDataFrame (without importing geopandas)."""
    return type(value).__name__ == "GeoDataFrame" and type(value).__module__.startswith(
        "geopandas")


class FrameError(ValueError):
    """A frame cannot be given to the library (no geometry, a missing column, a bad value)."""


def _label(frame: "pandas.DataFrame", pos: int) -> str:
    """How messages name row `pos` of a frame: its index label."""
    return repr(frame.index[pos]) if not isinstance(frame.index[pos], str) else frame.index[pos]


def wkb_list(geoms: "geopandas.GeoSeries") -> List[bytes]:
    """Each geometry as WKB bytes: shapely 2's vectorized writer, or with shapely 1.x one GEOS
    writer reused for every geometry (geopandas 0.12 makes one per geometry: 3x slower)."""
    import shapely
    if int(shapely.__version__.split(".")[0]) < 2:
        try:
            from shapely import geos
            writer = geos.WKBWriter(geos.lgeos)
            write, free, raw = geos.lgeos.GEOSWKBWriter_write, geos.lgeos.GEOSFree, writer._writer
            size = c_size_t()

            def one(g: Any) -> bytes:
                ptr = write(raw, g._geom, byref(size))
                try:
                    return ctypes.string_at(ptr, size.value)
                finally:
                    free(ptr)
            return [one(g) for g in geoms.values]
        except (AttributeError, ImportError):
            pass
    return list(geoms.to_wkb())


def wkb_reader() -> Callable[[bytes], Any]:
    """A function making a shapely geometry of WKB bytes, one GEOS reader reused."""
    import shapely
    from shapely import wkb as swkb
    if int(shapely.__version__.split(".")[0]) < 2:
        try:
            from shapely import geos
            return geos.WKBReader(geos.lgeos).read
        except (AttributeError, ImportError):
            pass
    return swkb.loads


class MemLayer:
    """A GeoDataFrame as the arrays one ``gp_inputs_set_<role>_wkb`` call takes (kept alive
    here until the call returns: the C library copies them)."""

    def __init__(self, role: str, frame: "geopandas.GeoDataFrame", field: Optional[str],
                 reals: Sequence[str] = ()):
        import numpy as np
        self.role = role
        self.frame = frame
        self.name = f"the {role} GeoDataFrame"
        n = len(frame)
        self.n = n
        geoms = frame.geometry
        missing = np.flatnonzero(geoms.isna().to_numpy())
        if missing.size:
            raise FrameError(f"{self.name}, row index {_label(frame, int(missing[0]))}: "
                             "no geometry")
        blobs = wkb_list(geoms) if n else []
        sizes = np.fromiter((len(b) for b in blobs), dtype=np.uintp, count=n)
        self._buf = ctypes.create_string_buffer(b"".join(blobs), int(sizes.sum()) or 1)
        base = ctypes.addressof(self._buf)
        offsets = np.zeros(n, dtype=np.uintp)
        if n > 1:
            np.cumsum(sizes[:-1], out=offsets[1:])
        self._ptrs = (offsets + np.uintp(base)).astype(np.uintp)
        self._sizes = sizes
        self._fids = np.arange(1, n + 1, dtype=np.int64)
        self.crs = frame.crs.to_wkt().encode() if frame.crs is not None else None
        self._field = None
        self._keep: List[Any] = []
        if role == "communities":
            self._field = self._texts(field, required=True)
        elif role == "streets" and field is not None:
            self._field = self._texts(field, required=False)
        elif role == "households" and field is not None:
            self._field = self._counts(field)
        # households' numeric columns that weights and residents read
        names = list(dict.fromkeys(r for r in reals if r is not None))
        self._real_names = (ctypes.c_char_p * max(len(names), 1))(
            *[n.encode() for n in names])
        columns = [self._reals(name) for name in names]
        self._keep.append(columns)
        self._real_values = (ctypes.POINTER(ctypes.c_double) * max(len(names), 1))(
            *[c.ctypes.data_as(ctypes.POINTER(ctypes.c_double)) for c in columns])
        self._n_reals = len(names)

    def _column(self, field: str) -> "pandas.Series":
        if field not in self.frame.columns:
            raise FrameError(f"{self.name}: no column {field!r} (columns: "
                             f"{', '.join(map(str, self.frame.columns))})")
        return self.frame[field]

    def _texts(self, field: str, required: bool) -> Any:
        """A column as a char*[] (None/NaN: NULL)."""
        values = []
        for pos, v in enumerate(self._column(field)):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                if required:
                    raise FrameError(f"{self.name}, row index {_label(self.frame, pos)}: "
                                     f"{field} is empty")
                values.append(None)
            elif isinstance(v, float) and v.is_integer():
                values.append(str(int(v)).encode())
            else:
                values.append(str(v).encode())
        self._keep.append(values)
        return (ctypes.c_char_p * max(len(values), 1))(*values)

    def _counts(self, field: str) -> Any:
        """A numeric column as int64 counts; a missing or fractional value is an error naming
        the row."""
        import numpy as np
        import pandas as pd
        col = pd.to_numeric(self._column(field), errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(col) | (col != np.floor(col)))
        if bad.size:
            pos = int(bad[0])
            raise FrameError(f"{self.name}, row index {_label(self.frame, pos)}: {field} "
                             f"{self.frame[field].iloc[pos]!r} is not a whole number")
        counts = col.astype(np.int64)
        self._keep.append(counts)
        return counts.ctypes.data_as(_lib.i64p)

    def _reals(self, field: str) -> "numpy.ndarray":
        """A numeric column as float64 (missing values NaN: null for the library, which
        names the feature when a weight meets one)."""
        import numpy as np
        import pandas as pd
        col = self._column(field)
        if not (pd.api.types.is_numeric_dtype(col) or col.isna().all()):
            raise FrameError(f"{self.name}: column {field!r} is not numeric (it holds "
                             f"{col.dtype})")
        return np.ascontiguousarray(col.to_numpy(dtype=np.float64, na_value=np.nan))

    def set(self, ctx: Any, inputs: Any) -> int:
        """Give the layer to the inputs; returns the C status."""
        ptrs = self._ptrs.ctypes.data_as(ctypes.POINTER(c_void_p))
        sizes = self._sizes.ctypes.data_as(ctypes.POINTER(c_size_t))
        fids = self._fids.ctypes.data_as(_lib.i64p)
        setter = getattr(lib, f"gp_inputs_set_{self.role}_wkb")
        if self.role == "barriers":
            return setter(ctx, inputs, self.n, ptrs, sizes, fids, self.crs)
        if self.role == "households" and self._n_reals:
            return lib.gp_inputs_set_households_wkb_fields(
                ctx, inputs, self.n, ptrs, sizes, fids, self._field, self._n_reals,
                self._real_names, self._real_values, self.crs)
        return setter(ctx, inputs, self.n, ptrs, sizes, fids, self._field, self.crs)

    def rename(self, message: str) -> str:
        """A C message naming this layer's memory copy, naming the frame instead: the path
        becomes the frame's name and "feature F" (F = row position + 1) its row index label."""
        pattern = re.compile(r"/vsimem/gridpart-input-[0-9-]+/" + self.role + r"\.gpkg(:\w+)?")
        if not pattern.search(message) and not message.startswith(self.role + ":"):
            return message
        message = pattern.sub(self.name, message)
        if message.startswith(self.role + ":"):
            message = self.name + message[len(self.role):]

        def row(m: "re.Match[str]") -> str:
            fid = int(m.group(2))
            if 1 <= fid <= self.n:
                return f"{m.group(1)}row index {_label(self.frame, fid - 1)}"
            return m.group(0)
        # "feature 17" / "feature 16 (id 17)" after the frame's name: the row's label
        message = re.sub(r"(\b)feature \d+ \(id (\d+)\)", row, message)
        message = re.sub(r"(\b)(?:feature|fid|FID) (\d+)", row, message)

        def rows(m: "re.Match[str]") -> str:
            fids = [int(x) for x in m.group(1).split(",")]
            if not all(1 <= fid <= self.n for fid in fids):
                return m.group(0)
            return "row index " + ", ".join(_label(self.frame, fid - 1) for fid in fids)
        return re.sub(r"feature ids (\d+(?:, \d+)*)", rows, message)


# ---- results as frames ----------------------------------------------------------------------

GRID_COLUMNS = ("grid_code", "community", "households", "workload", "blocks", "worker", "flags")
BLOCK_COLUMNS = ("block_id", "community", "grid_code", "households", "on_streets")
PROBLEM_COLUMNS = ("severity", "kind", "community", "grid_code", "blocks", "features", "message")


def crs_wkt(plan: Any) -> Optional[str]:
    """The plan's output CRS as WKT (gp_plan_crs_wkt), or None."""
    size = lib.gp_plan_crs_wkt_size(plan)
    if size == 0:
        return None
    buf = ctypes.create_string_buffer(size)
    ctx = _lib.context()
    if lib.gp_plan_crs_wkt(ctx, plan, buf, size) != 0:
        return None
    return buf.value.decode()


def wkb_blobs(plan: Any, count: int, size_fn: Callable, fill_fn: Callable
              ) -> List[Optional[bytes]]:
    """Shapes 0 .. count-1 as the WKB the plan holds (None without a shape): no geometry
    objects made, so a worker can ship them as they are."""
    ctx = _lib.context()
    blobs: List[Optional[bytes]] = []
    for i in range(count):
        size = size_fn(plan, i)
        if size == 0:
            blobs.append(None)
            continue
        buf = ctypes.create_string_buffer(size)
        if fill_fn(ctx, plan, i, buf, size) != 0:
            raise RuntimeError((lib.gp_context_last_error(ctx) or b"").decode())
        blobs.append(buf.raw)
    return blobs


def shapes(blobs: Sequence[Optional[bytes]]) -> List[Any]:
    """WKB as shapely geometries (None stays None), promoted to MultiPolygon when any is one,
    as the written layer declares them."""
    from shapely.geometry import MultiPolygon, Polygon
    read = wkb_reader()
    out = [None if b is None else read(b) for b in blobs]
    if any(isinstance(s, MultiPolygon) for s in out):
        out = [MultiPolygon([s]) if isinstance(s, Polygon) else s for s in out]
    return out


GRID_DTYPES = {"households": "int64", "workload": "float64", "blocks": "int32"}
BLOCK_DTYPES = {"block_id": "int64", "households": "int64", "on_streets": "int32"}
LAYER_DTYPES = {"grids": GRID_DTYPES, "blocks": BLOCK_DTYPES}


def grid_columns(plan: Any, records: Sequence[Dict[str, Any]], adjusted: bool,
                 extra: Sequence[str] = ()) -> Dict[str, List[Any]]:
    """The grids layer as plain columns: those of the CLI's `grids` layer (`change` only after
    adjust), then `extra`, then `wkb` (the shapes as the plan holds them)."""
    cols = list(GRID_COLUMNS) + (["change"] if adjusted else []) + list(extra)
    data = {c: [r[c] if c != "worker" else (r[c] or "") for r in records] for c in cols}
    data["wkb"] = wkb_blobs(plan, len(records), lib.gp_plan_grid_wkb_size, lib.gp_plan_grid_wkb)
    return data


def block_columns(plan: Any, community_ids: Sequence[str],
                  grid_codes: Sequence[str]) -> Dict[str, List[Any]]:
    """The blocks layer as plain columns (BLOCK_COLUMNS, then `wkb`)."""
    n = lib.gp_plan_block_count(plan)
    comm = [lib.gp_plan_block_community(plan, b) for b in range(n)]
    grid = [lib.gp_plan_block_grid(plan, b) for b in range(n)]
    return {
        "block_id": [lib.gp_plan_block_id(plan, b) for b in range(n)],
        "community": [community_ids[c] if c >= 0 else None for c in comm],
        "grid_code": [grid_codes[g] if g >= 0 else None for g in grid],
        "households": [lib.gp_plan_block_households(plan, b) for b in range(n)],
        "on_streets": [lib.gp_plan_block_on_streets(plan, b) for b in range(n)],
        "wkb": wkb_blobs(plan, n, lib.gp_plan_block_wkb_size, lib.gp_plan_block_wkb),
    }


def layer_frame(columns: Dict[str, List[Any]], crs: Optional[str],
                dtypes: Dict[str, str]) -> "geopandas.GeoDataFrame":
    """Plain columns (with `wkb`) as a GeoDataFrame: the dtypes given, the shapes decoded."""
    import geopandas as gpd
    import pandas as pd
    names = [c for c in columns if c != "wkb"]
    frame = pd.DataFrame({c: columns[c] for c in names}, columns=names)
    frame = frame.astype({c: t for c, t in dtypes.items() if c in frame.columns})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(shapes(columns["wkb"]),
                                                          index=frame.index), crs=crs)


def grids_frame(plan: Any, records: Sequence[Dict[str, Any]], adjusted: bool,
                extra: Sequence[str] = ()) -> "geopandas.GeoDataFrame":
    """The grids layer as a GeoDataFrame: the columns of the CLI's `grids` layer (`change` only
    after adjust) plus `extra`, in the output CRS."""
    return layer_frame(grid_columns(plan, records, adjusted, extra), crs_wkt(plan), GRID_DTYPES)


def blocks_frame(plan: Any, community_ids: Sequence[str],
                 grid_codes: Sequence[str]) -> "geopandas.GeoDataFrame":
    """The blocks layer as a GeoDataFrame (BLOCK_COLUMNS), in the output CRS."""
    return layer_frame(block_columns(plan, community_ids, grid_codes), crs_wkt(plan),
                       BLOCK_DTYPES)


def problems_frame(records: Sequence[Dict[str, Any]]) -> "pandas.DataFrame":
    """The problems as a DataFrame (PROBLEM_COLUMNS), one row per problem."""
    import pandas as pd
    return pd.DataFrame(list(records), columns=list(PROBLEM_COLUMNS))


def household_grids(plan: Any) -> "tuple[numpy.ndarray, numpy.ndarray]":
    """(feature ids ascending, grid index or -1) of every household feature the plan used."""
    import numpy as np
    n = lib.gp_plan_household_count(plan)
    fids = np.zeros(n, np.int64)
    grids = np.zeros(n, np.int32)
    ctx = _lib.context()
    status = lib.gp_plan_household_grids(ctx, plan, fids.ctypes.data_as(_lib.i64p),
                                         grids.ctypes.data_as(_lib.i32p), n)
    if status != 0:
        raise RuntimeError((lib.gp_context_last_error(ctx) or b"").decode())
    return fids, grids


def assignment(plan: Any, grid_codes: Sequence[str],
               households: Optional["pandas.DataFrame"]) -> "pandas.Series":
    """The grid code of every household feature as a Series named grid_code: indexed like the
    households frame when one was given (row position + 1 is the feature id), else by feature
    id. None for a feature outside every community or not used (a problem says why)."""
    import numpy as np
    import pandas as pd
    fids, grids = household_grids(plan)
    codes = np.array(list(grid_codes) + [None], dtype=object)
    values = codes[np.where(grids >= 0, grids, len(grid_codes))]
    if households is None:
        return pd.Series(values, index=pd.Index(fids, name="fid"), name="grid_code",
                         dtype=object)
    out = np.full(len(households), None, dtype=object)
    ok = (fids >= 1) & (fids <= len(households))
    out[fids[ok] - 1] = values[ok]
    return pd.Series(out, index=households.index, name="grid_code", dtype=object)
