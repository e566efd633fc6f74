"""The signature profile works without Django (issue 6 point 4): an SRP's client signs and verifies with
``pki.xmldsig`` alone, against a certificate it holds, with no settings, no database and no repository."""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pki import xmldsig
from tests.pki import xmldsig_cases as cases

PROJECT_DIR = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter with no DJANGO_SETTINGS_MODULE: signs the SRV 1.6 template, verifies it
# against the signer's certificate, refuses a changed copy and another certificate, and reports which
# Django modules were imported (none may be).
SCRIPT = r"""
import json, sys
from pathlib import Path
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_der_private_key
from pki import xmldsig

vectors, template, keys, supplier, other = sys.argv[1:6]
key = load_der_private_key((Path(vectors) / keys / (supplier + ".key")).read_bytes(), None)
cert = x509.load_pem_x509_certificate((Path(vectors) / keys / (supplier + ".pem")).read_bytes())
other_cert = x509.load_pem_x509_certificate((Path(vectors) / keys / (other + ".pem")).read_bytes())
signed = xmldsig.sign((Path(vectors) / template).read_bytes(), key, cert)
result = xmldsig.verify(signed, certificate=cert)
codes = []
for data, certificate in ((signed.replace(b":1002<", b":1003<"), cert), (signed, other_cert)):
    try:
        xmldsig.verify(data, certificate=certificate)
        codes.append("accepted")
    except xmldsig.SignatureRejected as exc:
        codes.append([exc.code, exc.signer_code])
print(json.dumps({
    "serial": result.serial,
    "request_id": result.root.findtext("{http://www.dccinterface.co.uk/ServiceUserGateway}Header/"
                                       "{http://www.dccinterface.co.uk/ServiceUserGateway}RequestID"),
    "refused": codes,
    "django_modules": sorted(m for m in sys.modules if m == "django" or m.startswith("django.")),
}))
"""


def test_sign_and_verify_in_a_process_without_django(vectors_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["PYTHONPATH"] = str(PROJECT_DIR)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(vectors_dir), cases.SRV16_TEMPLATE, cases.KEYS, cases.SUPPLIER_XML_SIGN,
         cases.NETWORK_OPERATOR_XML_SIGN],
        capture_output=True, text=True, timeout=120, env=env, cwd="/", check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["serial"] == cases.load_cert(vectors_dir, cases.SUPPLIER_XML_SIGN).serial_number
    assert report["request_id"].endswith(":1002")
    assert report["refused"] == [["digest-mismatch", None], ["unknown-signer", "unknown-certificate"]]
    assert report["django_modules"] == []


def _imports(path: Path) -> set[str]:
    """Every module an import statement names, at any depth (imports inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ("pki." if node.level else "") + (node.module or "")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_the_profile_modules_import_only_the_profile():
    allowed_pki = {"pki", "pki.safexml", "pki.names"}
    for module in ("xmldsig", "safexml", "names"):
        imports = _imports(PROJECT_DIR / "pki" / f"{module}.py")
        assert not {name for name in imports if name.split(".")[0] in ("django", "rest_framework", "portal")}
        pki_imports = {name for name in imports if name.startswith("pki")}
        assert {name.rsplit(".", 1)[0] if name.count(".") > 1 else name for name in pki_imports} <= allowed_pki, (
            module, pki_imports)


@pytest.fixture
def supplier(vectors_dir):
    return cases.load_key(vectors_dir, cases.SUPPLIER_XML_SIGN), cases.load_cert(vectors_dir, cases.SUPPLIER_XML_SIGN)


def test_verify_against_a_given_certificate(vectors_dir, supplier):
    key, cert = supplier
    signed = xmldsig.sign(cases.srv16_request(vectors_dir, counter=31), key, cert)
    result = xmldsig.verify(signed, certificate=cert)
    assert result.signer is cert
    assert (result.issuer_name, result.serial) == ("CN=Z1,OU=07", cert.serial_number)


def test_a_given_certificate_must_be_the_one_keyinfo_names_and_be_valid(vectors_dir, supplier):
    key, cert = supplier
    signed = xmldsig.sign(cases.srv16_request(vectors_dir, counter=32), key, cert)
    # Same key, another certificate: KeyInfo names the supplier's, so it is refused before any crypto.
    other = cases.load_cert(vectors_dir, cases.NETWORK_OPERATOR_XML_SIGN)
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(signed, certificate=other)
    assert (info.value.code, info.value.signer_code) == ("unknown-signer", "unknown-certificate")
    later = cert.not_valid_after_utc + dt.timedelta(days=1)
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(signed, certificate=cert, at=later)
    assert (info.value.code, info.value.signer_code) == ("unknown-signer", "expired")
    earlier = cert.not_valid_before_utc - dt.timedelta(days=1)
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(signed, certificate=cert, at=earlier)
    assert info.value.signer_code == "not-yet-valid"


def test_a_given_certificate_with_another_issuer_name_is_refused(vectors_dir, supplier):
    key, cert = supplier
    signed = xmldsig.sign(cases.srv16_request(vectors_dir, counter=33), key, cert)
    renamed = signed.replace(b"CN=Z1,OU=07", b"CN=Z2,OU=07")
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(renamed, certificate=cert)
    assert (info.value.code, info.value.signer_code) == ("unknown-signer", "issuer-mismatch")


def test_verify_needs_exactly_one_source_of_the_signer(vectors_dir, supplier):
    key, cert = supplier
    signed = xmldsig.sign(cases.srv16_request(vectors_dir, counter=34), key, cert)
    with pytest.raises(TypeError):
        xmldsig.verify(signed)
    with pytest.raises(TypeError):
        xmldsig.verify(signed, certificate=cert, resolver=cases.FakeResolver([cert]))
