"""The response-code table agrees with the official XSD, covers every refusal the checks before the pipeline can
give, and docs/duis-messages.md shows it row by row (contingency.duis.codes)."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from contingency.duis import codes
from tests.helpers.processes import PROJECT_DIR

XS = "{http://www.w3.org/2001/XMLSchema}"
DOC = PROJECT_DIR / "docs" / "duis-messages.md"


@pytest.fixture(scope="module")
def xsd_codes(vectors_dir) -> set[str]:
    schema = etree.parse(str(vectors_dir / "dccboxed-signing-tool" / "schema" / "DUIS Schema V5.4.xsd"))
    simple = schema.find(f"{XS}simpleType[@name='ResponseCode']")
    return {e.get("value") for e in simple.iter(f"{XS}enumeration")}


def test_every_code_is_one_of_the_xsd(xsd_codes):
    assert set(codes.RESPONSE_CODES) <= xsd_codes
    assert codes.UNDESCRIBED <= xsd_codes
    assert not set(codes.RESPONSE_CODES) & codes.UNDESCRIBED


def test_every_general_xsd_code_is_described_or_listed_as_undescribed(xsd_codes):
    # The seven-character codes (E010101, W050201, …) belong to single SRVs; the rest are general.
    general = {c for c in xsd_codes if not re.fullmatch(r"[EW][0-9]{6}", c)}
    assert general == set(codes.RESPONSE_CODES) | codes.UNDESCRIBED
    assert {"I0", "I99", "E1", "E2", "E3", "E4", "E5", "E11", "E12", "E13", "E17", "E19", "E20", "E21",
            "E30"} == set(codes.RESPONSE_CODES)


def test_refusals_answer_only_with_error_codes_the_service_knows():
    for code, answer in codes.REFUSALS.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code)
        if answer.response_code is not None:
            assert codes.RESPONSE_CODES[answer.response_code].kind == "error", code
        assert 400 <= answer.http_status < 500 and 1 <= answer.check <= 12


def _codes_in(path, patterns) -> set[str]:
    text = path.read_text()
    found = set()
    for pattern in patterns:
        found |= set(re.findall(pattern, text))
    return found


def test_every_refusal_of_the_parse_schema_signature_and_message_checks_has_an_answer():
    room = set()
    for path in (PROJECT_DIR / "contingency" / "duis").glob("*.py"):
        room |= _codes_in(path, [r'MessageRefused\(\s*"([a-z0-9-]+)"', r'refused\("([a-z0-9-]+)"'])
    room |= {"structure-invalid"}  # structure._invalid()
    pki = _codes_in(PROJECT_DIR / "pki" / "safexml.py", [r'XMLRejected\(\s*"([a-z0-9-]+)"'])
    pki |= _codes_in(PROJECT_DIR / "pki" / "xmldsig.py", [r'SignatureRejected\(\s*"([a-z0-9-]+)"'])
    assert {"request-id-malformed", "command-variant-mismatch", "schema-invalid", "structure-unsupported"} <= room
    assert {"not-well-formed", "dtd-forbidden", "digest-mismatch", "unknown-signer"} <= pki
    missing = (room | pki) - codes.REFUSALS.keys()
    assert not missing, f"refusal codes with no answer in contingency.duis.codes: {sorted(missing)}"


def test_every_refusal_of_the_signed_pre_command_check_has_an_answer():
    """docs/gbcs.md lists each GBCS code with where it is raised; those of decode, verify and the CV 5 check can
    answer a request (the build-time ones refuse the DCC's own values)."""
    text = (PROJECT_DIR / "docs" / "gbcs.md").read_text()
    rows = re.findall(r"^\| `(gbcs-[a-z0-9-]+)` \| ([a-z_, ]+) \|", text, re.M)
    assert len(rows) > 20
    request_side = {code for code, where in rows if {"decode", "verify", "check"} & set(where.split(", "))}
    assert {"gbcs-not-credit", "gbcs-precommand-mismatch", "gbcs-signature-invalid"} <= request_side
    missing = request_side - codes.REFUSALS.keys()
    assert not missing, f"GBCS refusal codes with no answer in contingency.duis.codes: {sorted(missing)}"
    raised = _codes_in(PROJECT_DIR / "contingency" / "gbcs" / "check.py", [r'GbcsRefused\(\s*"([a-z0-9-]+)"'])
    assert raised and raised <= codes.REFUSALS.keys(), raised - codes.REFUSALS.keys()
    assert codes.answer_for("gbcs-not-credit").response_code == "E2"


def test_an_unknown_refusal_code_is_a_gap_not_a_guess():
    with pytest.raises(LookupError):
        codes.answer_for("no-such-code")
    assert codes.answer_for("command-variant-mismatch").response_code == "E12"
    assert codes.answer_for("digest-mismatch").response_code is None


def _table(heading: str) -> list[list[str]]:
    section = DOC.read_text().split(heading, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_documentation_shows_the_response_codes_row_by_row():
    rows = {re.sub(r"[`*]", "", row[0]): row for row in _table("## Response codes")}
    assert set(rows) == set(codes.RESPONSE_CODES) | {"E31, E40–E71, E100, E1000–E1011"}
    for code, meaning in codes.RESPONSE_CODES.items():
        assert rows[code][1] == meaning.kind, code


def test_the_documentation_shows_the_refusal_answers_row_by_row():
    documented = {}
    for row in _table("## Refusals and their answers"):
        for code in re.findall(r"`([a-z0-9-]+)`", row[0]):
            assert code not in documented, f"{code} listed twice"
            documented[code] = (row[1].strip("`"), int(row[2]), int(row[3]))
    expected = {code: (a.response_code or "—", a.http_status, a.check) for code, a in codes.REFUSALS.items()}
    assert documented == expected


def test_a_code_named_twice_stops_the_table():
    with pytest.raises(ValueError):
        codes._table(codes._rows("same-code", None, 400, 5, "one"), codes._rows("same-code", "E2", 403, 10, "two"))
