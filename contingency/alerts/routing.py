"""Where an alert goes (MP134B business requirement 7; DESIGN §2 step 7; docs/alerts.md "Routing").

An alert about a device is for its registered Supplier's User ID. While that Supplier's licence stands, the
alert goes there. Once the licence is revoked (a LicenceRevocation in effect, or the registry's licence status
``revoked``), the failed Supplier's certificates are revoked and its systems are gone: the alert goes to the
SoLR Contingency User ID of the SRP that serves it, for the whole event — whether the activation is requested,
active, suspended or not yet asked for, because requirement 7 is about keeping the SRP informed, not about
letting it act:

1. the ``contingency_user_id`` of the newest Authority instruction for that Supplier;
2. with no instruction yet, the active SoLR Contingency User ID of the SRP holding a current SRP arrangement
   for that Supplier;
3. with neither, nowhere: the alert is kept, marked unroutable, and listed for the service desk.

A DCC alert about a Supplier (no device) is routed the same way from that Supplier's User ID.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from portal.models import LicenceStatus, Party, SRPArrangement, UserID, solr_role_code

from ..models import Instruction, LicenceRevocation, RouteKind


@dataclass(frozen=True)
class Route:
    """The recipient (None when unroutable) and how it was found."""

    recipient: UserID | None
    kind: str

    @property
    def via_solr(self) -> bool:
        return self.kind in (RouteKind.SOLR_INSTRUCTION, RouteKind.SOLR_ARRANGEMENT)

    @property
    def routable(self) -> bool:
        return self.recipient is not None


def licence_revoked(supplier: Party, at: dt.datetime) -> bool:
    """Is the Supplier's licence revoked at ``at``? The Authority's record decides; the registry's licence
    status (set by the same event, or by the DCC before the record exists) counts too."""
    if LicenceRevocation.objects.of_supplier(supplier).effective(at).exists():
        return True
    return supplier.licence_status == LicenceStatus.REVOKED and (
        supplier.licence_revoked_at is None or supplier.licence_revoked_at <= at)


def solr_user_id_of_srp(srp: Party) -> UserID | None:
    """The SRP's active User ID holding the SoLR Contingency role (the oldest, if it has several)."""
    return (UserID.objects.of_party(srp).active().with_role(solr_role_code()).order_by("created_at", "pk")
            .first())


def serving_srp(supplier: Party, at: dt.datetime) -> Party | None:
    """The SRP with an SRP arrangement for the Supplier current on ``at``'s date (the newest if several)."""
    day = at.date()
    arrangement = (SRPArrangement.objects.filter(supplier=supplier, valid_from__lte=day)
                   .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
                   .select_related("srp").order_by("-valid_from", "-pk").first())
    return arrangement.srp if arrangement else None


def route(addressed_to: UserID, at: dt.datetime | None = None) -> Route:
    """Where an alert for ``addressed_to`` (a Supplier's User ID) goes at ``at`` (now by default)."""
    at = at or timezone.now()
    supplier = addressed_to.party
    if not licence_revoked(supplier, at):
        return Route(addressed_to, RouteKind.DIRECT)
    instruction = (Instruction.objects.of_supplier(supplier).select_related("contingency_user_id")
                   .order_by("-recorded_at", "-pk").first())
    if instruction is not None:
        return Route(instruction.contingency_user_id, RouteKind.SOLR_INSTRUCTION)
    srp = serving_srp(supplier, at)
    recipient = solr_user_id_of_srp(srp) if srp else None
    if recipient is not None:
        return Route(recipient, RouteKind.SOLR_ARRANGEMENT)
    return Route(None, RouteKind.UNROUTABLE)
