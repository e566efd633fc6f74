"""Evidence downloads are audited (house keeping; docs/events.md "Evidence downloads"): every download of an
instruction's evidence from /events/<id>/evidence/ writes one ``instruction.evidence_download`` record naming the
person, the instruction, the file and the licence revocation; a refused or failed download gives no file and
writes no record."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contingency.models import LicenceRevocation
from portal.models import AuditRecord

from .world import PDF, event

pytestmark = pytest.mark.django_db

ALLOWED = ("dcc_operator1", "dcc_operator2", "authority_officer")
ACTION = "instruction.evidence_download"


def downloads():
    return AuditRecord.objects.filter(action=ACTION).order_by("id")


@pytest.fixture
def world_event(cast):
    return event(cast)


def test_each_allowed_office_downloads_and_each_download_is_recorded_with_its_actor(cast, world_event):
    _, instruction = world_event
    url = reverse("events:evidence", args=[instruction.pk])
    for name in ALLOWED:
        response = cast[name].client.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    records = list(downloads())
    assert [r.actor for r in records] == [cast[name].username for name in ALLOWED]
    revocation = LicenceRevocation.objects.get(supplier=instruction.supplier)
    for record in records:
        assert (record.subject_type, record.subject_id) == ("contingency.Instruction", str(instruction.pk))
        assert record.after == {
            "reference": instruction.reference, "supplier_id": instruction.supplier_id,
            "licence_revocation": revocation.pk, "evidence_name": "direction.pdf",
            "evidence_sha256": instruction.evidence_sha256, "evidence_size": len(PDF), "channel": "web"}
        assert record.context.startswith("req:")  # the request it came with


def test_a_second_download_is_a_second_record(cast, world_event):
    _, instruction = world_event
    url = reverse("events:evidence", args=[instruction.pk])
    for _ in range(2):
        assert cast.authority_officer.client.get(url).status_code == 200
    assert downloads().count() == 2


def test_a_refused_download_gives_no_file_and_no_record(cast, world_event):
    _, instruction = world_event
    url = reverse("events:evidence", args=[instruction.pk])
    refused = [m for m in cast if m.name not in ALLOWED]
    assert {m.name for m in refused} >= {"srp_sro", "srp_aro", "outsider"}
    for member in refused:
        response = member.client.get(url)
        assert response.status_code == 403, member.name
        assert response["Content-Type"].startswith("text/html") and "Content-Disposition" not in response
        assert 'data-code="not-permitted"' in response.content.decode()
        assert PDF not in response.content
    assert not downloads().exists()


def test_evidence_missing_from_the_store_is_404_and_no_record(cast, world_event):
    _, instruction = world_event
    instruction.evidence.storage.delete(instruction.evidence.name)
    response = cast.dcc_operator1.client.get(reverse("events:evidence", args=[instruction.pk]))
    assert response.status_code == 404
    assert not downloads().exists()
