# SPDX-License-Identifier: MIT
"""The split stage's notes name each cut block's pieces correctly when a community has many cut
blocks: the block's own id first, every piece of the community once."""

import collections
import os
import re

import gridpart

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEMO = os.path.join(ROOT, "examples", "data")


def test_block_cut_notes_list_each_piece_once_own_id_first():
    # Bounds of 8-20 households cut most blocks of the demo city (255 cuts, up to 37 in one
    # community): the run that showed pieces listed under the wrong block (and values never
    # written, under valgrind) when a community had more than one cut block.
    with gridpart.partition(os.path.join(DEMO, "communities.gpkg"),
                            os.path.join(DEMO, "streets.gpkg"),
                            os.path.join(DEMO, "households.gpkg"), id_field="code",
                            class_field="class", count_field="households", min=8, max=20,
                            threads=2) as r:
        cuts = [p for p in r.problem_records if p["kind"] == "block_cut"]
        blocks = {c["id"]: c["blocks"] for c in r.communities}
    per_community = collections.Counter(p["community"] for p in cuts)
    assert len(cuts) > 100 and per_community.most_common(1)[0][1] > 10
    seen = collections.defaultdict(list)
    for p in cuts:
        block = int(re.search(r": block (\d+) \(", p["message"]).group(1))
        assert p["blocks"][0] == block, p["message"]
        assert len(p["blocks"]) >= 2 and p["blocks"][1:] == sorted(p["blocks"][1:]), p
        assert all(0 <= b < blocks[p["community"]] for b in p["blocks"]), p
        listed = re.search(r"block ids ([\d, ]+)\)", p["message"]).group(1)
        assert [int(x) for x in listed.split(", ")] == p["blocks"], p["message"]
        seen[p["community"]] += p["blocks"]
    for community, ids in seen.items():
        assert len(ids) == len(set(ids)), community
