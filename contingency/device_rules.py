"""What makes a meter record consistent. One place, used by the model and the CSV importer."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from .models import Device

_MPAN = re.compile(r"\d{13}")
_MPRN = re.compile(r"\d{6,10}")


def device_problems(device_type: str, esme_variant: str, payment_mode: str, mpxn: str) -> dict[str, str]:
    """Field → problem, empty when the combination is consistent."""
    from .models import DeviceType, PaymentMode

    problems: dict[str, str] = {}
    if device_type == DeviceType.ESME and not esme_variant:
        problems["esme_variant"] = "an ESME needs its variant (single, twin or polyphase)"
    if device_type != DeviceType.ESME and esme_variant:
        problems["esme_variant"] = "only an ESME has a variant"
    if device_type in (DeviceType.ESME, DeviceType.GSME) and payment_mode not in PaymentMode.values:
        problems["payment_mode"] = "a meter needs its payment mode (credit or prepayment)"
    if device_type not in (DeviceType.ESME, DeviceType.GSME) and payment_mode:
        problems["payment_mode"] = "only a meter has a payment mode"
    if mpxn:
        if device_type == DeviceType.ESME and not _MPAN.fullmatch(mpxn):
            problems["mpxn"] = "an MPAN is 13 digits"
        elif device_type == DeviceType.GSME and not _MPRN.fullmatch(mpxn):
            problems["mpxn"] = "an MPRN is 6 to 10 digits"
    return problems


def supplier_role_problem(device_type: str, roles: set[str], party_kind: str) -> str | None:
    """The registered Supplier is a Supplier Party's User ID: the import supplier (IS) of an ESME or the
    gas supplier (GS) of a GSME."""
    from portal.models import PartyKind

    from .models import DeviceType

    if party_kind != PartyKind.SUPPLIER:
        return f"the registered supplier must be a User ID of a Supplier, not of a {PartyKind(party_kind).label}"
    needed = {DeviceType.ESME: ("IS", "an ESME"), DeviceType.GSME: ("GS", "a GSME")}.get(device_type)
    if needed and needed[0] not in roles:
        return f"the registered supplier of {needed[1]} must hold the {needed[0]} role"
    return None


def check_device(device: Device) -> None:
    problems = device_problems(device.device_type, device.esme_variant, device.payment_mode, device.mpxn)
    if device.registered_supplier_id:
        holder = device.registered_supplier
        problem = supplier_role_problem(device.device_type, set(holder.role_codes), holder.party.kind)
        if problem:
            problems["registered_supplier"] = problem
    if problems:
        raise ValidationError(problems)
