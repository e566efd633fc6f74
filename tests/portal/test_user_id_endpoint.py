"""A User ID's endpoint URL (issue 9 point 8): who may see and set it (the cast), the URL rules, the audit record,
and every EUI spelling in the API's path."""

from __future__ import annotations

import pytest

from portal import user_ids
from portal.models import AuditRecord, UserID
from tests.helpers.permissions import assert_access
from tests.portal.factories import UserIDFactory

SRP_EUI = "90-B3-D5-1F-50-00-00-01"
OTHER_EUI = "90-B3-D5-1F-50-00-00-02"
GOOD = "https://srp.example.com/duis/responses"


@pytest.fixture
def world(cast):
    srp_uid = UserIDFactory(eui=SRP_EUI, party=cast.srp, roles=["SC"])
    other_uid = UserIDFactory(eui=OTHER_EUI, party=cast.other_party, roles=["IS"])
    return cast, srp_uid, other_uid


def endpoint_of(eui: str) -> str:
    return UserID.objects.get(eui=eui).endpoint_url


def patch(member, eui: str, url: str):
    return member.client.patch(f"/api/v1/user-ids/{eui}/", {"endpoint_url": url}, content_type="application/json")


# --- who ---------------------------------------------------------------------------------------------

def test_the_srps_sro_and_each_dcc_operator_set_it_the_aro_and_the_authority_are_refused_the_outsider_sees_nothing(
        world):
    cast, srp_uid, _ = world
    outcomes = assert_access(
        cast, "patch", lambda m: f"/api/v1/user-ids/{SRP_EUI}/",
        {"srp_sro": 200, "dcc_operator1": 200, "dcc_operator2": 200,
         "srp_aro": (403, "user-id-endpoint-not-allowed"),
         "authority_officer": (404, "not_found"), "outsider": (404, "not_found")},
        data={"endpoint_url": GOOD}, api=True)
    assert outcomes["srp_sro"].status == 200
    assert endpoint_of(SRP_EUI) == GOOD


def test_a_refused_person_changes_nothing(world):
    cast, _, _ = world
    for member in (cast.srp_aro, cast.authority_officer, cast.outsider):
        patch(member, SRP_EUI, GOOD)
    assert endpoint_of(SRP_EUI) == ""
    assert not AuditRecord.objects.filter(action=user_ids.AUDIT_ACTION).exists()


def test_the_service_refuses_the_aro_with_its_code(world):
    cast, srp_uid, _ = world
    with pytest.raises(user_ids.EndpointRefused) as refused:
        user_ids.set_endpoint_url(cast.srp_aro.user, srp_uid, GOOD)
    assert refused.value.code == "user-id-endpoint-not-allowed" and refused.value.http_status == 403


def test_the_list_shows_each_person_what_they_may_see(world):
    cast, _, _ = world
    def euis(member):
        response = member.client.get("/api/v1/user-ids/")
        assert response.status_code == 200
        return {row["eui"] for row in response.json()["results"]}

    assert euis(cast.dcc_operator1) == {SRP_EUI, OTHER_EUI}
    assert euis(cast.srp_sro) == euis(cast.srp_aro) == {SRP_EUI}
    assert euis(cast.outsider) == {OTHER_EUI}
    assert euis(cast.authority_officer) == set()


def test_one_user_id_reads_as_the_list_says_with_roles_and_party(world):
    cast, _, _ = world
    response = cast.srp_aro.client.get(f"/api/v1/user-ids/{SRP_EUI}/")
    assert response.status_code == 200
    assert response.json() == {"eui": SRP_EUI, "party": cast.srp.short_name, "party_name": cast.srp.name,
                               "status": "active", "roles": ["SC"], "endpoint_url": ""}
    assert cast.outsider.client.get(f"/api/v1/user-ids/{SRP_EUI}/").status_code == 404


@pytest.mark.parametrize("spelling", [
    "90-B3-D5-1F-50-00-00-01", "90-b3-d5-1f-50-00-00-01", "90B3D51F50000001", "90b3d51f50000001",
    "90:B3:D5:1F:50:00:00:01", "90b3.d51f.5000.0001", "90%20B3%20D5%201F%2050%2000%2000%2001",
])
def test_every_spelling_of_the_eui_names_the_same_user_id(world, spelling):
    cast, _, _ = world
    assert cast.srp_sro.client.get(f"/api/v1/user-ids/{spelling}/").json()["eui"] == SRP_EUI
    response = patch(cast.srp_sro, spelling, GOOD)
    assert response.status_code == 200, response.content
    assert response.json()["eui"] == SRP_EUI
    assert endpoint_of(SRP_EUI) == GOOD


def test_a_path_that_is_no_eui_is_refused_with_its_code(world):
    cast, _, _ = world
    response = cast.dcc_operator1.client.get("/api/v1/user-ids/90-B3-D5-1F/")
    assert response.status_code == 400 and response.json()["code"] == "eui64-invalid"


def test_put_is_not_offered(world):
    cast, _, _ = world
    response = cast.dcc_operator1.client.put(f"/api/v1/user-ids/{SRP_EUI}/", {"endpoint_url": GOOD},
                                             content_type="application/json")
    assert response.status_code == 405
    assert endpoint_of(SRP_EUI) == ""


def test_the_endpoint_url_is_required_in_a_patch(world):
    cast, _, _ = world
    response = cast.srp_sro.client.patch(f"/api/v1/user-ids/{SRP_EUI}/", {"status": "withdrawn"},
                                         content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "required"
    assert UserID.objects.get(eui=SRP_EUI).status == "active"


# --- the URL rules -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "code"), [
    ("ftp://srp.example.com/in", "endpoint-url-scheme"),
    ("javascript:alert(1)", "endpoint-url-scheme"),
    ("file:///etc/passwd", "endpoint-url-scheme"),
    ("srp.example.com/in", "endpoint-url-scheme"),
    ("https://user:secret@srp.example.com/in", "endpoint-url-credentials"),
    ("https://token@srp.example.com/in", "endpoint-url-credentials"),
    ("https:///in", "endpoint-url-host-missing"),
    ("https://:443/in", "endpoint-url-host-missing"),
    ("https://srp.example.com:port/in", "endpoint-url-invalid"),
    ("https://srp example.com/in", "endpoint-url-invalid"),
    ("https://srp.example.com/" + "a" * 200, "endpoint-url-invalid"),
])
def test_urls_the_rules_refuse(world, url, code):
    cast, _, _ = world
    response = patch(cast.dcc_operator1, SRP_EUI, url)
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert endpoint_of(SRP_EUI) == ""
    assert not AuditRecord.objects.filter(action=user_ids.AUDIT_ACTION).exists()


def test_http_is_refused_without_the_setting(world, settings):
    cast, _, _ = world
    settings.SOLR_ALLOW_INSECURE_ENDPOINTS = False
    response = patch(cast.srp_sro, SRP_EUI, "http://127.0.0.1:8089/duis")
    assert (response.status_code, response.json()["code"]) == (400, "endpoint-url-insecure")
    assert endpoint_of(SRP_EUI) == ""
    # https is still fine without it
    assert patch(cast.srp_sro, SRP_EUI, GOOD).status_code == 200


def test_http_is_allowed_with_the_setting(world, settings):
    cast, _, _ = world
    settings.SOLR_ALLOW_INSECURE_ENDPOINTS = True
    response = patch(cast.srp_sro, SRP_EUI, "http://127.0.0.1:8089/duis")
    assert response.status_code == 200
    assert endpoint_of(SRP_EUI) == "http://127.0.0.1:8089/duis"
    # still no other scheme
    assert patch(cast.srp_sro, SRP_EUI, "ftp://127.0.0.1/duis").json()["code"] == "endpoint-url-scheme"


def test_the_tests_run_with_the_setting_on():
    """conftest.py turns SOLR_ALLOW_INSECURE_ENDPOINTS on for every test (their receivers are plain http)."""
    from django.conf import settings

    assert settings.SOLR_ALLOW_INSECURE_ENDPOINTS is True


def test_the_setting_is_a_checked_boolean_read_from_the_environment(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from portal.conf import env

    monkeypatch.setenv("SOLR_ALLOW_INSECURE_ENDPOINTS", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOLR_ALLOW_INSECURE_ENDPOINTS"):
        env("SOLR_ALLOW_INSECURE_ENDPOINTS", False)
    monkeypatch.setenv("SOLR_ALLOW_INSECURE_ENDPOINTS", "1")
    assert env("SOLR_ALLOW_INSECURE_ENDPOINTS", False) is True


# --- the audit record --------------------------------------------------------------------------------

def test_a_change_is_audited_with_before_after_and_the_actor(world):
    cast, srp_uid, _ = world
    assert patch(cast.srp_sro, SRP_EUI, GOOD).status_code == 200
    assert patch(cast.dcc_operator1, SRP_EUI, "").status_code == 200  # cleared: the User polls
    records = list(AuditRecord.objects.filter(action=user_ids.AUDIT_ACTION).order_by("id"))
    assert [(r.actor, r.subject_id, r.before, r.after) for r in records] == [
        (cast.srp_sro.username, str(srp_uid.pk), {"endpoint_url": ""}, {"endpoint_url": GOOD}),
        (cast.dcc_operator1.username, str(srp_uid.pk), {"endpoint_url": GOOD}, {"endpoint_url": ""}),
    ]
    assert endpoint_of(SRP_EUI) == ""
    # One record per change: no second, row-diff record of the same change from the registry's hook.
    assert not AuditRecord.objects.filter(action="userid.update").exists()


def test_setting_the_same_url_again_writes_no_record(world):
    cast, _, _ = world
    patch(cast.srp_sro, SRP_EUI, GOOD)
    patch(cast.srp_sro, SRP_EUI, f"  {GOOD}  ")
    assert AuditRecord.objects.filter(action=user_ids.AUDIT_ACTION).count() == 1
    assert endpoint_of(SRP_EUI) == GOOD


def test_check_deploy_warns_when_http_endpoints_are_allowed_outside_a_demo(settings):
    from portal.checks import insecure_endpoints_check

    settings.SOLR_ALLOW_INSECURE_ENDPOINTS, settings.SOLR_DEMO = True, False
    assert [m.id for m in insecure_endpoints_check()] == ["portal.W002"]
    settings.SOLR_DEMO = True  # the demo: portal.W001 already says the whole database is a demo
    assert insecure_endpoints_check() == []
    settings.SOLR_ALLOW_INSECURE_ENDPOINTS, settings.SOLR_DEMO = False, False
    assert insecure_endpoints_check() == []


def test_a_nominated_aro_acts_for_nobody_yet_and_sees_no_user_id(world):
    """Only a verified ARO acts for its Party (SEC L / RAPP): a nominated one gets nothing, and 404."""
    from django.test import Client

    from portal.models import Office, OfficeKind, OfficeStatus
    from tests.portal.factories import PersonFactory

    cast, _, _ = world
    person = PersonFactory(username="nominated.aro")
    Office.objects.create(person=person, kind=OfficeKind.ARO, party=cast.srp, status=OfficeStatus.NOMINATED)
    client = Client()
    client.force_login(person)
    assert client.get("/api/v1/user-ids/").json()["results"] == []
    assert client.get(f"/api/v1/user-ids/{SRP_EUI}/").status_code == 404
