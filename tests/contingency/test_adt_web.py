"""The ADT file pages (contingency/web): list, upload, detail with approve / reject, for every office of the cast
and an outsider. Codes are asserted from the page's context and its HTML, never wording."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contingency.adt.services import approve_adt_file, upload_adt_file
from contingency.models import AdtFile, AdtFileState, AdtThreshold
from portal.models import AuditRecord
from tests.helpers.signin import pass_second_factor
from tests.portal.factories import UserIDFactory

from .adt_cast import SUPPLIER_GS, csv_bytes, make_cast, solr_row

pytestmark = pytest.mark.django_db

SEES = ["sro", "sro2", "aro", "operator"]
BLIND = ["outsider_sro", "supplier_sro", "nominated_aro", "removed_sro"]


@pytest.fixture
def cast():
    return make_cast()


def as_(client, person):
    pass_second_factor(client, person)  # DCC operators pass it first (issue 8)
    return client


def submitted(cast, person=None, *rows):
    return upload_adt_file(person or cast.aro, cast.srp, "adt.csv", csv_bytes(*(rows or (solr_row(),))))


def post_file(client, cast, data: bytes, name="adt.csv", party=None):
    return client.post(reverse("adt-upload"), {"party": (party or cast.srp).pk,
                                               "file": SimpleUploadedFile(name, data, "text/csv")})


# --- sign-in ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["adt-files", "adt-upload"])
def test_pages_need_a_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_detail_page_needs_a_sign_in(client, cast):
    response = client.get(reverse("adt-file-detail", args=[submitted(cast).pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- the list ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", SEES)
def test_the_partys_offices_and_dcc_operators_list_its_files(client, cast, who):
    adt_file = submitted(cast)
    response = as_(client, getattr(cast, who)).get(reverse("adt-files"))
    assert response.status_code == 200
    assert [f.pk for f in response.context["page"].object_list] == [adt_file.pk]
    assert reverse("adt-file-detail", args=[adt_file.pk]).encode() in response.content


@pytest.mark.parametrize("who", BLIND)
def test_others_list_nothing_and_no_party_name_leaks(client, cast, who):
    submitted(cast)
    response = as_(client, getattr(cast, who)).get(reverse("adt-files"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert cast.srp.name.encode() not in response.content  # not even as a filter choice


def test_the_list_filters_by_state_and_party(client, cast):
    first = submitted(cast)
    approve_adt_file(cast.sro, first)
    second = submitted(cast, cast.aro, solr_row(SUPPLIER_GS))
    client = as_(client, cast.operator)
    by_state = client.get(reverse("adt-files"), {"state": "submitted"})
    assert [f.pk for f in by_state.context["page"].object_list] == [second.pk]
    active = client.get(reverse("adt-files"), {"state": "active", "party": cast.srp.short_name})
    assert [f.pk for f in active.context["page"].object_list] == [first.pk]
    other = client.get(reverse("adt-files"), {"party": cast.outsider.short_name})
    assert list(other.context["page"].object_list) == []  # the outsider Party has no file


def test_the_list_is_paginated_and_keeps_the_filter(client, cast):
    for _ in range(27):
        submitted(cast)
    client = as_(client, cast.sro)
    first = client.get(reverse("adt-files"), {"state": "submitted"})
    assert len(first.context["page"].object_list) == 25
    assert b"state=submitted&amp;page=2" in first.content
    second = client.get(reverse("adt-files"), {"state": "submitted", "page": 2})
    assert len(second.context["page"].object_list) == 2


# --- upload -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["sro", "aro"])
def test_an_sro_or_verified_aro_uploads_and_the_upload_is_audited(client, cast, who):
    person = getattr(cast, who)
    response = post_file(as_(client, person), cast, csv_bytes(solr_row()), name="thresholds.csv")
    adt_file = AdtFile.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("adt-file-detail", args=[adt_file.pk])
    assert adt_file.state == AdtFileState.SUBMITTED and adt_file.uploaded_by == person
    assert adt_file.party == cast.srp and adt_file.file_name == "thresholds.csv"
    assert AuditRecord.objects.filter(action="adt_file.upload", subject_id=str(adt_file.pk),
                                      actor=person.get_username()).exists()


@pytest.mark.parametrize("who", ["operator", "nominated_aro", "removed_sro", "supplier_sro"])
def test_people_without_an_uploading_office_are_refused_with_the_code(client, cast, who):
    if who == "supplier_sro":
        # An SRO of a Supplier uploads for the Supplier, never for the SRP: the SRP is not a choice.
        response = post_file(as_(client, cast.supplier_sro), cast, csv_bytes(solr_row()))
        assert response.status_code == 400 and "party" in response.context["form"].errors
    else:
        client = as_(client, getattr(cast, who))
        assert client.get(reverse("adt-upload")).status_code == 403
        response = post_file(client, cast, csv_bytes(solr_row()))
        assert response.status_code == 403 and response.context["refusal"].code == "adt-upload-not-allowed"
    assert not AdtFile.objects.exists()


def test_an_outsider_cannot_upload_for_another_party(client, cast):
    client = as_(client, cast.outsider_sro)
    form = client.get(reverse("adt-upload")).context["form"]
    assert list(form.fields["party"].queryset) == [cast.outsider]
    response = post_file(client, cast, csv_bytes(solr_row()), party=cast.srp)
    assert response.status_code == 400 and "party" in response.context["form"].errors
    assert not AdtFile.objects.exists()


def test_a_refused_file_shows_every_error_by_line_and_field_and_stores_nothing(client, cast):
    bad = csv_bytes(solr_row(warning=0), "not-an-eui,1.6,*,1,2,60", solr_row(window=0, target=SUPPLIER_GS),
                    solr_row(warning=300, quarantine=200))
    client = as_(client, cast.aro)
    response = post_file(client, cast, bad, name="bad.csv")
    assert response.status_code == 400
    assert response.context["refusal"].code == "adt-file-invalid"
    found = {(e.line, e.field, e.code) for e in response.context["row_errors"]}
    assert {(2, "warning_level", "value-not-positive"), (3, "user_id", "eui64-invalid"),
            (4, "window_minutes", "value-not-positive"), (5, "warning_level", "warning-above-quarantine")} <= found
    html = response.content.decode()
    assert 'class="row-errors"' in html and "<td>3</td><td>user_id</td><td><code>eui64-invalid</code>" in html
    assert not AdtFile.objects.exists() and not AdtThreshold.objects.exists()

    # The person fixes the file and uploads it again.
    fixed = post_file(client, cast, csv_bytes(solr_row(), solr_row(SUPPLIER_GS)), name="fixed.csv")
    assert fixed.status_code == 302
    assert AdtFile.objects.get().rows.count() == 2


@pytest.mark.parametrize(("data", "code"), [
    (b"\xff\xfe\x00not text", "adt-file-not-utf8"),
    (csv_bytes(header="user_id,srv"), "adt-header-invalid"),
    (b"", None),  # an empty upload is a form error: Django refuses an empty file
])
def test_files_that_are_not_adt_csv_are_refused(client, cast, data, code):
    response = post_file(as_(client, cast.sro), cast, data)
    assert response.status_code == 400
    if code:
        assert response.context["refusal"].code == code
    else:
        assert "file" in response.context["form"].errors
    assert not AdtFile.objects.exists()


def test_an_oversized_file_is_refused(client, cast, settings):
    settings.SOLR_ADT_MAX_BYTES = 64
    response = post_file(as_(client, cast.sro), cast, csv_bytes(solr_row(), solr_row(SUPPLIER_GS)))
    assert response.status_code == 400 and response.context["refusal"].code == "adt-file-too-large"
    assert not AdtFile.objects.exists()


# --- detail, approve, reject ------------------------------------------------------------------------

@pytest.mark.parametrize("who", SEES)
def test_the_detail_shows_rows_and_history(client, cast, who):
    adt_file = submitted(cast, cast.aro, solr_row(), solr_row(SUPPLIER_GS))
    response = as_(client, getattr(cast, who)).get(reverse("adt-file-detail", args=[adt_file.pk]))
    assert response.status_code == 200
    assert [r.line for r in response.context["rows"].object_list] == [2, 3]
    assert [h.action for h in response.context["history"]] == ["adt_file.upload"]
    assert SUPPLIER_GS.encode() in response.content


@pytest.mark.parametrize("who", BLIND)
def test_another_partys_file_is_404_to_see_and_to_act_on(client, cast, who):
    adt_file = submitted(cast)
    client = as_(client, getattr(cast, who))
    url = reverse("adt-file-detail", args=[adt_file.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "approve"}).status_code == 404
    assert client.post(url, {"action": "reject"}).status_code == 404
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.SUBMITTED


def test_buttons_are_shown_to_those_who_decide_and_to_the_uploader(client, cast):
    adt_file = submitted(cast, cast.sro)
    url = reverse("adt-file-detail", args=[adt_file.pk])
    for who, approve, reject in [("sro", True, True), ("sro2", True, True), ("operator", True, True),
                                 ("aro", False, False)]:
        response = as_(client, getattr(cast, who)).get(url)
        assert response.context["show_approve"] is approve, who
        assert response.context["may_decide"] is reject, who
        assert (b'value="approve"' in response.content) is approve, who


def test_the_uploaders_own_approval_is_refused_with_its_code(client, cast):
    adt_file = submitted(cast, cast.aro)
    client = as_(client, cast.aro)
    url = reverse("adt-file-detail", args=[adt_file.pk])
    assert client.get(url).context["show_approve"] is True
    response = client.post(url, {"action": "approve"})
    assert response.status_code == 403 and response.context["refusal"].code == "adt-four-eyes"
    assert b'<code class="refusal-code">adt-four-eyes</code>' in response.content
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.SUBMITTED and not AdtThreshold.objects.active().exists()


def test_an_aro_who_did_not_upload_is_refused_approval(client, cast):
    adt_file = submitted(cast, cast.sro)
    response = as_(client, cast.aro).post(reverse("adt-file-detail", args=[adt_file.pk]), {"action": "approve"})
    assert response.status_code == 403 and response.context["refusal"].code == "adt-approve-not-allowed"
    reject = as_(client, cast.aro).post(reverse("adt-file-detail", args=[adt_file.pk]), {"action": "reject"})
    assert reject.status_code == 403 and reject.context["refusal"].code == "adt-reject-not-allowed"


@pytest.mark.parametrize("who", ["sro", "operator"])
def test_another_sro_or_an_operator_approves_and_it_is_audited(client, cast, who):
    adt_file = submitted(cast, cast.aro)
    person = getattr(cast, who)
    url = reverse("adt-file-detail", args=[adt_file.pk])
    response = as_(client, person).post(url, {"action": "approve"})
    assert response.status_code == 302 and response["Location"] == url
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.ACTIVE and adt_file.approved_by == person
    assert adt_file.rows.get().active
    assert AuditRecord.objects.filter(action="adt_file.approve", subject_id=str(adt_file.pk),
                                      actor=person.get_username()).exists()
    again = client.post(url, {"action": "approve"})
    assert again.status_code == 409 and again.context["refusal"].code == "adt-file-not-submitted"
    page = client.get(url)
    assert [h.action for h in page.context["history"]] == ["adt_file.upload", "adt_file.approve"]
    assert page.context["show_approve"] is False


def test_a_rejection_keeps_the_reason_and_is_audited(client, cast):
    adt_file = submitted(cast, cast.aro)
    url = reverse("adt-file-detail", args=[adt_file.pk])
    response = as_(client, cast.sro2).post(url, {"action": "reject", "reason": "levels too high"})
    assert response.status_code == 302
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.REJECTED and adt_file.reject_reason == "levels too high"
    assert AuditRecord.objects.filter(action="adt_file.reject", actor=cast.sro2.get_username()).exists()
    assert b"levels too high" in client.get(url).content


def test_an_unknown_action_changes_nothing(client, cast):
    adt_file = submitted(cast, cast.aro)
    response = as_(client, cast.sro).post(reverse("adt-file-detail", args=[adt_file.pk]), {"action": "delete"})
    assert response.status_code == 400 and response.context["refusal"].code == "invalid-action"
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.SUBMITTED


def test_an_approved_file_supersedes_the_earlier_one_on_the_pages(client, cast):
    first = submitted(cast, cast.aro)
    approve_adt_file(cast.sro, first)
    second = submitted(cast, cast.aro, solr_row(warning=150, quarantine=300))
    as_(client, cast.sro).post(reverse("adt-file-detail", args=[second.pk]), {"action": "approve"})
    response = client.get(reverse("adt-files"), {"state": "superseded"})
    assert [f.pk for f in response.context["page"].object_list] == [first.pk]
    rows = client.get(reverse("adt-file-detail", args=[first.pk])).context["rows"].object_list
    assert [r.active for r in rows] == [False]


def test_the_upload_form_labels_its_fields_and_ties_them_to_their_help(client, cast):
    html = as_(client, cast.aro).get(reverse("adt-upload")).content.decode()
    for field in ("party", "file"):
        assert f'<label for="id_{field}">' in html
        assert f'aria-describedby="id_{field}_help"' in html and f'id="id_{field}_help"' in html


def test_the_rows_of_a_large_file_are_shown_a_page_at_a_time(client, cast):
    targets = [f"90-B3-D5-1F-30-10-02-{n:02X}" for n in range(105)]
    for eui in targets:
        UserIDFactory(eui=eui, party=cast.supplier, roles=["ES"])
    adt_file = submitted(cast, cast.aro, *(solr_row(eui) for eui in targets))
    client = as_(client, cast.sro)
    url = reverse("adt-file-detail", args=[adt_file.pk])
    first = client.get(url)
    assert first.context["rows"].paginator.count == 105 and len(first.context["rows"].object_list) == 100
    assert b'href="?page=2"' in first.content
    assert [r.line for r in client.get(url, {"page": 2}).context["rows"].object_list] == [102, 103, 104, 105, 106]
