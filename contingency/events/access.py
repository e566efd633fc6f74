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
``activation_pair_newest`` (a plain statement when the front door hands a loaded sender and device, the ORM
otherwise); the registered Supplier's Party comes from the device in the same statement (a sub-select through
primary and unique keys) when the device is not loaded. The second is needed only when there is no activation (does an
instruction exist? ``instruction_pair`` index) or when the scope is a device list (the many-to-many table's
unique (instruction, device) key). The answer is read-only: ``may_act`` never writes; an activation past its
window is *answered* ``expired`` and left for ``expire_due_activations`` to move.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, Subquery
from django.utils import timezone

from portal.eui import InvalidEUI64, parse_eui64
from portal.models import UserID

from ..models import Activation, ActivationState, Device, Instruction, ScopeKind
from ..plainsql import json_value

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
    newest = _newest_activation(user_id, device, at)
    if newest is None:
        exists = Instruction.objects.filter(**_user_id_filter(user_id), **_supplier_filter(device)).exists()
        return Decision(False, NOT_ACTIVE if exists else NO_INSTRUCTION)
    if newest.state == ActivationState.EXPIRED or (newest.state != ActivationState.ENDED and newest.window_over):
        return Decision(False, EXPIRED, newest.id)
    if newest.state != ActivationState.ACTIVE or newest.window_not_begun:
        return Decision(False, NOT_ACTIVE, newest.id)
    if srv not in (newest.srvs or ()):
        return Decision(False, SRV_NOT_INSTRUCTED, newest.id)
    if newest.scope == ScopeKind.LISTED:
        through = Instruction.devices.through.objects.filter(instruction_id=newest.instruction_id)
        listed = (through.filter(device_id=device.pk) if isinstance(device, Device)
                  else through.filter(device__eui=device)).exists()
        if not listed:
            return Decision(False, OUT_OF_SCOPE, newest.id)
    return Decision(True, None, newest.id)


@dataclass(frozen=True)
class _Newest:
    """The newest activation of the pair with what the decision reads of its instruction."""

    id: int
    state: str
    instruction_id: int
    window_not_begun: bool  # at < valid_from
    window_over: bool  # at >= valid_to
    srvs: list
    scope: str


def _newest_activation(user_id, device, at: datetime) -> _Newest | None:
    """The front door's case (a loaded sender and device, check 9 on every request) in one plain statement: the
    ORM spent more CPU composing it than the rest of the check (docs/performance.md); every other caller goes
    through the ORM. Both compare the window in SQL, so neither converts dates."""
    supplier = _supplier_filter(device)["supplier_id"]
    if isinstance(user_id, UserID | int) and isinstance(supplier, int):
        return _newest_plain(user_id.pk if isinstance(user_id, UserID) else user_id, supplier, at)
    row = (Activation.objects.filter(**_user_id_filter(user_id), supplier_id=supplier)
           .annotate(window_not_begun=_flag(Q(instruction__valid_from__gt=at)),
                     window_over=_flag(Q(instruction__valid_to__lte=at)))
           .values_list("id", "state", "instruction_id", "window_not_begun", "window_over", "instruction__srvs",
                        "instruction__scope")
           .order_by("-id").first())
    return _Newest(*row) if row is not None else None


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


@functools.cache
def _newest_sql() -> str:
    qn = connection.ops.quote_name
    a, i = qn(Activation._meta.db_table), qn(Instruction._meta.db_table)
    return (f"SELECT a.{qn('id')}, a.{qn('state')}, i.{qn('id')}, i.{qn('valid_from')} > %s, i.{qn('valid_to')} <= %s, "
            f"i.{qn('srvs')}, i.{qn('scope')} FROM {a} a JOIN {i} i ON i.{qn('id')} = a.{qn('instruction_id')} "
            f"WHERE a.{qn('contingency_user_id_id')} = %s AND a.{qn('supplier_id')} = %s "
            f"ORDER BY a.{qn('id')} DESC LIMIT 1")


def _newest_plain(user_pk: int, party_pk: int, at: datetime) -> _Newest | None:
    when = connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        cursor.execute(_newest_sql(), [when, when, user_pk, party_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    srvs = json_value(row[5])
    return _Newest(row[0], row[1], row[2], bool(row[3]), bool(row[4]), srvs, row[6])
