"""The role → SRV table's lookup and its changes (docs/service-matrix.md).

- ``decide(role_codes, srv, command_variant)`` → ``Decision``: ``ALLOWED``, ``SRV_NOT_PERMITTED`` (DUIS E2: no
  role of the sender may send this SRV) or ``CV_NOT_PERMITTED`` (E12: it may, but not with this Command Variant).
  ``may_send(...)`` is the same as a bool. One query on the unique index (srv, role), whatever the number of
  roles; nothing cached, so a change on the page holds for the next request in every process.
- ``allow(actor, role, srv, command_variants, name="")`` — a DCC operator lets ``role`` send ``srv`` with those
  Command Variants (adds the row, or changes its Command Variants); ``remove(actor, role, srv)`` takes it away.
  Each runs in one transaction and writes its audit record (``service_matrix.allow`` / ``service_matrix.remove``,
  before and after); a refusal (``ServiceMatrixRefused``, codes in docs/service-matrix.md) changes nothing.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from portal import audit
from portal.errors import Refusal
from portal.models import role_choices
from portal.offices import is_dcc_operator

from ..adt.srv import is_known_srv
from ..models import COMMAND_VARIANTS, ServicePermission
from ..plainsql import json_value

# A DUIS Service Reference Variant: "1.6", "6.2.9", "11.2" (Service Reference, then optionally the variant).
SRV_PATTERN = re.compile(r"[1-9][0-9]?\.[0-9]{1,2}(\.[0-9]{1,2})?")


class Decision(enum.Enum):
    ALLOWED = "allowed"
    SRV_NOT_PERMITTED = "srv-not-permitted"  # DUIS E2: User Role not permitted to send this Service Reference
    CV_NOT_PERMITTED = "cv-not-permitted"  # DUIS E12: invalid Command Variant for the request


class ServiceMatrixRefused(Refusal):
    """A change of the role → SRV table was refused; nothing changed."""

    code = "service-matrix-refused"


# --- the front door's lookup -------------------------------------------------------------------------

def decide(role_codes: Iterable[str], srv: str, command_variant: int) -> Decision:
    """May a sender holding ``role_codes`` send ``srv`` with ``command_variant``? One indexed query."""
    roles = list(role_codes)
    if not roles:
        return Decision.SRV_NOT_PERMITTED
    command_variant = int(command_variant)  # the RequestID's header gives text; the table holds numbers
    found = False
    for command_variants in _command_variants(srv, roles):
        found = True
        if command_variant in command_variants:
            return Decision.ALLOWED
    return Decision.CV_NOT_PERMITTED if found else Decision.SRV_NOT_PERMITTED


def _command_variants(srv: str, roles: list[str]) -> list[list[int]]:
    """The Command Variants of the rows (srv, one of roles). On every DUIS request, so a plain cursor: the ORM
    spends about 0.8 ms composing this one query, the query itself about 0.1 ms (docs/service-matrix.md,
    benchmarks/service_matrix_bench.py). ``command_variants_orm`` is the same read through the ORM (tested equal)."""
    table, srv_column, role_column, cvs_column = _quoted_columns()
    placeholders = ", ".join(["%s"] * len(roles))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {cvs_column} FROM {table} WHERE {srv_column} = %s AND {role_column} IN "
                       f"({placeholders})", [srv, *roles])
        rows = cursor.fetchall()
    return [json_value(value) for (value,) in rows]


def command_variants_orm(srv: str, roles: list[str]) -> list[list[int]]:
    return list(ServicePermission.objects.filter(srv=srv, role__in=roles).values_list("command_variants", flat=True))


@functools.cache
def _quoted_columns() -> tuple[str, str, str, str]:
    """The quoted table and column names (worked out once, on first use, with the database's quoting)."""
    quote = connection.ops.quote_name
    meta = ServicePermission._meta
    return (quote(meta.db_table), *(quote(meta.get_field(name).column) for name in ("srv", "role",
                                                                                     "command_variants")))


def may_send(role_codes: Iterable[str], srv: str, command_variant: int) -> bool:
    return decide(role_codes, srv, command_variant) is Decision.ALLOWED


# --- reading the table -------------------------------------------------------------------------------

def known_roles() -> list[tuple[str, str]]:
    """(code, label) of every DUIS User Role the registry knows, the SoLR Contingency role last."""
    return role_choices()


def role_label(code: str) -> str | None:
    return dict(known_roles()).get(code)


def role_table(code: str) -> list[ServicePermission]:
    """``code``'s rows in DUIS order (1.6 before 1.10, 6.2.9 before 6.2.10)."""
    return sorted(ServicePermission.objects.of_role(code), key=lambda row: srv_sort_key(row.srv))


def known_srvs() -> dict[str, str]:
    """SRV → name, of every SRV some role may send (for the page's suggestions)."""
    names: dict[str, str] = {}
    for srv, name in ServicePermission.objects.order_by("srv").values_list("srv", "name"):
        if name or srv not in names:
            names[srv] = name
    return dict(sorted(names.items(), key=lambda item: srv_sort_key(item[0])))


def srv_sort_key(srv: str) -> tuple[int, ...]:
    return tuple(int(part) for part in srv.split(".") if part.isdigit())


# --- the changes ---------------------------------------------------------------------------------------

def _check_operator(actor) -> None:
    if not is_dcc_operator(actor):
        raise ServiceMatrixRefused("only a DCC operator changes which role may send which SRV",
                                   code="service-matrix-not-allowed", http_status=403)


def _check_role(role: str) -> None:
    if role_label(role) is None:
        raise ServiceMatrixRefused(f"{role!r} is not a DUIS User Role", code="service-matrix-role-unknown")


def clean_srv(srv: str) -> str:
    srv = srv.strip()
    if not SRV_PATTERN.fullmatch(srv):
        raise ServiceMatrixRefused(f"{srv!r} is not a Service Reference Variant (e.g. 1.6 or 6.2.9)",
                                   code="service-matrix-srv-invalid")
    if not is_known_srv(srv):
        raise ServiceMatrixRefused(f"{srv} is not a Service Reference Variant of DUIS 5.4",
                                   code="service-matrix-srv-unknown")
    return srv


def clean_command_variants(command_variants: Iterable[int]) -> list[int]:
    try:
        cvs = sorted({int(cv) for cv in command_variants})
    except (TypeError, ValueError):
        cvs = []
    if not cvs or any(cv not in COMMAND_VARIANTS for cv in cvs):
        raise ServiceMatrixRefused("give one or more Command Variants, each 1 to 8", code="service-matrix-cv-invalid")
    return cvs


def _state(row: ServicePermission | None) -> dict | None:
    if row is None:
        return None
    return {"role": row.role, "srv": row.srv, "command_variants": list(row.command_variants), "name": row.name}


def allow(actor, role: str, srv: str, command_variants: Iterable[int], name: str = "") -> ServicePermission:
    """Let ``role`` send ``srv`` with ``command_variants`` (the row is added, or its Command Variants replaced)."""
    _check_operator(actor)
    _check_role(role)
    srv = clean_srv(srv)
    cvs = clean_command_variants(command_variants)
    name = name.strip()[:200]
    with transaction.atomic():
        row = ServicePermission.objects.select_for_update().filter(role=role, srv=srv).first()
        before = _state(row)
        if row is None:
            try:
                with transaction.atomic():
                    row = ServicePermission.objects.create(
                        role=role, srv=srv, command_variants=cvs, name=name or known_srvs().get(srv, ""))
            except IntegrityError:  # another operator added it at the same moment: theirs stands
                raise ServiceMatrixRefused(f"{role} / {srv} was just added by someone else; look again",
                                           code="service-matrix-changed", http_status=409) from None
        else:
            if row.command_variants == cvs and (not name or name == row.name):
                return row  # nothing to change, nothing to record
            row.command_variants = cvs
            row.name = name or row.name
            row.updated_at = timezone.now()
            row.save(update_fields=["command_variants", "name", "updated_at"])
        audit.write("service_matrix.allow", row, actor=actor.get_username(), before=before, after=_state(row))
    return row


def remove(actor, role: str, srv: str) -> None:
    """``role`` may no longer send ``srv``."""
    _check_operator(actor)
    _check_role(role)
    with transaction.atomic():
        row = ServicePermission.objects.select_for_update().filter(role=role, srv=srv.strip()).first()
        if row is None:
            raise ServiceMatrixRefused(f"{role} may not send {srv} already", code="service-matrix-not-found",
                                       http_status=409)
        before, pk = _state(row), row.pk
        row.delete()
        audit.write("service_matrix.remove", subject_type=ServicePermission._meta.label, subject_id=str(pk),
                    subject_repr=f"{role} {srv}", actor=actor.get_username(), before=before, after=None)
