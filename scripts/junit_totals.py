"""Print one closing line for the pytest JUnit XML reports of several processes: `pytest: N passed, N failed`."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree


def totals(paths: list[str]) -> dict[str, int]:
    """Tests, failures (failed and errored) and skipped, summed over the reports' test suites."""
    counts = {"tests": 0, "failed": 0, "skipped": 0}
    for path in paths:
        root = ElementTree.parse(path).getroot()
        for suite in root.iter("testsuite"):
            counts["tests"] += int(suite.get("tests", 0))
            counts["failed"] += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            counts["skipped"] += int(suite.get("skipped", 0))
    return counts


if __name__ == "__main__":
    found = totals(sys.argv[1:])
    passed = found["tests"] - found["failed"] - found["skipped"]
    line = f"pytest: {passed} passed, {found['failed']} failed"
    print(line + (f", {found['skipped']} skipped" if found["skipped"] else ""))
