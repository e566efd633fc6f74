import pytest
from django.core.exceptions import ValidationError

from portal.errors import Refusal
from portal.eui import EUI64Field, InvalidEUI64, eui64_bytes, eui64_hex, parse_eui64

CANONICAL = "90-B3-D5-1F-30-01-00-00"


@pytest.mark.parametrize("text", [
    "90-B3-D5-1F-30-01-00-00",
    "90-b3-d5-1f-30-01-00-00",
    "90b3d51f30010000",
    "90B3D51F30010000",
    "90:B3:D5:1F:30:01:00:00",
    "90.b3.d5.1f.30.01.00.00",
    "90B3-D51F-3001-0000",
    "  90-B3-D5-1F-30-01-00-00\n",
])
def test_it_accepts_the_usual_forms_and_stores_one(text):
    assert parse_eui64(text) == CANONICAL


def test_it_accepts_bytes_and_integers():
    assert parse_eui64(bytes.fromhex("90b3d51f30010000")) == CANONICAL
    assert parse_eui64(0x90B3D51F30010000) == CANONICAL
    assert eui64_hex("90-b3-d5-1f-30-01-00-00") == "90B3D51F30010000"
    assert eui64_bytes(CANONICAL) == bytes.fromhex("90b3d51f30010000")


@pytest.mark.parametrize("bad", [
    "",
    "90-B3-D5-1F-30-01-00",          # 7 bytes
    "90-B3-D5-1F-30-01-00-00-00",    # 9 bytes
    "90B3D51F3001000",               # 15 digits
    "90B3D51F300100000",             # 17 digits
    "90-B3-D5-1F-30-01-00-0G",       # not hex
    "9-0B3-D5-1F-30-01-00-00",       # separator off a byte boundary
    "90-B3:D5-1F-30-01-00-00x",
    "90-B3-D5-1F--30-01-00-00",
    "0x90B3D51F30010000",
])
def test_it_rejects_bad_text(bad):
    with pytest.raises(InvalidEUI64) as excinfo:
        parse_eui64(bad)
    assert excinfo.value.code == "eui64-invalid"
    # A refusal with a stable code, and still a ValueError for parsers that catch those.
    assert isinstance(excinfo.value, Refusal) and isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize("bad", [b"\x90\xb3", -1, 2**64, 3.5, None])
def test_it_rejects_bad_values(bad):
    with pytest.raises(InvalidEUI64) as excinfo:
        parse_eui64(bad)
    assert excinfo.value.code == "eui64-invalid"


def test_the_model_field_normalises_and_validates():
    field = EUI64Field()
    assert field.to_python("90b3d51f30010000") == CANONICAL
    assert field.get_prep_value("90:b3:d5:1f:30:01:00:00") == CANONICAL
    with pytest.raises(ValidationError) as excinfo:
        field.clean("not-an-eui", None)
    assert [e.code for e in excinfo.value.error_list] == ["eui64-invalid"]
