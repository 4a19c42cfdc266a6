"""time_limit= (issue #15): a run that needs longer stops within half a second of its limit
and raises CanceledError; a limit not reached changes nothing; bad limits are refused."""

import os
import time

import numpy as np
import pytest

import gridpart

PROV = os.path.join(os.environ.get("GP_SHARED_DATA", "../shared/data"), "providence", "noisy")


def lattice(side, households):
    """A side x side grid graph in CSR form, as numpy arrays."""
    xadj, adj = [0], []
    for y in range(side):
        for x in range(side):
            for dx, dy in ((0, -1), (-1, 0), (1, 0), (0, 1)):
                nx, ny = x + dx, y + dy
                if 0 <= nx < side and 0 <= ny < side:
                    adj.append(ny * side + nx)
            xadj.append(len(adj))
    return (np.array(xadj, np.int32), np.array(adj, np.int32),
            np.full(side * side, households, np.int64))


def test_graph_time_limit_stops_a_long_run():
    xadj, adj, hh = lattice(300, 10)  # 10-20 s at effort 1 on this machine
    # The limit starts when the optimizer does (its first progress report), after the binding
    # has copied the arrays into a graph.
    started = []

    def progress(fraction, stage):
        if not started:
            started.append(time.monotonic())
        return False

    with pytest.raises(gridpart.CanceledError) as e:
        gridpart.partition_graph(xadj, adj, hh, threads=1, time_limit=0.5, progress=progress)
    took = time.monotonic() - started[0]
    assert "time limit of 0.5 s" in str(e.value)
    # 0.50-0.53 s on a quiet machine; loose for the loaded CI (a load of 9 on 2 cores).
    assert took < 2.0, f"a 0.5 s limit returned after {took:.2f} s"


def test_graph_limit_not_reached_gives_the_same_grids():
    xadj, adj, hh = lattice(20, 10)
    free = gridpart.partition_graph(xadj, adj, hh, seed=3)
    limited = gridpart.partition_graph(xadj, adj, hh, seed=3, time_limit=60)
    assert free.n_grids == 10
    assert np.array_equal(free.assignment, limited.assignment)


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf")])
def test_bad_time_limit_is_refused(bad):
    xadj, adj, hh = lattice(4, 10)
    with pytest.raises(gridpart.ArgumentError) as e:
        gridpart.partition_graph(xadj, adj, hh, time_limit=bad)
    assert "time limit" in str(e.value)


def test_pipeline_time_limit(tmp_path):
    layers = [os.path.join(PROV, n + ".gpkg") for n in ("communities", "streets", "households")]
    for path in layers:
        if not os.path.exists(path):
            pytest.fail(f"Providence data not found at {path}: put the shared data beside the "
                        "repository (../shared) or configure with -Dshared_dir=PATH")
    out = tmp_path / "limited.gpkg"
    t0 = time.monotonic()
    with pytest.raises(gridpart.CanceledError) as e:
        gridpart.partition(*layers, str(out), id_field="code", class_field="class",
                           count_field="households", time_limit=0.3)
    took = time.monotonic() - t0
    assert "time limit of 0.3 s reached" in str(e.value)
    assert took < 2.5, f"a 0.3 s limit returned after {took:.2f} s"  # the run takes 4-10 s
    assert not out.exists()
