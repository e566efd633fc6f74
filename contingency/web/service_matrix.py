"""The role → SRV table's pages (issue 10 point 3; docs/service-matrix.md): ``service-matrix`` lists the DUIS User
Roles with how many SRVs each may send, ``service-matrix-role`` one role's SRVs with add / change / remove.

DCC operators only (others: 403 with ``service-matrix-not-allowed``). Views hold no rule: the forms check the
shape, ``contingency.service_matrix.services`` decides, writes and audits.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal.offices import is_dcc_operator

from ..models import ServicePermission
from ..service_matrix import services

COMMAND_VARIANT_CHOICES = [
    (1, "1: Command via the SM WAN"),
    (2, "2: Command for local delivery"),
    (3, "3: Command, both"),
    (4, "4: Transform to a Pre-Command"),
    (5, "5: Signed Pre-Command via the SM WAN"),
    (6, "6: Signed Pre-Command for local delivery"),
    (7, "7: Signed Pre-Command, both"),
    (8, "8: non-device, answered by the DCC"),
]


class AllowForm(forms.Form):
    srv = forms.CharField(max_length=12, label="Service Reference Variant",
                          widget=forms.TextInput(attrs={"list": "known-srvs", "size": 10}),
                          help_text="e.g. 1.6 or 6.2.9. An SRV the role already has gets the Command Variants below.")
    name = forms.CharField(max_length=200, required=False, label="Name",
                           help_text="The Service Request's DUIS name (taken from another role's row when empty).")
    command_variants = forms.TypedMultipleChoiceField(
        choices=COMMAND_VARIANT_CHOICES, coerce=int, widget=forms.CheckboxSelectMultiple,
        label="Command Variants")


def _refused(request):
    refusal = services.ServiceMatrixRefused("only a DCC operator sees and changes which role may send which SRV",
                                            code="service-matrix-not-allowed", http_status=403)
    return render(request, "service_matrix/index.html", {"refusal": refusal}, status=403)


@login_required
def service_matrix(request):
    if not is_dcc_operator(request.user):
        return _refused(request)
    counts = dict(ServicePermission.objects.values("role").annotate(n=Count("id")).values_list("role", "n"))
    roles = [{"code": code, "label": label, "count": counts.get(code, 0)} for code, label in services.known_roles()]
    return render(request, "service_matrix/index.html", {"roles": roles})


@login_required
@require_http_methods(["GET", "POST"])
def service_matrix_role(request, role: str):
    if not is_dcc_operator(request.user):
        return _refused(request)
    label = services.role_label(role)
    if label is None:
        raise Http404("not a DUIS User Role")
    action = request.POST.get("action")
    form = AllowForm(request.POST if action == "allow" else None)
    refusal = None
    if request.method == "POST":
        try:
            if action == "allow":
                if form.is_valid():
                    data = form.cleaned_data
                    row = services.allow(request.user, role, data["srv"], data["command_variants"], data["name"])
                    messages.success(request, f"{role} may send {row.srv} with Command Variants "
                                              f"{', '.join(map(str, row.command_variants))}.")
                    return redirect("service-matrix-role", role=role)
            elif action == "remove":
                srv = request.POST.get("srv", "")
                services.remove(request.user, role, srv)
                messages.success(request, f"{role} may no longer send {srv}.")
                return redirect("service-matrix-role", role=role)
            else:
                raise services.ServiceMatrixRefused("unknown action", code="service-matrix-action-unknown")
        except services.ServiceMatrixRefused as exc:
            refusal = exc
    status = refusal.http_status if refusal else (400 if form.errors else 200)
    return render(request, "service_matrix/role.html", {
        "role": role, "label": label, "rows": services.role_table(role), "form": form, "refusal": refusal,
        "known_srvs": services.known_srvs(),
    }, status=status)
