"""Registry rules: plain functions of values (portal.rules), guarded on save, on bulk writes and in the admin.

Tests assert the refusal codes (docs/refusal-codes.md), not the wording.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from portal import rules
from portal.models import Office, OfficeKind, Party, PartyKind, SRPArrangement, UserID, UserRole
from portal.rules import RuleViolation

from .factories import PartyFactory, PersonFactory, UserIDFactory, revoked_supplier

pytestmark = pytest.mark.django_db


def codes(excinfo) -> dict[str, str]:
    return excinfo.value.codes


def test_solr_contingency_role_only_for_an_srp_user_id():
    srp_uid = UserIDFactory(party=PartyFactory(kind=PartyKind.SRP))
    UserRole.objects.create(holder=srp_uid, role="SC")
    assert srp_uid.role_codes == ["SC"]

    for kind in (PartyKind.SUPPLIER, PartyKind.DCC, PartyKind.NETWORK_OPERATOR, PartyKind.OTHER):
        uid = UserIDFactory(party=PartyFactory(kind=kind))
        with pytest.raises(RuleViolation) as excinfo:
            UserRole.objects.create(holder=uid, role="SC")
        assert codes(excinfo) == {"role": "solr-role-not-srp"}
        assert not uid.roles.exists()


def test_the_solr_role_code_is_a_setting(settings):
    settings.SOLR_CONTINGENCY_ROLE_CODE = "SOLR"
    srp_uid = UserIDFactory(party=PartyFactory(kind=PartyKind.SRP))
    UserRole.objects.create(holder=srp_uid, role="SOLR")
    with pytest.raises(RuleViolation) as excinfo:
        UserRole.objects.create(holder=srp_uid, role="SC")
    assert excinfo.value.code == "role-unknown"
    supplier_uid = UserIDFactory()
    with pytest.raises(RuleViolation) as excinfo:
        UserRole.objects.create(holder=supplier_uid, role="SOLR")
    assert excinfo.value.code == "solr-role-not-srp"


def test_unknown_roles_are_refused():
    uid = UserIDFactory()
    with pytest.raises(RuleViolation) as excinfo:
        UserRole.objects.create(holder=uid, role="XX")
    assert codes(excinfo) == {"role": "role-unknown"}
    # A RuleViolation is a ValidationError: forms and the admin show it beside its field.
    assert isinstance(excinfo.value, ValidationError) and "role" in excinfo.value.message_dict


def test_an_srp_holding_the_role_cannot_stop_being_an_srp_and_its_user_id_cannot_move():
    srp = PartyFactory(kind=PartyKind.SRP)
    uid = UserIDFactory(party=srp, roles=["SC"])
    srp.kind = PartyKind.OTHER
    with pytest.raises(RuleViolation) as excinfo:
        srp.save()
    assert codes(excinfo) == {"kind": "solr-role-party-must-stay-srp"}
    uid.party = PartyFactory(kind=PartyKind.SUPPLIER)
    with pytest.raises(RuleViolation) as excinfo:
        uid.save()
    assert codes(excinfo) == {"party": "solr-role-not-srp"}
    assert UserID.objects.get(pk=uid.pk).party_id == srp.pk


def test_one_owner_per_user_id_in_any_spelling():
    a, b = PartyFactory(), PartyFactory()
    UserID.objects.create(eui="90-B3-D5-1F-30-01-00-00", party=a)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserID.objects.create(eui="90b3d51f30010000", party=b)
    assert UserID.objects.get(eui="90:b3:d5:1f:30:01:00:00").party == a


def test_user_id_eui_is_canonical_and_validated():
    uid = UserID(eui="90b3d51f30010000", party=PartyFactory())
    uid.full_clean()
    uid.save()
    assert UserID.objects.get(pk=uid.pk).eui == "90-B3-D5-1F-30-01-00-00"
    with pytest.raises(ValidationError) as excinfo:
        UserID(eui="not-an-eui", party=PartyFactory()).full_clean()
    assert excinfo.value.error_dict["eui"][0].code == "eui64-invalid"


def test_licence_rules():
    supplier = PartyFactory(kind=PartyKind.SUPPLIER)
    assert supplier.licence_status == "active"
    supplier.licence_status = "revoked"
    with pytest.raises(RuleViolation) as excinfo:
        supplier.save()
    assert codes(excinfo) == {"licence_revoked_at": "licence-revocation-time-missing"}
    failed = revoked_supplier()
    assert Party.objects.get(pk=failed.pk).licence_revoked_at is not None
    srp = PartyFactory(kind=PartyKind.SRP)
    assert srp.licence_status == ""


def test_srp_arrangement_needs_an_srp_and_a_supplier():
    srp, supplier = PartyFactory(kind=PartyKind.SRP), PartyFactory(kind=PartyKind.SUPPLIER)
    SRPArrangement.objects.create(srp=srp, supplier=supplier, valid_from="2026-01-01")
    cases = [
        (dict(srp=supplier, supplier=supplier, valid_from="2026-01-01"), {"srp": "arrangement-srp-not-srp"}),
        (dict(srp=srp, supplier=srp, valid_from="2026-01-01"), {"supplier": "arrangement-supplier-not-supplier"}),
        (dict(srp=srp, supplier=supplier, valid_from="2026-02-01", valid_to="2026-01-01"),
         {"valid_to": "arrangement-ends-before-start"}),
    ]
    for values, expected in cases:
        with pytest.raises(RuleViolation) as excinfo:
            SRPArrangement.objects.create(**values)
        assert codes(excinfo) == expected
    assert SRPArrangement.objects.count() == 1


def test_offices_belong_to_the_right_kind_of_party():
    person = PersonFactory()
    dcc, authority, srp = (PartyFactory(kind=k) for k in (PartyKind.DCC, PartyKind.AUTHORITY, PartyKind.SRP))
    Office.objects.create(person=person, kind=OfficeKind.DCC_OPERATOR, party=dcc)
    Office.objects.create(person=person, kind=OfficeKind.ARO, party=srp)
    for kind, party in ((OfficeKind.DCC_OPERATOR, srp), (OfficeKind.AUTHORITY_OFFICER, dcc),
                        (OfficeKind.SRO, authority)):
        with pytest.raises(RuleViolation) as excinfo:
            Office.objects.create(person=person, kind=kind, party=party)
        assert codes(excinfo) == {"party": "office-wrong-party-kind"}
    assert Office.objects.filter(person=person).count() == 2


# --- the rules are functions of values -----------------------------------------------------------

def test_the_rules_take_values_and_need_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert rules.role_problem("SC", PartyKind.SUPPLIER).code == "solr-role-not-srp"
        assert rules.role_problem("SC", PartyKind.SRP) is None
        assert rules.party_problems(PartyKind.OTHER, "active", None)["licence_status"].code == "licence-not-supplier"
        assert rules.party_problems(PartyKind.SUPPLIER, "active", None, holds_solr_role=True)["kind"].code == (
            "solr-role-party-must-stay-srp")
        assert rules.arrangement_problems(PartyKind.SRP, PartyKind.SUPPLIER, dt.date(2026, 2, 1),
                                          dt.date(2026, 1, 1)) == {
            "valid_to": rules.Problem("arrangement-ends-before-start", "the arrangement ends before it starts")}
        assert rules.office_problems(OfficeKind.SRO, PartyKind.AUTHORITY)["party"].code == "office-wrong-party-kind"


# --- bulk writes no longer skip the rules --------------------------------------------------------

def test_bulk_create_of_roles_obeys_the_rules():
    uid = UserIDFactory(party=PartyFactory(kind=PartyKind.SUPPLIER))
    with pytest.raises(RuleViolation) as excinfo:
        UserRole.objects.bulk_create([UserRole(holder=uid, role="IS"), UserRole(holder=uid, role="SC")])
    assert excinfo.value.code == "solr-role-not-srp"
    assert not uid.roles.exists()


def test_queryset_update_obeys_the_rules():
    srp = PartyFactory(kind=PartyKind.SRP)
    UserIDFactory(party=srp, roles=["SC"])
    with pytest.raises(RuleViolation) as excinfo:
        Party.objects.filter(pk=srp.pk).update(kind=PartyKind.SUPPLIER)
    assert excinfo.value.code == "solr-role-party-must-stay-srp"
    assert Party.objects.get(pk=srp.pk).kind == PartyKind.SRP
    uid = UserIDFactory(party=PartyFactory(kind=PartyKind.SUPPLIER), roles=["IS"])
    with pytest.raises(RuleViolation) as excinfo:
        UserRole.objects.filter(holder=uid).update(role="SC")
    assert excinfo.value.code == "solr-role-not-srp"
    assert uid.role_codes == ["IS"]
    # Fields no rule reads are written as before.
    assert UserID.objects.filter(pk=uid.pk).update(endpoint_url="https://example.invalid/r") == 1


def test_bulk_update_obeys_the_rules():
    office = Office.objects.create(person=PersonFactory(), kind=OfficeKind.SRO, party=PartyFactory())
    office.party = PartyFactory(kind=PartyKind.AUTHORITY)
    with pytest.raises(RuleViolation) as excinfo:
        Office.objects.bulk_update([office], ["party"])
    assert excinfo.value.code == "office-wrong-party-kind"
    office.refresh_from_db()
    office.kind = OfficeKind.ARO
    assert Office.objects.bulk_update([office], ["kind"]) == 1


# --- querysets -----------------------------------------------------------------------------------

def test_user_id_querysets_speak_the_domain():
    srp = PartyFactory(kind=PartyKind.SRP)
    active = UserIDFactory(party=srp, roles=["SC", "OU"])
    suspended = UserIDFactory(party=srp, roles=["SC"])
    UserID.objects.filter(pk=suspended.pk).update(status="suspended")
    other = UserIDFactory(roles=["IS"])
    assert set(UserID.objects.active()) == {active, other}
    assert list(UserID.objects.with_role("SC").order_by("pk")) == [active, suspended]  # each once
    assert list(UserID.objects.active().with_role("SC")) == [active]
    assert set(UserID.objects.of_party(srp)) == {active, suspended}
    with CaptureQueriesContext(connection) as captured:
        facts = UserID.objects.filter(party=srp).role_facts()
    assert len(captured.captured_queries) == 1
    assert {eui: (f.pk, f.party_kind, f.roles) for eui, f in facts.items()} == {
        active.eui: (active.pk, "srp", {"SC", "OU"}), suspended.eui: (suspended.pk, "srp", {"SC"})}


def test_party_querysets_speak_the_domain():
    failed, steady = revoked_supplier(), PartyFactory(kind=PartyKind.SUPPLIER)
    PartyFactory(kind=PartyKind.SRP)
    assert set(Party.objects.suppliers()) == {failed, steady}
    assert list(Party.objects.licence_revoked()) == [failed]


# --- the admin shows rule problems as form errors -------------------------------------------------

def test_the_admin_shows_a_user_id_move_that_breaks_its_roles_as_a_form_error(client, django_user_model):
    """Moving a SoLR Contingency User ID to a Supplier is refused beside the Party field (the old rule keyed
    it on 'role', a field the User ID form does not have)."""
    srp = PartyFactory(kind=PartyKind.SRP)
    uid = UserIDFactory(party=srp, roles=["SC"])
    supplier = PartyFactory(kind=PartyKind.SUPPLIER)
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "pw-root-1!"))
    role = uid.roles.get()
    response = client.post(f"/admin/portal/userid/{uid.pk}/change/", {
        "eui": uid.eui, "party": supplier.pk, "status": "active", "endpoint_url": "",
        "roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "1", "roles-MIN_NUM_FORMS": "0", "roles-MAX_NUM_FORMS": "1000",
        "roles-0-id": role.pk, "roles-0-holder": uid.pk, "roles-0-role": "SC",
    })
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert [e.code for e in form.errors.as_data()["party"]] == ["solr-role-not-srp"]
    assert UserID.objects.get(pk=uid.pk).party_id == srp.pk


def test_save_with_update_fields_checks_the_rules_only_for_the_fields_it_writes(monkeypatch):
    office = Office.objects.create(person=PersonFactory(), kind=OfficeKind.SRO, party=PartyFactory())
    office = Office.objects.get(pk=office.pk)
    calls = []
    real = rules.office_problems
    monkeypatch.setattr(rules, "office_problems", lambda *a, **k: calls.append(a) or real(*a, **k))
    office.status = "verified"
    office.save(update_fields=["status"])
    assert calls == [] and Office.objects.get(pk=office.pk).status == "verified"
    office.party = PartyFactory(kind=PartyKind.AUTHORITY)
    with pytest.raises(RuleViolation) as excinfo:
        office.save(update_fields=["party"])
    assert excinfo.value.code == "office-wrong-party-kind" and len(calls) == 1
