# SPDX-License-Identifier: MIT
"""`pip install ./bindings/python` into a fresh virtual environment (offline, Debian's
setuptools: --no-build-isolation) gives a working binding outside the source tree, which finds
the tree's build/libgridpart.so by itself; the README's example runs with it as printed."""

import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PACKAGE = os.path.join(ROOT, "bindings", "python")
DEMO = os.path.join(ROOT, "examples", "data")

SMALL_RUN = f"""
import os, sys, geopandas as gpd, gridpart, gridpart._lib as lib
assert os.path.dirname(gridpart.__file__).startswith(sys.prefix), gridpart.__file__
layers = {{k: gpd.read_file(os.path.join({DEMO!r}, k + ".gpkg"))
          for k in ("communities", "streets", "households")}}
with gridpart.partition(**layers, class_field="class", count_field="households") as r:
    print(len(r.grids), int(r.grids.households.sum()), r.assignment.notna().sum(), lib.path)
"""


def readme_example():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    marker = "<!-- readme-example"
    assert marker in text, "the README's example block is marked"
    block = text.split(marker, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    return block


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh venv (system site packages: numpy, geopandas) with the binding pip-installed."""
    where = tmp_path_factory.mktemp("venv")
    env_dir = where / "env"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(env_dir)],
                   check=True, capture_output=True)
    python = str(env_dir / "bin" / "python")
    proc = subprocess.run([python, "-m", "pip", "install", "--no-build-isolation", "--no-index",
                           "--no-cache-dir", PACKAGE],
                          capture_output=True, text=True, cwd=str(where))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRIDPART_LIBRARY")}
    library = os.environ.get("GRIDPART_LIBRARY")
    tree_build = os.path.join(ROOT, "build", "libgridpart.so")
    # The installed package finds the source tree's build/; another build dir is given.
    if library and not (os.path.exists(tree_build) and os.path.samefile(library, tree_build)):
        env["GRIDPART_LIBRARY"] = library
    yield python, env, where
    shutil.rmtree(env_dir, ignore_errors=True)


def test_installed_binding_runs_outside_the_tree(venv):
    python, env, where = venv
    proc = subprocess.run([python, "-c", SMALL_RUN], capture_output=True, text=True,
                          cwd=str(where), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    grids, households, assigned, path = proc.stdout.split()
    assert (int(grids), int(households), int(assigned)) == (84, 34460, 1185)  # 3 of 1188 features lie outside
    if "GRIDPART_LIBRARY" not in env:
        assert os.path.samefile(path, os.path.join(ROOT, "build", "libgridpart.so"))


def test_readme_example_runs_as_printed(venv):
    python, env, _ = venv
    block = readme_example()
    assert len([line for line in block.splitlines() if line.strip()]) <= 10
    proc = subprocess.run([python, "-c", block], capture_output=True, text=True, cwd=ROOT,
                          env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "640106003001001" in proc.stdout and "over_max" in proc.stdout


def test_help_documents_every_partition_parameter(venv):
    python, env, where = venv
    code = ("import inspect, pydoc, gridpart\n"
            "text = pydoc.render_doc(gridpart.partition, renderer=pydoc.plaintext)\n"
            "missing = [p for p in inspect.signature(gridpart.partition).parameters\n"
            "           if p not in text.split('Parameters', 1)[1]]\n"
            "print(missing)\n")
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True,
                          cwd=str(where), env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
