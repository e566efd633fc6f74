"""The admin shows ADT files and their rows to the DCC service desk, read-only (they change only through
contingency.adt.services: four eyes, audited)."""

from __future__ import annotations

import pytest

from contingency.adt.services import approve_adt_file, upload_adt_file
from contingency.models import AdtFile, AdtFileState, AdtThreshold
from portal.permissions import service_desk_group
from tests.helpers.signin import pass_second_factor

from .adt_cast import SUPPLIER_GS, csv_bytes, make_cast, solr_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client):
    """A DCC operator of the service desk group, signed in to the admin; and an approved ADT file."""
    cast = make_cast()
    cast.operator.is_staff = True
    cast.operator.save()
    cast.operator.groups.add(service_desk_group())
    adt_file = upload_adt_file(cast.aro, cast.srp, "thresholds.csv", csv_bytes(solr_row(), solr_row(SUPPLIER_GS)))
    approve_adt_file(cast.sro, adt_file)
    pass_second_factor(client, cast.operator)  # a DCC operator passes the second factor (issue 8)
    return client, adt_file


def test_the_service_desk_sees_files_and_rows(desk):
    client, adt_file = desk
    row = adt_file.rows.first()
    pages = {
        "/admin/contingency/adtfile/": [b"thresholds.csv"],
        f"/admin/contingency/adtfile/{adt_file.pk}/change/": [SUPPLIER_GS.encode(), b"thresholds.csv"],
        "/admin/contingency/adtthreshold/": [SUPPLIER_GS.encode()],
        f"/admin/contingency/adtthreshold/{row.pk}/change/": [b"1.6"],
    }
    for url, texts in pages.items():
        response = client.get(url, HTTP_HOST="localhost")
        assert response.status_code == 200, url
        for text in texts:
            assert text in response.content, (url, text)


def test_the_admin_changes_nothing(desk):
    client, adt_file = desk
    assert client.get("/admin/contingency/adtfile/add/", HTTP_HOST="localhost").status_code == 403
    assert client.get("/admin/contingency/adtthreshold/add/", HTTP_HOST="localhost").status_code == 403
    response = client.post(f"/admin/contingency/adtfile/{adt_file.pk}/change/",
                           {"state": "rejected", "file_name": "x"}, HTTP_HOST="localhost")
    assert response.status_code == 403
    response = client.post(f"/admin/contingency/adtfile/{adt_file.pk}/delete/", {"post": "yes"}, HTTP_HOST="localhost")
    assert response.status_code == 403
    adt_file.refresh_from_db()
    assert adt_file.state == AdtFileState.ACTIVE and adt_file.file_name == "thresholds.csv"
    assert AdtFile.objects.count() == 1 and AdtThreshold.objects.active().count() == 2
