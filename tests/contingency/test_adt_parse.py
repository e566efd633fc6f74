"""The ADT file parser (docs/adt-format.md): plain Python, every problem reported by line and field, never
anything but its own refusal (fuzzed with hypothesis)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contingency.adt.parse import COLUMNS, AdtFileRejected, AdtRow, parse_adt
from contingency.adt.srv import KNOWN_SRVS

from .adt_cast import HEADER, SOLR_EUI, SUPPLIER_GS, SUPPLIER_IS, csv_bytes, solr_row

LIMIT = 64 * 1024


def refused(data: bytes, max_bytes: int = LIMIT) -> AdtFileRejected:
    with pytest.raises(AdtFileRejected) as info:
        parse_adt(data, max_bytes=max_bytes)
    return info.value


def problems(exc: AdtFileRejected) -> set[tuple[int, str, str]]:
    return {(e.line, e.field, e.code) for e in exc.errors}


def test_a_valid_file_gives_normalised_rows_in_file_order():
    data = csv_bytes(solr_row(SUPPLIER_IS, 10, 20, 60),
                     "90b3d51f30200001, 1.6 ,90:b3:d5:1f:30:10:01:02,5,5,15")
    assert parse_adt(data, max_bytes=LIMIT) == [
        AdtRow(2, SOLR_EUI, "1.6", SUPPLIER_IS, 10, 20, 60),
        AdtRow(3, SOLR_EUI, "1.6", SUPPLIER_GS, 5, 5, 15),
    ]


def test_a_wildcard_target_a_bom_crlf_and_blank_lines_are_accepted():
    data = ("\ufeff" + HEADER + "\r\n\r\n" + "90-B3-D5-1F-30-10-01-01,6.2.9,*,1,2,3\r\n").encode()
    assert parse_adt(data, max_bytes=LIMIT) == [AdtRow(3, SUPPLIER_IS, "6.2.9", "*", 1, 2, 3)]


def test_the_columns_may_come_in_any_order():
    header = "srv,user_id,window_minutes,target_supplier,quarantine_level,warning_level"
    rows = parse_adt(csv_bytes(f"1.6,{SOLR_EUI},60,{SUPPLIER_IS},20,10", header=header), max_bytes=LIMIT)
    assert rows == [AdtRow(2, SOLR_EUI, "1.6", SUPPLIER_IS, 10, 20, 60)]


def test_every_problem_is_reported_with_its_line_and_field():
    data = csv_bytes(
        solr_row(),                                             # line 2: fine
        f"not-an-eui,1.6,{SUPPLIER_IS},1,2,3",                  # line 3
        f"{SOLR_EUI},9.99,{SUPPLIER_IS},1,2,3",                 # line 4: unknown SRV
        f"{SOLR_EUI},1.6,{SUPPLIER_GS},0,2,3",                  # line 5: warning 0
        f"{SOLR_EUI},1.6,90-B3-D5-1F-30-10-09-09,5,4,3",         # line 6: warning above quarantine
        f"{SOLR_EUI},1.6,90-B3-D5-1F-30-10-09-08,1,2,0",         # line 7: window 0
        f"{SOLR_EUI},1.6,90-B3-D5-1F-30-10-09-07,x,2,-4",        # line 8: not a number, negative
        f"{SOLR_EUI},1.6,{SUPPLIER_IS},1,2,3",                  # line 9: duplicate of line 2
        f"{SOLR_EUI},1.6,{SUPPLIER_IS}",                        # line 10: too few fields
        f"{SOLR_EUI},,,1,2,99999999999999",                      # line 11: empty srv, target; too large
        f"{SOLR_EUI},1.6,zz,1,2,3",                              # line 12: target not an EUI
    )
    exc = refused(data)
    assert exc.code == "adt-file-invalid"
    assert problems(exc) == {
        (3, "user_id", "eui64-invalid"),
        (4, "srv", "srv-unknown"),
        (5, "warning_level", "value-not-positive"),
        (6, "warning_level", "warning-above-quarantine"),
        (7, "window_minutes", "value-not-positive"),
        (8, "warning_level", "value-not-an-integer"),
        (8, "window_minutes", "value-not-positive"),
        (9, "", "row-duplicate"),
        (10, "", "row-field-count"),
        (11, "srv", "value-required"),
        (11, "target_supplier", "value-required"),
        (11, "window_minutes", "value-too-large"),
        (12, "target_supplier", "eui64-invalid"),
    }
    assert all(e.message for e in exc.errors)
    assert exc.error_dicts()[0].keys() == {"line", "field", "code", "message"}


def test_a_duplicate_is_found_whatever_the_eui_spelling():
    exc = refused(csv_bytes(solr_row(SUPPLIER_IS), solr_row("90b3d51f30100101")))
    assert problems(exc) == {(3, "", "row-duplicate")}


def test_a_quoted_row_over_two_lines_is_reported_at_its_first_line():
    data = csv_bytes(solr_row(), f'"{SOLR_EUI}",1.6,"{SUPPLIER_GS}\n",1,2,x', solr_row(warning=0))
    assert problems(refused(data)) == {(3, "window_minutes", "value-not-an-integer"),
                                       (5, "warning_level", "value-not-positive")}


def test_unicode_digits_are_not_numbers():
    exc = refused(csv_bytes(f"{SOLR_EUI},1.6,{SUPPLIER_IS},\u0661\u0662,20,60"))
    assert problems(exc) == {(2, "warning_level", "value-not-an-integer")}


@pytest.mark.parametrize(("data", "code"), [
    (b"", "adt-file-empty"),
    (b"  \n\n", "adt-file-empty"),
    (HEADER.encode() + b"\n", "adt-file-no-rows"),
    (HEADER.encode() + b"\n\n,,,,,\n", "adt-file-no-rows"),
    (csv_bytes(solr_row()).replace(b"1.6", b"1.\xff"), "adt-file-not-utf8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "adt-file-not-utf8"),
    (b"user_id,srv\x00,x\n", "adt-file-not-csv"),
    (HEADER.encode() + b'\n"unterminated,1.6\n', "adt-file-not-csv"),
    (HEADER.encode() + b"\n" + b"a" * 5000 + b"\n", "adt-file-not-csv"),
    (csv_bytes(solr_row(), header="user_id,srv,target,warning_level,quarantine_level,window_minutes"),
     "adt-header-invalid"),
    (csv_bytes(solr_row()), None),
])
def test_files_that_are_not_adt_csv_get_a_file_code(data, code):
    if code is None:
        assert parse_adt(data, max_bytes=LIMIT)
        return
    exc = refused(data)
    assert exc.code == code
    assert exc.errors and all(e.code for e in exc.errors)


def test_the_header_problems_name_each_column():
    exc = refused(csv_bytes("a,b,c,d,e,f,g", header="user_id,srv,srv,target,warning_level,quarantine_level,x"))
    assert exc.code == "adt-header-invalid"
    assert problems(exc) == {
        (1, "target_supplier", "header-column-missing"),
        (1, "window_minutes", "header-column-missing"),
        (1, "srv", "header-column-repeated"),
        (1, "target", "header-column-unknown"),
        (1, "x", "header-column-unknown"),
    }


def test_an_oversized_file_is_refused_before_it_is_read():
    data = csv_bytes(solr_row())
    assert parse_adt(data, max_bytes=len(data))
    exc = refused(data, max_bytes=len(data) - 1)
    assert exc.code == "adt-file-too-large"


def test_the_srv_table_matches_the_duis_request_matrix(vectors_dir):
    """The project's own SRV table (contingency/adt/srv.py) lists exactly the matrix's Service Reference Variants."""
    matrix = json.loads((vectors_dir / "duis-parser" / "duis-request-matrix.json").read_text())
    assert {entry["Service Reference Variant"] for entry in matrix} == KNOWN_SRVS
    assert "1.6" in KNOWN_SRVS


# --- fuzzing ----------------------------------------------------------------------------------

_cells = st.one_of(
    st.sampled_from([SOLR_EUI, SUPPLIER_IS, "*", "1.6", "6.2.9", "0", "1", "-1", "60", "", " ", '"', "\n",
                     "99999999999999999999", "1e3", "0x10", "\u0661"]),
    st.text(max_size=12),
)
_rows = st.lists(st.lists(_cells, min_size=0, max_size=8), max_size=8)


def _render(header_cells: list[str], rows: list[list[str]], sep: str) -> bytes:
    return (sep.join([",".join(header_cells), *(",".join(r) for r in rows)]) + sep).encode("utf-8", "surrogatepass")


def _check(data: bytes) -> None:
    try:
        rows = parse_adt(data, max_bytes=4096)
    except AdtFileRejected as exc:
        assert exc.code.startswith("adt-")
        assert exc.errors
        for error in exc.errors:
            assert isinstance(error.line, int) and error.line >= 0
            assert error.field == "" or error.field in COLUMNS or error.line == 1
    else:
        assert rows
        for row in rows:
            assert 0 < row.warning_level <= row.quarantine_level
            assert row.window_minutes > 0
            assert row.srv in KNOWN_SRVS


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=6000))
def test_fuzz_arbitrary_bytes_only_ever_give_rows_or_its_own_refusal(data):
    _check(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.just(list(COLUMNS)), st.permutations(COLUMNS).map(list), st.lists(_cells, max_size=7)),
       _rows, st.sampled_from(["\n", "\r\n", "\r"]))
def test_fuzz_csv_shaped_input_only_ever_gives_rows_or_its_own_refusal(header, rows, sep):
    _check(_render(header, rows, sep))


# --- the codes are documented ------------------------------------------------------------------

def test_every_adt_code_is_documented_in_refusal_codes():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    raised = {"eui64-invalid", "adt-approve-not-allowed", "adt-reject-not-allowed"}  # eui's, and f"adt-{action}-…"
    for path in (root / "contingency" / "adt").glob("*.py"):
        text = path.read_text()
        raised |= set(re.findall(r'RowError\([^,()]+,\s*[^,()]+,\s*"([a-z0-9-]+)"', text))
        raised |= set(re.findall(r'_file_refusal\(\s*"([a-z0-9-]+)"', text))
        raised |= set(re.findall(r'\bcode(?: =|=)\s*"([a-z0-9-]+)"', text))
    assert {"adt-four-eyes", "adt-file-not-submitted", "row-duplicate", "adt-file-too-large",
            "target-supplier-required", "user-id-not-of-party"} <= raised
    text = (root / "docs" / "refusal-codes.md").read_text()
    section = text.split("## ADT files (`contingency.adt`)", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", section))
    assert not raised - documented, f"undocumented ADT codes: {sorted(raised - documented)}"
    format_doc = (root / "docs" / "adt-format.md").read_text()
    assert not {c for c in raised - {"adt-refused"} if f"`{c}`" not in format_doc}  # adt-refused: class default
