"""User ID pages (issue 9 point 8): the list a person may see (``user-ids``) and one User ID (``user-id-detail``)
with the form that sets its endpoint URL.

Views hold no rule: the form checks the shape, ``portal.user_ids`` decides and records. The URL takes the EUI in
any accepted spelling; another Party's User ID, or something that is not an EUI-64, is 404 here.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from portal import user_ids
from portal.eui import InvalidEUI64, parse_eui64
from portal.offices.services import is_dcc_operator

PAGE_SIZE = 50


class EndpointForm(forms.Form):
    endpoint_url = forms.CharField(
        required=False, max_length=2000, label="Endpoint URL",
        widget=forms.URLInput(attrs={"placeholder": "https://…", "size": 60}),
        help_text="Where the DCC POSTs this User ID's Service Responses and Alerts (https). Empty: none, the "
                  "User polls.")


@login_required
def user_id_list(request):
    visible = user_ids.visible_user_ids(request.user).select_related("party").prefetch_related("roles")
    page = Paginator(visible.order_by("party__name", "eui"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "user_ids/list.html", {"page": page, "is_dcc_operator": is_dcc_operator(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def user_id_detail(request, eui: str):
    try:
        canonical = parse_eui64(eui)
    except InvalidEUI64:
        raise Http404("not an EUI-64") from None
    uid = get_object_or_404(user_ids.visible_user_ids(request.user).select_related("party"), eui=canonical)
    if canonical != eui and request.method == "GET":
        return redirect("user-id-detail", eui=canonical)
    may_set = user_ids.may_set_endpoint(request.user, uid)
    form = EndpointForm(request.POST or None, initial={"endpoint_url": uid.endpoint_url})
    refusal = None
    if request.method == "POST":
        if form.is_valid():
            try:
                uid = user_ids.set_endpoint_url(request.user, uid, form.cleaned_data["endpoint_url"])
            except user_ids.EndpointRefused as exc:
                refusal = exc
            else:
                messages.success(request, f"The endpoint URL of {uid.eui} is "
                                          f"{uid.endpoint_url or 'cleared: the User polls for its responses'}.")
                return redirect("user-id-detail", eui=uid.eui)
    status = refusal.http_status if refusal else (400 if form.errors else 200)
    return render(request, "user_ids/detail.html", {"uid": uid, "form": form, "may_set": may_set,
                                                    "refusal": refusal}, status=status)
