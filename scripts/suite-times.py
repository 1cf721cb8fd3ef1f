#!/usr/bin/env python3
"""Prints the per-suite time summary of a test run: the wall time of each step of
scripts/test.sh (from the file the script writes) and, from nextest's JUnit report, the tests,
failures and summed test time of every crate and test module."""
import collections
import sys
import xml.etree.ElementTree as ET


def main(steps_file, junit_file):
    print("\n== time per step (wall clock)")
    try:
        for line in open(steps_file):
            name, secs = line.rstrip("\n").rsplit(" ", 1)
            print(f"  {name:<44} {float(secs):8.1f} s")
    except OSError:
        print("  (no step times recorded)")
    try:
        root = ET.parse(junit_file).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"\n(no test report: {e})")
        return
    suites = collections.OrderedDict()
    for suite in root.iter("testsuite"):
        binary = suite.get("name", "?")
        for case in suite.iter("testcase"):
            name = case.get("name", "?")
            module = name.split("::")[0] if "::" in name else "(top)"
            key = f"{binary} {module}"
            n, failed, secs, slowest = suites.get(key, (0, 0, 0.0, (0.0, "")))
            t = float(case.get("time", "0") or 0)
            bad = case.find("failure") is not None or case.find("error") is not None
            suites[key] = (n + 1, failed + bad, secs + t, max(slowest, (t, name)))
    print("\n== tests per suite (sum of test times; tests run in parallel)")
    total = 0.0
    for key, (n, failed, secs, (slow_t, slow_name)) in sorted(
        suites.items(), key=lambda kv: -kv[1][2]
    ):
        total += secs
        mark = f" {failed} FAILED" if failed else ""
        print(f"  {key:<52} {n:4} tests {secs:8.1f} s  slowest {slow_t:6.1f} s {slow_name}{mark}")
    print(f"  {'all':<52} {sum(v[0] for v in suites.values()):4} tests {total:8.1f} s")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
