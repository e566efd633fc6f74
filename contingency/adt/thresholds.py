"""The DUIS pipeline's question (DESIGN §4 check 11): the active ADT threshold for (User ID, SRV, target Supplier).

One indexed query (the partial unique index ``adt_active_key`` over active rows), no write: the pipeline
counts requests elsewhere, so reading thresholds adds no hot row.
"""

from __future__ import annotations

from django.db.models import F, Q

from portal.models import UserID

from ..models import AdtThreshold


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
    rows = (AdtThreshold.objects.filter(_match("user_id", user_id), srv=srv, active=True)
            .filter(_match("target_supplier", target_supplier) | Q(target_supplier__isnull=True))
            .order_by(F("target_supplier_id").asc(nulls_last=True)))
    return rows.first()
