"""Evidence downloads through the API are audited (house keeping; docs/events.md "Evidence downloads"):
GET /api/v1/instructions/{id}/evidence/ writes one ``instruction.evidence_download`` record with the person as the
actor, with a session or with an API token (where the request itself names no one); a refused download gives no
file and no record."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from portal.accounts.services import create_token
from portal.models import AuditRecord

from .world import PDF

pytestmark = pytest.mark.django_db

ALLOWED = ("dcc_operator1", "dcc_operator2", "authority_officer")
ACTION = "instruction.evidence_download"


def url(instruction) -> str:
    return f"/api/v1/instructions/{instruction.pk}/evidence/"


def downloads():
    return AuditRecord.objects.filter(action=ACTION).order_by("id")


def test_each_allowed_office_downloads_and_each_download_is_recorded_with_its_actor(world, revoked, instruction):
    for name in ALLOWED:
        response = world.client(name).get(url(instruction))
        assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    records = list(downloads())
    assert [r.actor for r in records] == [world.cast[name].username for name in ALLOWED]
    for record in records:
        assert (record.subject_type, record.subject_id) == ("contingency.Instruction", str(instruction.pk))
        assert record.after["channel"] == "api" and record.after["licence_revocation"] == revoked.pk
        assert record.after["reference"] == instruction.reference
        assert record.after["evidence_sha256"] == instruction.evidence_sha256


def test_a_token_download_is_recorded_with_the_tokens_person(world, instruction):
    operator = world.cast.dcc_operator1
    client = APIClient(HTTP_AUTHORIZATION=f"Token {create_token(operator.user, verified=True).token}")
    response = client.get(url(instruction))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert [r.actor for r in downloads()] == [operator.username]


def test_a_refused_download_gives_no_file_and_no_record(world, instruction):
    refused = [m.name for m in world.cast if m.name not in ALLOWED]
    assert set(refused) >= {"srp_sro", "srp_aro", "outsider"}
    for name in refused:
        response = world.client(name).get(url(instruction))
        # Those who may not see the instructions do not learn this one exists (as every object of the API).
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), name
        assert "Content-Disposition" not in response
    assert APIClient().get(url(instruction)).status_code in (401, 403)
    assert not downloads().exists()


def test_evidence_missing_from_the_store_is_404_and_no_record(world, instruction):
    instruction.evidence.storage.delete(instruction.evidence.name)
    response = world.client("authority_officer").get(url(instruction))
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert not downloads().exists()
