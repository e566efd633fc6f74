"""Registry rules as plain functions of values.

They take values (kinds, codes, dates), never a model instance and never the database, so that a
service, an admin form, an importer or a worker can check thousands of rows with lookups it made once.
The models call them through ``portal.models.RuleGuardedModel`` (in ``clean()`` for forms, in ``save()``
and in the guarded bulk writes for everything else); this module imports no model.

Each problem has a stable code (docs/refusal-codes.md, "Registry and secrets"); a ``RuleViolation`` is
the ValidationError that carries them, so the admin shows each one beside its field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from django.core.exceptions import ValidationError

from .choices import LicenceStatus, OfficeKind, PartyKind, role_choices, solr_role_code


class Problem(NamedTuple):
    code: str  # stable, documented in docs/refusal-codes.md
    message: str  # for people

    def __str__(self) -> str:
        return self.message


class RuleViolation(ValidationError):
    """A rule refused some values: field → problem. A ValidationError, so forms show each problem beside its
    field; ``code`` is the first problem's code and ``codes`` maps every field to its code."""

    def __init__(self, problems: Mapping[str, Problem]):
        super().__init__({name: ValidationError(p.message, code=p.code) for name, p in problems.items()})
        self.problems = dict(problems)
        self.codes = {name: p.code for name, p in problems.items()}
        self.code = next(iter(self.codes.values()), "rule-violation")


def refuse(problems: Mapping[str, Problem]) -> None:
    if problems:
        raise RuleViolation(problems)


# --- Parties -----------------------------------------------------------------------------------

def normalised_licence(kind: str, licence_status: str, licence_revoked_at: dt.datetime | None):
    """Only Suppliers hold a supply licence; a new Supplier's licence starts active.
    Returns (licence_status, licence_revoked_at)."""
    if kind == PartyKind.SUPPLIER:
        return licence_status or LicenceStatus.ACTIVE, licence_revoked_at
    return "", None


def party_problems(kind: str, licence_status: str, licence_revoked_at: dt.datetime | None, *,
                   holds_solr_role: bool = False) -> dict[str, Problem]:
    """``holds_solr_role``: some User ID of this Party holds the SoLR Contingency role (the caller looks it up)."""
    problems: dict[str, Problem] = {}
    if kind != PartyKind.SUPPLIER and (licence_status or licence_revoked_at):
        problems["licence_status"] = Problem("licence-not-supplier", "only a Supplier has a supply licence")
    elif licence_status == LicenceStatus.REVOKED and licence_revoked_at is None:
        problems["licence_revoked_at"] = Problem(
            "licence-revocation-time-missing", "a revoked licence needs the date and time of revocation")
    elif licence_status == LicenceStatus.ACTIVE and licence_revoked_at is not None:
        problems["licence_revoked_at"] = Problem(
            "licence-active-with-revocation-time", "an active licence has no revocation time")
    if holds_solr_role and kind != PartyKind.SRP:
        # MP134B: the SoLR Contingency role is an SRP's; a Party holding it must stay an SRP.
        problems["kind"] = Problem(
            "solr-role-party-must-stay-srp",
            "this Party's User IDs hold the SoLR Contingency role: it must stay an SRP")
    return problems


# --- User Roles --------------------------------------------------------------------------------

def role_problem(role: str, party_kind: str, party_name: str = "this Party") -> Problem | None:
    """A User Role must be a DUIS role; SoLR Contingency only for a Shared Resource Provider (MP134B BR1)."""
    valid = {code for code, _ in role_choices()}
    if role not in valid:
        return Problem("role-unknown", f"{role!r} is not a DUIS User Role (one of {', '.join(sorted(valid))})")
    if role == solr_role_code() and party_kind != PartyKind.SRP:
        return Problem(
            "solr-role-not-srp",
            f"the SoLR Contingency role ({role}) may only be held by a User ID of a Shared Resource Provider; "
            f"{party_name} is a {PartyKind(party_kind).label if party_kind in PartyKind.values else party_kind}")
    return None


def roles_problem(roles: Iterable[str], party_kind: str, party_name: str = "this Party") -> Problem | None:
    """The first role in ``roles`` that the Party cannot hold (a User ID moving to another Party)."""
    for role in sorted(roles):
        problem = role_problem(role, party_kind, party_name)
        if problem:
            return problem
    return None


# Checks other apps add to a User Role (e.g. pki: MP134B BR2 certificates). portal never imports them;
# they register here from their AppConfig.ready(). Each is called as check(holder, role) with the
# portal.models.UserID and raises ValidationError (with a code) to refuse.
_role_checks: list[Callable[[object, str], None]] = []


def register_role_check(check: Callable[[object, str], None]) -> None:
    if check not in _role_checks:
        _role_checks.append(check)


def run_registered_role_checks(holder: object, role: str) -> None:
    for check in _role_checks:
        check(holder, role)


# --- SRP arrangements and offices --------------------------------------------------------------

def arrangement_problems(srp_kind: str | None, supplier_kind: str | None, valid_from: dt.date | None,
                         valid_to: dt.date | None, *, srp_name: str = "the SRP",
                         supplier_name: str = "the Supplier") -> dict[str, Problem]:
    problems: dict[str, Problem] = {}
    if srp_kind is not None and srp_kind != PartyKind.SRP:
        problems["srp"] = Problem("arrangement-srp-not-srp", f"{srp_name} is not a Shared Resource Provider")
    if supplier_kind is not None and supplier_kind != PartyKind.SUPPLIER:
        problems["supplier"] = Problem("arrangement-supplier-not-supplier", f"{supplier_name} is not a Supplier")
    if valid_to and valid_from and valid_to < valid_from:
        problems["valid_to"] = Problem("arrangement-ends-before-start", "the arrangement ends before it starts")
    return problems


# Which kinds of Party each office may belong to. SROs and AROs act for DCC Users (SEC L / RAPP); the
# Authority does not have them.
_OFFICE_PARTY_KINDS = {
    OfficeKind.DCC_OPERATOR: {PartyKind.DCC},
    OfficeKind.AUTHORITY_OFFICER: {PartyKind.AUTHORITY},
}
_USER_PARTY_KINDS = {PartyKind.SUPPLIER, PartyKind.SRP, PartyKind.DCC, PartyKind.NETWORK_OPERATOR, PartyKind.OTHER}


def office_problems(office_kind: str, party_kind: str | None, party_name: str = "this Party") -> dict[str, Problem]:
    if party_kind is None:
        return {}
    allowed = _OFFICE_PARTY_KINDS.get(office_kind, _USER_PARTY_KINDS)
    if party_kind in allowed:
        return {}
    office = OfficeKind(office_kind).label if office_kind in OfficeKind.values else office_kind
    kind = PartyKind(party_kind).label if party_kind in PartyKind.values else party_kind
    return {"party": Problem("office-wrong-party-kind", f"a {office} cannot belong to {party_name} ({kind})")}
