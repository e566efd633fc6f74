"""The Device model: the shared consistency rules (asserted by code), the audit trail of every change, the
cost of the guard on save and on bulk writes, and the bulk service."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contingency.devices.services import update_devices
from contingency.models import Device
from portal import audit
from portal.models import AuditRecord, PartyKind
from portal.rules import RuleViolation
from tests.portal.factories import PartyFactory, UserIDFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def import_supplier():
    return UserIDFactory(party=PartyFactory(kind=PartyKind.SUPPLIER), roles=["IS"])


def make(supplier, **overrides):
    values = dict(eui="00db1234567890a0", device_type="ESME", esme_variant="single", generation="SMETS2",
                  smi_status="commissioned", payment_mode="prepayment", registered_supplier=supplier,
                  mpxn="1234567890123")
    values.update(overrides)
    return Device.objects.create(**values)


def test_device_changes_are_audited_with_before_and_after(import_supplier):
    with audit.acting_as("dcc.operator1"):
        device = make(import_supplier)
        device.payment_mode = "credit"
        device.save()
        device.delete()
    actions = list(AuditRecord.objects.filter(subject_type="contingency.Device").values_list("action", flat=True))
    assert actions == ["device.create", "device.update", "device.delete"]
    update = AuditRecord.objects.get(action="device.update")
    assert update.actor == "dcc.operator1"
    assert (update.before["payment_mode"], update.after["payment_mode"]) == ("prepayment", "credit")
    assert update.after["eui"] == "00-DB-12-34-56-78-90-A0"


@pytest.mark.parametrize("overrides, field, code", [
    ({"esme_variant": ""}, "esme_variant", "esme-variant-missing"),
    ({"device_type": "GSME", "mpxn": "123456"}, "esme_variant", "esme-variant-not-esme"),
    ({"payment_mode": ""}, "payment_mode", "payment-mode-missing"),
    ({"device_type": "CHF", "esme_variant": "", "mpxn": ""}, "payment_mode", "payment-mode-not-meter"),
    ({"mpxn": "12345"}, "mpxn", "mpan-invalid"),
])
def test_inconsistent_devices_are_refused(import_supplier, overrides, field, code):
    with pytest.raises(RuleViolation) as excinfo:
        make(import_supplier, **overrides)
    assert excinfo.value.codes[field] == code
    assert field in excinfo.value.message_dict  # a ValidationError: the admin shows it beside the field
    assert not Device.objects.exists()


def test_the_registered_supplier_must_be_a_suppliers_user_id_with_the_right_role(import_supplier):
    with pytest.raises(RuleViolation) as excinfo:
        make(import_supplier, device_type="GSME", esme_variant="", mpxn="123456")
    assert excinfo.value.codes == {"registered_supplier": "supplier-role-missing"}
    srp_uid = UserIDFactory(party=PartyFactory(kind=PartyKind.SRP), roles=["IS"])
    with pytest.raises(RuleViolation) as excinfo:
        make(srp_uid)
    assert excinfo.value.codes == {"registered_supplier": "supplier-not-a-supplier"}


def _registry_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries
            if any(table in q["sql"] for table in ("portal_userid", "portal_userrole", "portal_party"))]


def test_saving_a_meter_with_the_same_type_and_supplier_costs_the_rules_no_query(import_supplier):
    """One Device.save() used to cost three registry queries for the Supplier rule; with the same type and
    Supplier as when it was read, the rule was met then and needs none."""
    make(import_supplier)
    device = Device.objects.get()
    device.payment_mode = "credit"
    with CaptureQueriesContext(connection) as captured:
        device.save()
    assert _registry_queries(captured) == []
    assert Device.objects.get().payment_mode == "credit"
    # A new Supplier is checked, with one query.
    gas_uid = UserIDFactory(party=import_supplier.party, roles=["GS"])
    device.registered_supplier = gas_uid
    with CaptureQueriesContext(connection) as captured, pytest.raises(RuleViolation) as excinfo:
        device.save()
    assert excinfo.value.codes == {"registered_supplier": "supplier-role-missing"}
    assert len(_registry_queries(captured)) == 1


def _eui(x: int) -> str:
    return f"00-DB-99-00-00-{x >> 16 & 0xFF:02X}-{x >> 8 & 0xFF:02X}-{x & 0xFF:02X}"


def _meters(supplier, n, start=0, **overrides):
    return [Device(**{**dict(eui=_eui(start + i),
                             device_type="ESME", esme_variant="single", generation="SMETS2",
                             smi_status="commissioned", payment_mode="prepayment", registered_supplier=supplier,
                             mpxn=f"{1000000000000 + start + i}"), **overrides}) for i in range(n)]


def test_bulk_create_obeys_the_rules(import_supplier):
    """bulk_create used to skip the rules silently."""
    bad = _meters(import_supplier, 3) + _meters(import_supplier, 1, start=3, esme_variant="")
    with pytest.raises(RuleViolation) as excinfo:
        Device.objects.bulk_create(bad)
    assert excinfo.value.codes == {"esme_variant": "esme-variant-missing"}
    gas = _meters(import_supplier, 2, start=10, device_type="GSME", esme_variant="", mpxn="123456")
    with pytest.raises(RuleViolation) as excinfo:
        Device.objects.bulk_create(gas)
    assert excinfo.value.codes == {"registered_supplier": "supplier-role-missing"}
    assert not Device.objects.exists()
    assert len(Device.objects.bulk_create(_meters(import_supplier, 5))) == 5


def _update_queries(import_supplier, n) -> int:
    Device.objects.bulk_create(_meters(import_supplier, n, start=1000 * n))
    with CaptureQueriesContext(connection) as captured:
        Device.objects.of_supplier(import_supplier).filter(eui__startswith="00-DB-99").update(payment_mode="credit")
    Device.objects.all().delete()
    return len(captured.captured_queries)


def test_an_update_of_many_meters_checks_the_rules_set_wise(import_supplier):
    """update() checks the rules over the distinct combinations of their inputs: the same number of
    queries for 10 meters as for 400, none per meter."""
    assert _update_queries(import_supplier, 10) == _update_queries(import_supplier, 400) <= 3


def test_an_update_that_breaks_a_rule_is_refused_and_changes_nothing(import_supplier):
    Device.objects.bulk_create(_meters(import_supplier, 5))
    Device.objects.bulk_create(_meters(import_supplier, 1, start=5, device_type="CHF", esme_variant="",
                                       payment_mode="", mpxn=""))
    with pytest.raises(RuleViolation) as excinfo:
        Device.objects.all().update(payment_mode="credit")
    assert excinfo.value.codes == {"payment_mode": "payment-mode-not-meter"}
    with pytest.raises(RuleViolation) as excinfo:
        Device.objects.meters().update(device_type="GSME")
    assert excinfo.value.code in {"esme-variant-not-esme", "mprn-invalid", "supplier-role-missing"}
    assert not Device.objects.filter(payment_mode="credit").exists()
    assert Device.objects.meters().update(payment_mode="credit") == 5


def test_the_bulk_service_updates_many_meters_with_one_audit_record(import_supplier):
    other = UserIDFactory(party=PartyFactory(kind=PartyKind.SUPPLIER), roles=["IS"])
    Device.objects.bulk_create(_meters(import_supplier, 20) + _meters(other, 3, start=100))
    with audit.acting_as("system:worker"):
        count = update_devices(Device.objects.of_supplier(import_supplier.party), payment_mode="credit",
                               reason="SoLR: switch to credit")
    assert count == 20
    assert Device.objects.filter(payment_mode="credit").count() == 20
    assert not Device.objects.of_supplier(other).filter(payment_mode="credit").exists()
    record = AuditRecord.objects.get(action="device.bulk_update")
    assert record.actor == "system:worker"
    assert record.after == {"changes": {"payment_mode": "credit"}, "devices": 20, "reason": "SoLR: switch to credit"}
    with pytest.raises(RuleViolation):
        update_devices(Device.objects.all(), payment_mode="", reason="bad")
    assert AuditRecord.objects.filter(action="device.bulk_update").count() == 1


def test_the_admin_shows_a_meter_rule_as_a_form_error(import_supplier, client, django_user_model):
    device = make(import_supplier)
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "pw-root-1!"))
    response = client.post(f"/admin/contingency/device/{device.pk}/change/", {
        "eui": device.eui, "device_type": "ESME", "esme_variant": "", "generation": "SMETS2",
        "smi_status": "commissioned", "payment_mode": "credit", "registered_supplier": import_supplier.pk,
        "mpxn": device.mpxn,
    })
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [e.code for e in errors["esme_variant"]] == ["esme-variant-missing"]
    assert Device.objects.get().payment_mode == "prepayment"
