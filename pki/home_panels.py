"""pki's panel on the home page (registered in ``PkiConfig.ready``; see ``portal.home``).

An SRO or ARO sees its Party's certificates that are valid now and expire within
``SOLR_HOME_EXPIRING_DAYS`` (default 60), so a new one can be ordered before DUIS traffic signed with the
old key starts to be rejected (DESIGN §4 check 4: the signer must be valid now).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from portal.choices import OfficeKind
from portal.home import PANEL_LIMIT, Item, Panel, Viewer
from portal.navigation import url_or_none


def expiring_certificates(viewer: Viewer) -> list[Item] | None:
    parties = viewer.parties_as(OfficeKind.SRO, OfficeKind.ARO)
    if not parties:
        return None
    from .models import Certificate

    now = timezone.now()
    horizon = now + dt.timedelta(days=settings.SOLR_HOME_EXPIRING_DAYS)
    expiring = (Certificate.objects.valid(now).filter(user_id__party_id__in=parties, not_after__lte=horizon)
                .select_related("user_id").order_by("not_after", "pk"))[:PANEL_LIMIT]
    return [
        Item(text=f"{cert.get_kind_display()} for {cert.user_id.eui} — serial {cert.serial}",
             url=url_or_none("certificates"),
             detail=f"expires {cert.not_after:%Y-%m-%d %H:%M} UTC")
        for cert in expiring
    ]


PANELS = (
    Panel(key="pki.expiring_certificates", title="Certificates about to expire", items=expiring_certificates,
          empty_text="None of your Party's certificates expires soon.", order=30),
)
