"""The DUIS pipeline's question (DESIGN §4 check 11): the active ADT threshold for (User ID, SRV, target Supplier).

One indexed query (the partial unique index ``adt_active_key`` over active rows), no write: the pipeline
counts requests elsewhere, so reading thresholds adds no hot row.
"""

from __future__ import annotations

import functools

from django.db import connection
from django.db.models import F, Q

from portal.models import UserID

from ..models import AdtThreshold
from ..plainsql import columns


def _match(field: str, value: UserID | int | str) -> Q:
    if isinstance(value, UserID):
        return Q(**{f"{field}_id": value.pk})
    if isinstance(value, int):
        return Q(**{f"{field}_id": value})
    return Q(**{f"{field}__eui": value})  # an EUI in canonical form (portal.eui.parse_eui64)


def active_threshold(user_id: UserID | int | str, srv: str,
                     target_supplier: UserID | int | str) -> AdtThreshold | None:
    """The active threshold for requests from ``user_id`` with SRV ``srv`` to a device whose registered Supplier is
    ``target_supplier`` (each User ID as a model, its pk or its canonical EUI); None when there is none.

    A row naming that Supplier wins over a ``*`` row (any Supplier, for roles other than SoLR Contingency, whose
    rows always name one Supplier: MP134B BR4).
    """
    user_pk, target_pk = _pk(user_id), _pk(target_supplier)
    if user_pk is not None and target_pk is not None:
        return _active_plain(user_pk, srv, target_pk)
    rows = (AdtThreshold.objects.filter(_match("user_id", user_id), srv=srv, active=True)
            .filter(_match("target_supplier", target_supplier) | Q(target_supplier__isnull=True))
            .order_by(F("target_supplier_id").asc(nulls_last=True)))
    return rows.first()


def _pk(value: UserID | int | str) -> int | None:
    return value.pk if isinstance(value, UserID) else value if isinstance(value, int) else None


#: Every column but ``active`` (true by the query): numbers and text, which need no conversion from either database.
_PLAIN_FIELDS = tuple(f.attname for f in AdtThreshold._meta.concrete_fields if f.attname != "active")


@functools.cache
def _active_sql() -> str:
    qn = connection.ops.quote_name
    target = qn("target_supplier_id")
    return (f"SELECT {columns(AdtThreshold, _PLAIN_FIELDS)} FROM {qn(AdtThreshold._meta.db_table)} "
            f"WHERE {qn('user_id_id')} = %s AND {qn('srv')} = %s AND {qn('active')} "
            f"AND ({target} = %s OR {target} IS NULL) ORDER BY {target} IS NULL, {target} LIMIT 1")


def _active_plain(user_pk: int, srv: str, target_pk: int) -> AdtThreshold | None:
    """The same lookup as a plain statement, for the front door (both User IDs known by pk): composing it through
    the ORM cost more CPU than the rest of the count (docs/performance.md). Tested equal to the ORM's answer."""
    with connection.cursor() as cursor:
        cursor.execute(_active_sql(), [user_pk, srv, target_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    threshold = AdtThreshold.from_db(connection.alias, _PLAIN_FIELDS, row)
    threshold.active = True
    return threshold
