"""Every code the GBCS room raises is documented, in docs/gbcs.md and docs/refusal-codes.md, and nothing
documented there is stale."""

from __future__ import annotations

import re

from tests.helpers.processes import PROJECT_DIR

ROOM = PROJECT_DIR / "contingency" / "gbcs"


def raised_codes() -> set[str]:
    codes = set()
    for path in ROOM.glob("*.py"):
        codes |= set(re.findall(r'"(gbcs-[a-z0-9-]+)"', path.read_text()))
    return codes


def documented(path, heading: str) -> set[str]:
    text = (PROJECT_DIR / path).read_text()
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(gbcs-[a-z0-9-]+)` \|", section, flags=re.M))


def test_every_gbcs_code_is_documented_in_both_places():
    codes = raised_codes()
    assert {"gbcs-not-credit", "gbcs-mode-inconsistent", "gbcs-signature-invalid"} <= codes
    assert documented("docs/gbcs.md", "## Refusal codes") == codes
    assert documented("docs/refusal-codes.md", "## GBCS frames (`contingency.gbcs`)") == codes
