# SPDX-License-Identifier: MIT
"""gridpart: divide city communities into service grids of 300-500 households along streets.

Python bindings (ctypes) over libgridpart. Two entry points:

- ``partition(communities=..., streets=..., households=..., out=...)`` runs the whole pipeline
  on GIS layers, like ``gridpart partition``, and returns a :class:`Result`;
- ``partition_graph(xadj, adjncy, households, ...)`` runs the optimizer alone on a CSR graph
  (numpy arrays or lists) and returns a :class:`GraphResult`.

Errors raise a :class:`GridpartError` subclass carrying the C status code and message.
"""

from __future__ import annotations

import ctypes
import functools
import inspect
import json
import os
import re
import tempfile
from ctypes import byref, c_double, c_int32, c_int64, c_void_p
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional,
                    Sequence, Tuple, Union)

from . import _frames, _lib
from ._lib import lib

if TYPE_CHECKING:  # pragma: no cover
    import geopandas
    import numpy
    import pandas

# A layer: "PATH[:LAYER]" text, a path-like or (for the four base layers) a GeoDataFrame.
PathLike = Union[str, bytes, "os.PathLike[str]"]
Layer = Union[str, bytes, "os.PathLike[str]", "geopandas.GeoDataFrame"]

__all__ = [
    "partition", "adjust", "partition_graph", "check", "Result", "GraphResult", "version",
    "GridpartError", "ArgumentError", "OutOfMemoryError", "GridpartIOError", "InputError",
    "CRSError", "GeometryError", "InfeasibleError", "CanceledError", "InternalError",
    "LimitError",
]

def version() -> str:
    """The loaded library's version.

    Returns
    -------
    str
        e.g. "0.3.0".
    """
    return lib.gp_version().decode()


__version__ = version()


# ---- errors ---------------------------------------------------------------------------------

class GridpartError(Exception):
    """A gridpart call failed. ``status`` is the C status code, ``message`` the context's text."""

    status = None

    def __init__(self, status, message):
        self.status = status
        self.message = message
        name = lib.gp_status_string(status).decode()
        super().__init__(f"{message} [{name}, status {status}]" if message else name)

    def __reduce__(self):
        # Pickled as (status, message), so it crosses processes (Dask workers) as itself.
        return (type(self), (self.status, self.message))


class ArgumentError(GridpartError, ValueError):
    """GP_ERR_ARG: an argument or option value is invalid."""


class OutOfMemoryError(GridpartError, MemoryError):
    """GP_ERR_NOMEM."""


class GridpartIOError(GridpartError, OSError):
    """GP_ERR_IO: a file could not be opened, read or written."""


class InputError(GridpartError, ValueError):
    """GP_ERR_INPUT: unusable input data (missing layer or field, bad value)."""


class CRSError(GridpartError):
    """GP_ERR_CRS: a coordinate reference system is missing or unusable."""


class GeometryError(GridpartError):
    """GP_ERR_GEOMETRY: the geometry engine failed on an input feature."""


class InfeasibleError(GridpartError):
    """GP_ERR_INFEASIBLE: no division meets the bounds."""


class CanceledError(GridpartError):
    """GP_ERR_CANCELED: the progress callback asked to stop."""


class InternalError(GridpartError):
    """GP_ERR_INTERNAL: an invariant failed (a bug: please report it)."""


class LimitError(GridpartError):
    """GP_ERR_LIMIT: the input is larger than the library supports."""


_ERRORS = {1: ArgumentError, 2: OutOfMemoryError, 3: GridpartIOError, 4: InputError,
           5: CRSError, 6: GeometryError, 7: InfeasibleError, 8: CanceledError,
           9: InternalError, 10: LimitError}


def _check(status, ctx=None):
    if status != 0:
        ctx = ctx if ctx is not None else _lib.context()
        message = (lib.gp_context_last_error(ctx) or b"").decode("utf-8", "replace")
        lib.gp_context_clear_error(ctx)
        raise _ERRORS.get(status, GridpartError)(status, message)


def _text(value, what="value"):
    """A str, bytes or os.PathLike as the bytes C wants; None stays None. Anything else (a
    number, a list) is a TypeError naming the parameter."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, (str, os.PathLike)):
        return os.fsencode(value)
    raise TypeError(f"{what}: expected a path or text (str, bytes or os.PathLike), "
                    f"not {type(value).__name__}")


# ---- owning wrappers ------------------------------------------------------------------------

class _Owner:
    """Owns one C handle; ``close()`` (or leaving a ``with`` block) frees it once."""

    _free = None

    def __init__(self, ptr):
        self._ptr = ptr

    @property
    def ptr(self):
        if not self._ptr:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._ptr

    def close(self):
        if self._ptr:
            type(self)._free(self._ptr)
            self._ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


# When the split stage may cut street blocks (gp_split_mode), as the CLI's --split names it.
SPLIT_MODES = {"never": 0, "oversize": 1, "needed": 2}
# What a run does with overlapping communities (gp_overlaps), as the CLI's --overlaps names it.
OVERLAP_RULES = {"error": 0, "first": 1}


class _Options(_Owner):
    """gp_options: the library's defaults, with what the caller gave (None: the default)."""

    _free = staticmethod(lib.gp_options_free)

    def __init__(self, min=None, max=None, target=None, grids=None, seed=None, threads=None,
                 effort=None, split=None, crs=None, overlaps=None, staffing=None,
                 time_limit=None):
        ptr = _lib.OptionsP()
        _check(lib.gp_options_new(byref(ptr)))
        super().__init__(ptr)
        ctx = _lib.context()
        try:
            if min is not None or max is not None:
                lo = lib.gp_options_get_min(ptr) if min is None else _whole(min, "min")
                hi = lib.gp_options_get_max(ptr) if max is None else _whole(max, "max")
                _check(lib.gp_options_set_target(ctx, ptr, 0), ctx)
                _check(lib.gp_options_set_bounds(ctx, ptr, lo, hi), ctx)
            if target is not None:
                _check(lib.gp_options_set_target(ctx, ptr, _whole(target, "target")), ctx)
            if grids is not None and grids != "auto":
                n = _whole(grids, "grids")
                if n < 1:
                    raise ArgumentError(1, "grids must be 'auto' or a whole number >= 1")
                _check(lib.gp_options_set_grid_count(ctx, ptr, n), ctx)
            if seed is not None:
                _check(lib.gp_options_set_seed(ctx, ptr, _whole(seed, "seed")), ctx)
            if threads is not None:
                _check(lib.gp_options_set_threads(ctx, ptr, _whole(threads, "threads")), ctx)
            if effort is not None:
                _check(lib.gp_options_set_effort(ctx, ptr, float(effort)), ctx)
            if time_limit is not None:
                _check(lib.gp_options_set_time_limit(ctx, ptr, float(time_limit)), ctx)
            if split is not None:
                if split not in SPLIT_MODES:
                    raise ArgumentError(1, "split must be one of %s, not %r"
                                        % (", ".join(SPLIT_MODES), split))
                _check(lib.gp_options_set_split(ctx, ptr, SPLIT_MODES[split]), ctx)
            if crs is not None:
                _check(lib.gp_options_set_work_crs(ctx, ptr, _text(crs, "crs")), ctx)
            if overlaps is not None:
                if overlaps not in OVERLAP_RULES:
                    raise ArgumentError(1, "overlaps must be one of %s, not %r"
                                        % (", ".join(OVERLAP_RULES), overlaps))
                _check(lib.gp_options_set_overlaps(ctx, ptr, OVERLAP_RULES[overlaps]), ctx)
            if staffing is not None:
                _check(lib.gp_options_set_staffing(ctx, ptr, _text(staffing, "staffing")), ctx)
        except BaseException:
            self.close()
            raise


def _whole(value, name):
    """An int from an int-like value; an ArgumentError naming the parameter otherwise."""
    if isinstance(value, bool) or not float(value).is_integer():
        raise ArgumentError(1, f"{name} must be a whole number, not {value!r}")
    return int(value)


def _progress_callback(progress):
    if progress is None:
        return _lib.PROGRESS_FN()

    def call(fraction, stage, user):
        try:
            return 1 if progress(fraction, (stage or b"").decode()) else 0
        except Exception:
            return 1  # an exception in the callback cancels the run
    return _lib.PROGRESS_FN(call)


# ---- the optimizer on graphs ----------------------------------------------------------------

def _array(values, ctype, n=None, name="array"):
    """A C array (and the numpy array keeping it alive) from a numpy array or a sequence.

    The values must fit the C type exactly: integer arrays take integers (or floats with whole
    values) within its range, never booleans, strings or fractions; real arrays take finite or
    infinite reals. A wrong shape or length is an ArgumentError naming the array."""
    if values is None:
        return None, None
    import numpy as np
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError) as e:
        raise ArgumentError(1, f"{name}: not an array of numbers ({e})") from None
    if raw.ndim != 1:
        raise ArgumentError(1, f"{name} must be one-dimensional, not of shape {raw.shape}")
    if n is not None and raw.shape[0] != n:
        raise ArgumentError(1, f"{name} has {raw.shape[0]} values, expected {n}")
    if raw.dtype == bool or not (np.issubdtype(raw.dtype, np.integer)
                                 or np.issubdtype(raw.dtype, np.floating)) and raw.size:
        raise ArgumentError(1, f"{name}: expected numbers, not values of type {raw.dtype}")
    if ctype in (c_int32, c_int64):
        dtype = np.int32 if ctype is c_int32 else np.int64
        info = np.iinfo(dtype)
        if raw.size and np.issubdtype(raw.dtype, np.floating):
            if not np.all(np.isfinite(raw)) or np.any(raw != np.floor(raw)):
                raise ArgumentError(1, f"{name}: expected whole numbers")
        if raw.size and (raw.min() < info.min or raw.max() > info.max):
            raise ArgumentError(1, f"{name}: a value is outside the range of {dtype.__name__}")
        arr = np.ascontiguousarray(raw, dtype=dtype)
    else:
        arr = np.ascontiguousarray(raw, dtype=np.float64)
    return arr.ctypes.data_as(ctypes.POINTER(ctype)), arr


class GraphResult:
    """A division of a graph (:func:`partition_graph`).

    Attributes
    ----------
    assignment : numpy.ndarray of int32
        The grid of each vertex.
    grids : list of dict
        Per grid: households, workload, vertices, polsby_popper.
    problems : list of dict
        Bounds that could not be met: kind, vertex, message.
    cut_cost, workload_ratio, mean_polsby_popper : float
        Summary statistics.
    households_moved, out_of_bounds : int
        Households moved from ``previous``; grids outside the bounds.
    """

    def __init__(self, part: Any) -> None:
        n = lib.gp_partition_vertex_count(part)
        ng = lib.gp_partition_grid_count(part)
        raw = lib.gp_partition_assignment(part)
        assignment = [raw[i] for i in range(n)]
        try:
            import numpy as np
            assignment = np.array(assignment, dtype=np.int32)
        except ImportError:
            pass
        self.assignment = assignment
        self.n_grids = ng
        self.grids = [
            {
                "households": lib.gp_partition_grid_households(part, g),
                "workload": lib.gp_partition_grid_workload(part, g),
                "vertices": lib.gp_partition_grid_vertices(part, g),
                "polsby_popper": lib.gp_partition_grid_polsby_popper(part, g),
            }
            for g in range(ng)
        ]
        self.cut_cost = lib.gp_partition_cut_cost(part)
        self.workload_ratio = lib.gp_partition_workload_ratio(part)
        self.mean_polsby_popper = lib.gp_partition_mean_polsby_popper(part)
        self.households_moved = lib.gp_partition_households_moved(part)
        self.out_of_bounds = lib.gp_partition_out_of_bounds(part)
        self.problems = [
            {
                "kind": lib.gp_partition_problem_kind(part, i),
                "vertex": lib.gp_partition_problem_vertex(part, i),
                "message": lib.gp_partition_problem_message(part, i).decode(),
            }
            for i in range(lib.gp_partition_problem_count(part))
        ]

    def __repr__(self):
        return (f"GraphResult(vertices={len(self.assignment)}, grids={self.n_grids}, "
                f"out_of_bounds={self.out_of_bounds}, problems={len(self.problems)})")


class _Graph(_Owner):
    _free = staticmethod(lib.gp_graph_free)


class _Partition(_Owner):
    _free = staticmethod(lib.gp_partition_free)


ArrayLike = Union[Sequence[float], "numpy.ndarray"]


def partition_graph(xadj: ArrayLike, adjncy: ArrayLike, households: ArrayLike, *,
                    border_length: Optional[ArrayLike] = None,
                    cut_cost: Optional[ArrayLike] = None, workload: Optional[ArrayLike] = None,
                    area: Optional[ArrayLike] = None, perimeter: Optional[ArrayLike] = None,
                    previous: Optional[ArrayLike] = None, min: Optional[int] = None,
                    max: Optional[int] = None, target: Optional[int] = None,
                    grids: Union[int, str, None] = None, seed: Optional[int] = None,
                    threads: Optional[int] = None, effort: Optional[float] = None,
                    progress: Optional[Callable[[float, str], Any]] = None,
                    time_limit: Optional[float] = None) -> GraphResult:
    """Divide a CSR graph (METIS layout) into contiguous grids of [min, max] households.

    Parameters
    ----------
    xadj : array_like of int
        n + 1 offsets into ``adjncy``, starting at 0, never decreasing.
    adjncy : array_like of int
        The neighbours of each vertex, ``xadj[-1]`` entries.
    households : array_like of int
        Households per vertex (n).
    border_length, cut_cost : array_like of float, optional
        Per edge, laid out like ``adjncy``: the shared border and the cost of cutting it.
    workload : array_like of float, optional
        Workload per vertex (default its households).
    area, perimeter : array_like of float, optional
        Per vertex, together: for the compactness (Polsby-Popper) of the grids.
    previous : array_like of int, optional
        A previous grid per vertex to stay close to.
    min, max : int, optional
        Households per grid (default 300 and 500).
    target : int, optional
        Households per grid to aim at.
    grids : int or "auto", optional
        The number of grids.
    seed : int, optional
        Seed of the search (default 1).
    threads : int, optional
        Threads (default one per core).
    effort : float, optional
        Search effort factor.
    progress : callable, optional
        ``progress(fraction, stage)``; returning True cancels the run.
    time_limit : float, optional
        Seconds; once they have passed the run stops, raising :class:`CanceledError` (no
        result; a run that ends within the limit gives exactly the grids it gives without).

    Returns
    -------
    GraphResult
        ``assignment`` (grid per vertex), ``grids`` (per-grid stats), ``problems``.
    """
    ctx = _lib.context()
    xadj_p, xadj_a = _array(xadj, c_int32, name="xadj")
    n = len(xadj_a) - 1
    if n < 0:
        raise ArgumentError(1, "xadj must hold n + 1 offsets")
    adj_p, adj_a = _array(adjncy, c_int32, name="adjncy")
    m = len(adj_a)
    # The C API reads xadj[n] neighbour ids from adjncy: its length must be exactly that.
    if xadj_a[0] != 0 or (n > 0 and (xadj_a[1:] < xadj_a[:-1]).any()):
        raise ArgumentError(1, "xadj must start at 0 and never decrease")
    if int(xadj_a[-1]) != m:
        raise ArgumentError(1, f"adjncy has {m} entries, but xadj[-1] = {int(xadj_a[-1])} "
                               "says it holds that many")
    hh_p, _hh = _array(households, c_int64, n, "households")
    keep = [xadj_a, adj_a, _hh]
    with _Options(min, max, target, grids, seed, threads, effort,
                  time_limit=time_limit) as opts:
        gptr = _lib.GraphP()
        _check(lib.gp_graph_new(ctx, n, xadj_p, adj_p if m else None, byref(gptr)), ctx)
        with _Graph(gptr) as graph:
            _check(lib.gp_graph_set_households(ctx, graph.ptr, hh_p), ctx)
            if workload is not None:
                p, a = _array(workload, c_double, n, "workload")
                keep.append(a)
                _check(lib.gp_graph_set_workload(ctx, graph.ptr, p), ctx)
            if border_length is not None or cut_cost is not None:
                bl, a1 = _array(border_length, c_double, m, "border_length")
                cc, a2 = _array(cut_cost, c_double, m, "cut_cost")
                keep += [a1, a2]
                _check(lib.gp_graph_set_edges(ctx, graph.ptr, bl, cc), ctx)
            if area is not None or perimeter is not None:
                if area is None or perimeter is None:
                    raise ArgumentError(1, "area and perimeter go together")
                ap, a1 = _array(area, c_double, n, "area")
                pp, a2 = _array(perimeter, c_double, n, "perimeter")
                keep += [a1, a2]
                _check(lib.gp_graph_set_shape(ctx, graph.ptr, ap, pp), ctx)
            if previous is not None:
                pv, a = _array(previous, c_int32, n, "previous")
                keep.append(a)
                _check(lib.gp_graph_set_previous(ctx, graph.ptr, pv), ctx)
            cb = _progress_callback(progress)
            _check(lib.gp_context_set_progress(ctx, cb, None), ctx)
            pptr = _lib.PartitionP()
            try:
                _check(lib.gp_graph_partition(ctx, graph.ptr, opts.ptr, byref(pptr)), ctx)
            finally:
                _check(lib.gp_context_set_progress(ctx, _lib.PROGRESS_FN(), None), ctx)
            with _Partition(pptr) as part:
                return GraphResult(part.ptr)


# ---- the pipeline ---------------------------------------------------------------------------

class _Inputs(_Owner):
    _free = staticmethod(lib.gp_inputs_free)


MAP_COLOURS = ("auto", "grid", "worker", "change", "community")


def _map_colour(name):
    """A map colour mode's gp_map_colour value (None: auto)."""
    if name is None:
        return 0
    if name not in MAP_COLOURS:
        raise ArgumentError(1, "map_colour must be one of %s, not %r"
                            % (", ".join(MAP_COLOURS[1:]), name))
    return MAP_COLOURS.index(name)


class _Outputs(_Owner):
    _free = staticmethod(lib.gp_outputs_free)

    def __init__(self, layers=None, format=None, report=None, map=None, overwrite=False,
                 gdal=None, map_sheets=None, map_colour=None):
        ptr = _lib.OutputsP()
        _check(lib.gp_outputs_new(byref(ptr)))
        super().__init__(ptr)
        ctx = _lib.context()
        try:
            _check(lib.gp_outputs_set_layers(ctx, ptr, _text(layers, "out"),
                                             _text(format, "format")), ctx)
            _check(lib.gp_outputs_set_report(ctx, ptr, _text(report, "report")), ctx)
            _check(lib.gp_outputs_set_map(ctx, ptr, _text(map, "map")), ctx)
            _check(lib.gp_outputs_set_map_sheets(ctx, ptr, _text(map_sheets, "map_sheets")),
                   ctx)
            _check(lib.gp_outputs_set_map_colour(ctx, ptr, _map_colour(map_colour)), ctx)
            _check(lib.gp_outputs_set_overwrite(ctx, ptr, 1 if overwrite else 0), ctx)
            _set_gdal_outputs(ctx, ptr, gdal)
        except BaseException:
            self.close()
            raise

    def write(self, plan):
        ctx = _lib.context()
        _check(lib.gp_plan_write_outputs(ctx, plan, self.ptr), ctx)


SEVERITIES = ("violation", "warning", "note")


def staffing_required(rule: str, households: int, residents: Optional[float] = None,
                      grids: int = 0) -> int:
    """Workers a community needs under a staffing rule.

    Parameters
    ----------
    rule : str
        As ``--staffing`` takes it: "zhejiang[:base=6,above=2000,per=350]",
        "per10k:N[,persons=2.6]", "grid".
    households : int
        The community's households.
    residents : float, optional
        Its residents (None: households x persons).
    grids : int
        Its grids.

    Returns
    -------
    int
        The workers required.
    """
    with _Options(staffing=rule) as opts:
        return lib.gp_staffing_required(opts.ptr, _whole(households, "households"),
                                        -1.0 if residents is None else float(residents),
                                        _whole(grids, "grids"))


WORKER_COLUMNS = ("worker_id", "community", "grid_codes", "grids", "households", "workload")


def _workers(plan, communities):
    """The plan's workers as a list of dicts (WORKER_COLUMNS), grid_codes a list."""
    out = []
    for w in range(lib.gp_plan_worker_count(plan)):
        codes = lib.gp_plan_worker_grid_codes(plan, w).decode()
        out.append({
            "worker_id": lib.gp_plan_worker_id(plan, w).decode(),
            "community": communities[lib.gp_plan_worker_community(plan, w)]["id"],
            "grid_codes": codes.split(",") if codes else [],
            "grids": lib.gp_plan_worker_grids(plan, w),
            "households": lib.gp_plan_worker_households(plan, w),
            "workload": lib.gp_plan_worker_workload(plan, w),
        })
    return out


def _ids(fn, plan, i):
    count = c_int32(0)
    ptr = fn(plan, i, byref(count))
    return [ptr[k] for k in range(count.value)] if ptr else []


def _problem(plan, i, communities):
    """Problem i of a plan as a dict: severity, kind, community, grid_code, blocks, features,
    message."""
    c = lib.gp_plan_problem_community(plan, i)
    code = lib.gp_plan_problem_grid_code(plan, i)
    return {
        "severity": SEVERITIES[lib.gp_plan_problem_severity(plan, i)],
        "kind": lib.gp_problem_kind_name(lib.gp_plan_problem_kind(plan, i)).decode(),
        "community": communities[c]["id"] if c >= 0 else None,
        "grid_code": code.decode() if code is not None else None,
        "blocks": _ids(lib.gp_plan_problem_blocks, plan, i),
        "features": _ids(lib.gp_plan_problem_features, plan, i),
        "message": lib.gp_plan_problem(plan, i).decode(),
    }


class Result(_Owner):
    """The grids of a run. Holds the C plan until ``close()`` (or the end of a ``with`` block).

    Attributes
    ----------
    grids : geopandas.GeoDataFrame
        The `grids` layer as the CLI writes it: grid_code, community, households (int64),
        workload, blocks (int32), worker ("" without one), flags, change (after
        :func:`adjust` only: "kept", "changed" or "new"), the polygons in the output CRS (the
        communities'); after :func:`check` also off_streets_m. Read from memory, no file.
    blocks : geopandas.GeoDataFrame
        The `blocks` layer: block_id, community, grid_code, households, on_streets.
    problems : pandas.DataFrame
        One row per problem: severity ("violation", "warning" or "note"), kind, community,
        grid_code, blocks, features (lists of ids), message; run-wide ones first.
    assignment : pandas.Series
        The grid code of every household feature (None: outside every community), indexed like
        the households GeoDataFrame given, else by feature id.
    report : dict
        The JSON report (as ``--report`` writes it).
    communities : list of dict
        One dict per community (id, households, grids, blocks, workload_ratio, split_blocks,
        staffing and adjust counts).
    workers : pandas.DataFrame
        The roster's workers and their grids.
    grid_records, problem_records : list of dict
        Deprecated (0.3): the grids and problems as lists of dicts, what ``grids`` and
        ``problems`` were before 0.3; ``violations`` is still such a list.
    out : str or None
        Where the layers were written.
    """

    _free = staticmethod(lib.gp_plan_free)

    def __init__(self, plan: Any, out: Any) -> None:
        super().__init__(plan)
        self.out = out
        self._households: Optional["pandas.DataFrame"] = None
        self._cache: Dict[str, Any] = {}
        self._grid_extra: List[str] = []
        nc = lib.gp_plan_community_count(plan)
        self.communities: List[Dict[str, Any]] = [
            {
                "id": lib.gp_plan_community_id(plan, c).decode(),
                "households": lib.gp_plan_community_households(plan, c),
                "grids": lib.gp_plan_community_grids(plan, c),
                "blocks": lib.gp_plan_community_blocks(plan, c),
                "workload_ratio": lib.gp_plan_community_workload_ratio(plan, c),
                "split_blocks": lib.gp_plan_community_split_blocks(plan, c),
                "staffing_required": lib.gp_plan_community_staffing_required(plan, c),
                "staffing_roster": lib.gp_plan_community_staffing_roster(plan, c),
            }
            for c in range(nc)
        ]
        self.grid_records: List[Dict[str, Any]] = [
            {
                "grid_code": lib.gp_plan_grid_code(plan, g).decode(),
                "community": self.communities[lib.gp_plan_grid_community(plan, g)]["id"],
                "households": lib.gp_plan_grid_households(plan, g),
                "workload": lib.gp_plan_grid_workload(plan, g),
                "blocks": lib.gp_plan_grid_blocks(plan, g),
                "flags": lib.gp_plan_grid_flags(plan, g).decode(),
                "change": lib.gp_plan_grid_change(plan, g).decode(),
                "worker": (lib.gp_plan_grid_worker(plan, g) or b"").decode() or None,
            }
            for g in range(lib.gp_plan_grid_count(plan))
        ]
        self.problem_records: List[Dict[str, Any]] = [
            _problem(plan, i, self.communities) for i in range(lib.gp_plan_problem_count(plan))]
        self.out_of_bounds = lib.gp_plan_out_of_bounds(plan)
        self.households_read = lib.gp_plan_households_read(plan)
        # Features read per input layer: with ``only`` or ``bbox``, fewer than the layers hold.
        self.features_read: Dict[str, int] = {
            name: lib.gp_plan_features_read(plan, i)
            for i, name in enumerate(("communities", "streets", "households", "barriers"))}
        self.households_outside = lib.gp_plan_households_outside(plan)
        self.extra_load_read = lib.gp_plan_extra_load_read(plan)
        self.extra_load_outside = lib.gp_plan_extra_load_outside(plan)
        # adjust: households whose grid code changed, and the previous codes no grid keeps.
        self.adjusted = bool(lib.gp_plan_is_adjust(plan))
        self.moved = lib.gp_plan_households_moved(plan)
        self.retired = [lib.gp_plan_retired_code(plan, i).decode()
                        for i in range(lib.gp_plan_retired_count(plan))]
        for c, community in enumerate(self.communities):
            community["households_moved"] = lib.gp_plan_community_households_moved(plan, c)
            for k, name in ((1, "kept"), (2, "changed"), (3, "new"), (4, "retired")):
                community["grids_" + name] = lib.gp_plan_community_grid_changes(plan, c, k)
        self._workers = _workers(plan, self.communities)

    def _cached(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key].copy()

    @property
    def grids(self) -> "geopandas.GeoDataFrame":
        """The `grids` layer as a GeoDataFrame (see the class doc), read from the plan."""
        return self._cached("grids", lambda: _frames.grids_frame(
            self.ptr, self.grid_records, self.adjusted, self._grid_extra))

    @property
    def blocks(self) -> "geopandas.GeoDataFrame":
        """The `blocks` layer as a GeoDataFrame: block_id, community, grid_code, households,
        on_streets (0 when a side is a cut through a street block), geometry."""
        return self._cached("blocks", lambda: _frames.blocks_frame(
            self.ptr, [c["id"] for c in self.communities],
            [g["grid_code"] for g in self.grid_records]))

    def layer_columns(self, layer: str) -> Dict[str, List[Any]]:
        """The `grids` or `blocks` layer as plain lists, one per column, the shapes as WKB
        bytes in a `wkb` column: what :attr:`grids` and :attr:`blocks` hold, without making
        a geometry object (cheap to pickle, ship to another process or write with OGR)."""
        if layer == "grids":
            return _frames.grid_columns(self.ptr, self.grid_records, self.adjusted,
                                        self._grid_extra)
        if layer == "blocks":
            return _frames.block_columns(self.ptr, [c["id"] for c in self.communities],
                                         [g["grid_code"] for g in self.grid_records])
        raise ValueError(f"layer must be 'grids' or 'blocks', not {layer!r}")

    @property
    def problems(self) -> "pandas.DataFrame":
        """The problems as a DataFrame: severity, kind, community, grid_code, blocks,
        features, message."""
        return self._cached("problems", lambda: _frames.problems_frame(self.problem_records))

    @property
    def assignment(self) -> "pandas.Series":
        """The grid code of every household feature, a Series named grid_code: indexed like
        the households GeoDataFrame given (row i is feature id i + 1), or by feature id when
        households were a path. None where a feature lies outside every community or was not
        used (a problem says why)."""
        return self._cached("assignment", lambda: _frames.assignment(
            self.ptr, [g["grid_code"] for g in self.grid_records], self._households))

    @property
    def crs(self) -> Optional[str]:
        """The output CRS (the communities') as WKT, or None."""
        return _frames.crs_wkt(self.ptr)

    @property
    def workers(self) -> pandas.DataFrame:
        """The roster's workers and their grids as a pandas DataFrame, one row per worker in
        community then id order: worker_id, community, grid_codes (a list; empty for a surplus
        worker), grids, households, workload. Empty without a roster."""
        import pandas as pd
        return pd.DataFrame(self._workers, columns=list(WORKER_COLUMNS))

    @property
    def violations(self) -> List[Dict[str, Any]]:
        """The problems that break a rule (a grid outside the bounds), as a list of dicts
        (``problems[problems.severity == "violation"]`` is the same as a DataFrame)."""
        return [p for p in self.problem_records if p["severity"] == "violation"]

    @property
    def report(self) -> Dict[str, Any]:
        """The JSON report (as ``--report`` writes it), parsed into a dict."""
        ctx = _lib.context()
        buf = c_void_p()
        _check(lib.gp_plan_report_json(ctx, self.ptr, byref(buf)), ctx)
        try:
            return json.loads(ctypes.string_at(buf).decode("utf-8"))
        finally:
            lib.gp_free(buf)

    def _wkb(self, size_fn: Callable, fill_fn: Callable, i: int) -> bytes:
        size = size_fn(self.ptr, i)
        if size == 0:
            raise IndexError(i)
        buf = ctypes.create_string_buffer(size)
        ctx = _lib.context()
        _check(fill_fn(ctx, self.ptr, i, buf, size), ctx)
        return buf.raw

    def grid_wkb(self, g: int) -> bytes:
        """Grid ``g``'s polygon as WKB.

        Parameters
        ----------
        g : int
            The grid's row in ``grids`` (0-based).

        Returns
        -------
        bytes
            The polygon in the output CRS (the communities'), the shape the `grids` layer
            gets; e.g. ``shapely.wkb.loads(result.grid_wkb(0))``.
        """
        return self._wkb(lib.gp_plan_grid_wkb_size, lib.gp_plan_grid_wkb, g)

    @property
    def block_count(self) -> int:
        """The number of street blocks (pieces of cut blocks included), in community order."""
        return lib.gp_plan_block_count(self.ptr)

    def block(self, b: int) -> Dict[str, Any]:
        """Block ``b`` (0-based, the row of ``blocks``) as a dict: block_id, community,
        grid_code, households, on_streets."""
        if not 0 <= b < self.block_count:
            raise IndexError(b)
        return {
            "block_id": lib.gp_plan_block_id(self.ptr, b),
            "community": self.communities[lib.gp_plan_block_community(self.ptr, b)]["id"],
            "grid_code": self.grid_records[lib.gp_plan_block_grid(self.ptr, b)]["grid_code"],
            "households": lib.gp_plan_block_households(self.ptr, b),
            "on_streets": lib.gp_plan_block_on_streets(self.ptr, b),
        }

    def block_wkb(self, b: int) -> bytes:
        """Block ``b``'s polygon (0-based, the row of ``blocks``) as WKB in the output CRS."""
        return self._wkb(lib.gp_plan_block_wkb_size, lib.gp_plan_block_wkb, b)

    def household_grids(self) -> Tuple["numpy.ndarray", "numpy.ndarray"]:
        """The grid of every household feature.

        Returns
        -------
        fids : numpy.ndarray of int64
            The feature ids, ascending.
        grids : numpy.ndarray of int32
            The row in ``grids`` of each (-1: outside every community). ``assignment`` gives
            the same as grid codes, indexed like the input.
        """
        return _frames.household_grids(self.ptr)

    def write(self, path: Optional[PathLike] = None, driver: Optional[str] = None, *,
              report: Optional[PathLike] = None, map: Optional[PathLike] = None,
              overwrite: bool = False, map_sheets: Optional[PathLike] = None,
              map_colour: Optional[str] = None,
              layer_options: Union[Mapping[str, Any], Sequence[str], str, None] = None,
              dataset_options: Union[Mapping[str, Any], Sequence[str], str, None] = None
              ) -> None:
        """Write the layers `grids` and `blocks` (and the report and map), all or nothing.

        Parameters
        ----------
        path : str or os.PathLike, optional
            The layers' target: a file, a folder or a connection string ("PG:dbname=city").
        driver : str, optional
            A GDAL vector driver name; default from the extension.
        report : str or os.PathLike, optional
            The JSON report's file.
        map : str or os.PathLike, optional
            The SVG map's file.
        overwrite : bool
            Replace gridpart's own existing layers and files (else they are an error).
        map_sheets : str or os.PathLike, optional
            A folder (made when missing) for the maps of a whole city: overview.svg and one
            printable sheet per community, ID.svg.
        map_colour : {"grid", "worker", "change", "community"}, optional
            What the maps' fills tell apart (None: worker with a roster, else grid).
        layer_options, dataset_options : dict or sequence of "KEY=VALUE", optional
            GDAL creation options of the layers and their dataset (ogr2ogr -lco, -dsco); one
            the driver lacks is an error.
        """
        gdal = {"layer_options": layer_options, "dataset_options": dataset_options}
        with _Outputs(path, driver, report, map, overwrite, gdal, map_sheets,
                      map_colour) as outputs:
            outputs.write(self.ptr)

    def write_report(self, path: PathLike, overwrite: bool = False) -> None:
        """Write the JSON report to ``path`` (see :meth:`write`)."""
        self.write(report=path, overwrite=overwrite)

    def write_map(self, path: PathLike, overwrite: bool = False,
                  colour: Optional[str] = None) -> None:
        """Write the SVG map to ``path`` (see :meth:`write`; ``colour`` is its map_colour)."""
        self.write(map=path, overwrite=overwrite, map_colour=colour)

    def write_map_sheets(self, folder: PathLike, overwrite: bool = False,
                         colour: Optional[str] = None) -> None:
        """The maps of a whole city in ``folder`` (made when missing): overview.svg, the
        communities coloured by grid count, and one printable sheet per community, ID.svg
        (see :meth:`write`; ``colour`` is its map_colour)."""
        self.write(map_sheets=folder, overwrite=overwrite, map_colour=colour)

    def to_geopandas(self, layer: str = "grids") -> "geopandas.GeoDataFrame":
        """The `grids` or `blocks` layer as a GeoDataFrame, from memory (no file).

        Parameters
        ----------
        layer : {"grids", "blocks"}
            Which layer.

        Returns
        -------
        geopandas.GeoDataFrame
            ``grids`` or ``blocks``.
        """
        if layer == "grids":
            return self.grids
        if layer == "blocks":
            return self.blocks
        raise ArgumentError(1, f"layer must be 'grids' or 'blocks', not {layer!r}")

    def __repr__(self) -> str:
        return (f"Result(communities={len(self.communities)}, grids={len(self.grid_records)}, "
                f"out_of_bounds={self.out_of_bounds}, problems={len(self.problem_records)})")


BALANCE_MODES = {"workload": 1, "households": 2}


def _ends_in_qgis_key(source):
    """Whether ``source`` ends in "|layername", "|layerid" or "|option:KEY": the '=' after it
    belongs to that QGIS-style part, not to a field."""
    if not isinstance(source, str) or "|" not in source:
        return False
    return re.fullmatch(r"[A-Za-z_]+(:[^:/\\=]*)?", source.rpartition("|")[2]) is not None


def split_extra_load(spec: Union[PathLike, Tuple[Any, Optional[str]]]
                     ) -> Tuple[bytes, Optional[bytes]]:
    """Split an extra load spec as the CLI does.

    Parameters
    ----------
    spec : str, os.PathLike or (source, field) pair
        ``"PATH[:LAYER][=FIELD]"``: the text after the last '=' is the field when it is a plain
        name (no ':', '/', '\\', '.', space or quote) and the whole spec is not an existing
        file.

    Returns
    -------
    (bytes, bytes or None)
        The source and the field (None: 1 per feature).
    """
    if isinstance(spec, (tuple, list)):
        if len(spec) != 2:
            raise ArgumentError(1, f"extra_load entries are 'PATH[:LAYER][=FIELD]' or "
                                   f"(source, field), not {spec!r}")
        return _text(spec[0], "extra_load"), (None if spec[1] is None
                                              else _text(spec[1], "extra_load field"))
    text = os.fspath(spec)
    head, eq, field = text.rpartition("=")
    if (not eq or not head or not field or any(c in field for c in ":/\\. \"'")
            or os.path.exists(text) or _ends_in_qgis_key(head)):
        return _text(text, "extra_load"), None
    return _text(head, "extra_load"), _text(field, "extra_load field")


def _set_layers(ctx: Any, inputs: Any, communities: Any, id_field: Optional[str],
                streets: Any, class_field: Optional[str], households: Any,
                count_field: Optional[str], barriers: Any) -> None:
    """The four layers every pipeline call reads, and their fields: each a source text or a
    layer held in memory (:class:`_frames.MemLayer`, its field already taken)."""
    def give(layer: Any, setter: Any, name: str, *fields: Tuple[Optional[str], str]) -> None:
        if isinstance(layer, _frames.MemLayer):
            _check(layer.set(ctx, inputs), ctx)
        else:
            _check(setter(ctx, inputs, _text(layer, name),
                          *[_text(f, what) for f, what in fields]), ctx)
    give(communities, lib.gp_inputs_set_communities, "communities", (id_field, "id_field"))
    give(streets, lib.gp_inputs_set_streets, "streets", (class_field, "class_field"))
    give(households, lib.gp_inputs_set_households, "households", (count_field, "count_field"))
    give(barriers, lib.gp_inputs_set_barriers, "barriers")


def _set_workload(ctx, inputs, opts, weights, extra_load, balance, max_workload):
    """The workload inputs and options of ``partition``."""
    for field, w in (weights or {}).items():
        try:
            w = float(w)
        except (TypeError, ValueError):
            raise ArgumentError(1, f"weight of field {field!r} must be a number, not {w!r}")
        _check(lib.gp_inputs_add_weight(ctx, inputs, _text(field, "weights"), w), ctx)
    if isinstance(extra_load, (str, bytes, os.PathLike)):
        extra_load = [extra_load]
    for spec in extra_load or []:
        source, field = split_extra_load(spec)
        _check(lib.gp_inputs_add_extra_load(ctx, inputs, source, field), ctx)
    if balance is not None:
        if balance not in BALANCE_MODES:
            raise ArgumentError(1, "balance must be one of %s, not %r"
                                % (", ".join(BALANCE_MODES), balance))
        _check(lib.gp_options_set_balance(ctx, opts, BALANCE_MODES[balance]), ctx)
    if max_workload is not None:
        _check(lib.gp_options_set_max_workload(ctx, opts, float(max_workload)), ctx)



# ---- GDAL conventions: open options, assumed CRS, creation options (0.3) ------------------

def _gdal_options(value, name):
    """KEY=VALUE strings from a dict, a list of "KEY=VALUE" strings or one such string."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [f"{k}={v}" for k, v in value.items()]
    elif isinstance(value, (str, bytes)):
        value = [value]
    return [_text(v, name) for v in value]


def _set_gdal_inputs(ctx, inputs, gdal):
    """``open_options`` for every input layer and ``assume_crs`` for those without a CRS."""
    gdal = gdal or {}
    _check(lib.gp_inputs_set_assume_crs(ctx, inputs, _text(gdal.get("assume_crs"),
                                                           "assume_crs")), ctx)
    for option in _gdal_options(gdal.get("open_options"), "open_options"):
        _check(lib.gp_inputs_add_open_option(ctx, inputs, option), ctx)


def _set_part(ctx, inputs, only, bbox):
    """``only`` (community ids) and ``bbox`` (minx, miny, maxx, maxy): a part of the input."""
    if only is not None:
        if isinstance(only, (str, bytes, int)):
            only = [only]
        ids = [_text(str(i) if isinstance(i, int) else i, "only") for i in only]
        array = (ctypes.c_char_p * (len(ids) + 1))(*ids)
        _check(lib.gp_inputs_set_only(ctx, inputs, array, len(ids)), ctx)
    if bbox is not None:
        try:
            box = [float(v) for v in bbox]
        except (TypeError, ValueError):
            raise ArgumentError(1, f"bbox must be 4 numbers (minx, miny, maxx, maxy), not {bbox!r}")
        if len(box) != 4:
            raise ArgumentError(1, f"bbox must be 4 numbers (minx, miny, maxx, maxy), not {bbox!r}")
        _check(lib.gp_inputs_set_bbox(ctx, inputs, *box), ctx)


def _set_gdal_outputs(ctx, outputs, gdal):
    """``layer_options`` and ``dataset_options``: GDAL creation options of the layers."""
    gdal = gdal or {}
    for option in _gdal_options(gdal.get("layer_options"), "layer_options"):
        _check(lib.gp_outputs_add_layer_option(ctx, outputs, option), ctx)
    for option in _gdal_options(gdal.get("dataset_options"), "dataset_options"):
        _check(lib.gp_outputs_add_dataset_option(ctx, outputs, option), ctx)




# ---- layers given as data frames ------------------------------------------------------------

def _is_frame(value: Any) -> bool:
    """A pandas DataFrame or geopandas GeoDataFrame (without importing either)."""
    return type(value).__module__.split(".")[0] in ("pandas", "geopandas") and hasattr(
        value, "to_csv")


# The field argument naming each in-memory layer's one field.
_MEMORY_FIELDS = {"communities": "id_field", "streets": "class_field",
                  "households": "count_field", "barriers": None}


class _Frames:
    """Layers given as data frames. A GeoDataFrame for communities, streets, households or
    barriers goes to the library from memory, as WKB arrays (:class:`_frames.MemLayer`; feature
    ids are row positions + 1, messages name the frame and row index label; households carry
    the numeric columns ``weights`` and ``residents_field`` read). The others (the previous or
    audited grids, the roster, extra loads) are written for the C library into a private
    temporary folder removed when the call returns: a GeoDataFrame as a GeoPackage layer
    (feature ids row positions + 1), a DataFrame (a roster) as CSV."""

    def __init__(self) -> None:
        self._dir: Optional[tempfile.TemporaryDirectory] = None
        self._names: Dict[str, str] = {}  # the copy's source text -> how messages name it
        self.memory: List[_frames.MemLayer] = []

    def __enter__(self) -> "_Frames":
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if self._dir is not None:
            self._dir.cleanup()
        if isinstance(error, GridpartError) and (self._names or self.memory):
            # Messages name the frame the caller gave, not the copy.
            message = error.message
            for source, name in self._names.items():
                message = message.replace(source, name)
                message = message.replace(source.rpartition(":")[0], name)
            for layer in self.memory:
                message = layer.rename(message)
            if message != error.message:
                raise type(error)(error.status, message) from None

    def in_memory(self, name: str, value: Any, field: Optional[str],
                  reals: Sequence[Optional[str]] = ()) -> Any:
        """A GeoDataFrame for one of the four base layers as a MemLayer (with the numeric
        columns `reals` for households); anything else as :meth:`source` gives it."""
        if not _frames.is_geoframe(value):
            return self.source(name, value)
        try:
            layer = _frames.MemLayer(name, value, field, [r for r in reals if r])
        except _frames.FrameError as e:
            raise InputError(4, str(e)) from None
        self.memory.append(layer)
        return layer

    def source(self, name: str, value: Any) -> Any:
        if not _is_frame(value):
            return value
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="gridpart-frames-")
        base = os.path.join(self._dir.name, f"{name}{len(os.listdir(self._dir.name))}")
        if hasattr(value, "geometry") and type(value).__name__ == "GeoDataFrame":
            value.to_file(base + ".gpkg", layer=name, driver="GPKG", index=False)
            source = f"{base}.gpkg:{name}"
            self._names[source] = f"the {name} GeoDataFrame"
        else:
            value.to_csv(base + ".csv", index=False)
            source = base + ".csv"
            self._names[source + ":" + os.path.basename(base)] = f"the {name} DataFrame"
        return source

    def extra_load(self, value: Any) -> Any:
        if value is None or isinstance(value, (str, bytes, os.PathLike)) or _is_frame(value):
            value = [] if value is None else [value]
        out = []
        for spec in value:
            if _is_frame(spec):
                out.append((self.source("extra_load", spec), None))
            elif isinstance(spec, (tuple, list)) and len(spec) == 2 and _is_frame(spec[0]):
                out.append((self.source("extra_load", spec[0]), spec[1]))
            else:
                out.append(spec)
        return out


def _frames_accepted(*names: str) -> Callable[[Callable[..., "Result"]], Callable[..., "Result"]]:
    """Let the layer arguments `names` of a pipeline call be (Geo)DataFrames too: the four
    base layers from memory, the others through temporary files. The result's
    ``assignment`` is indexed like a households frame."""
    def wrap(fn: Callable[..., "Result"]) -> Callable[..., "Result"]:
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> "Result":
            bound = sig.bind(*args, **kwargs)
            args_ = bound.arguments
            households = args_.get("households")
            # the households' columns weights and residents read, besides the count
            reals = list(args_.get("weights") or {}) + [args_.get("residents_field")]
            with _Frames() as frames:
                for name in names:
                    value = args_.get(name)
                    field = _MEMORY_FIELDS.get(name, "")
                    if name == "extra_load":
                        args_[name] = frames.extra_load(value)
                    elif field != "":
                        args_[name] = frames.in_memory(
                            name, value, args_.get(field, sig.parameters[field].default)
                            if field else None, reals if name == "households" else ())
                    else:
                        args_[name] = frames.source(name, value)
                result = fn(*bound.args, **bound.kwargs)
                for problem in result.problem_records:
                    for layer in frames.memory:
                        problem["message"] = layer.rename(problem["message"])
            if _is_frame(households):
                result._households = households
            return result
        return call
    return wrap


# Parameter documentation shared by partition, adjust and check (numpy style), put into their
# docstrings by _doc so that help() shows every parameter.
_DOC = {
    "LAYERS": """communities : str, os.PathLike or geopandas.GeoDataFrame
    The community polygons: ``"PATH[:LAYER]"`` (any GDAL source, e.g.
    ``"PG:dbname=city:communities"``) or a GeoDataFrame, given from memory (WKB, no file;
    feature ids are row positions + 1; messages name the frame and the row's index label).
streets : str, os.PathLike or geopandas.GeoDataFrame
    The street lines, as ``communities``.
households : str, os.PathLike or geopandas.GeoDataFrame
    The household points or building polygons, as ``communities``. ``Result.assignment`` is
    indexed like this frame.
out : str or os.PathLike, optional
    Where to write the layers `grids` and `blocks` (and `workers` with a roster); None: write
    nothing (the result holds them as GeoDataFrames).""",
    "FIELDS": """id_field : str
    The communities' id field (default "code"); grid codes start with the id.
class_field : str, optional
    The streets' class field; None: no classes.
count_field : str, optional
    The households' count field; None: one household per feature.
barriers : str, os.PathLike or geopandas.GeoDataFrame, optional
    Rivers, railways (lines or polygons) no grid crosses.""",
    "BOUNDS": """min, max : int, optional
    Households per grid (default 300 and 500).""",
    "RUN": """target : int, optional
    Households per grid to aim at (default the middle of the bounds).
grids : int or "auto", optional
    Grids per community ("auto": from the bounds).
seed : int, optional
    Seed of the search (default 1): the same seed gives the same grids on any thread count.
threads : int, optional
    Threads (default one per core).
effort : float, optional
    Search effort factor (default 1).
time_limit : float, optional
    Seconds, like ``--time-limit``: once they have passed (reading to assembling; writing is
    not counted) the run stops, raising :class:`CanceledError` with no result. A run that
    ends within the limit gives exactly the grids it gives without one.
split : {"never", "oversize", "needed"}, optional
    When street blocks may be cut (default "needed"; see ``gridpart partition --help``).""",
    "CRS": """crs : str, optional
    The metric working CRS (default: a UTM zone of the communities).
overlaps : {"error", "first"}, optional
    Overlapping communities refused (default), or given to the community whose id sorts
    first.""",
    "OUTPUTS": """format : str, optional
    The GDAL driver of ``out`` (default from the extension).
report : str or os.PathLike, optional
    Where to write the JSON report.
map : str or os.PathLike, optional
    Where to write the SVG map.
map_sheets : str or os.PathLike, optional
    A folder (made when missing) for the maps of a whole city: overview.svg (communities
    coloured by grid count, grids breaking a bound hatched) and one printable sheet per
    community, ID.svg.
map_colour : {"grid", "worker", "change", "community"}, optional
    What the maps' fills tell apart (default: worker with a roster, else grid; change only
    for adjust).
overwrite : bool
    Replace gridpart's own existing outputs (else an existing one is an error). Outputs are
    checked before any work and written all or nothing.
progress : callable, optional
    ``progress(fraction, stage)``, called as the run goes; returning True cancels it
    (:class:`CanceledError`).""",
    "STAFF": """staffing : str, optional
    A staffing rule as ``--staffing`` takes it: "zhejiang[:base=6,above=2000,per=350]",
    "per10k:N[,persons=2.6]" or "grid"; the workers each community needs are in
    ``Result.communities`` and the report.
residents_field : str, optional
    Residents per household feature (for per10k); a households GeoDataFrame's column
    goes from memory too.
workers : str, os.PathLike or pandas.DataFrame, optional
    The roster (worker_id, community, optional grid_code): every grid gets a worker of its
    community, listed in ``Result.workers``. A DataFrame goes through a temporary CSV.
worker_id_field, worker_community_field, worker_grid_field : str, optional
    The roster's field names, when not the defaults.""",
    "WORKLOAD": """weights : dict of str to float, optional
    Numeric household fields and their weights >= 0 (``{"elderly": 0.5}``): a grid's workload
    is its households + weight x field of its households (+ extra loads); a households
    GeoDataFrame's columns go from memory too.
extra_load : str, tuple or list of them, optional
    Layers of features making work, each ``"PATH[:LAYER][=FIELD]"``, a GeoDataFrame or a
    ``(source, field)`` pair (field None: 1 per feature); frames go through temporary files.
balance : {"workload", "households"}, optional
    What the grids balance (default workload when weights or extra loads are given).
max_workload : float, optional
    A hard cap on a grid's workload.""",
    "GDAL": """open_options : dict or sequence of "KEY=VALUE", optional
    GDAL open options for every input layer, as ogr2ogr -oo (e.g.
    ``{"X_POSSIBLE_NAMES": "lon", "Y_POSSIBLE_NAMES": "lat"}`` for a CSV of points). A
    layer is also ``"PATH|layername=NAME"`` or ``"PATH|layerid=N"`` as QGIS writes it,
    optionally with ``"|option:KEY=VALUE"`` parts (open options for that layer alone).
assume_crs : str, optional
    The CRS of input layers that have none (a CSV, a shapefile without .prj).
layer_options, dataset_options : dict or sequence of "KEY=VALUE", optional
    GDAL creation options of the layers written and their dataset (ogr2ogr -lco, -dsco); one
    the driver lacks is an error.""",
    "PART": """only : iterable of str, optional
    Divide only these communities (their ids, as the id field reads as text; a single str is
    one id). GDAL reads them with an attribute filter, and the streets, households and
    neighbouring communities within 100 m of them with a spatial filter, from files or
    PostGIS: parts run separately give the grids of one whole run (same codes, households and
    geometry). An id no community has is an error naming it. ``Result.features_read`` says how
    many features of each layer were read.
bbox : (minx, miny, maxx, maxy), optional
    Divide only the communities whose envelope's centre lies in this box (half-open: boxes
    tiling the plane share no community), in the communities' CRS, x first; with ``only``,
    a community must pass both.""",
    "RESULT": """Returns
-------
Result
    The grids: ``grids`` and ``blocks`` GeoDataFrames, ``problems`` DataFrame, ``report``
    dict, ``assignment`` Series (household -> grid code). Close it (or use ``with``) to free
    the plan.

Raises
------
GridpartError
    A subclass per C status (:class:`InputError`, :class:`CRSError`, ...), with the message
    naming the input at fault.""",
}


def _doc(fn: Callable) -> Callable:
    """Put the shared parameter sections (@NAME@ markers) into fn's docstring."""
    for key, text in _DOC.items():
        fn.__doc__ = fn.__doc__.replace(f"@{key}@", text.replace("\n", "\n    "))
    return fn


@_doc
@_frames_accepted("communities", "streets", "households", "barriers", "workers",
                  "extra_load")
def partition(communities: Layer, streets: Layer, households: Layer,
              out: Optional[PathLike] = None, *, id_field: str = "code",
              class_field: Optional[str] = None, count_field: Optional[str] = None,
              barriers: Optional[Layer] = None, min: Optional[int] = None,
              max: Optional[int] = None, target: Optional[int] = None,
              grids: Union[int, str, None] = None, seed: Optional[int] = None,
              threads: Optional[int] = None, effort: Optional[float] = None,
              split: Optional[str] = None, crs: Optional[str] = None,
              overlaps: Optional[str] = None, format: Optional[str] = None,
              report: Optional[PathLike] = None, map: Optional[PathLike] = None,
              overwrite: bool = False,
              progress: Optional[Callable[[float, str], Any]] = None,
              staffing: Optional[str] = None, residents_field: Optional[str] = None,
              workers: Union[PathLike, pandas.DataFrame, None] = None,
              worker_id_field: Optional[str] = None,
              worker_community_field: Optional[str] = None,
              worker_grid_field: Optional[str] = None,
              weights: Optional[Mapping[str, float]] = None, extra_load: Any = None,
              balance: Optional[str] = None,
              max_workload: Optional[float] = None,
              map_sheets: Optional[PathLike] = None,
              map_colour: Optional[str] = None,
              time_limit: Optional[float] = None,
              open_options: Union[Mapping[str, Any], Sequence[str], str, None] = None,
              assume_crs: Optional[str] = None,
              layer_options: Union[Mapping[str, Any], Sequence[str], str, None] = None,
              dataset_options: Union[Mapping[str, Any], Sequence[str], str, None] = None,
              only: Optional[Iterable[str]] = None,
              bbox: Optional[Sequence[float]] = None
              ) -> Result:
    """Divide communities into grids along streets, like ``gridpart partition``.

    Options left at None take the library's defaults (bounds 300-500, automatic grid count,
    seed 1, one thread per core, split "needed").

    Parameters
    ----------
    @LAYERS@
    @FIELDS@
    @BOUNDS@
    @RUN@
    @CRS@
    @OUTPUTS@
    @PART@
    @GDAL@
    @STAFF@
    @WORKLOAD@

    @RESULT@

    Examples
    --------
    >>> import geopandas as gpd, gridpart
    >>> layers = {k: gpd.read_file(f"examples/data/{k}.gpkg")
    ...           for k in ("communities", "streets", "households")}
    >>> with gridpart.partition(**layers, class_field="class",
    ...                         count_field="households") as result:
    ...     grids = result.grids              # a GeoDataFrame
    """
    return _pipeline(communities, streets, households, out, None, None, None, id_field=id_field,
                     class_field=class_field, count_field=count_field, barriers=barriers,
                     min=min, max=max, target=target, grids=grids, seed=seed, threads=threads,
                     effort=effort, split=split, crs=crs, overlaps=overlaps, format=format,
                     report=report, map=map, overwrite=overwrite, progress=progress,
                     staffing=staffing, residents_field=residents_field, workers=workers,
                     worker_id_field=worker_id_field,
                     worker_community_field=worker_community_field,
                     worker_grid_field=worker_grid_field, weights=weights,
                     extra_load=extra_load, balance=balance, max_workload=max_workload,
                     gdal=dict(open_options=open_options, assume_crs=assume_crs,
                               layer_options=layer_options, dataset_options=dataset_options),
                     map_sheets=map_sheets, map_colour=map_colour,
                     time_limit=time_limit, only=only, bbox=bbox)




@_doc
@_frames_accepted("previous", "communities", "streets", "households", "barriers",
                  "workers", "extra_load")
def adjust(previous: Layer, communities: Layer, streets: Layer, households: Layer,
           out: Optional[PathLike] = None, *, previous_code_field: Optional[str] = None,
           previous_community_field: Optional[str] = None, id_field: str = "code",
           class_field: Optional[str] = None, count_field: Optional[str] = None,
           barriers: Optional[Layer] = None, min: Optional[int] = None,
           max: Optional[int] = None, target: Optional[int] = None,
           grids: Union[int, str, None] = None, seed: Optional[int] = None,
           threads: Optional[int] = None, effort: Optional[float] = None,
           split: Optional[str] = None, crs: Optional[str] = None,
           overlaps: Optional[str] = None, format: Optional[str] = None,
           report: Optional[PathLike] = None, map: Optional[PathLike] = None,
           overwrite: bool = False, progress: Optional[Callable[[float, str], Any]] = None,
           staffing: Optional[str] = None, residents_field: Optional[str] = None,
           workers: Union[PathLike, pandas.DataFrame, None] = None,
           worker_id_field: Optional[str] = None, worker_community_field: Optional[str] = None,
           worker_grid_field: Optional[str] = None,
           weights: Optional[Mapping[str, float]] = None, extra_load: Any = None,
           balance: Optional[str] = None, max_workload: Optional[float] = None,
           map_sheets: Optional[PathLike] = None,
           map_colour: Optional[str] = None,
           time_limit: Optional[float] = None,
           open_options: Union[Mapping[str, Any], Sequence[str], str, None] = None,
           assume_crs: Optional[str] = None,
           layer_options: Union[Mapping[str, Any], Sequence[str], str, None] = None,
           dataset_options: Union[Mapping[str, Any], Sequence[str], str, None] = None,
           only: Optional[Iterable[str]] = None,
           bbox: Optional[Sequence[float]] = None
           ) -> Result:
    """Repair a previous division for changed inputs, like ``gridpart adjust``.

    A division that still holds is kept as it was; elsewhere the fewest households move. The
    result's grids carry ``change`` ("kept", "changed", "new"); ``moved`` counts households
    whose grid code changed and ``retired`` lists previous codes no grid keeps.

    Parameters
    ----------
    previous : str, os.PathLike or geopandas.GeoDataFrame
        The previous grids layer (``PATH[:LAYER]``): gridpart's own output or grids drawn by
        hand (any codes, any CRS). A GeoDataFrame goes through a temporary GeoPackage.
    @LAYERS@
    previous_code_field : str, optional
        The previous grids' code field (default "grid_code").
    previous_community_field : str, optional
        The field naming each previous grid's community (default: the community holding most
        of its area).
    @FIELDS@
    @BOUNDS@
    @RUN@
    @CRS@
    @OUTPUTS@
    @PART@
    @GDAL@
    @STAFF@
    @WORKLOAD@

    @RESULT@
    """
    return _pipeline(communities, streets, households, out, previous, previous_code_field,
                     previous_community_field, id_field=id_field, class_field=class_field,
                     count_field=count_field, barriers=barriers, min=min, max=max,
                     target=target, grids=grids, seed=seed, threads=threads, effort=effort,
                     split=split, crs=crs, overlaps=overlaps, format=format, report=report,
                     map=map, overwrite=overwrite, progress=progress, staffing=staffing,
                     residents_field=residents_field, workers=workers,
                     worker_id_field=worker_id_field,
                     worker_community_field=worker_community_field,
                     worker_grid_field=worker_grid_field, weights=weights,
                     extra_load=extra_load, balance=balance, max_workload=max_workload,
                     gdal=dict(open_options=open_options, assume_crs=assume_crs,
                               layer_options=layer_options, dataset_options=dataset_options),
                     map_sheets=map_sheets, map_colour=map_colour,
                     time_limit=time_limit, only=only, bbox=bbox)




def _pipeline(communities, streets, households, out, previous, previous_code_field,
              previous_community_field, *, id_field, class_field, count_field, barriers, min,
              max, target, grids, seed, threads, effort, split, crs, overlaps, format, report,
              map, overwrite, progress, staffing, residents_field, workers, worker_id_field,
              worker_community_field, worker_grid_field, weights, extra_load, balance,
              max_workload, gdal=None, map_sheets=None, map_colour=None,
              time_limit=None, only=None, bbox=None):
    """partition (previous None) or adjust."""
    ctx = _lib.context()
    outputs = None
    if out is not None or report is not None or map is not None or map_sheets is not None:
        outputs = _Outputs(out, format, report, map, overwrite, gdal, map_sheets, map_colour)
    try:
        with _Options(min, max, target, grids, seed, threads, effort, split, crs,
                      overlaps, staffing, time_limit=time_limit) as opts:
            iptr = _lib.InputsP()
            _check(lib.gp_inputs_new(byref(iptr)))
            with _Inputs(iptr) as inputs:
                _set_layers(ctx, inputs.ptr, communities, id_field, streets, class_field,
                            households, count_field, barriers)
                if previous is not None:
                    _check(lib.gp_inputs_set_previous(
                        ctx, inputs.ptr, _text(previous, "previous"),
                        _text(previous_code_field, "previous_code_field"),
                        _text(previous_community_field, "previous_community_field")), ctx)
                _check(lib.gp_inputs_set_residents_field(
                    ctx, inputs.ptr, _text(residents_field, "residents_field")), ctx)
                _check(lib.gp_inputs_set_workers(
                    ctx, inputs.ptr, _text(workers, "workers"),
                    _text(worker_id_field, "worker_id_field"),
                    _text(worker_community_field, "worker_community_field"),
                    _text(worker_grid_field, "worker_grid_field")), ctx)
                _set_workload(ctx, inputs.ptr, opts.ptr, weights, extra_load, balance,
                              max_workload)
                _set_gdal_inputs(ctx, inputs.ptr, gdal)
                _set_part(ctx, inputs.ptr, only, bbox)
                # Every output is checked before any work, against the inputs too.
                if outputs is not None:
                    _check(lib.gp_outputs_check(ctx, outputs.ptr, inputs.ptr), ctx)
                cb = _progress_callback(progress)
                _check(lib.gp_context_set_progress(ctx, cb, None), ctx)
                pptr = _lib.PlanP()
                try:
                    run = lib.gp_run if previous is None else lib.gp_adjust
                    _check(run(ctx, inputs.ptr, opts.ptr, byref(pptr)), ctx)
                finally:
                    _check(lib.gp_context_set_progress(ctx, _lib.PROGRESS_FN(), None), ctx)
        result = Result(pptr, out)
        try:
            if outputs is not None:
                outputs.write(result.ptr)
        except BaseException:
            result.close()
            raise
        return result
    finally:
        if outputs is not None:
            outputs.close()


@_doc
@_frames_accepted("grids", "communities", "streets", "households", "barriers")
def check(grids: Layer, communities: Layer, streets: Layer, households: Layer,
          out: Optional[PathLike] = None, *, grids_code_field: Optional[str] = None,
          grids_community_field: Optional[str] = None, id_field: str = "code",
          class_field: Optional[str] = None, count_field: Optional[str] = None,
          barriers: Optional[Layer] = None, min: Optional[int] = None,
          max: Optional[int] = None, crs: Optional[str] = None, overlaps: Optional[str] = None,
          format: Optional[str] = None, report: Optional[PathLike] = None,
          map: Optional[PathLike] = None, overwrite: bool = False,
          progress: Optional[Callable[[float, str], Any]] = None,
          map_sheets: Optional[PathLike] = None,
          map_colour: Optional[str] = None,
          open_options: Union[Mapping[str, Any], Sequence[str], str, None] = None,
          assume_crs: Optional[str] = None,
          layer_options: Union[Mapping[str, Any], Sequence[str], str, None] = None,
          dataset_options: Union[Mapping[str, Any], Sequence[str], str, None] = None,
          only: Optional[Iterable[str]] = None,
          bbox: Optional[Sequence[float]] = None
          ) -> Result:
    """Audit an existing grids layer, like ``gridpart check``.

    The result holds the audited grids with households recounted from ``households`` and
    flags (over_max, under_min, not_contiguous, crosses_community, overlaps, off_streets),
    each grid also with ``off_streets_m`` (a column of ``Result.grids``); problems as for a
    run; ``hard_failures`` (violations of hard rules: the CLI exits 1 when there are any) and
    ``households_no_grid``.

    Parameters
    ----------
    grids : str, os.PathLike or geopandas.GeoDataFrame
        Any polygon layer (``PATH[:LAYER]``, any CRS; one without a CRS is taken to be in the
        communities' CRS). A GeoDataFrame goes through a temporary GeoPackage.
    @LAYERS@
    grids_code_field : str, optional
        The grids' code field (default "grid_code").
    grids_community_field : str, optional
        The grids' community id field (default: the community holding most of its area).
    @FIELDS@
    @BOUNDS@
    @CRS@
    @OUTPUTS@
    @PART@
    @GDAL@

    @RESULT@
    """
    ctx = _lib.context()
    outputs = None
    gdal = dict(open_options=open_options, assume_crs=assume_crs, layer_options=layer_options,
                dataset_options=dataset_options)
    if out is not None or report is not None or map is not None or map_sheets is not None:
        outputs = _Outputs(out, format, report, map, overwrite, gdal, map_sheets, map_colour)
    try:
        with _Options(min, max, None, None, None, None, None, None, crs, overlaps) as opts:
            iptr = _lib.InputsP()
            _check(lib.gp_inputs_new(byref(iptr)))
            with _Inputs(iptr) as inputs:
                _set_layers(ctx, inputs.ptr, communities, id_field, streets, class_field,
                            households, count_field, barriers)
                _check(lib.gp_inputs_set_grids(ctx, inputs.ptr, _text(grids, "grids"),
                                               _text(grids_code_field, "grids_code_field"),
                                               _text(grids_community_field,
                                                     "grids_community_field")), ctx)
                _set_gdal_inputs(ctx, inputs.ptr, gdal)
                _set_part(ctx, inputs.ptr, only, bbox)
                if outputs is not None:
                    _check(lib.gp_outputs_check(ctx, outputs.ptr, inputs.ptr), ctx)
                cb = _progress_callback(progress)
                _check(lib.gp_context_set_progress(ctx, cb, None), ctx)
                pptr = _lib.PlanP()
                try:
                    _check(lib.gp_check(ctx, inputs.ptr, opts.ptr, byref(pptr)), ctx)
                finally:
                    _check(lib.gp_context_set_progress(ctx, _lib.PROGRESS_FN(), None), ctx)
        result = Result(pptr, out)
        try:
            result.hard_failures = lib.gp_plan_hard_failures(result.ptr)
            result.households_no_grid = lib.gp_plan_households_no_grid(result.ptr)
            for g, grid in enumerate(result.grid_records):
                grid["off_streets_m"] = lib.gp_plan_grid_off_streets(result.ptr, g)
            result._grid_extra = ["off_streets_m"]
            if outputs is not None:
                outputs.write(result.ptr)
        except BaseException:
            result.close()
            raise
        return result
    finally:
        if outputs is not None:
            outputs.close()


