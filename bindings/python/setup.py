# SPDX-License-Identifier: MIT
"""Everything is in pyproject.toml; this only records, in the installed package, the source
tree it was installed from (gridpart/_install.py), so that an installed binding finds that
tree's build/libgridpart.so as the source tree does (GRIDPART_LIBRARY still comes first)."""

import os

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    def run(self):
        super().run()
        root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "..", ".."))
        target = os.path.join(self.build_lib, "gridpart", "_install.py")
        with open(target, "w", encoding="utf-8") as f:
            f.write("# Written by setup.py at install: the source tree installed from.\n"
                    f"SOURCE_ROOT = {root!r}\n")


setup(cmdclass={"build_py": BuildPy})
