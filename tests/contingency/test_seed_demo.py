"""seed_demo: the demo world, its manifest (docs/manifest.md), idempotence, and the devices CSV."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from contingency import demo
from contingency.devices.importer import ImportOptions, import_devices
from contingency.devices.row import COLUMNS
from contingency.models import Device
from portal.models import AuditRecord, Office, Party, SRPArrangement, UserID, UserRole

pytestmark = pytest.mark.django_db

METERS = 50  # per Supplier: enough for every mix (the not-commissioned ones are meters 45 and 46)


@pytest.fixture
def seeded(tmp_path):
    call_command("seed_demo", out=str(tmp_path / "demo"), meters=METERS, no_progress=True)
    return tmp_path / "demo"


def load(out) -> dict:
    return json.loads((out / "manifest.json").read_text())


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Party, UserID, UserRole, SRPArrangement, Office, get_user_model(), Device, AuditRecord)}


def test_the_manifest_has_the_documented_fields(seeded):
    manifest = load(seeded)
    assert set(manifest) >= {"version", "solr_role_code", "parties", "srp_arrangements", "people", "devices_csv",
                             "devices", "certificates"}
    parties = {p["short_name"]: p for p in manifest["parties"]}
    for party in manifest["parties"]:
        assert set(party) >= {"name", "short_name", "kind", "user_ids"}
        for uid in party["user_ids"]:
            assert set(uid) == {"eui", "roles", "status", "endpoint_url"}

    assert parties["dcc"]["kind"] == "dcc"
    assert [u["eui"] for u in parties["dcc"]["user_ids"]] == ["90-B3-D5-1F-30-00-00-02"]
    assert parties["ofgem"]["kind"] == "authority"

    suppliers = [p for p in manifest["parties"] if p["kind"] == "supplier"]
    assert sorted(p["licence"]["status"] for p in suppliers) == ["active", "revoked", "revoked"]
    for supplier in suppliers:
        assert [u["roles"] for u in supplier["user_ids"]] == [["IS"], ["GS"]]
        assert (supplier["licence"]["revoked_at"] is None) == (supplier["licence"]["status"] == "active")
    all_euis = [u["eui"] for p in manifest["parties"] for u in p["user_ids"]]
    assert len(all_euis) == len(set(all_euis)) == 1 + 1 + 3 * 2

    srp = parties["shared-resource-services"]
    assert srp["kind"] == "srp"
    assert srp["user_ids"][0]["roles"] == [manifest["solr_role_code"]] == ["SC"]
    assert srp["user_ids"][0]["endpoint_url"].startswith("https://")
    failed = {p["name"] for p in suppliers if p["licence"]["status"] == "revoked"}
    assert {a["supplier"] for a in manifest["srp_arrangements"]} == failed
    assert {a["srp"] for a in manifest["srp_arrangements"]} == {srp["name"]}

    offices = Counter((p["office"], p["party"]) for p in manifest["people"])
    assert offices[("dcc_operator", "Smart DCC Ltd")] == 2
    assert offices[("authority_officer", "Gas and Electricity Markets Authority")] == 1
    for party in (srp, *suppliers):
        assert offices[("sro", party["name"])] == 1
        assert offices[("aro", party["name"])] == 1
    assert Office.objects.exclude(status="verified").count() == 0


def test_the_manifest_lists_the_demo_certificates_from_pki(seeded):
    manifest = load(seeded)
    held = {(c["user_id"], c["kind"]) for c in manifest["certificates"]}
    parties = {p["short_name"]: p for p in manifest["parties"]}
    assert ("90-B3-D5-1F-30-20-00-01", "xml-signing") in held  # the SRP's SoLR Contingency User ID
    assert ("90-B3-D5-1F-30-00-00-02", "xml-signing") in held  # the DCC
    for short_name in ("failing-energy", "collapsed-power"):
        for uid in parties[short_name]["user_ids"]:
            assert (uid["eui"], "digital-signing") in held
    for entry in manifest["certificates"]:
        assert set(entry) >= {"user_id", "kind", "serial", "issuer", "cert", "key"}
        assert os.path.exists(entry["cert"]) and os.path.exists(entry["key"])


def test_the_demo_people_can_log_in(seeded, client):
    people = load(seeded)["people"]
    assert len(people) == 11
    for person in people:
        assert client.login(username=person["username"], password=person["password"]), person["username"]
        client.logout()
    staff = {p["username"] for p in people if p["is_staff"]}
    assert staff == {p["username"] for p in people if p["office"] == "dcc_operator"}
    assert set(get_user_model().objects.filter(is_staff=True).values_list("username", flat=True)) == staff


def test_the_demo_dcc_operators_can_use_the_admin_but_not_delete(seeded, client):
    operator = next(p for p in load(seeded)["people"] if p["office"] == "dcc_operator")
    assert client.login(username=operator["username"], password=operator["password"])
    # A DCC operator passes the second factor (issue 8) with the manifest's TOTP secret before any page.
    from tests.helpers.signin import code_from_base32

    assert client.post("/login/code/", {"otp_token": code_from_base32(operator["totp_secret"])}).status_code == 302
    for page in ("/admin/portal/party/", "/admin/portal/userid/", "/admin/contingency/device/",
                 "/admin/pki/certificate/", "/admin/portal/auditrecord/"):
        assert client.get(page).status_code == 200, page
    party = Party.objects.get(short_name="steady-supply")
    assert client.post(f"/admin/portal/party/{party.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Party.objects.filter(pk=party.pk).exists()
    # Everyone else is no staff: the admin sends them to its login page.
    aro = next(p for p in load(seeded)["people"] if p["office"] == "aro")
    client.logout()
    assert client.login(username=aro["username"], password=aro["password"])
    assert client.get("/admin/portal/party/").status_code == 302


def test_the_meters_are_the_documented_mix(seeded):
    manifest = load(seeded)
    assert Device.objects.count() == manifest["devices"]["total"] == 3 * METERS
    values = Counter()
    for device in Device.objects.select_related("registered_supplier"):
        values.update([device.device_type, device.generation, device.payment_mode, device.smi_status,
                       device.esme_variant or "-"])
        role = {"ESME": "IS", "GSME": "GS"}[device.device_type]
        assert device.registered_supplier.role_codes == [role]
        assert len(device.mpxn) == (13 if device.device_type == "ESME" else 10)
    assert {"ESME", "GSME", "SMETS1", "SMETS2", "single", "twin", "polyphase", "credit", "prepayment",
            "commissioned", "installed_not_commissioned", "suspended"} <= set(values)
    assert values["prepayment"] > values["credit"] > 0
    assert values["commissioned"] > 0.9 * 3 * METERS
    assert len(set(Device.objects.values_list("mpxn", flat=True))) == 3 * METERS
    # one summary audit record per Supplier for the bulk creation
    assert AuditRecord.objects.filter(action="device.seed").count() == 3


def test_seeding_twice_creates_nothing_new_and_writes_the_same_manifest(seeded):
    manifest_bytes = (seeded / "manifest.json").read_bytes()
    csv_bytes = (seeded / "devices.csv").read_bytes()
    before = counts()
    call_command("seed_demo", out=str(seeded), meters=METERS, no_progress=True)
    assert counts() == before
    assert (seeded / "manifest.json").read_bytes() == manifest_bytes
    assert (seeded / "devices.csv").read_bytes() == csv_bytes


def test_more_meters_later_adds_only_the_new_ones(seeded):
    first = dict(Device.objects.values_list("eui", "mpxn"))
    call_command("seed_demo", out=str(seeded), meters=METERS + 5, no_progress=True)
    assert Device.objects.count() == 3 * (METERS + 5)
    assert {eui: mpxn for eui, mpxn in Device.objects.values_list("eui", "mpxn") if eui in first} == first


def test_the_devices_csv_is_in_the_import_format_and_reimports(seeded):
    manifest = load(seeded)
    path = manifest["devices_csv"]
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) - 1 == 3 * METERS

    fields = ["eui", "device_type", "esme_variant", "generation", "smi_status", "payment_mode",
              "registered_supplier__eui", "mpxn"]
    seeded_values = sorted(Device.objects.values_list(*fields))
    assert sorted(tuple(r) for r in rows[1:]) == seeded_values

    # On the same database: every row names an existing meter, with exactly its values.
    result = import_devices(path, ImportOptions(update=True, dry_run=True))
    assert (result.rows, result.created, result.updated, result.unchanged) == (3 * METERS, 0, 0, 3 * METERS)

    # Into an empty inventory: the same meters come back.
    Device.objects.all().delete()
    result = import_devices(path)
    assert result.created == 3 * METERS
    assert sorted(Device.objects.values_list(*fields)) == seeded_values


def test_the_demo_meter_numbers_are_valid_and_stable():
    supplier = demo.registry.SUPPLIERS[0]
    assert demo.meter_eui(1, 0x12345) == "00-DB-12-01-00-01-23-45"
    meter = demo.demo_meter(supplier, 0)
    assert meter.mpxn == demo.mpan(1, 0)
    # MPAN check digit: sum of digit × prime over the first 12 digits, mod 11, mod 10
    digits = demo.mpan(2, 123456)
    primes = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)
    assert len(digits) == 13
    assert int(digits[-1]) == sum(int(d) * p for d, p in zip(digits[:12], primes, strict=True)) % 11 % 10
    assert demo.demo_meter(supplier, 1234) == demo.demo_meter(supplier, 1234)


def test_reseeding_restores_a_changed_demo_password_so_the_manifest_stays_true(seeded, client):
    person = load(seeded)["people"][0]
    user = get_user_model().objects.get(username=person["username"])
    user.set_password("someone-changed-it-99")
    user.save()
    assert not client.login(username=person["username"], password=person["password"])
    call_command("seed_demo", out=str(seeded), meters=METERS, no_progress=True)
    assert client.login(username=person["username"], password=person["password"])


def test_a_demo_eui_owned_by_another_party_is_a_conflict_with_its_code(tmp_path):
    from portal.demo import SRP_SOLR_USER_ID, DemoConflict
    from tests.portal.factories import PartyFactory, UserIDFactory

    UserIDFactory(eui=SRP_SOLR_USER_ID, party=PartyFactory(kind="srp"))
    with pytest.raises(DemoConflict) as excinfo:
        demo.seed_demo(tmp_path / "demo", meters=1)
    assert excinfo.value.code == "demo-user-id-conflict"
    assert not Device.objects.exists()


def test_a_demo_party_of_another_kind_is_a_conflict_with_its_code(tmp_path):
    from portal.demo import SRP, DemoConflict
    from tests.portal.factories import PartyFactory

    PartyFactory(name=SRP[0], short_name=SRP[1], kind="other")
    with pytest.raises(DemoConflict) as excinfo:
        demo.seed_demo(tmp_path / "demo", meters=1)
    assert excinfo.value.code == "demo-party-conflict"


def test_a_negative_number_of_meters_is_refused_with_its_code(tmp_path):
    with pytest.raises(demo.DemoRefused) as excinfo:
        demo.seed_demo(tmp_path / "demo", meters=-1)
    assert excinfo.value.code == "demo-meters-negative"
    assert not (tmp_path / "demo").exists()


def test_a_campaign_gives_the_active_supplier_only_commissioned_smets2_prepayment_meters(tmp_path):
    """seed_demo --campaign M (benchmarks/campaign_bench.py): Failing Energy has M meters, every one a commissioned
    SMETS2 meter on prepayment, listed in the CSV; the other Suppliers keep the usual mix; the ADT levels cover M."""
    out = tmp_path / "demo"
    call_command("seed_demo", out=str(out), meters=METERS, campaign=3 * METERS, no_progress=True)
    manifest = load(out)
    assert manifest["devices"]["campaign"] == {"supplier": "failing-energy", "meters": 3 * METERS}
    assert manifest["devices"]["total"] == Device.objects.count() == 2 * METERS + 3 * METERS

    failing = Device.objects.filter(registered_supplier__party__short_name="failing-energy")
    assert failing.count() == 3 * METERS
    assert set(failing.values_list("generation", "smi_status", "payment_mode").distinct()) == {
        ("SMETS2", "commissioned", "prepayment")}
    assert set(failing.values_list("device_type", flat=True)) == {"ESME", "GSME"}
    # Same EUIs and MPxNs as the demo meters of the same numbers.
    assert set(failing.values_list("eui", "mpxn")) == {
        (m.eui, m.mpxn) for m in demo.demo_meters(demo.CAMPAIGN_SUPPLIER, 3 * METERS)}
    others = Device.objects.exclude(registered_supplier__party__short_name="failing-energy")
    assert others.count() == 2 * METERS
    assert {"SMETS1", "credit", "suspended"} <= {v for row in others.values_list(
        "generation", "payment_mode", "smi_status") for v in row}

    with open(manifest["devices_csv"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    campaign_rows = [r for r in rows if r["eui"].startswith("00-DB-12-01-")]
    assert len(campaign_rows) == 3 * METERS
    assert {(r["generation"], r["smi_status"], r["payment_mode"]) for r in campaign_rows} == {
        ("SMETS2", "commissioned", "prepayment")}
    failing_user_ids = {u["eui"] for p in manifest["parties"] if p["short_name"] == "failing-energy"
                        for u in p["user_ids"]}
    levels = [a["warning_level"] for a in manifest["adt"] if a["target_supplier"] in failing_user_ids]
    assert levels and min(levels) >= 2 * 3 * METERS


def test_a_negative_campaign_is_refused_with_its_code(tmp_path):
    with pytest.raises(demo.DemoRefused) as excinfo:
        demo.seed_demo(tmp_path / "demo", meters=1, campaign=-1)
    assert excinfo.value.code == "demo-meters-negative"
