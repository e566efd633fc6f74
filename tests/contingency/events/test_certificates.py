"""Certificates follow the licence (issue 9 point 2): at the effective time, or at the SMKI PMA's deferral, every
certificate of the failed Supplier's User IDs is revoked; the CRL and the repository show it; nothing earlier."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from cryptography import x509
from django.utils import timezone

from contingency.events.certificates import apply_due_revocations
from contingency.events.records import record_deferral, record_licence_revocation
from contingency.events.refusals import EventRefused
from contingency.models import LicenceRevocation
from contingency.tasks import apply_licence_revocations
from pki.crl import current_crl, latest_crl
from pki.issuance import issue_certificate
from pki.models import Certificate
from pki.repository import search
from portal.models import AuditRecord, LicenceStatus
from tests.helpers.pki import csr_for

from .world import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast, smki):
    world = make_world(cast, revoked=False)
    world.certs = [issue_certificate(uid, kind, csr_for()) for uid in (world.failed_is, world.failed_gs)
                   for kind in ("digital-signing", "key-agreement")]
    world.healthy_cert = issue_certificate(world.healthy_is, "digital-signing", csr_for())
    return world


def crl_serials(row) -> set[int]:
    return {e.serial_number for e in x509.load_der_x509_crl(bytes(row.der))}


def smki_ca(world):
    from pki import ca

    return ca.issuing_ca()


def revoked_at(world) -> list:
    return [Certificate.objects.get(pk=c.pk).revoked_at for c in world.certs]


def assert_all_revoked_from(world, effective, at):
    assert revoked_at(world) == [effective] * len(world.certs)
    assert crl_serials(current_crl(at=at)) >= {int(c.serial) for c in world.certs}
    assert int(world.healthy_cert.serial) not in crl_serials(current_crl(at=at))
    assert Certificate.objects.get(pk=world.healthy_cert.pk).revoked_at is None


def test_nothing_before_the_effective_time_everything_at_it(cast, world):
    effective = timezone.now() + timedelta(hours=1)
    revocation = record_licence_revocation(cast.authority_officer.user, supplier=world.failed,
                                           effective_at=effective, solr=world.solr)
    assert apply_due_revocations(at=effective - timedelta(seconds=1)) == {
        "licences_marked": 0, "certificate_revocations": 0}
    assert revoked_at(world) == [None] * len(world.certs)
    assert not crl_serials(current_crl(at=effective - timedelta(seconds=1))) & {int(c.serial) for c in world.certs}

    assert apply_due_revocations(at=effective) == {"licences_marked": 1, "certificate_revocations": 1}
    assert_all_revoked_from(world, effective, effective)
    revocation.refresh_from_db()
    assert revocation.certificates_revoked_at == effective
    world.failed.refresh_from_db()
    assert world.failed.licence_status == LicenceStatus.REVOKED
    assert apply_due_revocations(at=effective + timedelta(minutes=1)) == {
        "licences_marked": 0, "certificate_revocations": 0}  # idempotent
    record = AuditRecord.objects.get(action="licence_revocation.certificates_revoke")
    assert sorted(record.after["serials"]) == sorted(c.serial for c in world.certs)


def test_a_revocation_already_in_effect_revokes_at_once_and_publishes_the_crl(
        cast, world, django_capture_on_commit_callbacks):
    effective = (timezone.now() - timedelta(minutes=1)).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        revocation = record_licence_revocation(cast.dcc_operator1.user, supplier=world.failed,
                                               effective_at=effective, solr=world.solr)
    # Effective from the time it was recorded (not earlier: signatures accepted before the record stay good).
    assert revoked_at(world) == [revocation.recorded_at] * len(world.certs)
    published = latest_crl(smki_ca(world))
    assert crl_serials(published) == {int(c.serial) for c in world.certs}
    for cert in world.certs:
        [found] = search(eui=cert.subject_eui).filter(pk=cert.pk)
        assert found.status() == "revoked"
    with pytest.raises(EventRefused) as caught:
        record_deferral(cast.dcc_operator1.user, revocation, until=effective + timedelta(days=3), decided_by="PMA")
    assert caught.value.code == "deferral-too-late"


def test_a_deferral_moves_the_certificates_but_not_the_licence(cast, world):
    effective = timezone.now() + timedelta(hours=1)
    deferred = effective + timedelta(days=2)
    revocation = record_licence_revocation(cast.authority_officer.user, supplier=world.failed,
                                           effective_at=effective, solr=world.solr)
    record_deferral(cast.authority_officer.user, revocation, until=deferred, decided_by="SMKI PMA, 12 May")

    assert apply_due_revocations(at=effective) == {"licences_marked": 1, "certificate_revocations": 0}
    world.failed.refresh_from_db()
    assert world.failed.licence_status == LicenceStatus.REVOKED
    assert revoked_at(world) == [None] * len(world.certs)
    assert apply_due_revocations(at=deferred - timedelta(seconds=1))["certificate_revocations"] == 0
    assert revoked_at(world) == [None] * len(world.certs)

    assert apply_due_revocations(at=deferred)["certificate_revocations"] == 1
    assert_all_revoked_from(world, deferred, deferred)
    assert Certificate.objects.get(pk=world.certs[0].pk).revoked_by == "SMKI PMA deferral: SMKI PMA, 12 May"
    with pytest.raises(EventRefused) as caught:
        record_deferral(cast.authority_officer.user, revocation, until=deferred + timedelta(days=1), decided_by="x")
    assert caught.value.code == "deferral-too-late"
    revocation.refresh_from_db()
    assert revocation.certificates_deferred_until == deferred


def test_the_beat_task_revokes_when_the_time_comes(cast, world, django_capture_on_commit_callbacks):
    """On the real clock: recorded two seconds ahead, the task does nothing before and everything after."""
    effective = timezone.now() + timedelta(seconds=2)
    record_licence_revocation(cast.authority_officer.user, supplier=world.failed, effective_at=effective,
                              solr=world.solr)
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_licence_revocations.apply().get()["certificate_revocations"] == 0
    assert revoked_at(world) == [None] * len(world.certs)
    deadline = time.monotonic() + 30
    while True:  # poll: the machine may be slow, the effective time is what counts
        time.sleep(max(0.0, (effective - timezone.now()).total_seconds()) + 0.05)
        with django_capture_on_commit_callbacks(execute=True):
            result = apply_licence_revocations.apply().get()
        if result["certificate_revocations"] or time.monotonic() > deadline:
            break
    assert result == {"licences_marked": 1, "certificate_revocations": 1}
    assert revoked_at(world) == [effective] * len(world.certs)
    assert crl_serials(latest_crl(smki_ca(world))) == {int(c.serial) for c in world.certs}
    assert LicenceRevocation.objects.get().certificates_revoked_at >= effective
