"""Who may do what in the admin, tried with the cast (issue 6 point 9), not only with a superuser.

For every model registered in the admin, its changelist, add, change, delete and history pages: people
who are not staff (the outsider, the Authority officer, the SRP's SRO and ARO) are sent to the admin's
sign-in page and change nothing; the DCC operators (group "DCC service desk", as the product creates
it) get exactly the rights in RIGHTS below and never delete.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from contingency.adt.services import approve_adt_file, upload_adt_file
from contingency.models import Alert, Device, Push
from pki.crl import issue_crl
from pki.issuance import issue_certificate
from pki.models import IssuancePolicy
from pki.orders.services import request_revocation
from portal import audit
from portal.models import AuditRecord, Office, Party, SRPArrangement, solr_role_code
from tests.helpers.pki import csr_for
from tests.portal.factories import UserIDFactory

pytestmark = pytest.mark.django_db

VIEW, ADD, CHANGE = "view", "add", "change"
# What a DCC operator may do with each registered model. The group holds view, add and change on every
# model of portal, pki and contingency (no delete); the admin classes make the append-only records (audit log,
# certificates, CAs, orders, revocation requests, CRLs) and the ADT files read-only for everyone. A model
# registered without a row here fails test_every_registered_model_has_a_row: decide its rights when you register it.
RIGHTS: dict[str, set[str]] = {
    "auth.user": set(),
    "auth.group": set(),
    "portal.party": {VIEW, ADD, CHANGE},
    "portal.userid": {VIEW, ADD, CHANGE},
    "portal.srparrangement": {VIEW, ADD, CHANGE},
    "portal.office": {VIEW, ADD, CHANGE},
    "portal.auditrecord": {VIEW},
    "portal.auditchainhead": {VIEW},
    "pki.issuancepolicy": {VIEW, ADD, CHANGE},
    "pki.certificate": {VIEW},
    "pki.certificateauthority": {VIEW},
    "pki.certificateorder": {VIEW},
    "pki.revocationlist": {VIEW},
    "pki.revocationrequest": {VIEW},  # decided on the portal's pages (pki.orders.services: four eyes), not here
    "contingency.device": {VIEW, ADD, CHANGE},
    "contingency.adtfile": {VIEW},  # ADT files change only through contingency.adt.services (four eyes)
    "contingency.adtthreshold": {VIEW},
    # Alerts and their pushes are raised and delivered by contingency.alerts / contingency.delivery only.
    "contingency.alert": {VIEW},
    "contingency.push": {VIEW},
    # django-otp's devices: a superuser removes a lost authenticator; the service desk has no rights on them.
    "otp_totp.totpdevice": set(),
}
NON_STAFF = ("authority_officer", "srp_sro", "srp_aro", "outsider")


def registered_models():
    return sorted(admin.site._registry, key=lambda m: m._meta.label_lower)


def admin_urls(model) -> dict[str, str]:
    """The admin pages of ``model``, with its first row for the object pages."""
    opts = model._meta
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the world has no {opts.label}: add one to the world fixture"
    name = f"admin:{opts.app_label}_{opts.model_name}"
    return {
        "changelist": reverse(f"{name}_changelist"),
        "add": reverse(f"{name}_add"),
        "change": reverse(f"{name}_change", args=[obj.pk]),
        "delete": reverse(f"{name}_delete", args=[obj.pk]),
        "history": reverse(f"{name}_history", args=[obj.pk]),
    }


@pytest.fixture
def world(cast, smki):
    """At least one row of every model the admin shows (the cast brings people, Parties and the group)."""
    supplier_uid = UserIDFactory(party=cast.other_party, roles=["IS"])
    SRPArrangement.objects.create(srp=cast.srp, supplier=cast.other_party, valid_from=dt.date(2024, 4, 1))
    device = Device.objects.create(eui="00-DB-12-34-56-78-90-A0", device_type="ESME", esme_variant="single",
                                   generation="SMETS2", smi_status="commissioned", payment_mode="prepayment",
                                   registered_supplier=supplier_uid, mpxn="1234567890123")
    alert = Alert.objects.create(kind="device", code="8F20", device=device, addressed_to=supplier_uid,
                                 recipient=supplier_uid, route="direct", document="<sr:Response/>")
    Push.objects.create(key=f"alert:{alert.pk}", alert=alert, recipient=supplier_uid, body=alert.document)
    issue_certificate(supplier_uid, "xml-signing", csr_for())
    issue_crl(smki)
    solr_uid = UserIDFactory(party=cast.srp, roles=[solr_role_code()])
    adt = f"user_id,srv,target_supplier,warning_level,quarantine_level,window_minutes\n" \
          f"{solr_uid.eui},1.6,{supplier_uid.eui},100,200,60\n"
    approve_adt_file(cast.srp_sro.user, upload_adt_file(cast.srp_aro.user, cast.srp, "adt.csv", adt.encode()))
    request_revocation(cast.srp_aro.user, issue_certificate(solr_uid, "xml-signing", csr_for()), "key compromise")
    audit.seal()
    return cast


def test_every_registered_model_has_a_row():
    assert {m._meta.label_lower for m in registered_models()} == set(RIGHTS)


@pytest.mark.parametrize("name", NON_STAFF)
def test_people_who_are_not_staff_are_sent_to_the_admin_sign_in(world, name):
    client = world[name].client
    login = reverse("admin:login")
    assert client.get(reverse("admin:index")).url.startswith(login)
    for model in registered_models():
        for page, url in admin_urls(model).items():
            response = client.get(url)
            assert response.status_code == 302 and response.url.startswith(login), (name, page, url)


@pytest.mark.parametrize("name", NON_STAFF)
def test_people_who_are_not_staff_change_and_delete_nothing(world, name):
    client = world[name].client
    party = world.srp
    change = reverse("admin:portal_party_change", args=[party.pk])
    response = client.post(change, {"name": "Hijacked", "short_name": party.short_name, "kind": party.kind})
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    office = world.srp_sro.office
    response = client.post(reverse("admin:portal_office_delete", args=[office.pk]), {"post": "yes"})
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    party.refresh_from_db()
    assert party.name == "Cast SRP"
    assert Office.objects.filter(pk=office.pk).exists()


@pytest.mark.parametrize("name", ["dcc_operator1", "dcc_operator2"])
def test_dcc_operators_have_exactly_their_rights_and_never_delete(world, name):
    client = world[name].client
    for model in registered_models():
        label = model._meta.label_lower
        rights = RIGHTS[label]
        urls = admin_urls(model)

        changelist = client.get(urls["changelist"])
        assert changelist.status_code == (200 if VIEW in rights else 403), (label, "changelist")
        if VIEW in rights:
            assert b'value="delete_selected"' not in changelist.content, label

        assert client.get(urls["add"]).status_code == (200 if ADD in rights else 403), (label, "add")

        change = client.get(urls["change"])
        assert change.status_code == (200 if VIEW in rights else 403), (label, "change")
        if VIEW in rights:
            assert change.context_data["has_change_permission"] is (CHANGE in rights), label
            assert change.context_data["has_delete_permission"] is False, label

        assert client.get(urls["delete"]).status_code == 403, (label, "delete")
        assert client.post(urls["delete"], {"post": "yes"}).status_code == 403, (label, "delete POST")
        assert model._default_manager.filter(pk=model._default_manager.order_by("pk").first().pk).exists()


def test_read_only_records_refuse_a_change_from_a_dcc_operator(world):
    client = world.dcc_operator1.client
    record = AuditRecord.objects.order_by("pk").first()
    url = reverse("admin:portal_auditrecord_change", args=[record.pk])
    response = client.post(url, {"actor": "someone-else", "action": record.action})
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.actor != "someone-else"


def test_a_dcc_operator_adds_and_changes_in_the_admin_and_is_audited_by_name(world):
    operator = world.dcc_operator2
    response = operator.client.post(reverse("admin:pki_issuancepolicy_add"),
                                    {"role": "RSA", "kind": "digital-signing", "note": "added by the desk"})
    assert response.status_code == 302
    policy = IssuancePolicy.objects.get(role="RSA", kind="digital-signing")
    assert AuditRecord.objects.filter(action="issuancepolicy.create", actor=operator.username).exists()

    response = operator.client.post(reverse("admin:pki_issuancepolicy_change", args=[policy.pk]),
                                    {"role": "RSA", "kind": "digital-signing", "note": "changed by the desk"})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.note == "changed by the desk"
    assert AuditRecord.objects.filter(action="issuancepolicy.update", actor=operator.username).exists()

    party = world.other_party
    response = operator.client.post(reverse("admin:portal_srparrangement_add"), {
        "srp": world.srp.pk, "supplier": party.pk, "valid_from": "2025-01-01", "valid_to": "2025-06-30",
    })
    assert response.status_code == 302
    assert SRPArrangement.objects.filter(srp=world.srp, supplier=party, valid_from="2025-01-01").exists()


def test_nobody_in_the_service_desk_group_may_delete_anything(world):
    for operator in world.dcc_operators:
        user = type(operator.user).objects.get(pk=operator.user.pk)  # fresh permission cache
        deletes = [p for p in Permission.objects.filter(codename__startswith="delete_").select_related("content_type")]
        assert deletes
        assert not any(user.has_perm(f"{p.content_type.app_label}.{p.codename}") for p in deletes)
        assert user.has_perm("portal.change_party") and user.has_perm("portal.add_party")
    assert Party.objects.filter(pk=world.srp.pk).exists()
