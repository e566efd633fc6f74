"""Shared pieces of the DUIS message tests (a helper module, no tests): the RTDS templates read from
../shared/vectors, a throwaway XML-signing identity, the verified tree the pipeline would hand over, and a
Signed Pre-Command request built from an RTDS template and its GBCS command vector."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree

from contingency.duis.schema import SR_NS
from pki import xmldsig
from tests.helpers.processes import PROJECT_DIR

TEMPLATES = "duis-templates/templates"
SR = f"{{{SR_NS}}}"
NS = {"sr": SR_NS, "ds": xmldsig.DS_NS}
ECS02_IMMEDIATE = "ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML"
GBCS_ECS02 = "gbcs-parser/rtds-4.5.0/1.6_ECS02"


def templates(vectors_dir: Path) -> list[Path]:
    return sorted((vectors_dir / TEMPLATES).glob("*.XML"))


def template_names() -> list[str]:
    """The template file names, for parametrising at collection time (the vectors_dir fixture is not there yet)."""
    folder = Path(os.environ.get("SOLR_VECTORS_DIR", PROJECT_DIR.parent / "shared" / "vectors")) / TEMPLATES
    return sorted(p.name for p in folder.glob("*.XML")) if folder.is_dir() else ["(vectors missing)"]


class Identity:
    """A throwaway EC P-256 key and self-signed certificate: signs what a test needs signed."""

    def __init__(self, common_name: str = "duis-test"):
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = dt.datetime.now(dt.UTC)
        self.certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(self.key, hashes.SHA256())
        )

    def sign(self, document) -> bytes:
        return xmldsig.sign(document, self.key, self.certificate)

    def verified_root(self, document) -> etree._Element:
        """What the pipeline hands to contingency.duis.requests: the tree of the verified, signed octets."""
        return xmldsig.verify(self.sign(document), certificate=self.certificate).root


def load(path: Path) -> etree._Element:
    """A template as a tree (templates carry a comment in their placeholder Signature: plain lxml reads it)."""
    return etree.parse(str(path)).getroot()


def signed_pre_command_bytes(vectors_dir: Path, scenario: str = "IMMEDIATE_SINGLE_SUCCESS") -> tuple[bytes, bytes]:
    """(the RTDS Pre-Command, the Signed Pre-Command inside the RTDS command sent to the device).

    The command is ``DD 00 00 00 00 00 00 | BER length | 11 00 00 00 00 | signed pre-command | 12-byte MAC``
    (reference digest §5)."""
    return split_command(vectors_dir / GBCS_ECS02 / f"ECS02_1.6_{scenario}_COMMAND_GBCS.HEX")


def split_command(command_file: Path) -> tuple[bytes, bytes]:
    """(Pre-Command, Signed Pre-Command) of an RTDS ``*_COMMAND_GBCS.HEX`` file and its ``*_PRECOMMAND_`` twin."""
    pre_file = command_file.with_name(command_file.name.replace("_COMMAND_GBCS", "_PRECOMMAND_GBCS"))
    pre = bytes.fromhex("".join(pre_file.read_text().split()))
    command = bytes.fromhex("".join(command_file.read_text().split()))
    assert command[:7] == bytes.fromhex("DD000000000000")
    position = 7
    if command[position] & 0x80:
        position += 1 + (command[position] & 0x7F)
    else:
        position += 1
    assert command[position:position + 5] == bytes.fromhex("1100000000")
    signed = command[position + 5:-12]
    return pre, signed


def signed_pre_command_request(vectors_dir: Path, payload: bytes | str, *, variant: int = 5,
                               template: str = ECS02_IMMEDIATE, execution: str | None = None) -> etree._Element:
    """The CV 5 request that follows a CV 4 template: same RequestID and references, a SignedPreCommand body."""
    import base64

    root = load(vectors_dir / TEMPLATES / template)
    root.find("sr:Header/sr:CommandVariant", NS).text = str(variant)
    body = root.find("sr:Body", NS)
    for child in list(body):
        body.remove(child)
    signed = etree.SubElement(body, SR + "SignedPreCommand")
    if execution is not None:
        etree.SubElement(signed, SR + "ExecutionDateTime").text = execution
    text = payload if isinstance(payload, str) else base64.b64encode(payload).decode()
    etree.SubElement(signed, SR + "GBCSPayload").text = text
    return root
