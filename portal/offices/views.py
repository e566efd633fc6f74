"""The offices' pages: the list (``offices``), a nomination (``office-nominate``), one office (``office-detail``).

Views hold no rule: they read forms and call ``services``; a refusal is shown with its code and answered
with its HTTP status (403 for an action the rules forbid the person, 409 for an office no longer in the
state the action needs). Another Party's office does not exist for the person (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from portal.models import LIVE_OFFICE_STATUSES, OfficeStatus, Party

from . import services
from .forms import EXISTING, NominationForm, OfficeFilterForm, RejectForm

PAGE_SIZE = 25


@login_required
def office_list(request):
    visible = services.visible_offices(request.user)
    parties = Party.objects.filter(pk__in=visible.values("party_id"))
    filters = OfficeFilterForm(request.GET or None, parties=parties)
    offices = visible.select_related("person", "party", "nominated_by", "decided_by")
    if filters.is_valid():
        if filters.cleaned_data["party"]:
            offices = offices.filter(party=filters.cleaned_data["party"])
        if filters.cleaned_data["status"]:
            offices = offices.filter(status=filters.cleaned_data["status"])
    page = Paginator(offices.order_by("party__name", "kind", "person__username", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "offices/list.html", {
        "page": page, "filters": filters, "query": query.urlencode(),
        "may_nominate": services.sro_parties(request.user).exists(),
        "is_dcc_operator": services.is_dcc_operator(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def office_nominate(request):
    parties = services.sro_parties(request.user)
    if not parties.exists():
        refusal = services.OfficeRefused("only an SRO nominates its Party's AROs", code="office-nominate-not-allowed",
                                         http_status=403)
        return render(request, "offices/nominate.html", {"refusal": refusal}, status=refusal.http_status)
    form = NominationForm(request.POST or None, parties=parties)
    refusal = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["nominee"] == EXISTING:
            nominee = services.ExistingPerson(username=data["username"], email=data["email"])
        else:
            nominee = services.NewPerson(username=data["username"], first_name=data["first_name"].strip(),
                                         last_name=data["last_name"].strip(), email=data["email"])
        try:
            office = services.nominate_aro(request.user, data["party"], nominee, data["screening_reference"],
                                           data["screening_date"])
        except services.OfficeRefused as exc:
            refusal = exc
        else:
            messages.success(request, f"{office.person.get_username()} is nominated as an ARO of {office.party}; "
                                      "a DCC operator will verify the nomination.")
            return redirect("office-detail", pk=office.pk)
    status = refusal.http_status if refusal else (400 if form.errors else 200)
    return render(request, "offices/nominate.html", {"form": form, "refusal": refusal}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def office_detail(request, pk: int):
    office = get_object_or_404(
        services.visible_offices(request.user).select_related("person", "party", "nominated_by", "decided_by",
                                                              "removed_by"), pk=pk)
    reject_form = RejectForm(request.POST if request.POST.get("action") == "reject" else None)
    refusal = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "verify":
                office = services.verify_office(request.user, office)
                messages.success(request, f"{office.person.get_username()} is verified as an ARO of {office.party}.")
            elif action == "reject":
                if not reject_form.is_valid():
                    raise services.OfficeRefused("a rejection says why", code="office-rejection-reason-missing")
                office = services.reject_office(request.user, office, reject_form.cleaned_data["reason"])
                messages.success(request, "The nomination is rejected.")
            elif action == "remove":
                office = services.remove_office(request.user, office)
                messages.success(request, f"{office.person.get_username()} is no longer an ARO of {office.party}.")
            else:
                raise services.OfficeRefused("unknown action", code="office-action-unknown")
        except services.OfficeRefused as exc:
            refusal = exc
        else:
            return redirect("office-detail", pk=office.pk)
    is_operator = services.is_dcc_operator(request.user)
    own_nomination = request.user.pk in (office.nominated_by_id, office.person_id)
    context = {
        "office": office, "refusal": refusal, "reject_form": reject_form,
        # Four eyes (SEC L / RAPP): the nominator and the nominee never see the buttons; the service refuses them
        # anyway (office-four-eyes-*), this only keeps the page from offering what it would refuse.
        "may_decide": is_operator and office.status == OfficeStatus.NOMINATED and not own_nomination,
        "own_nomination": is_operator and office.status == OfficeStatus.NOMINATED and own_nomination,
        "may_remove": services.may_remove(request.user, office) and office.status in LIVE_OFFICE_STATUSES,
    }
    return render(request, "offices/detail.html", context, status=refusal.http_status if refusal else 200)
