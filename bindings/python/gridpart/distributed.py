# SPDX-License-Identifier: MIT
"""gridpart over Dask: a province's communities divided in chunks, one task per chunk.

``partition(communities, streets, households, out, client=None, chunk=16)`` orders the
communities along a Hilbert curve through their centres (one cheap pass over the communities
layer), cuts that order into chunks of ``chunk`` neighbouring communities, and submits one Dask
task per chunk. A task calls :func:`gridpart.partition` with ``only=`` its communities, so it
reads just their features, and returns its grids, blocks and report as plain picklable values.
The caller gathers them, merges the reports (totals and staffing summed, problems and
communities concatenated) and writes one output, whole or not at all:

- a file (GeoPackage, ...): written beside itself under a temporary name, then renamed;
- PostGIS (``"PG:CONNINFO"``): each chunk in one transaction into staging tables, then one
  transaction that swaps them in for ``grids`` and ``blocks``, so a reader never sees half.

``adjust(previous, communities, streets, households, out, ...)`` repairs a previous division
the same way, each task running :func:`gridpart.adjust` on its chunk (its previous grids read
by their community field), so codes are kept as one whole run keeps them.

A chunk whose task fails is retried by Dask (``retries``); when it keeps failing the run stops
with :class:`ChunkError` naming the chunk and its communities, and nothing is written.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import uuid
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

import gridpart

from . import _frames, _ogrout

__all__ = ["partition", "adjust", "DistributedResult", "ChunkError", "hilbert_order", "make_chunks",
           "community_centres", "local_client"]

log = logging.getLogger("gridpart.distributed")



class ChunkError(RuntimeError):
    """A chunk's task failed after its retries: ``chunk`` (its index), ``communities`` (its
    community ids) and ``cause`` (the exception the task raised)."""

    def __init__(self, chunk: int, communities: Sequence[str], cause: BaseException) -> None:
        self.chunk = chunk
        self.communities = list(communities)
        self.cause = cause
        shown = ", ".join(self.communities[:5]) + (", ..." if len(self.communities) > 5 else "")
        super().__init__(f"chunk {chunk} (communities {shown}) failed: "
                         f"{type(cause).__name__}: {cause}; nothing was written")


# ---- chunks ---------------------------------------------------------------------------------

def _hilbert_d(x: np.ndarray, y: np.ndarray, bits: int) -> np.ndarray:
    """The Hilbert curve index of integer cells (x, y) in [0, 2**bits)."""
    d = np.zeros(x.shape, dtype=np.int64)
    x = x.astype(np.int64)
    y = y.astype(np.int64)
    s = 1 << (bits - 1)
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        d += s * s * ((3 * rx) ^ ry)
        # Rotate the quadrant so the curve stays continuous.
        flip = ~ry
        swap_x = np.where(flip & rx, s - 1 - x, x)
        swap_y = np.where(flip & rx, s - 1 - y, y)
        x, y = np.where(flip, swap_y, swap_x), np.where(flip, swap_x, swap_y)
        s >>= 1
    return d


def hilbert_order(points: Any, bits: int = 16) -> np.ndarray:
    """The order of ``points`` (an (n, 2) array of x, y) along a Hilbert curve over their
    extent: indices into ``points``, neighbours on the curve close in space. Ties keep input
    order, so the order is deterministic."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(pts) == 0:
        return np.zeros(0, dtype=np.int64)
    lo = pts.min(axis=0)
    span = float((pts.max(axis=0) - lo).max()) or 1.0
    cells = np.floor((pts - lo) / span * ((1 << bits) - 1)).astype(np.int64)
    return np.argsort(_hilbert_d(cells[:, 0], cells[:, 1], bits), kind="stable")


def make_chunks(ids: Sequence[str], order: Sequence[int], chunk: int) -> List[List[str]]:
    """``ids`` taken in ``order`` and cut into lists of ``chunk`` (the last may be shorter)."""
    if int(chunk) < 1:
        raise ValueError(f"chunk must be a whole number >= 1, not {chunk!r}")
    ordered = [ids[i] for i in order]
    return [ordered[k:k + chunk] for k in range(0, len(ordered), int(chunk))]


# ---- layers through OGR ---------------------------------------------------------------------

def _split_layer(spec: str) -> Tuple[str, Optional[str]]:
    """'PATH[:LAYER]' or 'PG:CONNINFO:TABLE' as (dataset, layer or None)."""
    spec = os.fspath(spec)
    if spec.upper().startswith("PG:"):
        conn, _, table = spec.rpartition(":")
        if conn.upper() == "PG" or "=" in table or " " in table:
            return spec, None
        return conn, table
    if os.path.exists(spec):
        return spec, None
    path, _, layer = spec.rpartition(":")
    if path and os.path.exists(path):
        return path, layer
    return spec, None


def _open_layer(spec: str):
    from osgeo import ogr
    dataset, name = _split_layer(spec)
    ds = ogr.Open(dataset)
    if ds is None:
        raise gridpart.GridpartIOError(3, f"cannot open '{dataset}'")
    layer = ds.GetLayerByName(name) if name else ds.GetLayer(0)
    if layer is None:
        raise gridpart.InputError(4, f"'{dataset}' has no layer '{name}'")
    return ds, layer


def community_centres(communities: str, id_field: str = "code"
                      ) -> Tuple[List[str], np.ndarray]:
    """The ids and envelope centres of every community, in layer order: one pass over the
    communities layer alone (no streets, no households)."""
    ds, layer = _open_layer(communities)
    if layer.GetLayerDefn().GetFieldIndex(id_field) < 0:
        raise gridpart.InputError(4, f"{communities}: no field '{id_field}'")
    ids: List[str] = []
    centres: List[Tuple[float, float]] = []
    for feature in layer:
        geom = feature.GetGeometryRef()
        if geom is None:
            raise gridpart.InputError(4, f"{communities}: feature {feature.GetFID()} "
                                         "has no geometry")
        minx, maxx, miny, maxy = geom.GetEnvelope()
        ids.append(str(feature.GetField(id_field)))
        centres.append(((minx + maxx) / 2, (miny + maxy) / 2))
    del layer, ds
    if len(set(ids)) != len(ids):
        raise gridpart.InputError(4, f"{communities}: community ids in '{id_field}' repeat")
    return ids, np.array(centres, dtype=float).reshape(-1, 2)


# ---- one chunk (runs on a worker) -----------------------------------------------------------

JOBS = ("partition", "adjust")


def run_chunk(index: int, ids: List[str], job: str, layers: Sequence[str],
              options: Dict[str, Any]) -> Dict[str, Any]:
    """Run ``gridpart.<job>`` (partition or adjust) on the communities ``ids`` (chunk
    ``index``): their grids, blocks and report."""
    if job not in JOBS:
        raise ValueError(f"job must be one of {JOBS}, not {job!r}")
    with getattr(gridpart, job)(*layers, only=list(ids), **options) as result:
        return {
            "chunk": index,
            "grids": result.layer_columns("grids"),
            "blocks": result.layer_columns("blocks"),
            "report": result.report,
            "crs": result.crs,
            "features_read": getattr(result, "features_read", None),
        }


# ---- merging --------------------------------------------------------------------------------

def _summed(a: Any, b: Any) -> Any:
    """Two report sections merged: numbers summed, dicts merged key by key, lists joined,
    anything else (a name) kept from ``a``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a + b
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = _summed(out[key], value) if key in out else value
        return out
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    return a


def merge_reports(reports: Sequence[Dict[str, Any]], order: Dict[str, int]) -> Dict[str, Any]:
    """The chunks' reports as one: totals, staffing and adjust counts summed; run-wide problems
    concatenated (each tagged with its chunk); communities concatenated in input order."""
    if not reports:
        return {}
    merged = {k: v for k, v in reports[0].items()
              if k not in ("totals", "staffing", "adjust", "problems", "communities")}
    for key in ("totals", "staffing", "adjust"):
        parts = [r[key] for r in reports if key in r]
        if parts:
            total = parts[0]
            for part in parts[1:]:
                total = _summed(total, part)
            merged[key] = total
    merged["problems"] = [dict(p, chunk=i) for i, r in enumerate(reports)
                          for p in r.get("problems", [])]
    communities = [c for r in reports for c in r.get("communities", [])]
    merged["communities"] = sorted(communities, key=lambda c: order.get(c["id"], len(order)))
    merged["chunks"] = len(reports)
    return merged


def _merged(parts: List[Dict[str, Any]]) -> Dict[str, List[Any]]:
    """The chunks' columns (each with `wkb`) end to end: every attribute column a chunk sent,
    in the order the binding gives them (an adjust adds `change`, extra loads their own
    columns), None where a chunk lacks one."""
    names: Dict[str, None] = {}
    for p in parts:
        names.update((c, None) for c in p)
    return {c: [v for p in parts for v in p.get(c, [None] * len(p["wkb"]))] for c in names}


def _input_rows(columns: Dict[str, List[Any]], order: Dict[str, int]) -> List[int]:
    """The rows in the input order of their communities, each chunk's own order kept."""
    rank = [order.get(c, len(order)) for c in columns["community"]]
    return sorted(range(len(rank)), key=rank.__getitem__)


def _frame(columns: Dict[str, List[Any]], rows: List[int], crs: Any, dtypes: Dict[str, str]):
    """Rows ``rows`` of merged columns as a GeoDataFrame (the shapes decoded only now)."""
    picked = {c: [values[r] for r in rows] for c, values in columns.items()}
    return _frames.layer_frame(picked, crs, dtypes)


class DistributedResult:
    """The merged result of a distributed run.

    Attributes
    ----------
    grids, blocks : geopandas.GeoDataFrame
        The layers as :class:`gridpart.Result` has them, communities in input order (None
        with ``keep=False``). Like Result's, each is made on first use (the chunks send
        WKB; a geometry object is made only when you ask for the frame).
    report : dict
        The merged report (see :func:`merge_reports`).
    problems : pandas.DataFrame
        Every problem, run-wide ones and each community's.
    chunks : list of list of str
        The communities of each chunk, in submission order.
    features_read : dict or None
        Features read per layer, summed over the chunks (when the binding reports them).
    out : str or None
        Where the layers were written.
    """

    def __init__(self, layers: Optional[Dict[str, Tuple[Dict[str, List[Any]], List[int]]]],
                 crs: Any, report: Dict[str, Any], chunks: List[List[str]],
                 features_read: Any, out: Optional[str]) -> None:
        self._layers = layers
        self._crs = crs
        self._made: Dict[str, Any] = {}
        self.report = report
        self.chunks = chunks
        self.features_read = features_read
        self.out = out

    def _layer(self, name: str):
        if self._layers is None:
            return None
        if name not in self._made:
            columns, rows = self._layers[name]
            self._made[name] = _frame(columns, rows, self._crs, _frames.LAYER_DTYPES[name])
        return self._made[name]

    @property
    def grids(self):
        return self._layer("grids")

    @property
    def blocks(self):
        return self._layer("blocks")

    @property
    def problems(self):
        import pandas as pd
        rows = list(self.report.get("problems", []))
        for community in self.report.get("communities", []):
            rows += [dict(p, community=p.get("community", community["id"]))
                     for p in community.get("problems", [])]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        grids = self.report.get("totals", {}).get("grids")
        return (f"DistributedResult(communities={len(self.report.get('communities', []))}, "
                f"grids={grids}, chunks={len(self.chunks)}, out={self.out!r})")


def _sum_features(values: Sequence[Any]) -> Any:
    values = [v for v in values if v is not None]
    if not values:
        return None
    total = values[0]
    for v in values[1:]:
        total = _summed(total, v)
    return total


# ---- output ---------------------------------------------------------------------------------

def _is_pg(out: Any) -> bool:
    return isinstance(out, str) and out.upper().startswith("PG:")


def _write_file(out: str, layers: Dict[str, Tuple[Dict[str, List[Any]], List[int]]], crs: Any,
                overwrite: bool, driver: str) -> None:
    """Both layers (merged columns, rows in output order) into a temporary file beside
    ``out`` with OGR driver ``driver`` (:func:`_ogrout.driver_name`), then renamed onto it."""
    out = os.path.abspath(os.fspath(out))
    if os.path.exists(out) and not overwrite:
        raise gridpart.GridpartIOError(3, f"'{out}' exists (overwrite=True replaces it)")
    folder, name = os.path.split(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=os.path.splitext(name)[1],
                               dir=folder)
    os.close(fd)
    os.unlink(tmp)
    try:
        _ogrout.write_file(tmp, driver, {k: v[0] for k, v in layers.items()}, crs,
                           {k: v[1] for k, v in layers.items()}, _frames.LAYER_DTYPES)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _write_report(path: Optional[str], report: Dict[str, Any], overwrite: bool) -> None:
    if path is None:
        return
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not overwrite:
        raise gridpart.GridpartIOError(3, f"'{path}' exists (overwrite=True replaces it)")
    fd, tmp = tempfile.mkstemp(prefix=".report.", suffix=".json", dir=os.path.dirname(path))
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


# ---- the run --------------------------------------------------------------------------------

def _layer_text(value: Any, name: str) -> str:
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    raise TypeError(f"{name}: gridpart.distributed takes a path or 'PG:CONNINFO:TABLE', "
                    f"not {type(value).__name__} (workers read their own inputs)")


def _progress_bar(client, futures) -> Optional[threading.Thread]:
    """Dask's own text progress bar (``distributed.progress``) over ``futures``, drawn on
    standard output by a thread until every task has ended."""
    from distributed.diagnostics.progressbar import TextProgressBar

    def draw() -> None:
        try:
            TextProgressBar(futures, scheduler=client.scheduler.address, complete=True)
        except Exception as e:  # a progress bar never stops the run
            log.warning("no progress bar: %s", e)

    thread = threading.Thread(target=draw, name="gridpart-progress", daemon=True)
    thread.start()
    return thread


def _gather(client, futures, chunks, sink, keep: bool):
    """Every chunk's payload, handed to ``sink`` as it arrives (then without its grids and
    blocks unless ``keep``), or ChunkError for the first that failed for good (the others are
    cancelled). Each finished chunk is logged (logger "gridpart.distributed", INFO)."""
    from distributed import as_completed
    payloads: Dict[int, Dict[str, Any]] = {}
    index = {f.key: i for i, f in enumerate(futures)}
    done_communities = 0
    total = sum(len(c) for c in chunks)
    for future in as_completed(futures):
        i = index[future.key]
        if future.status == "error":
            cause = future.exception()
            client.cancel(futures)
            raise ChunkError(i, chunks[i], cause) from cause
        payload = future.result()
        future.release()
        if sink is not None:
            sink(payload)
        if not keep:
            payload = dict(payload, grids=None, blocks=None)
        payloads[i] = payload
        done_communities += len(chunks[i])
        log.info("chunk %d done: %d/%d communities", i, done_communities, total)
    return [payloads[i] for i in range(len(chunks))]


# The cluster local_client makes has no dashboard, so nothing shows what its monitors gather:
# the workers' statistical profiler (a stack sample every 10 ms), event-loop health ticks every
# 20 ms and memory polls every 100 ms in every process. Idle for 30 s, a 2-worker cluster spent
# 4.3 CPU seconds on them (1.5 in the caller, 2.8 in workers and nannies), 0.9 with these
# settings: on a 2-core machine that CPU is taken from the two workers. The memory limits are
# still enforced (polled every second).
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "200ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}


@contextlib.contextmanager
def local_client(n_workers: Optional[int] = None) -> Iterator[Any]:
    """A distributed.Client on a LocalCluster of ``n_workers`` processes (None: one per core),
    one thread each, no dashboard, its monitors turned down (``LOCAL_CLUSTER_CONFIG``);
    closed on leaving the ``with`` block."""
    import copy

    import dask
    from distributed import Client, LocalCluster
    with contextlib.ExitStack() as stack:
        with dask.config.set(LOCAL_CLUSTER_CONFIG):  # read as the scheduler starts
            # A nanny restarting its worker (one that died) hands it the config it was given:
            # a copy, since the nanny's own merge shares the caller's live (restored) config.
            worker_config = copy.deepcopy(dask.config.config)
            cluster = stack.enter_context(LocalCluster(
                n_workers=n_workers, processes=True, threads_per_worker=1,
                dashboard_address=None, config=worker_config))
            client = stack.enter_context(Client(cluster))
        yield client


@contextlib.contextmanager
def _client(client: Any) -> Iterator[Any]:
    """The caller's client, or a local one made and closed here."""
    if client is not None:
        yield client
    else:
        with local_client() as own:
            yield own


def _submit_all(c, job: str, layers: List[str], chunks, options, retries: int, progress: bool,
                staging, keep_layers: bool):
    """One task per chunk on client ``c``; their payloads in chunk order."""
    futures = [c.submit(run_chunk, i, ids_, job, layers, options, retries=retries, pure=False,
                        key=f"gridpart-{job}-{i}-{uuid.uuid4().hex[:8]}")
               for i, ids_ in enumerate(chunks)]
    bar = _progress_bar(c, futures) if progress else None
    try:
        return _gather(c, futures, chunks, staging.add if staging else None, keep_layers)
    except BaseException:
        if staging is not None:
            staging.abort()
        raise
    finally:
        if bar is not None:
            bar.join(timeout=5)


def _run(job: str, layers: List[str], communities: str, out: Any, *, client: Any, chunk: int,
         retries: int, progress: bool, id_field: str, report: Any, overwrite: bool, keep: bool,
         format: Optional[str], options: Dict[str, Any]) -> DistributedResult:
    """The distributed run of ``job`` over ``layers`` (its positional layers, ``communities``
    among them): chunk, submit, gather, merge, write whole."""
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, not {chunk}")
    if not overwrite:
        for target in (out, report):
            if target is not None:
                _refuse_existing(target)
    driver = None  # a file output's OGR driver, known before any work
    if out is not None and not _is_pg(out):
        driver = _ogrout.driver_name(os.path.abspath(os.fspath(out)), format)
    ids, centres = community_centres(communities, id_field)
    chunks = make_chunks(ids, hilbert_order(centres), chunk)
    order = {c: i for i, c in enumerate(ids)}
    options = dict(options, id_field=id_field)
    staging = None
    if _is_pg(out):
        from . import _pgout
        staging = _pgout.Staging(out, overwrite)
    keep_layers = keep or (out is not None and staging is None)
    with _client(client) as c:
        payloads = _submit_all(c, job, layers, chunks, options, retries, progress, staging,
                               keep_layers)
    if staging is not None:
        staging.commit()
    crs = next((p["crs"] for p in payloads if p["crs"]), None)
    layers = None
    if keep_layers:
        layers = {}
        for name in ("grids", "blocks"):
            columns = _merged([p[name] for p in payloads])
            layers[name] = (columns, _input_rows(columns, order))
    merged = merge_reports([p["report"] for p in payloads], order)
    if out is not None and staging is None:
        _write_file(out, layers, crs, overwrite, driver)
        if not keep:
            layers = None
    _write_report(report, merged, overwrite)
    return DistributedResult(layers, crs, merged, chunks,
                             _sum_features([p["features_read"] for p in payloads]),
                             None if out is None else os.fspath(out))


_COMMON_DOC = """
    client : distributed.Client, optional
        Your client; None makes a LocalCluster of processes for this call and closes it.
    chunk : int
        Communities per task (neighbours along a Hilbert curve through their centres).
    retries : int
        Times Dask reruns a failed chunk (a worker that died included) before the run stops.
    progress : bool
        Draw Dask's own text progress bar (``distributed.progress``) on standard output while
        the tasks run. Each finished chunk is also logged (logger "gridpart.distributed",
        level INFO), and the dashboard of your own client shows the tasks.
    report : str or os.PathLike, optional
        Write the merged JSON report there.
    keep : bool
        Keep the grids and blocks in the result (True). False frees each chunk's layers once
        written, so with a PostGIS output the caller holds only the reports (a country's
        layers never sit in one process); the result's grids and blocks are then None.
"""


def partition(communities: Any, streets: Any, households: Any, out: Any = None, *,
              client: Any = None, chunk: int = 16, retries: int = 2, progress: bool = False,
              id_field: str = "code", report: Any = None, overwrite: bool = False,
              keep: bool = True,
              format: Optional[str] = None, **options: Any) -> DistributedResult:
    """Divide the communities into grids, one Dask task per chunk of ``chunk`` neighbouring
    communities, and write one output.

    Parameters
    ----------
    communities, streets, households : str or os.PathLike
        Layers as :func:`gridpart.partition` takes them ("PATH[:LAYER]",
        "PG:CONNINFO:TABLE"); every worker must be able to read them.
    out : str or os.PathLike, optional
        A file (written whole via a temporary file and a rename) or "PG:CONNINFO" (staging
        tables, then one swapping transaction).@COMMON@
    **options
        Passed to every task's :func:`gridpart.partition` (class_field, count_field, min, max,
        seed, threads, ...).

    @RETURNS@
    """
    layers = [_layer_text(v, n) for v, n in ((communities, "communities"),
                                               (streets, "streets"),
                                               (households, "households"))]
    return _run("partition", layers, layers[0], out, client=client, chunk=chunk,
                retries=retries, progress=progress, id_field=id_field, report=report,
                overwrite=overwrite, keep=keep, format=format, options=options)


def adjust(previous: Any, communities: Any, streets: Any, households: Any, out: Any = None, *,
           previous_community_field: Optional[str] = None, client: Any = None, chunk: int = 16,
           retries: int = 2, progress: bool = False, id_field: str = "code", report: Any = None,
           overwrite: bool = False, keep: bool = True, format: Optional[str] = None,
           **options: Any) -> DistributedResult:
    """Repair a previous division for changed inputs, one Dask task per chunk of ``chunk``
    neighbouring communities (each :func:`gridpart.adjust` with ``only=`` its communities),
    and write one output. Grid codes are kept as a whole run keeps them.

    Parameters
    ----------
    previous : str or os.PathLike
        The previous grids layer ("PATH[:LAYER]", "PG:CONNINFO:TABLE").
    communities, streets, households : str or os.PathLike
        The current layers, as :func:`partition` takes them.
    out : str or os.PathLike, optional
        As :func:`partition`.
    previous_community_field : str, optional
        The previous grids' community field, which each chunk filters its previous grids on.
        None takes `community` (gridpart's own layers have it) when the layer has it.@COMMON@
    **options
        Passed to every task's :func:`gridpart.adjust` (previous_code_field, class_field,
        count_field, min, max, ...).

    @RETURNS@
    InputError
        No previous_community_field was given and the previous layer has no `community`.
    """
    layers = [_layer_text(v, n) for v, n in ((previous, "previous"),
                                               (communities, "communities"),
                                               (streets, "streets"),
                                               (households, "households"))]
    if previous_community_field is None:
        previous_community_field = _default_community_field(layers[0])
    options = dict(options, previous_community_field=previous_community_field)
    return _run("adjust", layers, layers[1], out, client=client, chunk=chunk, retries=retries,
                progress=progress, id_field=id_field, report=report, overwrite=overwrite,
                keep=keep, format=format, options=options)


_RETURNS_DOC = """Returns
    -------
    DistributedResult

    Raises
    ------
    ChunkError
        A chunk kept failing; nothing was written."""

for _f in (partition, adjust):
    _f.__doc__ = _f.__doc__.replace("@COMMON@", _COMMON_DOC.rstrip()).replace(
        "@RETURNS@", _RETURNS_DOC)


def _default_community_field(previous: str) -> str:
    """`community` when the previous grids layer has that field (gridpart's own output does);
    otherwise an error saying which argument names it."""
    ds, layer = _open_layer(previous)
    found = layer.GetLayerDefn().GetFieldIndex("community") >= 0
    del layer, ds
    if not found:
        raise gridpart.InputError(4, f"{previous}: no field 'community'; a distributed adjust "
                                     "reads each chunk's previous grids by their community: "
                                     "name that field with previous_community_field=")
    return "community"


def _refuse_existing(out: Any) -> None:
    """An existing output is refused before any work (overwrite=True replaces it)."""
    if _is_pg(out):
        from . import _pgout
        _pgout.refuse_existing(out)
    elif os.path.exists(os.fspath(out)):
        raise gridpart.GridpartIOError(3, f"'{os.fspath(out)}' exists "
                                          "(overwrite=True replaces it)")
