"""ADT file pages (issue 8 points 8–9; docs/adt-format.md "In the portal and API").

Views only translate: they read the request, call ``contingency.adt.services`` (which decides, writes and
audits with the acting person) and show the outcome. A refusal is shown with its ``code``; another Party's
file is a 404 (``visible_adt_files`` is the only way to a file).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from portal.models import AuditRecord

from ..adt import services
from ..adt.filters import AdtFileFilter
from ..adt.parse import AdtFileRejected
from ..models import AdtFile, AdtFileState
from .forms import AdtUploadForm

PAGE_SIZE = 25
ROWS_PAGE_SIZE = 100


@login_required
def adt_files(request):
    visible = services.visible_adt_files(request.user).select_related("party", "uploaded_by", "approved_by")
    filterset = AdtFileFilter(request.GET or None, queryset=visible, request=request)
    if not filterset.is_bound:
        files = visible
    else:
        # A filter that does not validate (a Party one cannot see, an unknown state) matches nothing.
        files = filterset.qs if filterset.is_valid() else visible.none()
    page = Paginator(files, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "adt/list.html", {
        "filter": filterset, "page": page, "query": query.urlencode(),
        "may_upload": services.upload_parties(request.user).exists(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def adt_upload(request):
    parties = services.upload_parties(request.user)
    if not parties.exists():
        return render(request, "adt/upload.html", {"refusal": services.AdtRefused(
            "only an SRO or a verified ARO of a Party uploads its ADT files", code="adt-upload-not-allowed")},
            status=403)
    form = AdtUploadForm(request.POST or None, request.FILES or None, parties=parties)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            adt_file = services.upload_adt_file(request.user, form.cleaned_data["party"], uploaded.name,
                                                services.read_upload(uploaded))
        except AdtFileRejected as exc:
            return render(request, "adt/upload.html", {"form": form, "refusal": exc, "row_errors": exc.errors,
                                                       "file_name": uploaded.name}, status=400)
        except services.AdtRefused as exc:
            return render(request, "adt/upload.html", {"form": form, "refusal": exc}, status=exc.http_status)
        messages.success(request, f"ADT file #{adt_file.pk} uploaded: it waits for approval by another person.")
        return redirect("adt-file-detail", pk=adt_file.pk)
    return render(request, "adt/upload.html", {"form": form}, status=400 if form.is_bound else 200)


# The words the ADT file page's History shows for the audit actions of contingency/adt/services.py.
HISTORY_LABELS = {
    "adt_file.upload": "Uploaded",
    "adt_file.approve": "Approved",
    "adt_file.reject": "Rejected",
    "adt_file.supersede": "Superseded",
}


def _detail(request, adt_file: AdtFile, refusal=None, status: int = 200):
    # A file may hold thousands of rows (up to SOLR_ADT_MAX_BYTES): shown a page at a time.
    rows = Paginator(adt_file.rows.select_related("user_id", "target_supplier"), ROWS_PAGE_SIZE).get_page(
        request.GET.get("page"))
    history = list(AuditRecord.objects.filter(subject_type=AdtFile._meta.label, subject_id=str(adt_file.pk)))
    for record in history:
        # People read words, not audit codes; an action without a word shows its code rather than nothing.
        record.label = HISTORY_LABELS.get(record.action, record.action)
    submitted = adt_file.state == AdtFileState.SUBMITTED
    may_decide = submitted and services.may_decide(request.user, adt_file)
    return render(request, "adt/detail.html", {
        "file": adt_file, "rows": rows, "page": rows, "query": "", "history": history, "refusal": refusal,
        "may_decide": may_decide,
        # The uploader sees the approve button too: the service refuses it with its code (four eyes).
        "show_approve": submitted and (may_decide or adt_file.uploaded_by_id == request.user.pk),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def adt_file_detail(request, pk: int):
    adt_file = get_object_or_404(
        services.visible_adt_files(request.user).select_related("party", "uploaded_by", "approved_by",
                                                                "rejected_by"), pk=pk)
    if request.method == "GET":
        return _detail(request, adt_file)
    action = request.POST.get("action")
    try:
        if action == "approve":
            adt_file = services.approve_adt_file(request.user, adt_file)
            messages.success(request, f"ADT file #{adt_file.pk} approved: its rows are the active thresholds.")
        elif action == "reject":
            adt_file = services.reject_adt_file(request.user, adt_file, request.POST.get("reason", "").strip())
            messages.success(request, f"ADT file #{adt_file.pk} rejected.")
        else:
            return _detail(request, adt_file, refusal=services.AdtRefused("unknown action", code="invalid-action"),
                           status=400)
    except services.AdtRefused as exc:
        adt_file.refresh_from_db()
        return _detail(request, adt_file, refusal=exc, status=exc.http_status)
    return redirect("adt-file-detail", pk=adt_file.pk)
