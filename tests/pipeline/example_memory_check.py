#!/usr/bin/python3
"""Check examples/memory/partition_memory as a GIS tool linking gridpart would use it (issue #14).

usage: example_memory_check.py MODE EXE [BUILD_DIR SOURCE]
  output     the grids it prints tile its square community exactly and hold every household
  files      run under strace: no file is created, written, renamed or removed
  valgrind   run under valgrind: no invalid or uninitialised read, no definite or indirect leak
  pkgconfig  `meson install` the build into a scratch root and build the example from its
             source with only `pkg-config --cflags --libs gridpart`, then run it

Each mode exits 0 on success and 1 with a message naming what failed.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import shapely.wkb
from shapely.geometry import box
from shapely.ops import unary_union

ROWS, COLS = 6, 7          # 42 blocks of 100 m, 4 buildings of 10 households each: 1,680
HOUSEHOLDS = ROWS * COLS * 40
X0, Y0, BLOCK = 500000.0, 4000000.0, 100.0


def fail(msg):
    print("example_memory_check: " + msg, file=sys.stderr)
    sys.exit(1)


def run(cmd, cwd, **kw):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, **kw)


def parse(stdout):
    """The grids printed: [(code, households, geometry)], checked against the header line."""
    lines = stdout.splitlines()
    if len(lines) < 3 or not lines[0].endswith(" grids") or lines[1] != "grid_code,households,wkb":
        fail("unexpected output head: %r" % lines[:2])
    n = int(lines[0].split()[0])
    rows = []
    for line in lines[2:2 + n]:
        code, households, hexwkb = line.split(",")
        rows.append((code, int(households), shapely.wkb.loads(bytes.fromhex(hexwkb))))
    if len(rows) != n:
        fail("%d grids announced, %d printed" % (n, len(rows)))
    return rows


def check_output(exe):
    with tempfile.TemporaryDirectory() as d:
        r = run([exe, str(ROWS), str(COLS)], d)
        if r.returncode != 0:
            fail("exit %d: %s" % (r.returncode, r.stderr))
        if os.listdir(d):
            fail("left files in its working folder: %s" % os.listdir(d))
    for bad in (["0", "0"], ["51", "2"], ["3"], ["x", "y"]):
        b = run([exe] + bad, "/")
        if b.returncode != 2 or "usage: partition_memory" not in b.stderr:
            fail("arguments %s: exit %d, stderr %r (expected 2 and the usage)"
                 % (bad, b.returncode, b.stderr))
    rows = parse(r.stdout)
    codes = [c for c, _, _ in rows]
    expected = ["640106003001%03d" % (i + 1) for i in range(len(rows))]
    if codes != expected:
        fail("codes %s, expected %s" % (codes, expected))
    total = sum(h for _, h, _ in rows)
    if total != HOUSEHOLDS:
        fail("grids hold %d households, the community %d" % (total, HOUSEHOLDS))
    for code, h, g in rows:
        if not (300 <= h <= 500):
            fail("grid %s holds %d households, outside [300, 500]" % (code, h))
        if g.geom_type != "Polygon" or not g.is_valid:
            fail("grid %s: %s, valid %s (a contiguous grid is one valid polygon)"
                 % (code, g.geom_type, g.is_valid))
        if h % 10:
            fail("grid %s holds %d households: a building of 10 was split" % (code, h))
    square = box(X0, Y0, X0 + COLS * BLOCK, Y0 + ROWS * BLOCK)
    union = unary_union([g for _, _, g in rows])
    overlap = sum(g.area for _, _, g in rows) - union.area
    if abs(union.symmetric_difference(square).area) > 1e-3 or overlap > 1e-3:
        fail("grids do not tile the community: %.3f m2 differ, %.3f m2 overlap"
             % (union.symmetric_difference(square).area, overlap))
    # Borders follow streets: every grid is a union of whole 100 m blocks.
    for code, _, g in rows:
        blocks = g.area / (BLOCK * BLOCK)
        if abs(blocks - round(blocks)) > 1e-6:
            fail("grid %s covers %.4f blocks: a border crosses a block" % (code, blocks))
    print("output: %d grids, %d households, tiling the %d x %d community" %
          (len(rows), total, ROWS, COLS))


def no_leak_check():
    """The environment for a run under ptrace: LeakSanitizer cannot work there (in a sanitizer
    build; the output mode checks leaks, valgrind mode too)."""
    asan = os.environ.get("ASAN_OPTIONS", "")
    return dict(os.environ, ASAN_OPTIONS=(asan + ":" if asan else "") + "detect_leaks=0")


def check_files(exe):
    strace = shutil.which("strace")
    if strace is None:
        fail("strace is not installed (Debian strace, listed in .ci/packages)")
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "trace")
        r = run([strace, "-f", "-qq", "-o", log, "-e",
                 "trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,"
                 "unlinkat,truncate,ftruncate", exe, str(ROWS), str(COLS)], d,
                env=no_leak_check())
        if r.returncode != 0:
            fail("exit %d under strace: %s" % (r.returncode, r.stderr))
        calls = open(log).read().splitlines()
    bad = [c for c in calls
           if any(w in c for w in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "creat(", "mkdir",
                                   "rename", "unlink", "truncate("))]
    if bad:
        fail("touched the file system:\n" + "\n".join(bad[:10]))
    parse(r.stdout)
    print("files: %d file-system calls traced, none creating, writing, renaming or removing"
          % len(calls))


def check_valgrind(exe):
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        fail("valgrind is not installed (listed in .ci/packages)")
    with tempfile.TemporaryDirectory() as d:
        r = run([valgrind, "-q", "--error-exitcode=99", "--leak-check=full",
                 "--errors-for-leak-kinds=definite,indirect", "--track-origins=yes",
                 exe, "3", "4"], d)
    if r.returncode != 0:
        fail("valgrind exit %d:\n%s" % (r.returncode, r.stderr[-4000:]))
    rows = parse(r.stdout)
    if sum(h for _, h, _ in rows) != 3 * 4 * 40:
        fail("under valgrind the grids do not hold the 480 households")
    print("valgrind: no error, no leak; %d grids" % len(rows))


def check_pkgconfig(build, source):
    cc = shutil.which("cc") or shutil.which("gcc")
    pkgconfig = shutil.which("pkg-config")
    if cc is None or pkgconfig is None:
        fail("cc or pkg-config is missing")
    with tempfile.TemporaryDirectory() as root:
        r = run(["meson", "install", "-C", build, "--destdir", root, "--no-rebuild", "--quiet"],
                root)
        if r.returncode != 0:
            fail("meson install: " + r.stderr)
        pcs = [os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs
               if f == "gridpart.pc"]
        if len(pcs) != 1:
            fail("installed gridpart.pc files: %s" % pcs)
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]),
                   PKG_CONFIG_SYSROOT_DIR=root)
        flags = run([pkgconfig, "--cflags", "--libs", "gridpart"], root, env=env)
        if flags.returncode != 0:
            fail("pkg-config: " + flags.stderr)
        exe = os.path.join(root, "partition_memory")
        src = os.path.join(source, "examples", "memory", "partition_memory.c")
        r = run([cc, "-std=c17", "-Wall", "-Wextra", "-Werror", "-o", exe, src]
                + flags.stdout.split(), root)
        if r.returncode != 0:
            fail("building the example with pkg-config's flags (%s): %s"
                 % (flags.stdout.strip(), r.stderr))
        libdir = [a[2:] for a in flags.stdout.split() if a.startswith("-L")]
        r = run([exe, "2", "2"], root, env=dict(os.environ, LD_LIBRARY_PATH=":".join(libdir)))
        if r.returncode != 0:
            fail("the example built with pkg-config exits %d: %s" % (r.returncode, r.stderr))
        ldd = run(["ldd", exe], root, env=dict(os.environ, LD_LIBRARY_PATH=":".join(libdir)))
        if root not in ldd.stdout:
            fail("the example did not link the installed library:\n" + ldd.stdout)
        rows = parse(r.stdout)
    print("pkgconfig: built with `%s`, %d grid(s)" % (flags.stdout.strip(), len(rows)))


def main(argv):
    if len(argv) < 3:
        fail(__doc__)
    mode, exe = argv[1], os.path.abspath(argv[2])
    if mode == "output":
        check_output(exe)
    elif mode == "files":
        check_files(exe)
    elif mode == "valgrind":
        check_valgrind(exe)
    elif mode == "pkgconfig" and len(argv) >= 5:
        check_pkgconfig(argv[3], argv[4])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv)
