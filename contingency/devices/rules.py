"""What makes a meter record consistent: plain functions of values, no model, no database.

One place, used by the model's guard (contingency.models.devices: save, bulk writes, the admin form),
the CSV importer and the bulk services. Each problem has a stable code (docs/refusal-codes.md,
"Meters and demo data").

The rules are a table of (the fields they read, the check), so that a bulk update re-checks only the rules
whose inputs it changes, over the distinct combinations of those inputs: one query, whatever the number
of meters (contingency.models.devices.Device.check_update).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from portal.choices import PartyKind
from portal.rules import Problem

from .choices import METERS, DeviceType, PaymentMode

_MPAN = re.compile(r"\d{13}")
_MPRN = re.compile(r"\d{6,10}")
# Plain values, looked up once: the importer runs these rules for each of 100,000 rows.
_ESME, _GSME = DeviceType.ESME.value, DeviceType.GSME.value
_METERS = frozenset(m.value for m in METERS)
_PAYMENT_MODES = frozenset(PaymentMode.values)
_SUPPLIER = PartyKind.SUPPLIER.value
# DUIS: the Import Supplier (IS) of an ESME, the Gas Supplier (GS) of a GSME.
_SUPPLIER_ROLE = {_ESME: ("IS", "an ESME"), _GSME: ("GS", "a GSME")}


def variant_problem(device_type: str, esme_variant: str) -> Problem | None:
    # GBCS commands depend on the ESME build (single, twin, polyphase): an ESME must say which.
    if device_type == _ESME and not esme_variant:
        return Problem("esme-variant-missing", "an ESME needs its variant (single, twin or polyphase)")
    if device_type != _ESME and esme_variant:
        return Problem("esme-variant-not-esme", "only an ESME has a variant")
    return None


def payment_mode_problem(device_type: str, payment_mode: str) -> Problem | None:
    if device_type in _METERS and payment_mode not in _PAYMENT_MODES:
        return Problem("payment-mode-missing", "a meter needs its payment mode (credit or prepayment)")
    if device_type not in _METERS and payment_mode:
        return Problem("payment-mode-not-meter", "only a meter has a payment mode")
    return None


def mpxn_problem(device_type: str, mpxn: str) -> Problem | None:
    if mpxn:
        if device_type == _ESME and not _MPAN.fullmatch(mpxn):
            return Problem("mpan-invalid", "an MPAN is 13 digits")
        if device_type == _GSME and not _MPRN.fullmatch(mpxn):
            return Problem("mprn-invalid", "an MPRN is 6 to 10 digits")
    return None


# (field the problem is reported on, the fields the rule reads, the rule). The registered Supplier's rule
# needs facts about a User ID and is apart: supplier_problem.
RULES: tuple[tuple[str, tuple[str, ...], Callable[..., Problem | None]], ...] = (
    ("esme_variant", ("device_type", "esme_variant"), variant_problem),
    ("payment_mode", ("device_type", "payment_mode"), payment_mode_problem),
    ("mpxn", ("device_type", "mpxn"), mpxn_problem),
)
SUPPLIER_RULE_INPUTS = ("device_type", "registered_supplier_id")


def device_problems(device_type: str, esme_variant: str, payment_mode: str, mpxn: str) -> dict[str, Problem]:
    """Field → problem, empty when the combination is consistent (every rule of RULES, called directly:
    the importer runs this for each of 100,000 rows)."""
    problems: dict[str, Problem] = {}
    problem = variant_problem(device_type, esme_variant)
    if problem:
        problems["esme_variant"] = problem
    problem = payment_mode_problem(device_type, payment_mode)
    if problem:
        problems["payment_mode"] = problem
    problem = mpxn_problem(device_type, mpxn)
    if problem:
        problems["mpxn"] = problem
    return problems


def supplier_problem(device_type: str, roles: set[str], party_kind: str) -> Problem | None:
    """The registered Supplier is a Supplier Party's User ID: the import supplier (IS) of an ESME or the
    gas supplier (GS) of a GSME (DUIS: the Import Supplier / Gas Supplier of the device)."""
    if party_kind != _SUPPLIER:
        label = PartyKind(party_kind).label if party_kind in PartyKind.values else party_kind
        return Problem("supplier-not-a-supplier",
                       f"the registered supplier must be a User ID of a Supplier, not of a {label}")
    needed = _SUPPLIER_ROLE.get(device_type)
    if needed and needed[0] not in roles:
        return Problem("supplier-role-missing",
                       f"the registered supplier of {needed[1]} must hold the {needed[0]} role")
    return None
