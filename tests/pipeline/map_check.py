#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The SVG map as a person would print it (issue #14, "maps people read"): divide a city with
`gridpart partition --map`, then check the SVG and its PNG rendering (rsvg-convert):
- the visible title names the communities' count, the household bounds and the date;
- a legend, a scale bar and a north arrow are there; the scale bar's length is round (1, 2 or
  5 times a power of ten metres) and true: a grid's area on the map, in pixels, over its area
  in the working CRS, in square metres, is the square of the bar's pixels per metre;
- grid labels: placed + left out = grids (the labels group says how many of each), every font
  between 8 and 22 px, and no two placed label boxes overlap (boxes as map.c estimates them:
  0.64 em per digit, 0.86 em above the baseline, 0.14 em below);
- with MIN_DROPPED given, at least that many labels were left out (the collision test ran);
- the PNG has the SVG's size and shows text in the title band and in the legend panel
  (a PNG without fonts, or blank, fails).
With --sheets as the first of ARGS, the whole-city maps (--map-sheets) are judged too:
- the folder holds overview.svg and one sheet per community, each community's sheet is the one
  its overview entry links to, and nothing else;
- the overview: its title, legend (grid-count classes that add up to the communities), scale
  bar (true to the community areas), north arrow, community labels (placed + left out =
  communities) none overlapping, each label's grid count the community's;
- every sheet: its title names its community, the legend, north arrow, scale bar (true to its
  grids), labels none overlapping, placed + left out = the community's grids;
- the overview and three sheets (the first, the largest, the smallest) rendered to PNG show
  text in the title band and the legend.
Label boxes are measured with the font itself (DejaVu Sans through PIL), not map.c's estimate.
usage: map_check.py CLI SCRATCH NAME COMMUNITIES STREETS HOUSEHOLDS [MIN_DROPPED [ARGS...]]
ARGS go to gridpart partition (--min 8 --max 20 makes many small grids). Fails loudly when an
input or rsvg-convert (Debian librsvg2-bin) is absent."""

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

from osgeo import ogr, osr
from PIL import Image, ImageFont

ogr.UseExceptions()
osr.UseExceptions()
SVG = "{http://www.w3.org/2000/svg}"
DATE_EPOCH = "1764892800"  # 2025-12-05 UTC, through SOURCE_DATE_EPOCH
DIGIT_EM, UP_EM, DOWN_EM = 0.64, 0.86, 0.14
FONT_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian fonts-dejavu-core
_FONT = []


def text_em(text):
    """A text's advance in em, measured with DejaVu Sans (what rsvg-convert draws here)."""
    if not _FONT:
        if not os.path.isfile(FONT_FILE):
            fail("%s is absent: apt-get install fonts-dejavu-core" % FONT_FILE)
        _FONT.append(ImageFont.truetype(FONT_FILE, 1000))
    return _FONT[0].getlength(text) / 1000


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(ok, msg):
    if not ok:
        fail(msg)
    print("ok: " + msg)


def by_id(root, ident):
    for e in root.iter():
        if e.get("id") == ident:
            return e
    fail("the SVG has no element with id %r" % ident)


def texts(elem):
    return ["".join(t.itertext()) for t in elem.iter(SVG + "text")]


def path_rings(d):
    """The rings of an SVG path written by map.c (M x y L x y ... Z)."""
    rings = []
    for part in re.findall(r"M[^M]*", d):
        nums = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", part)]
        rings.append(list(zip(nums[0::2], nums[1::2])))
    return rings


def shoelace(ring):
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]))) / 2


def run(cli, scratch, name, comm, streets, hh, extra, sheets=False):
    out = os.path.join(scratch, name)
    shutil.rmtree(out, ignore_errors=True)  # never judge a previous run's map
    os.makedirs(out)
    svg = os.path.join(out, "map.svg")
    env = dict(os.environ, SOURCE_DATE_EPOCH=DATE_EPOCH)
    p = subprocess.run([cli, "partition", "--communities", comm, "--id-field", "code",
                        "--streets", streets, "--class-field", "class", "--households", hh,
                        "--count-field", "households", "-o", os.path.join(out, "grids.gpkg"),
                        "--report", os.path.join(out, "report.json"), "--map", svg]
                       + (["--map-sheets", os.path.join(out, "sheets")] if sheets else [])
                       + extra, capture_output=True, text=True, env=env)
    sys.stderr.write(p.stderr)  # where sanitize-wrapper.sh looks for sanitizer reports
    if p.returncode not in (0, 1):
        fail("gridpart exit %d: %s" % (p.returncode, p.stderr))
    return out, svg


def check_title(root, n_communities, lo, hi):
    title = " | ".join(texts(by_id(root, "map-title")))
    word = "community" if n_communities == 1 else "communities"
    check("Service grids of %d %s" % (n_communities, word) in title,
          "title names %d communities: %s" % (n_communities, title[:100]))
    check("%d to %d households per grid" % (lo, hi) in title, "title gives the bounds %d-%d"
          % (lo, hi))
    check("2025-12-05" in title, "title gives the date (SOURCE_DATE_EPOCH)")


def check_scale(root, out, min_grids=3):
    bar = by_id(root, "scale-bar")
    rects = list(bar.iter(SVG + "rect"))
    check(len(rects) == 2, "scale bar: two halves")
    px = sum(float(r.get("width")) for r in rects)
    label = texts(bar)[-1]
    m = re.fullmatch(r"(\d+(?:\.\d+)?) (m|km)", label)
    check(m is not None, "scale bar ends in a length: %r" % label)
    metres = float(m.group(1)) * (1000 if m.group(2) == "km" else 1)
    mantissa = metres / 10 ** int(f"{metres:e}".split("e")[1])
    check(round(mantissa, 6) in (1.0, 2.0, 5.0), "scale bar length %g m is round" % metres)
    check(80 <= px <= 400, "scale bar %.0f px long" % px)
    # The bar against the grids: map area (px^2) / working-CRS area (m^2) = (px per metre)^2.
    rep = json.load(open(os.path.join(out, "report.json")))
    code = re.match(r"EPSG:(\d+)", rep["working_crs"])
    check(code is not None, "report names the working CRS: %s" % rep["working_crs"])
    work = osr.SpatialReference()
    work.ImportFromEPSG(int(code.group(1)))
    work.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = ogr.Open(os.path.join(out, "grids.gpkg"))
    lyr = ds.GetLayerByName("grids")
    src = lyr.GetSpatialRef()
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tr = osr.CoordinateTransformation(src, work)
    area = {}
    for f in lyr:
        g = f.GetGeometryRef().Clone()
        g.Transform(tr)
        area[f["grid_code"]] = g.GetArea()
    ratios = []
    for p in by_id(root, "grids").iter(SVG + "path"):
        rings = path_rings(p.get("d"))
        t = p.find(SVG + "title")
        gcode = t.text.split(":")[0] if t is not None and t.text else None
        if len(rings) == 1 and gcode in area and area[gcode] > 0:
            ratios.append(shoelace(rings[0]) / area[gcode])
    check(len(ratios) >= min_grids, "%d one-ring grids to measure the scale" % len(ratios))
    ratios.sort()
    want = (px / metres) ** 2
    mid = ratios[len(ratios) // 2]
    check(abs(mid / want - 1) < 0.02, "scale bar true: map/ground area %.6g, bar says %.6g"
          % (mid, want))


def label_boxes(group, lo, hi):
    """Every label text's box, its width measured with the font; fonts within [lo, hi]."""
    boxes = []
    for t in group.iter(SVG + "text"):
        x, y, f = float(t.get("x")), float(t.get("y")), float(t.get("font-size"))
        half = max(len(t.text) * DIGIT_EM if t.text.isdigit() else 0, text_em(t.text)) * f / 2
        if not lo <= f <= hi:
            fail("label %r: font %g px outside [%g, %g]" % (t.text, f, lo, hi))
        boxes.append((x - half, y - UP_EM * f, x + half, y + DOWN_EM * f))
    return boxes


def check_no_overlap(boxes):
    boxes = sorted(boxes)
    overlaps = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if b[0] >= a[2]:
                break  # sorted by x0: no later box reaches back to a
            if a[1] < b[3] and b[1] < a[3]:
                overlaps.append((a, b))
    check(not overlaps, "no two of %d label boxes overlap %s" % (len(boxes), overlaps[:3]))


def check_labels(root, min_dropped, n_grids=None):
    group = by_id(root, "labels")
    if n_grids is None:
        n_grids = sum(1 for _ in by_id(root, "grids").iter(SVG + "path"))
    placed, dropped = int(group.get("data-placed")), int(group.get("data-dropped"))
    boxes = label_boxes(group, 8, 22)
    check(placed == len(boxes) and placed + dropped == n_grids,
          "labels: %d placed + %d left out = %d grids" % (placed, dropped, n_grids))
    check(dropped >= min_dropped, "at least %d labels left out: %d" % (min_dropped, dropped))
    check_no_overlap(boxes)
    fonts = sorted({float(t.get("font-size")) for t in group.iter(SVG + "text")})
    print("labels: %d placed, %d left out; fonts %g to %g px" % (placed, dropped, fonts[0],
                                                                   fonts[-1]))


def check_png(svg, root, name):
    rsvg = shutil.which("rsvg-convert")
    if rsvg is None:
        fail("rsvg-convert is absent: apt-get install librsvg2-bin (listed in .ci/packages)")
    png = svg[:-4] + ".png"
    p = subprocess.run([rsvg, "-o", png, svg], capture_output=True, text=True)
    check(p.returncode == 0 and os.path.getsize(png) > 0, "rsvg-convert renders %s (%s)"
          % (png, p.stderr.strip()))
    img = Image.open(png).convert("L")
    w, h = int(float(root.get("width"))), int(float(root.get("height")))
    check(img.size == (w, h), "PNG %dx%d, the SVG's size %dx%d" % (img.size + (w, h)))

    def dark(box):
        return sum(1 for v in img.crop(box).getdata() if v < 90)

    title_dark = dark((0, 0, w, 100))
    check(title_dark > 500, "title band shows text (%d dark pixels)" % title_dark)
    legend = by_id(root, "legend")
    x0 = min(float(t.get("x")) for t in legend.iter(SVG + "text"))
    legend_dark = dark((int(x0), 100, w, h))
    check(legend_dark > 1000, "legend panel shows text (%d dark pixels)" % legend_dark)
    print("%s: SVG %d bytes, PNG %d bytes, %dx%d px" % (name, os.path.getsize(svg),
                                                       os.path.getsize(png), w, h))


def check_panel(root):
    legend = " | ".join(texts(by_id(root, "legend")))
    arrow = by_id(root, "north-arrow")
    check(arrow.find(SVG + "path") is not None and "N" in texts(arrow), "north arrow with N")
    return legend


def sheet_file(cid):
    """The sheet's name as the C API documents it (ids here are plain, so no ~N suffix)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", cid) + ".svg"


def check_overview(folder, comm_ids, grids_of, lo, hi):
    svg = os.path.join(folder, "overview.svg")
    root = ET.parse(svg).getroot()
    check_title(root, len(comm_ids), lo, hi)
    legend = check_panel(root)
    for item in ("Community id, its grid count", "Grid border", "Community border",
                 "Click a community for its sheet"):
        check(item in legend, "overview legend explains %r" % item)
    entries = texts(by_id(root, "legend"))
    entries = entries[1:entries.index("ID")]  # the classes: a range, then its communities
    classes = entries[0::2]
    counts = [int(re.fullmatch(r"(\d+) communit(?:y|ies)", t).group(1)) for t in entries[1::2]]
    check(all(re.fullmatch(r"\d+ grids?|\d+ to \d+ grids|No grid \(no households\)", t)
              for t in classes) and sum(counts) == len(comm_ids),
          "overview legend: classes %s holding %s communities" % (classes, counts))
    links = {}
    for a in by_id(root, "community-fills").iter(SVG + "a"):
        t = a.find(SVG + "path").find(SVG + "title").text
        links[t.split(":")[0]] = a.get("href")
        m = re.search(r": (\d+) grids?,", t)
        check(m is not None and int(m.group(1)) == grids_of[t.split(":")[0]],
              "overview: %s has %d grids" % (t.split(":")[0], grids_of[t.split(":")[0]]))
    check(links == {c: sheet_file(c) for c in comm_ids},
          "overview links every community to its sheet (%d)" % len(links))
    files = sorted(os.listdir(folder))
    want = sorted(["overview.svg"] + [sheet_file(c) for c in comm_ids])
    check([f for f in files if f.endswith(".svg")] == want,
          "the folder holds overview.svg and %d sheets, nothing else" % len(comm_ids))
    group = by_id(root, "labels")
    placed, dropped = int(group.get("data-placed")), int(group.get("data-dropped"))
    check(placed + dropped == len(comm_ids) and placed > 0,
          "overview labels: %d placed + %d left out = %d communities" % (placed, dropped,
                                                                         len(comm_ids)))
    tx = list(group.iter(SVG + "text"))
    check(len(tx) == 2 * placed, "each placed label: id and grid count")
    for a, b in zip(tx[0::2], tx[1::2]):
        n = int(b.text.split()[0])
        check(n == grids_of[a.text], "label %s says %d grids" % (a.text, n))
    check_no_overlap(label_boxes(group, 7, 20))
    check_png(svg, root, "overview")
    return root


def check_sheets(folder, comm_ids, grids_of, lo, hi, out):
    order = sorted(comm_ids, key=lambda c: grids_of[c])
    render = {comm_ids[0], order[0], order[-1]}
    for k, cid in enumerate(comm_ids):
        svg = os.path.join(folder, sheet_file(cid))
        root = ET.parse(svg).getroot()
        title = " | ".join(texts(by_id(root, "map-title")))
        if "Service grids of community %s" % cid not in title or \
                "%d to %d households per grid" % (lo, hi) not in title or \
                "Sheet %d of %d" % (k + 1, len(comm_ids)) not in title:
            fail("sheet %s: title %r" % (cid, title))
        legend = check_panel(root)
        for item in ("Households in the grid", "Community border", "Street"):
            if item not in legend:
                fail("sheet %s: legend lacks %r" % (cid, item))
        n = sum(1 for _ in by_id(root, "grids").iter(SVG + "path"))
        if n != grids_of[cid]:
            fail("sheet %s: %d grids drawn, the community has %d" % (cid, n, grids_of[cid]))
        check_scale(root, out, min_grids=1)
        check_labels(root, 0, grids_of[cid])
        if cid in render:
            check_png(svg, root, "sheet " + cid)
    print("%d sheets judged, %d rendered to PNG" % (len(comm_ids), len(render)))


def main():
    if len(sys.argv) < 7:
        fail(__doc__)
    cli, scratch, name, comm, streets, hh = sys.argv[1:7]
    min_dropped = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    extra = sys.argv[8:]
    sheets = bool(extra) and extra[0] == "--sheets"
    extra = extra[1:] if sheets else extra
    for need in (comm, streets, hh):
        if not os.path.isfile(need):
            fail("%s is absent: put the shared data beside the repository (../shared)" % need)
    out, svg = run(cli, scratch, name, comm, streets, hh, extra, sheets)
    root = ET.parse(svg).getroot()
    ds = ogr.Open(comm)
    n_comm = ds.GetLayer(0).GetFeatureCount()
    lo = int(extra[extra.index("--min") + 1]) if "--min" in extra else 300
    hi = int(extra[extra.index("--max") + 1]) if "--max" in extra else 500
    check_title(root, n_comm, lo, hi)
    legend = check_panel(root)
    for item in ("Grid", "Households in the grid", "Community border", "Street"):
        check(item in legend, "legend explains %r" % item)
    check_scale(root, out)
    check_labels(root, min_dropped)
    check_png(svg, root, name)
    if sheets:
        comm_ids = [f["code"] for f in ds.GetLayer(0)]
        rep = json.load(open(os.path.join(out, "report.json")))
        grids_of = {c["id"]: c["grids"] for c in rep["communities"]}
        check(sorted(grids_of) == sorted(comm_ids), "the report lists every community")
        folder = os.path.join(out, "sheets")
        check_overview(folder, [c["id"] for c in rep["communities"]], grids_of, lo, hi)
        check_sheets(folder, [c["id"] for c in rep["communities"]], grids_of, lo, hi, out)


if __name__ == "__main__":
    main()
