"""``manage.py duis_verify FILE...`` (issue 7 point 8): the DUIS endpoints' verifier from the command line.

One line per file, in order: ``ok <signer EUI> <serial>`` or ``refused <code> <reason>``; exit status 1 if
any file is refused. The wall time on the hostile shapes is measured by benchmarks/hostile_xml_bench.py.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from pki import signers, xmldsig
from tests.helpers.hostile_xml import attribute_bomb, ns_bomb
from tests.pki import xmldsig_cases as cases

pytestmark = pytest.mark.django_db(transaction=True)

SUPPLIER_EUI = "90-B3-D5-1F-30-01-00-00"


@pytest.fixture(autouse=True)
def fresh_cache():
    signers.clear_signer_cache()
    yield
    signers.clear_signer_cache()


@pytest.fixture
def supplier_cert(vectors_dir):
    return cases.load_cert(vectors_dir, cases.SUPPLIER_XML_SIGN)


@pytest.fixture
def signed(vectors_dir, supplier_cert) -> bytes:
    key = cases.load_key(vectors_dir, cases.SUPPLIER_XML_SIGN)
    return xmldsig.sign(cases.srv16_request(vectors_dir, counter=808), key, supplier_cert)


@pytest.fixture
def registered(vectors_dir):
    call_command("pki_import", "--trust-unchained", str(vectors_dir / cases.KEYS / f"{cases.SUPPLIER_XML_SIGN}.pem"),
                 verbosity=0, stdout=io.StringIO())


def run(*paths) -> tuple[int, list[str]]:
    out = io.StringIO()
    try:
        call_command("duis_verify", *[str(p) for p in paths], stdout=out)
        status = 0
    except SystemExit as exc:
        status = exc.code
    return status, out.getvalue().splitlines()


def test_a_signed_request_from_a_registered_signer_is_ok(tmp_path, registered, signed, supplier_cert):
    path = tmp_path / "request.xml"
    path.write_bytes(signed)
    status, lines = run(path)
    assert status == 0
    assert lines == [f"ok {SUPPLIER_EUI} {supplier_cert.serial_number}"]


def test_one_line_per_file_in_order_and_exit_1_if_any_is_refused(tmp_path, registered, signed, supplier_cert):
    good, changed = tmp_path / "good.xml", tmp_path / "changed.xml"
    good.write_bytes(signed)
    changed.write_bytes(signed.replace(b":808<", b":809<"))
    status, lines = run(changed, good, tmp_path / "missing.xml")
    assert status == 1
    assert len(lines) == 3
    assert lines[0].startswith("refused digest-mismatch ")
    assert lines[1] == f"ok {SUPPLIER_EUI} {supplier_cert.serial_number}"
    assert lines[2].startswith("refused unreadable ")


def test_a_signer_missing_from_the_repository_is_refused(tmp_path, signed):
    path = tmp_path / "request.xml"
    path.write_bytes(signed)
    status, lines = run(path)
    assert status == 1
    assert lines[0].startswith("refused unknown-signer unknown-certificate: ")


def test_revocation_in_the_repository_applies(tmp_path, registered, signed, supplier_cert):
    from pki.models import Certificate
    from pki.revocation import revoke_certificate

    path = tmp_path / "request.xml"
    path.write_bytes(signed)
    assert run(path)[0] == 0
    revoke_certificate(Certificate.objects.get(serial=str(supplier_cert.serial_number)), reason="key compromise",
                       decided_by="dcc-op")
    status, lines = run(path)
    assert status == 1
    assert lines[0].startswith("refused unknown-signer revoked: ")


@pytest.mark.parametrize(("make", "code"), [(ns_bomb, "too-many-namespaces"), (attribute_bomb, "too-large")],
                         ids=["1000-ns-x-16000-elements", "60000-attributes"])
def test_the_hostile_shapes_of_issue_7_are_refused(tmp_path, registered, signed, make, code):
    path = tmp_path / "hostile.xml"
    path.write_bytes(make(signed))
    status, lines = run(path)
    assert status == 1
    assert lines[0].split(" ", 2)[:2] == ["refused", code]


def test_a_utf16_request_is_refused(tmp_path, registered, signed):
    path = tmp_path / "utf16.xml"
    path.write_bytes(b"\xff\xfe" + signed.decode().split("?>", 1)[1].encode("utf-16-le"))
    status, lines = run(path)
    assert status == 1
    assert lines[0].startswith("refused bad-encoding ")


def test_the_command_as_a_process_exits_1_and_prints_a_line_per_file(tmp_path, registered, signed, supplier_cert):
    """The real process (start-up included), on the test database: the exit status an operator's script sees."""
    import os
    import subprocess
    import sys

    from tests.helpers.processes import PROJECT_DIR, database_url_for_subprocess

    files = {"ns.xml": ns_bomb(signed), "good.xml": signed, "attributes.xml": attribute_bomb(signed)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    env = dict(os.environ, DATABASE_URL=database_url_for_subprocess())
    proc = subprocess.run([sys.executable, "manage.py", "duis_verify", *(str(tmp_path / name) for name in files)],
                          cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(" ", 2)[:2] for line in lines] == [
        ["refused", "too-many-namespaces"], ["ok", SUPPLIER_EUI], ["refused", "too-large"]
    ]
    assert lines[1] == f"ok {SUPPLIER_EUI} {supplier_cert.serial_number}"
