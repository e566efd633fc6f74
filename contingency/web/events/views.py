"""The SoLR event pages (issue 9; docs/console.md).

Who: DCC operators and Authority officers see the events (``records.can_view_events``); the Authority's
officers record, and so does a DCC operator on the Authority's behalf (``records.may_record``; the page says so
and the service marks the record); DCC operators request and decide activations (``activation.may_operate``),
two different people (four eyes). Everyone else gets 403 with the code ``not-permitted``.

Views only translate: they read the request, call contingency.events' services, which decide, write and audit,
and show the outcome. A refusal is shown with its message and ``code``, with its HTTP status, and changes
nothing. Buttons are shown only to whoever may use them; the services decide regardless.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from pki.models import Certificate
from pki.orders.services import can_view as can_view_certificates
from portal.choices import OfficeKind
from portal.offices import is_dcc_operator
from portal.offices.services import acting_offices

from ...devices.choices import PaymentMode
from ...events import activation as activations
from ...events import downloads, queries, records
from ...events.refusals import EventRefused
from ...events.timeline import event_timeline
from ...models import Activation, ActivationState, ActivationTransition, Device, Instruction, LicenceRevocation
from ...models.events import LIVE_STATES
from . import chart
from .forms import ActionForm, DeferralForm, InstructionForm, LicenceRevocationForm

PAGE_SIZE = 25
TEMPLATES = "contingency/events/"

# The activation buttons: the action in the URL → the service that performs it and what the page then says.
ACTIONS = {
    "approve": (activations.approve_activation, "approved: the contingency is active"),
    "suspend": (activations.suspend_activation, "suspended"),
    "resume": (activations.resume_activation, "resumed: the contingency is active again"),
    "end": (activations.end_activation, "ended"),
}


def _not_permitted(message: str) -> EventRefused:
    return EventRefused(message, code="not-permitted", http_status=403)


def _refused(request, refusal: EventRefused, template: str = "refused.html", context: dict | None = None):
    return render(request, TEMPLATES + template, {**(context or {}), "refusal": refusal}, status=refusal.http_status)


def _viewers_only(request):
    """None if the person may see the events, or the 403 page."""
    if records.can_view_events(request.user):
        return None
    return _refused(request, _not_permitted("the SoLR events are for DCC operators and the Authority's officers"))


def _recorders_only(request):
    if records.may_record(request.user):
        return None
    return _refused(request, _not_permitted(
        "only an Authority officer, or a DCC operator on the Authority's behalf, records the Authority's decisions"))


def _newest_activations(instructions) -> dict[int, Activation]:
    """The newest activation of each of ``instructions``, in one query."""
    newest: dict[int, Activation] = {}
    for a in (Activation.objects.filter(instruction__in=[i.pk for i in instructions])
              .select_related("requested_by", "approved_by").order_by("instruction_id", "-id")):
        newest.setdefault(a.instruction_id, a)
    return newest


# --- the list -------------------------------------------------------------------------------------------------

@login_required
def event_list(request):
    refused = _viewers_only(request)
    if refused:
        return refused
    instructions = queries.events_for(request.user).select_related("supplier", "contingency_user_id__party")
    page = Paginator(instructions, PAGE_SIZE).get_page(request.GET.get("page"))
    newest = _newest_activations(page.object_list)
    now = timezone.now()
    rows = [{"instruction": i, "activation": newest.get(i.pk),
             "current": i.valid_from <= now < i.valid_to} for i in page.object_list]
    return render(request, TEMPLATES + "list.html", {
        "page": page, "rows": rows, "query": "",
        "revocations": LicenceRevocation.objects.select_related("supplier", "solr").order_by("-effective_at", "-id"),
        "may_record": records.may_record(request.user),
    })


# --- the Authority's records ----------------------------------------------------------------------------------

def _on_behalf(person) -> bool:
    """The page says "on the Authority's behalf" as the service marks the record: a DCC operator who is not also
    one of the Authority's officers."""
    return is_dcc_operator(person) and not acting_offices(person).verified().filter(
        kind=OfficeKind.AUTHORITY_OFFICER).exists()


def _record_context(request, form, **extra) -> dict:
    return {"form": form, "on_behalf": _on_behalf(request.user), **extra}


@login_required
@require_http_methods(["GET", "POST"])
def record_revocation(request):
    refused = _recorders_only(request)
    if refused:
        return refused
    form = LicenceRevocationForm(request.POST or None)
    template = TEMPLATES + "record_revocation.html"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            revocation = records.record_licence_revocation(
                request.user, supplier=data["supplier"], effective_at=data["effective_at"], solr=data["solr"],
                reference=data["reference"])
        except EventRefused as exc:
            return render(request, template, _record_context(request, form, refusal=exc), status=exc.http_status)
        messages.success(request, f"Licence revocation of {revocation.supplier.name} recorded.")
        return redirect("events:list")
    return render(request, template, _record_context(request, form), status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def record_deferral(request, pk: int):
    refused = _recorders_only(request)
    if refused:
        return refused
    revocation = get_object_or_404(LicenceRevocation.objects.select_related("supplier"), pk=pk)
    form = DeferralForm(request.POST or None)
    template = TEMPLATES + "record_deferral.html"
    if request.method == "POST" and form.is_valid():
        try:
            revocation = records.record_deferral(request.user, revocation, until=form.cleaned_data["until"],
                                                 decided_by=form.cleaned_data["decided_by"])
        except EventRefused as exc:
            return render(request, template, _record_context(request, form, revocation=revocation, refusal=exc),
                          status=exc.http_status)
        messages.success(request, f"Deferral recorded: {revocation.supplier.name}'s certificates are revoked at "
                                  f"{revocation.certificates_due_at:%Y-%m-%d %H:%M} UTC.")
        return redirect("events:list")
    return render(request, template, _record_context(request, form, revocation=revocation),
                  status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def record_instruction(request):
    refused = _recorders_only(request)
    if refused:
        return refused
    form = InstructionForm(request.POST or None, request.FILES or None)
    template = TEMPLATES + "record_instruction.html"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            instruction = records.record_instruction(
                request.user, reference=data["reference"], supplier=data["supplier"],
                contingency_user_id=data["contingency_user_id"], valid_from=data["valid_from"],
                valid_to=data["valid_to"], evidence=data["evidence"], srvs=data["srvs"],
                device_euis=data["device_euis"])
        except EventRefused as exc:
            return render(request, template, _record_context(request, form, refusal=exc), status=exc.http_status)
        messages.success(request, f"Instruction {instruction.reference} recorded.")
        return redirect("events:detail", pk=instruction.pk)
    return render(request, template, _record_context(request, form), status=400 if form.is_bound else 200)


# --- one event ------------------------------------------------------------------------------------------------

def _certificates(request, supplier) -> list[dict]:
    """The failed Supplier's certificates with their status now (valid, revoked, revocation-scheduled, …) and a
    link: the certificate page for whoever may see it (DCC operators), else the public SMKI repository."""
    euis = list(supplier.user_ids.values_list("eui", flat=True))
    certs = (Certificate.objects.filter(Q(user_id__party=supplier) | Q(user_id__isnull=True, subject_eui__in=euis))
             .order_by("subject_eui", "kind", "-not_before", "-pk"))
    portal_page = can_view_certificates(request.user)
    now = timezone.now()
    return [{"cert": c, "status": c.status(now),
             "url": reverse("certificate-detail", args=[c.pk]) if portal_page
             else reverse("pki:certificate-pem", args=[c.serial])} for c in certs]


def _meters(instruction: Instruction) -> dict:
    """The failed Supplier's meters by type and payment mode (one grouped query), and the instruction's scope."""
    counts = {(row["device_type"], row["payment_mode"]): row["n"] for row in
              Device.objects.of_supplier(instruction.supplier).meters().order_by()
              .values("device_type", "payment_mode").annotate(n=Count("id"))}
    types = sorted({t for t, _ in counts})
    rows = []
    for device_type in types:
        prepayment = counts.get((device_type, PaymentMode.PREPAYMENT), 0)
        credit = counts.get((device_type, PaymentMode.CREDIT), 0)
        other = sum(n for (t, mode), n in counts.items() if t == device_type and mode not in PaymentMode.values)
        rows.append({"type": device_type, "prepayment": prepayment, "credit": credit, "other": other,
                     "total": prepayment + credit + other})
    totals = {key: sum(r[key] for r in rows) for key in ("prepayment", "credit", "other", "total")}
    listed = instruction.devices.count() if instruction.scope == "listed" else None
    return {"rows": rows, "totals": totals, "listed": listed}


def _buttons(user, instruction: Instruction, newest: Activation | None) -> dict:
    """Which activation buttons this person may use now (the services decide again on every click)."""
    if not activations.may_operate(user):
        return {}
    now = timezone.now()
    state = newest.state if newest else None
    pair_live = Activation.objects.live().filter(supplier_id=instruction.supplier_id,
                                                 contingency_user_id_id=instruction.contingency_user_id_id).exists()
    return {
        "request": instruction.valid_from <= now < instruction.valid_to and not pair_live,
        # Four eyes, shown as well as enforced: the operator who requested it never sees Approve.
        "approve": state == ActivationState.REQUESTED and newest.requested_by_id != user.pk,
        "suspend": state == ActivationState.ACTIVE,
        "resume": state == ActivationState.SUSPENDED,
        # Any live activation may be ended, a request not yet approved too (its withdrawal).
        "end": state in LIVE_STATES,
    }


def _detail(request, instruction: Instruction, *, refusal: EventRefused | None = None, status: int = 200):
    # Newest first, by id as contingency.events.queries orders them (the API and the page name the same one).
    activation_list = list(instruction.activations.select_related("requested_by", "approved_by").order_by("-id"))
    newest = activation_list[0] if activation_list else None
    transitions = (ActivationTransition.objects.filter(activation__instruction=instruction)
                   .select_related("by").order_by("at", "id"))
    revocation = LicenceRevocation.objects.filter(supplier_id=instruction.supplier_id).first()
    rows = event_timeline(instruction)
    return render(request, TEMPLATES + "detail.html", {
        "instruction": instruction, "activation": newest,
        "transitions": transitions, "revocation": revocation, "buttons": _buttons(request.user, instruction, newest),
        "live": newest is not None and newest.state in LIVE_STATES,
        "may_download": records.can_download_evidence(request.user),
        "may_record": records.may_record(request.user),
        "certificates": _certificates(request, instruction.supplier), "meters": _meters(instruction),
        "timeline": rows, "chart": chart.build(rows), "refusal": refusal,
        "current": instruction.valid_from <= timezone.now() < instruction.valid_to,
    }, status=status)


def _instruction(request, pk: int) -> Instruction:
    return get_object_or_404(queries.events_for(request.user).select_related(
        "supplier", "contingency_user_id__party", "recorded_by"), pk=pk)


@login_required
def event_detail(request, pk: int):
    refused = _viewers_only(request)
    if refused:
        return refused
    return _detail(request, _instruction(request, pk))


@login_required
@require_http_methods(["GET"])
def event_chart(request, pk: int):
    """The chart partial alone (the same rows as the page), which static/js/event-chart.js re-fetches every few
    seconds so a running drill shows live (issue 11 point 8); the same viewers as the page."""
    refused = _viewers_only(request)
    if refused:
        return refused
    rows = event_timeline(_instruction(request, pk))
    response = render(request, TEMPLATES + "_chart.html", {"timeline": rows, "chart": chart.build(rows)})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def evidence_download(request, pk: int):
    if not records.can_download_evidence(request.user):  # asked first: an outsider learns nothing of which ids exist
        return _refused(request, _not_permitted("the evidence is for DCC operators and the Authority's officers"))
    instruction = get_object_or_404(Instruction, pk=pk)
    try:
        handle = downloads.open_evidence(request.user, instruction, channel="web")  # audited
    except EventRefused as exc:
        return _refused(request, exc)
    except FileNotFoundError as exc:
        raise Http404("the evidence file is missing from the store") from exc
    # Always a download, never shown inline: the file came from outside (a PDF may carry script).
    response = FileResponse(handle, as_attachment=True, filename=instruction.evidence_name,
                            content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def activation_request(request, pk: int):
    refused = _viewers_only(request)
    if refused:
        return refused
    instruction = _instruction(request, pk)
    try:
        activations.request_activation(request.user, instruction)
    except EventRefused as exc:
        return _detail(request, instruction, refusal=exc, status=exc.http_status)
    messages.success(request, "Activation requested: another DCC operator approves it (four eyes).")
    return redirect("events:detail", pk=instruction.pk)


@login_required
@require_POST
def activation_action(request, pk: int, action: str):
    refused = _viewers_only(request)
    if refused:
        return refused
    if action not in ACTIONS:
        raise Http404("no such action")
    activation = get_object_or_404(Activation.objects.select_related("instruction"), pk=pk)
    instruction = _instruction(request, activation.instruction_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        raise BadRequest("the activation form was not valid: reload the event page and try again")
    perform, done = ACTIONS[action]
    kwargs = {"version": form.cleaned_data["version"]}
    if action != "approve":
        kwargs["note"] = form.cleaned_data["note"]
    try:
        perform(request.user, activation.pk, **kwargs)
    except EventRefused as exc:
        return _detail(request, instruction, refusal=exc, status=exc.http_status)
    messages.success(request, f"Activation #{activation.pk} {done}.")
    return redirect("events:detail", pk=instruction.pk)
