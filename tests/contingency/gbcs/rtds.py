"""The RTDS 4.5.0 SRV 1.6 data the GBCS tests read from ../shared/vectors (never copied here), and the inputs
each vector was made from, read from the matching RTDS DUIS request template. It holds no tests."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from contingency.gbcs.precommand import Prepayment, execution_from_duis
from tests.helpers.processes import PROJECT_DIR

RTDS = Path("gbcs-parser") / "rtds-4.5.0"
KEYSTORE = Path("gbcs-parser") / "keystore"
TEMPLATES = Path("duis-templates") / "templates"
SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"

SUPPLIER = "90-B3-D5-1F-30-01-00-00"  # GITTESTSUPPLIER, originator of every RTDS SRV 1.6 request
ESME = "00-DB-12-34-56-78-90-A0"
GSME = "00-DB-12-34-56-78-90-A1"
SUPPLIER_DS_CERT = "90b3d51f30010000-ds.pem"
SUPPLIER_DS_KEY = "90b3d51f30010000-ds.key"
ACB_DS_CERT = "90b3d51f30000002-ds.pem"
ACB_DS_KEY = "90b3d51f30000002-ds.key"
ACB_KA_KEY = "90b3d51f30000002-ka.key"
DEVICE_KA_CERT = {ESME: "00db1234567890a0-ka.pem", GSME: "00db1234567890a1-ka.pem"}

# <use case>_1.6_<timing>[_<build>]_<outcome>_<kind>_GBCS.HEX
_NAME = re.compile(r"(?P<use_case>[EG]CS0[23])_1\.6_(?P<timing>IMMEDIATE|FUTURE_DATED|CANCELLATION)"
                   r"(?:_(?P<build>SINGLE|TWIN))?_(?P<outcome>SUCCESS|ERROR)_(?P<kind>PRECOMMAND|COMMAND)_GBCS\.HEX")


def vectors_dir_at_collection() -> Path:
    """Where the vectors_dir fixture (tests/conftest.py) looks, for parametrising at collection time."""
    return Path(os.environ.get("SOLR_VECTORS_DIR", PROJECT_DIR.parent / "shared" / "vectors"))


def hex_file(path: Path) -> bytes:
    return bytes.fromhex(path.read_text().strip())


def vector_names(kind: str) -> list[str]:
    """The RTDS SRV 1.6 ``*_<kind>_GBCS.HEX`` files, by folder-relative name, found by listing the folders (a
    new file is picked up). Listed without the fixture, at collection time; an empty list when the data is
    missing, and test_the_vectors_are_there then fails under CI through the vectors_dir fixture."""
    base = vectors_dir_at_collection() / RTDS
    return sorted(str(p.relative_to(base)) for p in base.glob(f"1.6_*/*_{kind}_GBCS.HEX")) if base.exists() else []


@dataclass(frozen=True)
class Inputs:
    use_case: str
    originator: str
    device: str
    counter: int
    execution: object
    variant: str | None
    prepayment: Prepayment | None


def inputs_for(vectors: Path, name: str, apdu: bytes) -> Inputs:
    """The Transform's inputs for an RTDS vector: from the DUIS request template of the same scenario. The
    RTDS ERROR scenarios have no template of their own: they send the SUCCESS request of the same use case,
    timing and build again with the next counter, so the counter is taken from the vector's header."""
    m = _NAME.fullmatch(Path(name).name)
    assert m, f"unrecognised RTDS file name {name}"
    build = f"_{m['build']}" if m["build"] else ""
    template = vectors / TEMPLATES / f"{m['use_case']}_1.6_{m['timing']}{build}_SUCCESS_REQUEST_DUIS.XML"
    root = etree.parse(str(template)).getroot()
    originator, device, counter = root.findtext(f"{SR}Header/{SR}RequestID").split(":")
    body = root.find(f"{SR}Body/{SR}UpdatePaymentMode")
    when = body.findtext(f"{SR}ExecutionDateTime")
    execution = execution_from_duis(dt.datetime.fromisoformat(when)) if when else None
    prepayment = None
    if (pp := body.find(f"{SR}Prepayment")) is not None:
        prepayment = Prepayment(pp.findtext(f"{SR}SuspendDebtDisabled") == "true",
                                pp.findtext(f"{SR}SuspendDebtEmergency") == "true",
                                int(pp.findtext(f"{SR}DisablementThreshold")))
    if m["outcome"] == "ERROR":
        counter = int.from_bytes(apdu[3:11], "big")
    return Inputs(m["use_case"], originator, device, int(counter), execution,
                  m["build"].lower() if m["build"] else None, prepayment)


def signed_from_command(command: bytes) -> bytes:
    """The Signed Pre-Command inside an RTDS COMMAND (digest §5): strip ``DD 00×6``, the BER length and the
    5-byte security header in front, and the 12-byte MAC at the end. Written out here, independently of
    contingency.gbcs.command, so the signature tests do not lean on the code under test."""
    assert command[:7] == bytes.fromhex("DD000000000000")
    first = command[7]
    start = 8 + (first - 0x80 if first >= 0x80 else 0)
    return command[start + 5 : -12]


def gas_template_inputs(vectors: Path) -> list[tuple[str, Inputs]]:
    """Every RTDS GCS02 / GCS03 request template and its inputs (the gas hex is not in the vectors)."""
    out = []
    for path in sorted((vectors / TEMPLATES).glob("GCS0[23]_1.6_*_REQUEST_DUIS.XML")):
        m = re.fullmatch(r"(GCS0[23])_1\.6_(IMMEDIATE|FUTURE_DATED|CANCELLATION)_SUCCESS_REQUEST_DUIS\.XML",
                         path.name)
        if not m:
            continue
        root = etree.parse(str(path)).getroot()
        originator, device, counter = root.findtext(f"{SR}Header/{SR}RequestID").split(":")
        body = root.find(f"{SR}Body/{SR}UpdatePaymentMode")
        when = body.findtext(f"{SR}ExecutionDateTime")
        prepayment = None
        if (pp := body.find(f"{SR}Prepayment")) is not None:
            prepayment = Prepayment(pp.findtext(f"{SR}SuspendDebtDisabled") == "true",
                                    pp.findtext(f"{SR}SuspendDebtEmergency") == "true",
                                    int(pp.findtext(f"{SR}DisablementThreshold")))
        out.append((path.name, Inputs(m[1], originator, device, int(counter),
                                      execution_from_duis(dt.datetime.fromisoformat(when)) if when else None,
                                      None, prepayment)))
    return out
