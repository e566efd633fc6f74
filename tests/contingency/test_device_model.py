"""The Device model: the shared consistency rules and the audit trail of every change."""

import pytest
from django.core.exceptions import ValidationError

from contingency.models import Device
from portal import audit
from portal.models import AuditRecord, PartyKind
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


@pytest.mark.parametrize("overrides, field", [
    ({"esme_variant": ""}, "esme_variant"),
    ({"device_type": "GSME", "mpxn": "123456"}, "esme_variant"),
    ({"payment_mode": ""}, "payment_mode"),
    ({"mpxn": "12345"}, "mpxn"),
])
def test_inconsistent_devices_are_refused(import_supplier, overrides, field):
    with pytest.raises(ValidationError) as excinfo:
        make(import_supplier, **overrides)
    assert field in excinfo.value.message_dict
    assert not Device.objects.exists()


def test_the_registered_supplier_must_be_a_suppliers_user_id_with_the_right_role(import_supplier):
    with pytest.raises(ValidationError, match="must hold the GS role"):
        make(import_supplier, device_type="GSME", esme_variant="", mpxn="123456")
    srp_uid = UserIDFactory(party=PartyFactory(kind=PartyKind.SRP), roles=["IS"])
    with pytest.raises(ValidationError, match="User ID of a Supplier"):
        make(srp_uid)
