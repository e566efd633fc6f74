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
    """A distinguished name that cannot be read; ``code`` is stable (docs/refusal-codes.md, SMKI).

    Shaped like ``portal.errors.Refusal`` (``code``, ``message``, ``str`` = "code: message") without importing
    it: this module is part of the XML-signature profile, which must run without Django (importing the
    ``portal`` package starts its Celery app), as ``pki.safexml.XMLRejected`` does.
    """

    code = "invalid-name"

    def __init__(self, message: str = ""):
        self.message = message or self.code
        super().__init__(f"{self.code}: {self.message}")


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


def rfc2253(name: x509.Name) -> str:
    """The RFC 2253 string Java's ``X500Principal.getName()`` prints for ``name``, e.g. ``CN=Z1,OU=07``.

    DUIS KeyInfo carries the issuer in this form (the DCC Boxed tools are Java), so it must match Java
    exactly. Written from the name's DER, as Java does: RDNs last first, ``,`` between RDNs, ``+`` between the
    attributes of a multi-valued RDN in DER order; ``, = + < > # ; " \\`` escaped anywhere, NUL as ``\\00``,
    every leading and trailing space or CR escaped; types without a keyword, and values that are not a string
    type, as ``OID=#<DER hex>`` (e.g. ``2.5.4.45=#03090090b3d51f30010000``, RFC 2253 §2.4). Checked against
    JDK 17 (tests/pki/test_xmldsig_java.py).
    """
    return _java_rfc2253_der(name.public_bytes())


# The attribute types Java's X500Principal.getName() (RFC 2253) prints with a keyword. Every other type is
# printed as its dotted OID with the hex of its DER value (RFC 2253 §2.3/§2.4), e.g. 2.5.4.5=#130441423132.
_JAVA_KEYWORDS = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}
# The string types Java prints as text (PrintableString, T61String, IA5String, GeneralString, BMPString,
# UTF8String). It decodes the content octets of all of them as UTF-8. Any other value type is printed as #hex.
_JAVA_TEXT_TAGS = frozenset({0x13, 0x14, 0x16, 0x1B, 0x1E, 0x0C})
_JAVA_ESCAPED = frozenset(',=+<>#;"\\')


@functools.lru_cache(maxsize=256)  # keyed by the DER: x509.Name equality ignores the string types
def _java_rfc2253_der(der: bytes) -> str:
    rdns = []
    for rdn in _der_children(_der_content(der, 0x30)):
        atoms = []
        for atv in _der_children(_der_content(rdn, 0x31)):
            oid_tlv, value_tlv = _der_children(_der_content(atv, 0x30))
            oid = _oid_text(_der_content(oid_tlv, 0x06))
            keyword = _JAVA_KEYWORDS.get(oid)
            if keyword is not None and value_tlv[0] in _JAVA_TEXT_TAGS:
                text = _der_content(value_tlv, value_tlv[0]).decode("utf-8", errors="replace")
                atoms.append(f"{keyword}={_java_escape(text)}")
            else:
                atoms.append(f"{keyword or oid}=#{value_tlv.hex()}")
        rdns.append("+".join(atoms))
    return ",".join(reversed(rdns))


def _java_escape(text: str) -> str:
    chars = []
    for char in text:
        if char in _JAVA_ESCAPED:
            chars.append("\\" + char)
        elif char == "\x00":
            chars.append("\\00")
        else:
            chars.append(char)
    # Then each leading and trailing space or CR (of the escaped string) gets a backslash.
    lead = 0
    while lead < len(chars) and chars[lead] in (" ", "\r"):
        lead += 1
    trail = len(chars)
    while trail > lead and chars[trail - 1] in (" ", "\r"):
        trail -= 1
    return "".join(["\\" + c for c in chars[:lead]] + chars[lead:trail] + ["\\" + c for c in chars[trail:]])


def _der_header(der: bytes, offset: int) -> tuple[int, int]:
    """(start of the content, end of the element) of the DER element at ``offset``."""
    length = der[offset + 1]
    start = offset + 2
    if length & 0x80:
        size = length & 0x7F
        length = int.from_bytes(der[start : start + size], "big")
        start += size
    end = start + length
    if end > len(der):
        raise ValueError("truncated DER")
    return start, end


def _der_content(tlv: bytes, tag: int) -> bytes:
    if not tlv or tlv[0] != tag:
        raise ValueError(f"expected DER tag {tag:#04x}")
    start, end = _der_header(tlv, 0)
    return tlv[start:end]


def _der_children(content: bytes) -> list[bytes]:
    """The complete DER elements (tag, length and content) one after the other in ``content``."""
    items, offset = [], 0
    while offset < len(content):
        _, end = _der_header(content, offset)
        items.append(content[offset:end])
        offset = end
    return items


def _oid_text(content: bytes) -> str:
    arcs, value = [], 0
    for octet in content:
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in [first, arcs[0] - 40 * first, *arcs[1:]])
