# SPDX-License-Identifier: MIT
"""Partition the bundled sample city and save a PNG map of its grids.

usage: /usr/bin/python3 examples/python/demo_map.py OUT.png
(with GRIDPART_LIBRARY or a meson build in ./build, and PYTHONPATH=bindings/python)
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import gridpart  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
# ColorBrewer Set3 (red swapped for Pastel1's beige: red is for broken bounds), as the SVG map.
PALETTE = ["#8dd3c7", "#ffffb3", "#bebada", "#e5d8bd", "#80b1d3", "#fdb462", "#b3de69",
           "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f"]


def greedy_colours(grids):
    """A colour index per grid such that grids that touch differ: each grid, in order, takes
    the smallest index none of its already coloured neighbours has (found with the spatial
    index, so a city's thousands of grids take no time)."""
    geoms = list(grids.geometry)
    colour = [-1] * len(geoms)
    for i, g in enumerate(geoms):
        used = {colour[j] for j in grids.sindex.query(g, predicate="intersects")
                if j != i and colour[j] >= 0}
        c = 0
        while c in used:
            c += 1
        colour[i] = c
    return colour


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    layer = lambda name: os.path.join(DATA, name + ".gpkg")  # noqa: E731
    try:
        result = gridpart.partition(layer("communities"), layer("streets"), layer("households"),
                                    id_field="code", class_field="class",
                                    count_field="households")
    except gridpart.GridpartError as e:
        print(f"gridpart: {e}", file=sys.stderr)
        return 2
    with result:
        grids = result.to_geopandas()
        print(f"{len(result.grids)} grids in {len(result.communities)} communities; "
              f"{result.out_of_bounds} outside the bounds")
    # Colour by adjacency, not by community or code: touching grids always differ, so the
    # grids of one community can be told apart (the SVG map, gridpart's --map, does the same).
    colours = greedy_colours(grids)
    ax = grids.plot(color=[PALETTE[c % len(PALETTE)] for c in colours], edgecolor="#555",
                    linewidth=0.4, figsize=(10, 10))
    grids.dissolve("community").boundary.plot(ax=ax, color="black", linewidth=1.5)
    for _, g in grids.iterrows():
        p = g.geometry.representative_point()
        ax.annotate(str(g["households"]), (p.x, p.y), ha="center", fontsize=6)
    ax.set_axis_off()
    ax.set_title("gridpart: service grids of the sample city")
    plt.savefig(sys.argv[1], dpi=150, bbox_inches="tight")
    print(f"map written to {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
