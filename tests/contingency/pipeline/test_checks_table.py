"""docs/duis-checks.md's table is the code's: every refusal code → DUIS response code → HTTP status → check, row by
row as contingency.duis.codes.REFUSALS has it; every code the pipeline raises has a row; the checks run in the
table's order."""

from __future__ import annotations

import re

from contingency.duis import codes
from contingency.pipeline import run
from tests.helpers.processes import PROJECT_DIR

DOC = PROJECT_DIR / "docs" / "duis-checks.md"
PIPELINE = PROJECT_DIR / "contingency" / "pipeline"


def _documented() -> dict[str, tuple[int, str, int, str]]:
    section = DOC.read_text().split("## Every refusal", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if not re.match(r"\| [0-9]+ \| `", line):
            continue
        check, names, duis, http, reason = (cell.strip() for cell in line.strip().strip("|").split("|"))
        for code in re.findall(r"`([a-z0-9-]+)`", names):
            assert code not in rows, f"{code} listed twice"
            rows[code] = (int(check), duis, int(http), reason)
    return rows


def test_the_table_is_the_code_row_by_row():
    documented = _documented()
    expected = {code: (a.check, a.response_code or "—", a.http_status, a.reason) for code, a in codes.REFUSALS.items()}
    assert documented == expected


def test_every_code_the_pipeline_raises_has_a_row():
    raised = set()
    for path in PIPELINE.glob("*.py"):
        raised |= set(re.findall(r'Refused\(\s*"([a-z0-9-]+)"', path.read_text()))
    assert len(raised) >= 20
    assert raised <= set(_documented()), raised - set(_documented())


def test_the_checks_run_in_the_documented_order():
    assert [row for row, _ in run.CHECKS] == [5, 6, 7, 8, 9, 10, 11]
    source = (PIPELINE / "run.py").read_text()
    order = ["check_transport", "check_parse", "check_schema", "check_signature", "check_url", "for _row, check in",
             "store.store"]
    positions = [source.index(name, source.index("def handle")) for name in order]
    assert positions == sorted(positions)
