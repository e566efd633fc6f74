"""Registry rules, in one place. Called from the models' clean() and save(), so that the admin,
the management commands and every service obey the same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from .models import Office, Party, SRPArrangement, UserID


def normalise_party(party: Party) -> None:
    """Only Suppliers hold a supply licence; a new Supplier's licence starts active."""
    from .models import LicenceStatus, PartyKind

    if party.kind == PartyKind.SUPPLIER:
        if not party.licence_status:
            party.licence_status = LicenceStatus.ACTIVE
    else:
        party.licence_status = ""
        party.licence_revoked_at = None


def check_party(party: Party) -> None:
    from .models import LicenceStatus, PartyKind

    if party.kind != PartyKind.SUPPLIER and (party.licence_status or party.licence_revoked_at):
        raise ValidationError({"licence_status": "only a Supplier has a supply licence"})
    if party.licence_status == LicenceStatus.REVOKED and party.licence_revoked_at is None:
        raise ValidationError({"licence_revoked_at": "a revoked licence needs the date and time of revocation"})
    if party.licence_status == LicenceStatus.ACTIVE and party.licence_revoked_at is not None:
        raise ValidationError({"licence_revoked_at": "an active licence has no revocation time"})
    if party.pk:
        # A Party that holds SoLR Contingency roles must stay an SRP.
        from .models import UserRole, solr_role_code

        if party.kind != PartyKind.SRP and UserRole.objects.filter(
            holder__party_id=party.pk, role=solr_role_code()
        ).exists():
            raise ValidationError({"kind": "this Party's User IDs hold the SoLR Contingency role: it must stay an SRP"})


def check_role(party: Party, role: str) -> None:
    """A User Role must be a DUIS role; SoLR Contingency only for a Shared Resource Provider (MP134B)."""
    from .models import PartyKind, role_choices, solr_role_code

    valid = {code for code, _ in role_choices()}
    if role not in valid:
        raise ValidationError({"role": f"{role!r} is not a DUIS User Role (one of {', '.join(sorted(valid))})"})
    if role == solr_role_code() and party.kind != PartyKind.SRP:
        raise ValidationError(
            {"role": f"the SoLR Contingency role ({role}) may only be held by a User ID of a Shared Resource "
                     f"Provider; {party} is a {party.get_kind_display()}"}
        )


# Checks other apps add to a User Role (e.g. pki: MP134B BR2 certificates). portal never imports
# them; they register here from their AppConfig.ready(). Each is called as check(holder, role) and
# raises ValidationError.
_role_checks: list[Callable[[UserID, str], None]] = []


def register_role_check(check: Callable[[UserID, str], None]) -> None:
    if check not in _role_checks:
        _role_checks.append(check)


def check_user_role(holder: UserID, role: str) -> None:
    """Every rule a User Role must satisfy: the registry's own, then the registered ones."""
    check_role(holder.party, role)
    for check in _role_checks:
        check(holder, role)


def check_roles_fit_party(party: Party, roles: Iterable[str]) -> None:
    for role in roles:
        check_role(party, role)


def check_arrangement(arrangement: SRPArrangement) -> None:
    from .models import PartyKind

    errors = {}
    if arrangement.srp_id and arrangement.srp.kind != PartyKind.SRP:
        errors["srp"] = f"{arrangement.srp} is not a Shared Resource Provider"
    if arrangement.supplier_id and arrangement.supplier.kind != PartyKind.SUPPLIER:
        errors["supplier"] = f"{arrangement.supplier} is not a Supplier"
    if arrangement.valid_to and arrangement.valid_from and arrangement.valid_to < arrangement.valid_from:
        errors["valid_to"] = "the arrangement ends before it starts"
    if errors:
        raise ValidationError(errors)


# Which kind of Party each office may belong to.
_OFFICE_PARTY_KINDS = {
    "dcc_operator": {"dcc"},
    "authority_officer": {"authority"},
}


def check_office(office: Office) -> None:
    allowed = _OFFICE_PARTY_KINDS.get(office.kind)
    if allowed is None:
        # SROs and AROs act for DCC Users (SEC L / RAPP); the Authority does not have them.
        allowed = {"supplier", "srp", "dcc", "network_operator", "other"}
    if office.party_id and office.party.kind not in allowed:
        raise ValidationError(
            {"party": f"a {office.get_kind_display()} cannot belong to {office.party} "
                      f"({office.party.get_kind_display()})"}
        )
