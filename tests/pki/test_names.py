"""Distinguished names are compared as names (DUIS KeyInfo carries Java's RFC 2253 text)."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from pki.names import InvalidName, name_key, rfc2253
from pki.profile import org_subject


def z1() -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "07"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Z1")])


@pytest.mark.parametrize("text", ["CN=Z1,OU=07", "CN=Z1, OU=07", "cn=z1,ou=07", " CN = Z1 ; OU = 07 ",
                                  "2.5.4.3=Z1,2.5.4.11=07", "CN=#13025A31,OU=07"])
def test_same_name_written_differently(text):
    assert name_key(text) == name_key(z1())


@pytest.mark.parametrize("text", ["OU=07,CN=Z1", "CN=Z2,OU=07", "CN=Z1", "CN=Z1,OU=07,O=x", "CN=Z1+OU=07"])
def test_different_names(text):
    assert name_key(text) != name_key(z1())


@pytest.mark.parametrize("text", ["", "CN", "FOO=bar", "CN=#zz"])
def test_unparseable(text):
    with pytest.raises(InvalidName):
        name_key(text)


def test_rfc2253_writes_the_x500_unique_identifier_as_der_hex():
    name = org_subject("90-B3-D5-1F-30-01-00-00", 0x87)
    assert rfc2253(name) == "2.5.4.45=#03090090b3d51f30010000,OU=87"
    assert name_key(rfc2253(name)) == name_key(name)
    assert name_key("2.5.4.45=#03090090B3D51F30010000,OU=87") == name_key(name)


def test_escaped_values_round_trip():
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "A, B+C")])
    assert rfc2253(name) == "CN=A\\, B\\+C"
    assert name_key(rfc2253(name)) == name_key(name)


def test_der_tlv_writes_short_and_long_lengths():
    from pki import names

    assert names.der_tlv(0x04, b"\x01\x02") == b"\x04\x02\x01\x02"
    assert names.der_tlv(0x04, b"x" * 200)[:3] == b"\x04\x81\xc8"
    assert names.der_tlv(0x04, b"x" * 300)[:4] == b"\x04\x82\x01\x2c"


@pytest.mark.parametrize(("value", "code"), [("02", 2), ("87", 0x87), ("0x89", 0x89), ("7f", 0x7F), (0x87, 0x87)])
def test_one_role_parser(value, code):
    from pki.profile import parse_role, role_ou

    assert parse_role(value) == code
    assert role_ou(code) == f"{code:02X}"


@pytest.mark.parametrize("value", ["1234", "2", "zz", "137", "", 256, -1, "0x123"])
def test_role_parser_refuses_anything_but_two_hex_digits(value):
    from pki.profile import ProfileError, parse_role

    with pytest.raises(ProfileError):
        parse_role(value)


def test_legacy_decimal_ou_only_when_asked():
    from pki.profile import parse_role

    assert parse_role("137", legacy_decimal=True) == 0x89
