"""The front door's question (issue 9 point 4; DESIGN §4 check 9): may this SoLR Contingency User ID act on this
device with this SRV now?

``may_act(user_id, device, srv, at)`` answers with a ``Decision``: allowed, or the reason —

- ``no-instruction``: no instruction names this User ID for the device's registered Supplier;
- ``not-active``: there is one, but its newest activation is requested, suspended or ended (or none was
  requested), or ``at`` is before the instruction's window;
- ``expired``: the newest activation expired, or it is still live but its instruction's window has ended (beat
  has not run yet);
- ``srv-not-instructed``: the instruction does not list this SRV;
- ``out-of-scope``: the instruction lists devices and this is not one of them.

Cost: at most two indexed queries, measured in tests/contingency/events/test_access.py. The first reads the
newest activation of (User ID, the device's registered Supplier) with its instruction through the index
``activation_pair_newest``; the registered Supplier's Party comes from the device in the same statement
(a sub-select through primary and unique keys). The second is needed only when there is no activation (does an
instruction exist? ``instruction_pair`` index) or when the scope is a device list (the many-to-many table's
unique (instruction, device) key). The answer is read-only: ``may_act`` never writes; an activation past its
window is *answered* ``expired`` and left for ``expire_due_activations`` to move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Subquery
from django.utils import timezone

from portal.eui import InvalidEUI64, parse_eui64
from portal.models import UserID

from ..models import Activation, ActivationState, Device, Instruction, ScopeKind

NO_INSTRUCTION = "no-instruction"
NOT_ACTIVE = "not-active"
EXPIRED = "expired"
OUT_OF_SCOPE = "out-of-scope"
SRV_NOT_INSTRUCTED = "srv-not-instructed"
REASONS = (NO_INSTRUCTION, NOT_ACTIVE, EXPIRED, OUT_OF_SCOPE, SRV_NOT_INSTRUCTED)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str | None = None
    activation_id: int | None = None

    def __bool__(self) -> bool:
        return self.allowed


def _user_id_filter(user_id) -> dict:
    if isinstance(user_id, UserID):
        return {"contingency_user_id_id": user_id.pk}
    if isinstance(user_id, int):
        return {"contingency_user_id_id": user_id}
    return {"contingency_user_id__eui": user_id}


def _supplier_filter(device):
    """The device's registered Supplier's Party: from memory when loaded, else a sub-select in the same query."""
    if isinstance(device, Device):
        cached = Device.registered_supplier.field.get_cached_value(device, default=None)
        if cached is not None:
            return {"supplier_id": cached.party_id}
        return {"supplier_id": Subquery(UserID.objects.filter(pk=device.registered_supplier_id).values("party_id"))}
    party = Device.objects.filter(eui=device).values("registered_supplier__party_id")
    return {"supplier_id": Subquery(party)}


def may_act(user_id: UserID | str | int, device: Device | str, srv: str, at: datetime | None = None) -> Decision:
    """May ``user_id`` (a UserID, its EUI or pk) send ``srv`` to ``device`` (a Device or its EUI) at ``at``?"""
    at = at or timezone.now()
    try:
        user_id = user_id if isinstance(user_id, UserID | int) else parse_eui64(user_id)
        device = device if isinstance(device, Device) else parse_eui64(device)
    except InvalidEUI64:
        return Decision(False, NO_INSTRUCTION)  # no instruction can name what is not an EUI-64
    who = _user_id_filter(user_id)
    supplier = _supplier_filter(device)
    activation = (Activation.objects.filter(**who, **supplier).select_related("instruction")
                  .only("id", "state", "instruction__id", "instruction__valid_from", "instruction__valid_to",
                        "instruction__srvs", "instruction__scope")
                  .order_by("-id").first())
    if activation is None:
        exists = Instruction.objects.filter(**who, **supplier).exists()
        return Decision(False, NOT_ACTIVE if exists else NO_INSTRUCTION)
    instruction = activation.instruction
    if activation.state == ActivationState.EXPIRED or (
            activation.state != ActivationState.ENDED and at >= instruction.valid_to):
        return Decision(False, EXPIRED, activation.pk)
    if activation.state != ActivationState.ACTIVE or at < instruction.valid_from:
        return Decision(False, NOT_ACTIVE, activation.pk)
    if srv not in (instruction.srvs or ()):
        return Decision(False, SRV_NOT_INSTRUCTED, activation.pk)
    if instruction.scope == ScopeKind.LISTED:
        through = Instruction.devices.through.objects.filter(instruction_id=instruction.pk)
        listed = (through.filter(device_id=device.pk) if isinstance(device, Device)
                  else through.filter(device__eui=device)).exists()
        if not listed:
            return Decision(False, OUT_OF_SCOPE, activation.pk)
    return Decision(True, None, activation.pk)
