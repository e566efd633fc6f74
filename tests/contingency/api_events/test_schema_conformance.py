"""Every answer of the events API with real data conforms to the OpenAPI schema it publishes (/api/schema/).

The schemathesis run of tests/portal/test_openapi.py generates requests against an empty database, so it meets
the events endpoints' refusals only; here the objects exist (a revocation with a deferral, an instruction with
listed devices, an active activation with its history) and each answer, nulls included, is checked by
schemathesis' own response validation."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import schemathesis
from django.utils import timezone
from schemathesis.core.transport import Response
from schemathesis.openapi.checks import JsonSchemaError

from contingency.events.records import record_licence_revocation

from .world import make_instruction, meter_eui, pdf_upload, window

pytestmark = pytest.mark.django_db


def published_schema(client):
    return schemathesis.openapi.from_dict(client.get("/api/schema/?format=json").json())


def check(schema, method: str, template: str, response) -> None:
    """Raises schemathesis' failure when ``response`` (a Django test response) breaks the schema of the operation
    ``method template``."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    request = requests.Request(method.upper(), f"http://testserver{response.request['PATH_INFO']}").prepare()
    headers = {name.lower(): [value] for name, value in response.headers.items()}
    schema[template][method.upper()].validate_response(
        Response(status_code=response.status_code, headers=headers, content=content, request=request, elapsed=0.0,
                 verify=False))


def test_every_answer_with_real_objects_conforms(world):
    operator, other, authority = (world.client(n) for n in ("dcc_operator1", "dcc_operator2", "authority_officer"))
    schema = published_schema(operator)
    checked = []

    def call(client, method, template, path, data=None, fmt="json", status=200):
        send = getattr(client, method)
        response = send(path, data, format=fmt) if method == "post" else send(path)
        assert response.status_code == status, (path, response.content[:300])
        check(schema, method, template, response)
        checked.append(f"{method.upper()} {template} {status}")
        return response

    # A revocation that takes effect later, with a deferral: every deferral field filled in.
    later = call(authority, "post", "/api/v1/licence-revocations/", "/api/v1/licence-revocations/", {
        "supplier": world.steady.short_name, "solr": world.cast.other_party.short_name, "reference": "OFG-LATER",
        "effective_at": (timezone.now() + dt.timedelta(days=2)).isoformat()}, status=201).json()
    call(authority, "post", "/api/v1/licence-revocations/{id}/deferral/",
         f"/api/v1/licence-revocations/{later['id']}/deferral/",
         {"until": (timezone.now() + dt.timedelta(days=9)).isoformat(), "decided_by": "SMKI PMA"})
    revoked = record_licence_revocation(world.cast.authority_officer.user, supplier=world.failed, solr=world.steady,
                                        effective_at=timezone.now() - dt.timedelta(hours=1))
    assert revoked.pk
    call(operator, "get", "/api/v1/licence-revocations/", "/api/v1/licence-revocations/")
    call(operator, "get", "/api/v1/licence-revocations/{id}/", f"/api/v1/licence-revocations/{revoked.pk}/")

    valid_from, valid_to = window()
    listed = call(authority, "post", "/api/v1/instructions/", "/api/v1/instructions/", {
        "reference": "OFG-LISTED", "supplier": world.failed.short_name, "contingency_user_id": world.solr.eui,
        "valid_from": valid_from.isoformat(), "valid_to": valid_to.isoformat(), "evidence": pdf_upload(),
        "device_ids": [meter_eui(1), meter_eui(2)]}, fmt="multipart", status=201).json()
    call(operator, "get", "/api/v1/instructions/", "/api/v1/instructions/")
    call(operator, "get", "/api/v1/instructions/{id}/", f"/api/v1/instructions/{listed['id']}/")
    call(operator, "get", "/api/v1/instructions/{id}/evidence/", f"/api/v1/instructions/{listed['id']}/evidence/")

    requested = call(operator, "post", "/api/v1/activations/", "/api/v1/activations/",
                     {"instruction": listed["id"]}, status=201).json()
    call(operator, "get", "/api/v1/events/{id}/", f"/api/v1/events/{listed['id']}/")  # requested, not approved
    pk = requested["id"]
    call(other, "post", "/api/v1/activations/{id}/approve/", f"/api/v1/activations/{pk}/approve/",
         {"version": requested["version"]})
    call(operator, "post", "/api/v1/activations/{id}/suspend/", f"/api/v1/activations/{pk}/suspend/", {"note": "x"})
    call(operator, "post", "/api/v1/activations/{id}/resume/", f"/api/v1/activations/{pk}/resume/", {})
    call(operator, "get", "/api/v1/activations/", "/api/v1/activations/")
    call(operator, "get", "/api/v1/activations/{id}/", f"/api/v1/activations/{pk}/")
    call(operator, "get", "/api/v1/events/", "/api/v1/events/")
    make_instruction(world, reference="OFG-ALL")  # an event with no activation: the nulls
    call(authority, "get", "/api/v1/events/", "/api/v1/events/")
    call(operator, "post", "/api/v1/activations/{id}/end/", f"/api/v1/activations/{pk}/end/", {})
    # And the refusals the tests elsewhere check by code, in the documented error shape.
    call(operator, "post", "/api/v1/activations/{id}/approve/", f"/api/v1/activations/{pk}/approve/", {},
         status=409)
    call(world.client("outsider"), "get", "/api/v1/events/{id}/", f"/api/v1/events/{listed['id']}/", status=404)
    call(world.client("outsider"), "post", "/api/v1/instructions/", "/api/v1/instructions/",
         {"reference": "X"}, fmt="multipart", status=403)
    assert len(checked) == 21


def test_the_check_fails_an_answer_that_breaks_the_schema(world, instruction):
    client = world.client("dcc_operator1")
    schema = published_schema(client)
    response = client.get(f"/api/v1/events/{instruction.pk}/")
    check(schema, "get", "/api/v1/events/{id}/", response)  # as served: conforms
    response.content = response.content.replace(b'"meters"', b'"meter"')  # a required key missing
    with pytest.raises(JsonSchemaError):
        check(schema, "get", "/api/v1/events/{id}/", response)
