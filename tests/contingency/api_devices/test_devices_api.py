"""GET /api/v1/devices/ and /api/v1/devices/{eui}/ (issue 11 point 4): DCC operators only (everyone else of the
cast: 403 for the list, 404 for an item, existing or not), the filters, any EUI spelling, pagination, the cost of
a page, and every answer conforming to the published OpenAPI schema."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from schemathesis.core.transport import Response

from contingency.models import Device
from portal.models import PartyKind, UserRole
from tests.portal.factories import PartyFactory, UserIDFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/devices/"
ESME = "00-DB-12-34-56-78-90-A0"


@pytest.fixture
def inventory(cast):
    """Two Suppliers' meters: ``failing`` has 2 ESMEs (prepayment, credit), a SMETS1 ESME and a GSME; ``steady`` one
    ESME; plus a comms hub (no payment mode)."""
    failing = UserIDFactory(eui="90-B3-D5-1F-30-01-00-00", roles=["IS"],
                            party=PartyFactory(kind=PartyKind.SUPPLIER, short_name="failing-energy"))
    UserRole.objects.create(holder=failing, role="GS")
    steady = UserIDFactory(eui="90-B3-D5-1F-30-03-00-00", roles=["IS"],
                           party=PartyFactory(kind=PartyKind.SUPPLIER, short_name="steady-power"))

    def meter(eui, supplier, kind="ESME", mode="prepayment", generation="SMETS2"):
        extra = {"esme_variant": "single", "mpxn": "1234567890123"} if kind == "ESME" else {"mpxn": "1234567"}
        return Device.objects.create(eui=eui, device_type=kind, generation=generation, payment_mode=mode,
                                     registered_supplier=supplier, smi_status="commissioned", **extra)

    meter(ESME, failing)
    meter("00-DB-12-34-56-78-90-A2", failing, mode="credit")
    meter("00-DB-12-34-56-78-90-A3", failing, generation="SMETS1")
    meter("00-DB-12-34-56-78-90-A1", failing, kind="GSME")
    meter("00-DB-12-34-56-78-90-B0", steady)
    Device.objects.create(eui="00-DB-12-34-56-78-90-C0", device_type="CHF", generation="SMETS2",
                          registered_supplier=failing)
    return cast


def euis(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [d["eui"] for d in response.json()["results"]]


def test_a_dcc_operator_lists_every_device_with_its_fields(inventory):
    response = inventory.dcc_operator1.client.get(LIST)
    body = response.json()
    assert body["count"] == 6 and len(euis(response)) == 6
    first = body["results"][0]
    assert first == {"eui": ESME, "type": "ESME", "esme_variant": "single", "generation": "SMETS2",
                     "smi_status": "commissioned", "payment_mode": "prepayment", "supplier": "failing-energy",
                     "supplier_user_id": "90-B3-D5-1F-30-01-00-00", "updated_at": first["updated_at"]}


@pytest.mark.parametrize("query, expected", [
    ("supplier=failing-energy", ["00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90-A1", "00-DB-12-34-56-78-90-A2",
                                 "00-DB-12-34-56-78-90-A3", "00-DB-12-34-56-78-90-C0"]),
    ("supplier=steady-power", ["00-DB-12-34-56-78-90-B0"]),
    ("supplier=nobody", []),
    ("payment_mode=credit", ["00-DB-12-34-56-78-90-A2"]),
    ("payment_mode=prepayment&supplier=failing-energy&type=ESME", ["00-DB-12-34-56-78-90-A0",
                                                                   "00-DB-12-34-56-78-90-A3"]),
    ("type=GSME", ["00-DB-12-34-56-78-90-A1"]),
    ("generation=SMETS1", ["00-DB-12-34-56-78-90-A3"]),
    ("type=CHF", ["00-DB-12-34-56-78-90-C0"]),
])
def test_filters(inventory, query, expected):
    assert euis(inventory.dcc_operator2.client.get(f"{LIST}?{query}")) == expected


@pytest.mark.parametrize("query", ["payment_mode=debit", "type=toaster", "generation=SMETS9"])
def test_a_bad_filter_value_is_400_not_everything(inventory, query):
    response = inventory.dcc_operator1.client.get(f"{LIST}?{query}")
    assert response.status_code == 400


def test_pages(inventory):
    client = inventory.dcc_operator1.client
    first = client.get(f"{LIST}?page_size=4").json()
    second = client.get(f"{LIST}?page_size=4&page=2").json()
    assert (first["count"], len(first["results"]), len(second["results"])) == (6, 4, 2)
    assert first["next"] and second["previous"]


@pytest.mark.parametrize("spelling", [ESME, ESME.lower(), "00db1234567890a0", "00:DB:12:34:56:78:90:A0",
                                      "00DB1234567890A0"])
def test_one_device_in_any_spelling(inventory, spelling):
    response = inventory.dcc_operator1.client.get(f"{LIST}{spelling}/")
    assert response.status_code == 200 and response.json()["eui"] == ESME


def test_an_unknown_or_malformed_eui(inventory):
    client = inventory.dcc_operator1.client
    missing = client.get(f"{LIST}00-DB-00-00-00-00-00-09/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    bad = client.get(f"{LIST}not-an-eui/")
    assert (bad.status_code, bad.json()["code"]) == (400, "eui64-invalid")


@pytest.mark.parametrize("who", ["authority_officer", "srp_sro", "srp_aro", "outsider"])
def test_everyone_else_is_refused_the_list_and_finds_no_device(inventory, who):
    client = inventory[who].client
    listed = client.get(LIST)
    assert (listed.status_code, listed.json()["code"]) == (403, "permission_denied")
    for path in (f"{LIST}{ESME}/", f"{LIST}00-DB-00-00-00-00-00-09/", f"{LIST}not-an-eui/"):
        found = client.get(path)
        assert (found.status_code, found.json()["code"]) == (404, "not_found"), path


def test_without_signing_in(inventory):
    assert Client().get(LIST).status_code == 403
    assert Client().get(f"{LIST}{ESME}/").status_code == 403


def test_writing_is_not_offered(inventory):
    client = inventory.dcc_operator1.client
    assert client.patch(f"{LIST}{ESME}/", {"payment_mode": "credit"}, content_type="application/json"
                        ).status_code == 405
    assert client.post(LIST, {}, content_type="application/json").status_code == 405
    assert Device.objects.get(eui=ESME).payment_mode == "prepayment"


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_a_page_costs_the_same_queries_for_six_devices_as_for_sixty(inventory):
    client = inventory.dcc_operator1.client
    six = _queries(client, LIST)
    supplier = Device.objects.get(eui=ESME).registered_supplier
    Device.objects.bulk_create([
        Device(eui=f"00-DB-12-34-56-79-00-{n:02X}", device_type="ESME", esme_variant="twin", generation="SMETS2",
               payment_mode="prepayment", registered_supplier=supplier, mpxn="1234567890123") for n in range(54)])
    sixty = _queries(client, f"{LIST}?page_size=100")
    assert client.get(LIST).json()["count"] == 60
    assert sixty == six, (six, sixty)


def test_every_answer_conforms_to_the_published_schema(inventory):
    client = inventory.dcc_operator1.client
    schema = schemathesis.openapi.from_dict(client.get("/api/schema/?format=json").json())
    checked = 0
    for who, path, template in [
        ("dcc_operator1", LIST, LIST), ("dcc_operator1", f"{LIST}?supplier=failing-energy", LIST),
        ("dcc_operator1", f"{LIST}{ESME}/", f"{LIST}{{eui}}/"),
        ("dcc_operator1", f"{LIST}not-an-eui/", f"{LIST}{{eui}}/"),
        ("dcc_operator1", f"{LIST}00-DB-00-00-00-00-00-09/", f"{LIST}{{eui}}/"), ("outsider", LIST, LIST),
        ("outsider", f"{LIST}{ESME}/", f"{LIST}{{eui}}/"),
    ]:
        response = inventory[who].client.get(path)
        request = requests.Request("GET", f"http://testserver{path}").prepare()
        headers = {name.lower(): [value] for name, value in response.headers.items()}
        schema[template]["GET"].validate_response(Response(
            status_code=response.status_code, headers=headers, content=response.content, request=request,
            elapsed=0.0, verify=False))
        checked += 1
    assert checked == 7
