"""Certificate pages: thin views over pki.orders.services (the rules live there).

Who: a verified ARO orders and asks for revocations for its Party; the Party's verified AROs and SROs see its
certificates; DCC operators see everything and decide revocation requests. Another Party's object is 404 (it
is not in the person's queryset); a forbidden action on a visible object is 403 with the refusal's code.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from portal.eui import InvalidEUI64, parse_eui64

from ..orders import services
from .forms import CertificateFilterForm, DecisionForm, OrderForm, RequestFilterForm, RevocationRequestForm

PAGE_SIZE = 25


def _viewer(request):
    if not services.can_view(request.user):
        raise PermissionDenied("certificates are for the Party's verified AROs and SROs and DCC operators")


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _refused(request, template: str, context: dict, exc: services.OrderRefused):
    context = {**context, "refusal": {"code": exc.code, "reason": exc.message}}
    return render(request, template, context, status=exc.http_status)


@login_required
def certificate_list(request):
    _viewer(request)
    filters = CertificateFilterForm(request.GET or None)
    qs = services.visible_certificates(request.user)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["user_id"]:
            try:
                qs = qs.filter(subject_eui=parse_eui64(data["user_id"]))
            except InvalidEUI64:
                filters.add_error("user_id", "not an EUI-64 (e.g. 90-B3-D5-1F-30-20-00-01)")
                qs = qs.none()
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
        if data["status"]:
            qs = qs.with_status(data["status"])
    aro_parties = services.aro_party_ids(request.user)
    return render(request, "certificates/list.html", {
        "page": _page(request, qs.order_by("-created_at", "-pk")), "filters": filters,
        "query": _query_without_page(request), "aro_parties": aro_parties,
        "can_order": bool(aro_parties),
    })


@login_required
@require_http_methods(["GET", "POST"])
def certificate_order(request):
    if not services.aro_party_ids(request.user):
        raise PermissionDenied("only a verified ARO orders certificates")
    user_ids = services.orderable_user_ids(request.user)
    form = OrderForm(request.POST or None, request.FILES or None, user_ids=user_ids)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.submit_order(request.user, data["user_id"], data["kind"], data["csr_bytes"])
        except services.OrderRefused as exc:
            return _refused(request, "certificates/order.html", context, exc)
        if not order.issued:
            context["refusal"] = {"code": order.refusal_code, "reason": order.reason}
            return render(request, "certificates/order.html", context,
                          status=services.http_status_for_refusal(order.refusal_code))
        messages.success(request, f"Certificate #{order.certificate.serial} issued for {order.requested_eui}.")
        # Post/redirect/get: reloading the result page must not order a second certificate.
        return redirect("certificate-detail", pk=order.certificate.pk)
    return render(request, "certificates/order.html", context, status=400 if form.errors else 200)


@login_required
def certificate_detail(request, pk: int):
    _viewer(request)
    cert = get_object_or_404(services.visible_certificates(request.user), pk=pk)
    party = services.certificate_party(cert)
    return render(request, "certificates/detail.html", {
        "cert": cert, "may_ask_revocation": party is not None and party.pk in services.aro_party_ids(request.user)
        and not cert.is_revoked(),
    })


@login_required
def certificate_download(request, pk: int):
    _viewer(request)
    cert = get_object_or_404(services.visible_certificates(request.user), pk=pk)
    response = HttpResponse(cert.pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{cert.serial}.pem"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def revocation_request_new(request, pk: int):
    _viewer(request)
    cert = get_object_or_404(services.visible_certificates(request.user), pk=pk)
    form = RevocationRequestForm(request.POST or None)
    context = {"form": form, "cert": cert}
    if request.method == "POST" and form.is_valid():
        try:
            services.request_revocation(request.user, cert, form.cleaned_data["reason"])
        except services.OrderRefused as exc:
            return _refused(request, "certificates/revocation_request_form.html", context, exc)
        messages.success(request, f"Revocation of certificate #{cert.serial} requested; a DCC operator decides.")
        return redirect("revocation-requests")
    if request.method == "GET":
        party = services.certificate_party(cert)
        if party is None or party.pk not in services.aro_party_ids(request.user):
            raise PermissionDenied("only a verified ARO of the certificate's Party may ask for its revocation")
    return render(request, "certificates/revocation_request_form.html", context, status=400 if form.errors else 200)


@login_required
def revocation_request_list(request):
    _viewer(request)
    filters = RequestFilterForm(request.GET or None)
    qs = services.visible_revocation_requests(request.user)
    if filters.is_valid() and filters.cleaned_data["status"]:
        qs = qs.filter(status=filters.cleaned_data["status"])
    return render(request, "certificates/revocation_requests.html", {
        "page": _page(request, qs), "filters": filters, "query": _query_without_page(request),
        "is_operator": services.is_dcc_operator(request.user),
    })


@login_required
@require_POST
def revocation_request_decide(request, pk: int):
    _viewer(request)
    req = get_object_or_404(services.visible_revocation_requests(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
        return redirect("revocation-requests")
    action = services.approve_revocation if form.cleaned_data["decision"] == "approve" else services.reject_revocation
    try:
        action(request.user, req, form.cleaned_data["note"])
    except services.OrderRefused as exc:
        return render(request, "certificates/refused.html",
                      {"refusal": {"code": exc.code, "reason": exc.message}}, status=exc.http_status)
    req.refresh_from_db()
    messages.success(request, f"Revocation request #{req.pk} {req.get_status_display().lower()}.")
    return redirect("revocation-requests")

