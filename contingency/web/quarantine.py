"""The quarantine console's pages (issue 10 point 9; docs/quarantine.md): the list of quarantined requests with
filters and the anomaly-detection notes, and one request with its release / delete buttons (four eyes).

DCC operators only (others: 403 with ``quarantine-not-allowed``). Views hold no rule: contingency.adt.quarantine
decides, writes and audits; a refusal is shown with its code and the status it carries.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from portal.models import AuditRecord
from portal.offices.services import is_dcc_operator

from ..adt import quarantine
from ..models import AdtNotice, QuarantineDecision, ServiceRequest

PAGE_SIZE = 25
ACTIONS = ("release", "delete", "approve", "withdraw")


def _refused(request, refusal, template="quarantine/list.html", context=None):
    return render(request, template, {**(context or {}), "refusal": refusal}, status=refusal.http_status)


def _not_allowed():
    return quarantine.QuarantineRefused("only a DCC operator sees and decides on quarantined requests",
                                        code="quarantine-not-allowed", http_status=403)


@login_required
def quarantine_list(request):
    if not is_dcc_operator(request.user):
        return _refused(request, _not_allowed())
    filters = quarantine.QuarantinedRequestFilter(request.GET or None, queryset=quarantine.quarantined_requests())
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    notices = AdtNotice.objects.select_related("sender", "target_supplier")[:20]
    return render(request, "quarantine/list.html", {"filters": filters, "page": page, "query": query.urlencode(),
                                                    "notices": notices})


@login_required
@require_http_methods(["GET", "POST"])
def quarantine_detail(request, pk: int):
    if not is_dcc_operator(request.user):
        return _refused(request, _not_allowed())
    held = get_object_or_404(ServiceRequest.objects.select_related("sender", "target_supplier", "device"), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action not in ACTIONS:
                raise quarantine.QuarantineRefused("no such action", code="invalid-action")
            if action in ("release", "delete"):
                quarantine.request_decision(request.user, held, action)
                messages.success(request, f"{action.capitalize()} requested: another DCC operator approves it.")
            else:
                decision = get_object_or_404(QuarantineDecision, pk=request.POST.get("decision") or 0, request=held)
                if action == "approve":
                    version = request.POST.get("version")
                    moved = quarantine.approve_decision(request.user, decision,
                                                        version=int(version) if version and version.isdigit() else None)
                    messages.success(request, f"Approved: the request is now {moved.state}.")
                else:
                    quarantine.withdraw_decision(request.user, decision)
                    messages.success(request, "Withdrawn.")
            return redirect("quarantine:detail", pk=held.pk)
        except quarantine.QuarantineRefused as refusal:
            held.refresh_from_db()
            return _refused(request, refusal, "quarantine/detail.html", _detail_context(held))
    return render(request, "quarantine/detail.html", _detail_context(held))


def _detail_context(held: ServiceRequest) -> dict:
    return {
        "held": held,
        "open_decision": quarantine.open_decision(held),
        "decisions": held.quarantine_decisions.select_related("requested_by", "approved_by"),
        "history": AuditRecord.objects.filter(subject_type=held._meta.label, subject_id=str(held.pk),
                                              action__startswith="quarantine.").order_by("pk"),
    }
