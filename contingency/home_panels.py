"""contingency's panel on the home page (registered in ``ContingencyConfig.ready``; see ``portal.home``).

ADT files waiting for approval by this person (issue 8 point 9, four eyes): a DCC operator sees every
submitted file; an SRO sees its Party's submitted files that someone else uploaded (the uploader never
approves its own file). An ARO uploads but does not approve, so it gets no panel.
"""

from __future__ import annotations

from portal.choices import OfficeKind
from portal.home import PANEL_LIMIT, Item, Panel, Viewer
from portal.navigation import url_or_none


def adt_files_to_approve(viewer: Viewer) -> list[Item] | None:
    from .models import AdtFile

    if viewer.is_dcc_operator:
        files = AdtFile.objects.submitted()
    elif viewer.holds(OfficeKind.SRO):
        files = AdtFile.objects.submitted().filter(party_id__in=viewer.parties_as(OfficeKind.SRO))
    else:
        return None
    files = (files.exclude(uploaded_by=viewer.user).select_related("party", "uploaded_by")
             .order_by("uploaded_at", "pk"))[:PANEL_LIMIT]
    return [
        Item(text=f"{f.file_name} — {f.party.name}",
             url=url_or_none("adt-file-detail", f.pk) or url_or_none("adt-files"),
             detail=f"uploaded by {f.uploaded_by.get_username()} on {f.uploaded_at:%Y-%m-%d %H:%M} UTC")
        for f in files
    ]


def activations_to_approve(viewer: Viewer) -> list[Item] | None:
    from .models import Activation, ActivationState

    if not viewer.is_dcc_operator:
        return None
    waiting = (Activation.objects.filter(state=ActivationState.REQUESTED).exclude(requested_by=viewer.user)
               .select_related("instruction", "supplier", "contingency_user_id", "requested_by")
               .order_by("requested_at", "pk"))[:PANEL_LIMIT]
    return [
        Item(text=f"{a.supplier.name} — instruction {a.instruction.reference}",
             url=url_or_none("events:detail", a.instruction_id) or url_or_none("events:list"),
             detail=f"activation for {a.contingency_user_id.eui} requested by {a.requested_by.get_username()} "
                    f"on {a.requested_at:%Y-%m-%d %H:%M} UTC")
        for a in waiting
    ]


PANELS = (
    Panel(key="contingency.activation_approvals", title="SoLR activations to approve", items=activations_to_approve,
          empty_text="No SoLR activation waits for your approval.", order=15),
    Panel(key="contingency.adt_approvals", title="ADT files to approve", items=adt_files_to_approve,
          empty_text="No ADT file waits for your approval.", order=20),
)
