"""Distinguished names: parse RFC 2253 text (as Java's ``X500Principal.getName()`` writes it in DUIS KeyInfo)
and compare names as names, not as text.

``name_key()`` turns a name, given as RFC 2253 text or as a cryptography ``x509.Name``, into one normalised
string: RDNs in DER order, attribute types as dotted OIDs, values with surrounding spaces removed, inner
runs of spaces collapsed and case folded (X.520 caseIgnoreMatch, as RFC 5280 §7.1 asks for comparison).
So ``CN=Z1,OU=07``, ``CN=Z1, OU=07`` and ``cn=z1,ou=07`` give the same key, and so does the issuer of a
certificate whose name is encoded as PrintableString or as UTF8String.
"""

from __future__ import annotations

import functools

from cryptography import x509

# RFC 4514 §3 keywords, plus the ones Java and OpenSSL print.
_KEYWORDS = {
    "CN": "2.5.4.3", "SN": "2.5.4.4", "SERIALNUMBER": "2.5.4.5", "C": "2.5.4.6", "L": "2.5.4.7",
    "ST": "2.5.4.8", "S": "2.5.4.8", "STREET": "2.5.4.9", "O": "2.5.4.10", "OU": "2.5.4.11", "T": "2.5.4.12",
    "TITLE": "2.5.4.12", "GIVENNAME": "2.5.4.42", "X500UNIQUEIDENTIFIER": "2.5.4.45",
    "DC": "0.9.2342.19200300.100.1.25",
    "UID": "0.9.2342.19200300.100.1.1", "E": "1.2.840.113549.1.9.1", "EMAILADDRESS": "1.2.840.113549.1.9.1",
}
_STRING_TAGS = {0x0C: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x14: "latin-1", 0x1E: "utf-16-be", 0x1A: "ascii"}
_SEP_RDN = "\x1e"
_SEP_ATV = "\x1f"


class InvalidName(ValueError):
    pass


def _normalise_text(value: str) -> str:
    return " ".join(value.split()).casefold()


def der_tlv(tag: int, content: bytes) -> bytes:
    """One DER TLV: ``tag``, the definite length (short or long form), ``content``."""
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


_der_tlv = der_tlv  # the old private name, kept for existing callers


def _value_from_der(blob: bytes) -> str:
    """A '#hex' value: a DER string type becomes its text; anything else stays as hex of the TLV."""
    if len(blob) >= 2 and blob[0] in _STRING_TAGS:
        length, offset = blob[1], 2
        if length & 0x80:
            count = length & 0x7F
            length, offset = int.from_bytes(blob[2 : 2 + count], "big"), 2 + count
        content = blob[offset : offset + length]
        if len(content) == length and offset + length == len(blob):
            try:
                return _normalise_text(content.decode(_STRING_TAGS[blob[0]]))
            except UnicodeDecodeError:
                pass
    return "#" + blob.hex()


def _split(text: str, separators: str) -> list[str]:
    """Split on unescaped separators, keeping escapes for the value parser."""
    parts, current, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch in separators:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    out, i = bytearray(), 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            nxt = value[i + 1 : i + 3]
            if len(nxt) == 2 and all(c in "0123456789abcdefABCDEF" for c in nxt):
                out.append(int(nxt, 16))
                i += 3
                continue
            out.extend(value[i + 1].encode())
            i += 2
            continue
        out.extend(ch.encode())
        i += 1
    return out.decode("utf-8", errors="replace")


def _atv_key(attr: str) -> str:
    if "=" not in attr:
        raise InvalidName(f"{attr!r} is not TYPE=value")
    atype, value = attr.split("=", 1)
    atype = atype.strip()
    oid = _KEYWORDS.get(atype.upper())
    if oid is None:
        candidate = atype[4:] if atype.upper().startswith("OID.") else atype
        if not candidate or not all(part.isdigit() for part in candidate.split(".")):
            raise InvalidName(f"unknown attribute type {atype!r}")
        oid = candidate
    value = value.strip()
    if value.startswith("#"):
        try:
            text = _value_from_der(bytes.fromhex(value[1:]))
        except ValueError as exc:
            raise InvalidName(f"bad hex value {value!r}") from exc
    else:
        text = _normalise_text(_unescape(value))
    return f"{oid}={text}"


@functools.lru_cache(maxsize=1024)
def _key_from_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidName("an empty name")
    rdns = [_split(rdn, "+") for rdn in _split(text, ",;")]
    keys = [_SEP_ATV.join(sorted(_atv_key(atv) for atv in rdn)) for rdn in rdns]
    return _SEP_RDN.join(reversed(keys))  # RFC 2253 text lists the last RDN first


def _key_from_name(name: x509.Name) -> str:
    keys = []
    for rdn in name.rdns:
        atvs = []
        for attr in rdn:
            value = attr.value
            if isinstance(value, bytes):
                tag = 0x03 if attr._type == x509.name._ASN1Type.BitString else 0x04
                text = "#" + der_tlv(tag, value).hex()
            else:
                text = _normalise_text(value)
            atvs.append(f"{attr.oid.dotted_string}={text}")
        keys.append(_SEP_ATV.join(sorted(atvs)))
    return _SEP_RDN.join(keys)


def name_key(name: str | x509.Name) -> str:
    """The normalised comparison key of a distinguished name. Raises InvalidName for unparseable text."""
    if isinstance(name, x509.Name):
        return _key_from_name(name)
    return _key_from_text(name)


_SHORT = {"2.5.4.3": "CN", "2.5.4.11": "OU", "2.5.4.10": "O", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
          "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID"}


def _escape(value: str) -> str:
    out = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
    if out.startswith((" ", "#")):
        out = "\\" + out
    if out.endswith(" ") and not out.endswith("\\ "):
        out = out[:-1] + "\\ "
    return out


def rfc2253(name: x509.Name) -> str:
    """RFC 2253 text of a name as Java's ``X500Principal.getName()`` writes it (``CN=Z1,OU=07``).

    Unlike cryptography's rfc4514_string(), a BIT STRING value (x500UniqueIdentifier) is written as the
    hex of its whole DER encoding, ``2.5.4.45=#03090090b3d51f30010000``, as RFC 2253 §2.4 asks.
    """
    rdns = []
    for rdn in reversed(name.rdns):
        atvs = []
        for attr in rdn:
            oid = attr.oid.dotted_string
            if isinstance(attr.value, bytes):
                tag = 0x03 if attr._type == x509.name._ASN1Type.BitString else 0x04
                atvs.append(f"{oid}=#{der_tlv(tag, attr.value).hex()}")
            else:
                atvs.append(f"{_SHORT.get(oid, oid)}={_escape(attr.value)}")
        rdns.append("+".join(atvs))
    return ",".join(rdns)
