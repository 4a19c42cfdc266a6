#!/usr/bin/python3
"""Count test cases from meson's testlog.json files: criterion and pytest report their own
cases; any other test counts as one. Prints 'N passed, N failed, N skipped' and exits 0."""
import json
import re
import sys

CRITERION = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")
PYTEST = re.compile(r"=+ (.*?) in [\d.]+s")


def count(path):
    p = f = s = 0
    with open(path) as fh:
        for line in fh:
            t = json.loads(line)
            out = (t.get("stdout") or "") + (t.get("stderr") or "")
            ok = t["result"] in ("OK", "EXPECTEDFAIL")
            skip = t["result"] == "SKIP"
            m = CRITERION.findall(out)
            py = [x for x in PYTEST.findall(out) if re.search(r"\d+ (passed|failed|skipped|error)", x)]
            if m:
                tested, passing, failing, crashing = map(int, m[-1])
                p += passing
                f += failing + crashing
                s += tested - passing - failing - crashing
                if not ok and failing + crashing == 0:
                    f += 1  # the runner itself failed (e.g. a leak report at exit)
            elif py:
                nums = dict((k, int(v)) for v, k in re.findall(r"(\d+) (passed|failed|skipped|errors?)", py[-1]))
                p += nums.get("passed", 0)
                f += nums.get("failed", 0) + nums.get("error", 0) + nums.get("errors", 0)
                s += nums.get("skipped", 0)
                if not ok and f == 0:
                    f += 1
            elif skip:
                s += 1
            elif ok:
                p += 1
            else:
                f += 1
    return p, f, s


def main():
    tp = tf = ts = 0
    for path in sys.argv[1:]:
        try:
            p, f, s = count(path)
        except OSError as e:
            print(f"count: {e}", file=sys.stderr)
            p, f, s = 0, 1, 0
        tp, tf, ts = tp + p, tf + f, ts + s
    print(f"{tp} passed, {tf} failed, {ts} skipped")


if __name__ == "__main__":
    main()
