# SPDX-License-Identifier: MIT
"""gridpart: divide city communities into service grids of 300-500 households along streets.

Python bindings (ctypes) over libgridpart. Two entry points:

- ``partition(communities=..., streets=..., households=..., out=...)`` runs the whole pipeline
  on GIS layers, like ``gridpart partition``, and returns a :class:`Result`;
- ``partition_graph(xadj, adjncy, households, ...)`` runs the optimizer alone on a CSR graph
  (numpy arrays or lists) and returns a :class:`GraphResult`.

Errors raise a :class:`GridpartError` subclass carrying the C status code and message.
"""

import ctypes
import functools
import inspect
import json
import os
import tempfile
from ctypes import byref, c_double, c_int32, c_int64, c_void_p

from . import _lib
from ._lib import lib

__all__ = [
    "partition", "adjust", "partition_graph", "check", "Result", "GraphResult", "version",
    "GridpartError", "ArgumentError", "OutOfMemoryError", "GridpartIOError", "InputError",
    "CRSError", "GeometryError", "InfeasibleError", "CanceledError", "InternalError",
    "LimitError",
]

def version():
    """The loaded library's version string."""
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
    """A division of a graph: ``assignment`` (grid id per vertex), ``grids`` (per-grid stats),
    ``problems`` (bounds that could not be met, with vertex ids) and summary statistics."""

    def __init__(self, part):
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


def partition_graph(xadj, adjncy, households, *, border_length=None, cut_cost=None,
                    workload=None, area=None, perimeter=None, previous=None, min=None,
                    max=None, target=None, grids=None, seed=None, threads=None, effort=None,
                    progress=None, time_limit=None):
    """Divide a CSR graph (METIS layout) into contiguous grids of [min, max] households.

    ``xadj`` has n + 1 offsets and ``adjncy`` the neighbours; ``households`` one count per
    vertex. Optional per-edge ``border_length`` and ``cut_cost`` (laid out like adjncy),
    per-vertex ``workload``, ``area`` and ``perimeter``, and a ``previous`` assignment to stay
    close to. ``progress(fraction, stage)`` may return True to cancel; ``time_limit`` (seconds)
    stops the run once it has passed, raising CanceledError (no result). Returns a GraphResult.
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


class _Outputs(_Owner):
    _free = staticmethod(lib.gp_outputs_free)

    def __init__(self, layers=None, format=None, report=None, map=None, overwrite=False):
        ptr = _lib.OutputsP()
        _check(lib.gp_outputs_new(byref(ptr)))
        super().__init__(ptr)
        ctx = _lib.context()
        try:
            _check(lib.gp_outputs_set_layers(ctx, ptr, _text(layers, "out"),
                                             _text(format, "format")), ctx)
            _check(lib.gp_outputs_set_report(ctx, ptr, _text(report, "report")), ctx)
            _check(lib.gp_outputs_set_map(ctx, ptr, _text(map, "map")), ctx)
            _check(lib.gp_outputs_set_overwrite(ctx, ptr, 1 if overwrite else 0), ctx)
        except BaseException:
            self.close()
            raise

    def write(self, plan):
        ctx = _lib.context()
        _check(lib.gp_plan_write_outputs(ctx, plan, self.ptr), ctx)


SEVERITIES = ("violation", "warning", "note")


def staffing_required(rule, households, residents=None, grids=0):
    """Workers a community needs under a staffing rule (as ``--staffing`` takes it:
    "zhejiang[:base=6,above=2000,per=350]", "per10k:N[,persons=2.6]", "grid"), for its
    households, residents (None: households x persons) and grids."""
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

    ``grids``: one dict per grid (grid_code, community, households, workload, blocks, flags,
    change: "kept", "changed" or "new" after :func:`adjust`, else "");
    ``communities``: one dict per community (id, households, grids, blocks, workload_ratio,
    split_blocks: street blocks the split stage cut);
    ``workers``: the roster's workers and their grids (a pandas DataFrame);
    ``problems``: one dict per problem (severity "violation", "warning" or "note"; kind;
    community; grid_code; blocks; features; message), run-wide ones first;
    ``report``: the JSON report as a dict; ``out``: where the layers were written;
    ``grid_wkb(g)``, ``block(b)``, ``block_wkb(b)`` and ``household_grids()`` read the shapes
    and each household feature's grid straight from the plan (0.3).
    After :func:`adjust`: ``moved`` (households whose grid code changed), ``retired`` (previous
    codes no grid keeps), and per community households_moved, grids_kept, grids_changed,
    grids_new, grids_retired.
    """

    _free = staticmethod(lib.gp_plan_free)

    def __init__(self, plan, out):
        super().__init__(plan)
        self.out = out
        nc = lib.gp_plan_community_count(plan)
        self.communities = [
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
        self.grids = [
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
        self.problems = [_problem(plan, i, self.communities)
                         for i in range(lib.gp_plan_problem_count(plan))]
        self.out_of_bounds = lib.gp_plan_out_of_bounds(plan)
        self.households_read = lib.gp_plan_households_read(plan)
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

    @property
    def workers(self):
        """The roster's workers and their grids as a pandas DataFrame, one row per worker in
        community then id order: worker_id, community, grid_codes (a list; empty for a surplus
        worker), grids, households, workload. Empty without a roster."""
        import pandas as pd
        return pd.DataFrame(self._workers, columns=list(WORKER_COLUMNS))

    @property
    def violations(self):
        """The problems that break a rule (a grid outside the bounds)."""
        return [p for p in self.problems if p["severity"] == "violation"]

    @property
    def report(self):
        """The JSON report (as ``--report`` writes it), parsed."""
        ctx = _lib.context()
        buf = c_void_p()
        _check(lib.gp_plan_report_json(ctx, self.ptr, byref(buf)), ctx)
        try:
            return json.loads(ctypes.string_at(buf).decode("utf-8"))
        finally:
            lib.gp_free(buf)

    def _wkb(self, size_fn, fill_fn, i):
        size = size_fn(self.ptr, i)
        if size == 0:
            raise IndexError(i)
        buf = ctypes.create_string_buffer(size)
        ctx = _lib.context()
        _check(fill_fn(ctx, self.ptr, i, buf, size), ctx)
        return buf.raw

    def grid_wkb(self, g):
        """Grid ``g``'s polygon as WKB bytes in the output CRS (the communities'), the shape the
        `grids` layer gets; e.g. ``shapely.wkb.loads(result.grid_wkb(0))``."""
        return self._wkb(lib.gp_plan_grid_wkb_size, lib.gp_plan_grid_wkb, g)

    @property
    def block_count(self):
        """The number of street blocks (pieces of cut blocks included), in community order."""
        return lib.gp_plan_block_count(self.ptr)

    def block(self, b):
        """Block ``b`` as a dict: block_id, community, grid_code, households, on_streets."""
        if not 0 <= b < self.block_count:
            raise IndexError(b)
        return {
            "block_id": lib.gp_plan_block_id(self.ptr, b),
            "community": self.communities[lib.gp_plan_block_community(self.ptr, b)]["id"],
            "grid_code": self.grids[lib.gp_plan_block_grid(self.ptr, b)]["grid_code"],
            "households": lib.gp_plan_block_households(self.ptr, b),
            "on_streets": lib.gp_plan_block_on_streets(self.ptr, b),
        }

    def block_wkb(self, b):
        """Block ``b``'s polygon as WKB bytes in the output CRS."""
        return self._wkb(lib.gp_plan_block_wkb_size, lib.gp_plan_block_wkb, b)

    def household_grids(self):
        """The grid of every household feature: two numpy arrays, the feature ids (ascending)
        and the index into ``grids`` of each (-1: outside every community)."""
        import numpy as np
        n = lib.gp_plan_household_count(self.ptr)
        fids = np.zeros(n, np.int64)
        grids = np.zeros(n, np.int32)
        ctx = _lib.context()
        _check(lib.gp_plan_household_grids(
            ctx, self.ptr, fids.ctypes.data_as(_lib.i64p), grids.ctypes.data_as(_lib.i32p), n),
            ctx)
        return fids, grids

    def write(self, path=None, driver=None, *, report=None, map=None, overwrite=False):
        """Write the layers `grids` and `blocks` to ``path`` (and the ``report`` and ``map``
        files), all or nothing. An existing layer or file is an error unless ``overwrite``;
        only gridpart's own layers and files are ever replaced."""
        with _Outputs(path, driver, report, map, overwrite) as outputs:
            outputs.write(self.ptr)

    def write_report(self, path, overwrite=False):
        self.write(report=path, overwrite=overwrite)

    def write_map(self, path, overwrite=False):
        self.write(map=path, overwrite=overwrite)

    def to_geopandas(self, layer="grids"):
        """The `grids` (or `blocks`) layer as a GeoDataFrame (needs geopandas)."""
        import geopandas as gpd
        if self.out is not None and str(self.out).lower().endswith(".gpkg"):
            return gpd.read_file(self.out, layer=layer)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "plan.gpkg")
            self.write(path)
            return gpd.read_file(path, layer=layer)

    def __repr__(self):
        return (f"Result(communities={len(self.communities)}, grids={len(self.grids)}, "
                f"out_of_bounds={self.out_of_bounds}, problems={len(self.problems)})")


BALANCE_MODES = {"workload": 1, "households": 2}


def split_extra_load(spec):
    """``"PATH[:LAYER][=FIELD]"`` -> (source, field or None), as the CLI splits it: the text
    after the last '=' is the field when it is a plain name (no ':', '/', '\\', '.', space or
    quote) and the whole spec is not an existing file."""
    if isinstance(spec, (tuple, list)):
        if len(spec) != 2:
            raise ArgumentError(1, f"extra_load entries are 'PATH[:LAYER][=FIELD]' or "
                                   f"(source, field), not {spec!r}")
        return _text(spec[0], "extra_load"), (None if spec[1] is None
                                              else _text(spec[1], "extra_load field"))
    text = os.fspath(spec)
    head, eq, field = text.rpartition("=")
    if (not eq or not head or not field or any(c in field for c in ":/\\. \"'")
            or os.path.exists(text)):
        return _text(text, "extra_load"), None
    return _text(head, "extra_load"), _text(field, "extra_load field")


def _set_layers(ctx, inputs, communities, id_field, streets, class_field, households,
                count_field, barriers):
    """The four layers every pipeline call reads, and their fields."""
    _check(lib.gp_inputs_set_communities(ctx, inputs, _text(communities, "communities"),
                                         _text(id_field, "id_field")), ctx)
    _check(lib.gp_inputs_set_streets(ctx, inputs, _text(streets, "streets"),
                                     _text(class_field, "class_field")), ctx)
    _check(lib.gp_inputs_set_households(ctx, inputs, _text(households, "households"),
                                        _text(count_field, "count_field")), ctx)
    _check(lib.gp_inputs_set_barriers(ctx, inputs, _text(barriers, "barriers")), ctx)


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



# ---- layers given as data frames ------------------------------------------------------------

def _is_frame(value):
    """A pandas DataFrame or geopandas GeoDataFrame (without importing either)."""
    return type(value).__module__.split(".")[0] in ("pandas", "geopandas") and hasattr(
        value, "to_csv")


class _Frames:
    """Layers given as data frames, written for the C library into a private temporary folder
    removed when the call returns: a GeoDataFrame as a GeoPackage layer (its CRS kept; feature
    ids in messages are row positions + 1), a DataFrame without geometry (a roster) as CSV."""

    def __init__(self):
        self._dir = None
        self._names = {}  # the copy's source text -> how messages name the frame

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if self._dir is not None:
            self._dir.cleanup()
        if isinstance(error, GridpartError) and self._names:
            # Messages name the frame the caller gave, not the temporary copy.
            message = error.message
            for source, name in self._names.items():
                message = message.replace(source, name)
                message = message.replace(source.rpartition(":")[0], name)
            if message != error.message:
                raise type(error)(error.status, message) from None

    def source(self, name, value):
        if not _is_frame(value):
            return value
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="gridpart-frames-")
        base = os.path.join(self._dir.name, f"{name}{len(os.listdir(self._dir.name))}")
        if hasattr(value, "geometry") and type(value).__name__ == "GeoDataFrame":
            value.to_file(base + ".gpkg", layer=name, driver="GPKG", index=False)
            source = f"{base}.gpkg:{name}"
            self._names[source] = f"the GeoDataFrame {name}"
        else:
            value.to_csv(base + ".csv", index=False)
            source = base + ".csv"
            self._names[source + ":" + os.path.basename(base)] = f"the DataFrame {name}"
        return source

    def extra_load(self, value):
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


def _frames_accepted(*names):
    """Let the layer arguments `names` of a pipeline call be (Geo)DataFrames too."""
    def wrap(fn):
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def call(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            with _Frames() as frames:
                for name in names:
                    value = bound.arguments.get(name)
                    bound.arguments[name] = (frames.extra_load(value) if name == "extra_load"
                                             else frames.source(name, value))
                return fn(*bound.args, **bound.kwargs)
        return call
    return wrap


@_frames_accepted("communities", "streets", "households", "barriers", "workers",
                  "extra_load")
def partition(communities, streets, households, out=None, *, id_field="code",
              class_field=None, count_field=None, barriers=None, min=None, max=None,
              target=None, grids=None, seed=None, threads=None, effort=None, split=None,
              crs=None, overlaps=None, format=None, report=None, map=None, overwrite=False,
              progress=None, staffing=None, residents_field=None, workers=None,
              worker_id_field=None, worker_community_field=None, worker_grid_field=None,
              weights=None, extra_load=None, balance=None, max_workload=None,
              time_limit=None):
    """Run the pipeline like ``gridpart partition`` and return a :class:`Result`.

    Layers are ``PATH[:LAYER]`` strings or path-likes (any GDAL source, e.g.
    ``"PG:dbname=city:communities"``), or GeoDataFrames (the roster ``workers`` a DataFrame),
    written for the run to a private temporary folder removed afterwards; feature ids in
    messages are then row positions + 1. Options left at None take the library's defaults
    (bounds 300-500, automatic grid count, seed 1, one thread per core, split "needed"):
    ``min``/``max``/``target`` households per grid, ``grids`` ("auto" or a count per
    community), ``seed``, ``threads``, ``effort``, ``split`` ("never", "oversize", "needed":
    when street blocks may be cut; see ``gridpart partition --help``), ``crs`` (the metric
    working CRS), ``overlaps`` ("error" or "first": overlapping communities refused, or given
    to the community whose id sorts first), ``staffing`` (a rule as ``--staffing`` takes it:
    "zhejiang[:base=6,above=2000,per=350]", "per10k:N[,persons=2.6]", "grid"; the required
    workers are in ``communities`` and the report), ``residents_field`` (residents per
    household feature, for per10k), ``workers`` (the roster, ``PATH[:LAYER]``: worker_id,
    community, optional grid_code; fields renamed by ``worker_*_field``): every grid gets a
    worker of its community, listed in ``Result.workers``. ``out`` receives
    the layers `grids` and `blocks` (and `workers` with a roster; ``format``: a GDAL driver,
    default from the extension), ``report`` the JSON report, ``map`` the SVG map. Outputs are
    checked before any work and written all or nothing; an existing one is an error unless
    ``overwrite``. ``progress(fraction, stage)`` may return True to cancel.

    Workload (a grid's households + weight x field of its households + extra loads inside):
    ``weights`` maps numeric household fields to weights >= 0 (``{"elderly": 0.5}``);
    ``extra_load`` lists layers of features making work, each ``"PATH[:LAYER][=FIELD]"`` or a
    ``(source, field)`` pair (field None: 1 per feature); ``balance`` ("workload" or
    "households", default workload when weights or extra loads are given); ``max_workload`` a
    hard cap per grid.

    ``time_limit`` (seconds, like ``--time-limit``): once it has passed (reading to
    assembling; writing is not counted) the run stops within half a second and raises
    CanceledError, writing nothing; a run that ends in time gives the same grids as without one.
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
                     time_limit=time_limit)


@_frames_accepted("previous", "communities", "streets", "households", "barriers",
                  "workers", "extra_load")
def adjust(previous, communities, streets, households, out=None, *,
           previous_code_field=None, previous_community_field=None, id_field="code",
           class_field=None, count_field=None, barriers=None, min=None, max=None, target=None,
           grids=None, seed=None, threads=None, effort=None, split=None, crs=None,
           overlaps=None, format=None, report=None, map=None, overwrite=False, progress=None,
           staffing=None, residents_field=None, workers=None, worker_id_field=None,
           worker_community_field=None, worker_grid_field=None, weights=None, extra_load=None,
           balance=None, max_workload=None, time_limit=None):
    """Repair a previous division for changed inputs, like ``gridpart adjust``; returns a
    :class:`Result` whose grids carry ``change`` ("kept", "changed", "new").

    ``previous`` is the previous grids layer (``PATH[:LAYER]``): gridpart's own output or grids
    drawn by hand (any codes, any CRS); ``previous_code_field`` its code field (default
    "grid_code"), ``previous_community_field`` the field naming each grid's community (default:
    the community holding most of its area). A division that still holds is kept as it was;
    elsewhere the fewest households move. The other arguments are those of :func:`partition`.
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
                     time_limit=time_limit)


def _pipeline(communities, streets, households, out, previous, previous_code_field,
              previous_community_field, *, id_field, class_field, count_field, barriers, min,
              max, target, grids, seed, threads, effort, split, crs, overlaps, format, report,
              map, overwrite, progress, staffing, residents_field, workers, worker_id_field,
              worker_community_field, worker_grid_field, weights, extra_load, balance,
              max_workload, time_limit=None):
    """partition (previous None) or adjust."""
    ctx = _lib.context()
    outputs = None
    if out is not None or report is not None or map is not None:
        outputs = _Outputs(out, format, report, map, overwrite)
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


@_frames_accepted("grids", "communities", "streets", "households", "barriers")
def check(grids, communities, streets, households, out=None, *, grids_code_field=None,
          grids_community_field=None, id_field="code", class_field=None, count_field=None,
          barriers=None, min=None, max=None, crs=None, overlaps=None, format=None, report=None,
          map=None, overwrite=False, progress=None):
    """Audit an existing grids layer like ``gridpart check`` and return a :class:`Result`.

    ``grids`` is any polygon layer (``PATH[:LAYER]``, any CRS; one without a CRS is taken to
    be in the communities' CRS) with a code field ``grids_code_field`` (default "grid_code")
    and optionally a community id field ``grids_community_field`` (else each grid belongs to
    the community holding most of its area). The other inputs and options are as for
    :func:`partition` (only the bounds, CRS and overlap options matter). The result holds the
    audited grids with households recounted from ``households`` and flags (over_max,
    under_min, not_contiguous, crosses_community, overlaps, off_streets), each grid also with
    ``off_streets_m``; problems as for a run; ``hard_failures`` (violations of hard rules:
    the CLI exits 1 when there are any) and ``households_no_grid``. ``out``, ``report`` and
    ``map`` are written as by :func:`partition`.
    """
    ctx = _lib.context()
    outputs = None
    if out is not None or report is not None or map is not None:
        outputs = _Outputs(out, format, report, map, overwrite)
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
            for g, grid in enumerate(result.grids):
                grid["off_streets_m"] = lib.gp_plan_grid_off_streets(result.ptr, g)
            if outputs is not None:
                outputs.write(result.ptr)
        except BaseException:
            result.close()
            raise
        return result
    finally:
        if outputs is not None:
            outputs.close()
