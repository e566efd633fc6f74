"""RequestIDs are read exactly as the DUIS 5.4 XSD's RequestIDType allows and written in one spelling."""

from __future__ import annotations

import pytest

from contingency.duis import requestid
from contingency.duis.refusals import MessageRefused
from contingency.duis.requestid import COUNTER_MAX, RequestID

SUPPLIER = "90-B3-D5-1F-30-01-00-00"
ESME = "00-DB-12-34-56-78-90-A0"


def test_a_template_request_id_parses_to_its_parts():
    parsed = requestid.parse(f"{SUPPLIER}:{ESME}:1002")
    assert parsed == RequestID(SUPPLIER, ESME, 1002)
    assert (parsed.originator, parsed.target, parsed.counter) == (SUPPLIER, ESME, 1002)
    assert parsed.originator_hex == "90B3D51F30010000"
    assert str(parsed) == f"{SUPPLIER}:{ESME}:1002"


def test_lower_case_and_surrounding_white_space_are_read_and_written_canonically():
    # The conformance data's ECS50 request writes its originator in lower case; xs:token drops outer white space.
    parsed = requestid.parse(f"\n\t 00-db-12-34-56-78-00-04:{ESME.lower()}:7 \r\n")
    assert str(parsed) == f"00-DB-12-34-56-78-00-04:{ESME}:7"
    assert parsed == requestid.parse(f"00-DB-12-34-56-78-00-04:{ESME}:7")
    assert hash(parsed) == hash(requestid.parse(f"00-DB-12-34-56-78-00-04:{ESME}:7"))


def test_the_counter_range_is_that_of_an_unsigned_64_bit_number():
    assert requestid.parse(f"{SUPPLIER}:{ESME}:0").counter == 0
    assert requestid.parse(f"{SUPPLIER}:{ESME}:{COUNTER_MAX}").counter == 2**64 - 1
    with pytest.raises(MessageRefused) as refused:
        requestid.parse(f"{SUPPLIER}:{ESME}:{COUNTER_MAX + 1}")
    assert refused.value.code == "request-id-counter-out-of-range"
    with pytest.raises(MessageRefused) as refused:
        requestid.parse(f"{SUPPLIER}:{ESME}:" + "9" * 5000)
    assert refused.value.code == "request-id-counter-out-of-range"


@pytest.mark.parametrize("text", [
    f"{SUPPLIER}:00-07-81-D7-00-00-36-CE::1000",  # the signing tool's "-invalid" vector
    f"{SUPPLIER}:{ESME}:01002",  # leading zero
    f"{SUPPLIER}:{ESME}:+1002",
    f"{SUPPLIER}:{ESME}:-1",
    f"{SUPPLIER}:{ESME}:1 002",
    f"{SUPPLIER}:{ESME}:\u0661\u0662",  # Arabic-Indic digits: int() would take them, the XSD does not
    f"{SUPPLIER}:{ESME}",
    f"{SUPPLIER}:{ESME}:1:2",
    f"90B3D51F30010000:{ESME}:1",  # no hyphens
    f"90:B3:D5:1F:30:01:00:00:{ESME}:1",
    f"90-B3-D5-1F-30-01-00:{ESME}:1",  # seven bytes
    f"90-B3-D5-1F-30-01-00-0G:{ESME}:1",
    f"{SUPPLIER} :{ESME}:1",
    f"{SUPPLIER}:{ESME}:1\u00a0",  # no-break space is not XML white space
])
def test_spellings_the_xsd_refuses_are_malformed(text):
    with pytest.raises(MessageRefused) as refused:
        requestid.parse(text)
    assert refused.value.code == "request-id-malformed"


@pytest.mark.parametrize("text", [None, "", " \t\r\n"])
def test_an_empty_request_id_is_missing(text):
    with pytest.raises(MessageRefused) as refused:
        requestid.parse(text)
    assert refused.value.code == "request-id-missing"


def test_swapped_is_the_response_id():
    assert str(requestid.parse(f"{SUPPLIER}:{ESME}:1002").swapped()) == f"{ESME}:{SUPPLIER}:1002"


def test_values_built_in_code_are_checked_and_canonical():
    assert str(RequestID("90b3d51f30010000", ESME.lower(), 5)) == f"{SUPPLIER}:{ESME}:5"
    assert RequestID(bytes.fromhex("90B3D51F30010000"), ESME, 5).originator == SUPPLIER
    for bad in (-1, COUNTER_MAX + 1, True, "5"):
        with pytest.raises(ValueError):
            RequestID(SUPPLIER, ESME, bad)
    with pytest.raises(ValueError):
        RequestID("90-B3-D5-1F-30-01-00", ESME, 1)
