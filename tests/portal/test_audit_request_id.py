"""Issue 7 point 7: the client's X-Request-ID is only the client's claim, beside an id the server makes."""

import re

import pytest

from portal import audit
from portal.models import AuditRecord

pytestmark = pytest.mark.django_db

SERVER_CONTEXT = re.compile(r"^req:([0-9a-f]{32})(?: client-request-id=([A-Za-z0-9._:-]{1,64}))?$")


def create_party_as_admin(client, django_user_model, name, **headers):
    admin = django_user_model.objects.create_superuser("root-admin", "a@example.org", "pw-admin-123!")
    client.force_login(admin)
    response = client.post("/admin/portal/party/add/", {
        "name": name, "short_name": name.lower().replace(" ", "-")[:32], "kind": "supplier",
        "licence_status": "active", "licence_revoked_at_0": "", "licence_revoked_at_1": "",
        "user_ids-TOTAL_FORMS": "0", "user_ids-INITIAL_FORMS": "0",
        "user_ids-MIN_NUM_FORMS": "0", "user_ids-MAX_NUM_FORMS": "1000",
    }, headers=headers)
    assert response.status_code == 302, response.content[:2000]
    return response, AuditRecord.objects.get(action="party.create", after__name=name)


def test_without_a_client_id_the_context_is_the_server_id(client, django_user_model):
    response, record = create_party_as_admin(client, django_user_model, "Plain Energy")
    match = SERVER_CONTEXT.match(record.context)
    assert match and match.group(2) is None
    assert response["X-Request-ID"] == match.group(1)


def test_a_client_id_is_kept_labelled_after_the_server_id(client, django_user_model):
    response, record = create_party_as_admin(client, django_user_model, "Claim Energy",
                                             **{"X-Request-ID": "srp-7f3a:0001"})
    match = SERVER_CONTEXT.match(record.context)
    assert match, record.context
    assert match.group(2) == "srp-7f3a:0001"
    assert response["X-Request-ID"] == match.group(1) != "srp-7f3a:0001"  # the response names the server's id
    assert audit.entry_hash(record, audit._key()) == record.entry_hash


@pytest.mark.parametrize("hostile", [
    "req:" + "0" * 32,                                  # pretends to be a server id
    "x" * 10_000,                                       # very long
    "abc\r\nX-Injected: 1",                             # header / log line injection
    "id\x00\x1b[31mred\x7f",                            # control characters
    "a b req:ffffffffffffffffffffffffffffffff",         # a second, forged server id after a space
    "ü-ñ-☃",                                            # not ASCII
])
def test_a_hostile_client_id_cannot_forge_the_server_id_or_break_the_record(client, django_user_model, hostile):
    response, record = create_party_as_admin(client, django_user_model, "Hostile Energy",
                                             **{"X-Request-ID": hostile})
    match = SERVER_CONTEXT.match(record.context)
    assert match, record.context
    assert response["X-Request-ID"] == match.group(1)
    # Exactly two space-separated parts: the server's id first, then the labelled claim.
    server_part, client_part = record.context.split(" ")
    assert server_part == f"req:{response['X-Request-ID']}"
    assert client_part.startswith("client-request-id=")
    assert len(match.group(2)) <= audit.CLIENT_REQUEST_ID_MAX
    # The record is whole: it seals and verifies like any other.
    assert audit.seal() >= 1
    result = audit.verify()
    assert result.ok, str(result)


def test_the_sanitiser_on_its_own():
    assert audit.client_request_id("abc-DEF_1.2:3") == "abc-DEF_1.2:3"
    assert audit.client_request_id("a b\nc") == "a_b_c"
    assert audit.client_request_id("y" * 500) == "y" * audit.CLIENT_REQUEST_ID_MAX
    assert audit.request_context("f" * 32) == "req:" + "f" * 32
