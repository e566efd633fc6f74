"""manage.py device_alert DEVICE_ID CODE (issue 9 point 9): any EUI spelling, hex with or without 0x; bad
input gives a clear error with its code, a non-zero exit status, and stores nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from contingency.models import Alert, Push
from portal.models import AuditRecord
from tests.helpers.processes import PROJECT_DIR

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("spelling", ["00-DB-12-34-56-78-90-A0", "00db1234567890a0", "00:db:12:34:56:78:90:a0",
                                      "00DB.1234.5678.90A0", " 00 DB 12 34 56 78 90 A0 "])
@pytest.mark.parametrize("code", ["8F66", "0x8f66"])
def test_any_eui_spelling_and_either_hex_form(world, capsys, spelling, code):
    call_command("device_alert", spelling, code)
    alert = Alert.objects.get()
    assert (alert.device, alert.code, alert.recipient) == (world.device, "8F66", world.supplier)
    out = capsys.readouterr().out
    push = Push.objects.get()
    assert f"recipient {world.supplier.eui} direct" in out and f"push {push.pk} queued" in out


def test_it_says_when_the_alert_went_via_solr(world, capsys):
    world.revoke_licence()
    call_command("device_alert", world.device.eui, "8F20")
    assert f"recipient {world.srp_solr.eui} via SoLR" in capsys.readouterr().out


def test_it_says_when_the_alert_is_unroutable(world, capsys):
    from portal.models import SRPArrangement

    world.revoke_licence()
    SRPArrangement.objects.all().delete()
    call_command("device_alert", world.device.eui, "8F20")
    assert "UNROUTABLE" in capsys.readouterr().out
    assert Alert.objects.unroutable().count() == 1


@pytest.mark.parametrize("device_id, code, refusal", [
    ("00-DB-12-34-56-78-90-FF", "8F66", "device-unknown"),
    ("00-DB-12-34-56-78-90", "8F66", "eui64-invalid"),
    ("00-DB-12-34-56-78-90-A0", "8G66", "alert-code-invalid"),
    ("00-DB-12-34-56-78-90-A0", "0x", "alert-code-invalid"),
    ("00-DB-12-34-56-78-90-A0", "1FFFF", "alert-code-invalid"),
])
def test_bad_input_is_refused_with_its_code_and_stores_nothing(world, device_id, code, refusal):
    audit_before = AuditRecord.objects.count()
    with pytest.raises(CommandError, match=f"^{refusal}: "):
        call_command("device_alert", device_id, code)
    assert (Alert.objects.count(), Push.objects.count(), AuditRecord.objects.count()) == (0, 0, audit_before)


def test_a_dcc_signing_key_without_its_certificate_is_refused_and_stores_nothing(world):
    from cryptography.hazmat.primitives.asymmetric import ec

    from pki.dcc_identity import DCC_XML_SIGNING_KEY_REF
    from pki.keystore import get_keystore

    # A key no valid DCC xml-signing certificate belongs to: nothing can be signed.
    get_keystore().store_private_key(DCC_XML_SIGNING_KEY_REF, ec.generate_private_key(ec.SECP256R1()),
                                     overwrite=True)
    with pytest.raises(CommandError, match="^dcc-signing-identity-missing: "):
        call_command("device_alert", world.device.eui, "8F66")
    assert Alert.objects.count() == 0


def test_the_command_line_exits_non_zero_on_bad_input(tmp_path):
    """The real command line (its own process, its own empty database): an unknown device is exit status 1."""
    from tests.helpers.processes import child_env

    env = child_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=PROJECT_DIR, env=env, check=True,
                   capture_output=True, timeout=300)
    proc = subprocess.run([sys.executable, "manage.py", "device_alert", "00db1234567890a0", "8F66"], cwd=PROJECT_DIR,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "device-unknown: no device 00-DB-12-34-56-78-90-A0" in proc.stderr
