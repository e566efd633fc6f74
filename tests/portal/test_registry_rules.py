import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal.models import Office, OfficeKind, Party, PartyKind, SRPArrangement, UserID, UserRole

from .factories import PartyFactory, PersonFactory, UserIDFactory, revoked_supplier

pytestmark = pytest.mark.django_db


def test_solr_contingency_role_only_for_an_srp_user_id():
    srp_uid = UserIDFactory(party=PartyFactory(kind=PartyKind.SRP))
    UserRole.objects.create(holder=srp_uid, role="SC")
    assert srp_uid.role_codes == ["SC"]

    for kind in (PartyKind.SUPPLIER, PartyKind.DCC, PartyKind.NETWORK_OPERATOR, PartyKind.OTHER):
        uid = UserIDFactory(party=PartyFactory(kind=kind))
        with pytest.raises(ValidationError, match="Shared Resource Provider"):
            UserRole.objects.create(holder=uid, role="SC")
        assert not uid.roles.exists()


def test_the_solr_role_code_is_a_setting(settings):
    settings.SOLR_CONTINGENCY_ROLE_CODE = "SOLR"
    srp_uid = UserIDFactory(party=PartyFactory(kind=PartyKind.SRP))
    UserRole.objects.create(holder=srp_uid, role="SOLR")
    with pytest.raises(ValidationError, match="not a DUIS User Role"):
        UserRole.objects.create(holder=srp_uid, role="SC")
    supplier_uid = UserIDFactory()
    with pytest.raises(ValidationError, match="Shared Resource Provider"):
        UserRole.objects.create(holder=supplier_uid, role="SOLR")


def test_unknown_roles_are_refused():
    uid = UserIDFactory()
    with pytest.raises(ValidationError, match="not a DUIS User Role"):
        UserRole.objects.create(holder=uid, role="XX")


def test_an_srp_holding_the_role_cannot_stop_being_an_srp_and_its_user_id_cannot_move():
    srp = PartyFactory(kind=PartyKind.SRP)
    uid = UserIDFactory(party=srp, roles=["SC"])
    srp.kind = PartyKind.OTHER
    with pytest.raises(ValidationError, match="must stay an SRP"):
        srp.save()
    uid.party = PartyFactory(kind=PartyKind.SUPPLIER)
    with pytest.raises(ValidationError, match="Shared Resource Provider"):
        uid.save()
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
    with pytest.raises(ValidationError):
        UserID(eui="not-an-eui", party=PartyFactory()).full_clean()


def test_licence_rules():
    supplier = PartyFactory(kind=PartyKind.SUPPLIER)
    assert supplier.licence_status == "active"
    supplier.licence_status = "revoked"
    with pytest.raises(ValidationError, match="date and time"):
        supplier.save()
    failed = revoked_supplier()
    assert Party.objects.get(pk=failed.pk).licence_revoked_at is not None
    srp = PartyFactory(kind=PartyKind.SRP)
    assert srp.licence_status == ""


def test_srp_arrangement_needs_an_srp_and_a_supplier():
    srp, supplier = PartyFactory(kind=PartyKind.SRP), PartyFactory(kind=PartyKind.SUPPLIER)
    SRPArrangement.objects.create(srp=srp, supplier=supplier, valid_from="2026-01-01")
    with pytest.raises(ValidationError, match="not a Shared Resource Provider"):
        SRPArrangement.objects.create(srp=supplier, supplier=supplier, valid_from="2026-01-01")
    with pytest.raises(ValidationError, match="not a Supplier"):
        SRPArrangement.objects.create(srp=srp, supplier=srp, valid_from="2026-01-01")
    with pytest.raises(ValidationError, match="ends before"):
        SRPArrangement.objects.create(srp=srp, supplier=supplier, valid_from="2026-02-01", valid_to="2026-01-01")


def test_offices_belong_to_the_right_kind_of_party():
    person = PersonFactory()
    dcc, authority, srp = (PartyFactory(kind=k) for k in (PartyKind.DCC, PartyKind.AUTHORITY, PartyKind.SRP))
    Office.objects.create(person=person, kind=OfficeKind.DCC_OPERATOR, party=dcc)
    Office.objects.create(person=person, kind=OfficeKind.ARO, party=srp)
    with pytest.raises(ValidationError):
        Office.objects.create(person=person, kind=OfficeKind.DCC_OPERATOR, party=srp)
    with pytest.raises(ValidationError):
        Office.objects.create(person=person, kind=OfficeKind.AUTHORITY_OFFICER, party=dcc)
    with pytest.raises(ValidationError):
        Office.objects.create(person=person, kind=OfficeKind.SRO, party=authority)
    assert Office.objects.filter(person=person).count() == 2
