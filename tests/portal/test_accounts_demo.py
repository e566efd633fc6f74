"""seed_demo's accounts part (issue 8): people[].totp_secret and people[].api_token in the manifest work, and a
second run keeps them (byte-identical manifest, nothing created)."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from portal.models import AuditRecord
from tests.helpers.signin import code_from_base32
from tests.helpers.signin import sign_in_client as sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def manifest_dir(tmp_path):
    out = tmp_path / "demo"
    call_command("seed_demo", out=str(out), meters=1, no_progress=True)
    return out


def people(out) -> dict[str, dict]:
    return {p["username"]: p for p in json.loads((out / "manifest.json").read_text())["people"]}


def test_the_officers_who_need_a_second_factor_have_a_totp_secret_the_others_none(manifest_dir):
    listed = people(manifest_dir)
    with_secret = {name for name, p in listed.items() if p["totp_secret"]}
    assert with_secret == {"dcc.operator1", "dcc.operator2", "authority.officer"}
    for name in with_secret:
        key = base64.b32decode(listed[name]["totp_secret"])  # valid base32
        assert TOTPDevice.objects.get(user__username=name, confirmed=True).bin_key == key


def test_a_dcc_operator_signs_in_with_the_manifests_password_and_totp_secret(manifest_dir):
    operator = people(manifest_dir)["dcc.operator1"]
    client = Client()
    sign_in(client, operator["username"], operator["password"])
    assert client.get(reverse("home"))["Location"].startswith(reverse("otp-verify"))
    response = client.post(reverse("otp-verify"), {"otp_token": code_from_base32(operator["totp_secret"])})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_every_manifest_api_token_works_on_the_api(manifest_dir):
    for name, person in people(manifest_dir).items():
        response = Client(HTTP_AUTHORIZATION=f"Token {person['api_token']}").get("/api/v1/account/")
        assert response.status_code == 200, name
        assert response.json()["username"] == name
    assert AuthToken.objects.count() == len(people(manifest_dir))
    assert not AuthToken.objects.filter(digest__in=[p["api_token"] for p in people(manifest_dir).values()])


def test_a_second_run_keeps_the_secrets_creates_nothing_and_writes_the_same_manifest(manifest_dir):
    before = (manifest_dir / "manifest.json").read_bytes()
    counts = (TOTPDevice.objects.count(), AuthToken.objects.count(), AuditRecord.objects.count())
    call_command("seed_demo", out=str(manifest_dir), meters=1, no_progress=True)
    assert (manifest_dir / "manifest.json").read_bytes() == before
    assert (TOTPDevice.objects.count(), AuthToken.objects.count(), AuditRecord.objects.count()) == counts


def test_a_revoked_demo_token_is_made_again_by_the_next_run(manifest_dir):
    aro = people(manifest_dir)["srp.aro"]
    AuthToken.objects.filter(user__username="srp.aro").delete()
    api = Client(HTTP_AUTHORIZATION=f"Token {aro['api_token']}")
    assert api.get("/api/v1/account/").json()["code"] == "authentication_failed"
    call_command("seed_demo", out=str(manifest_dir), meters=1, no_progress=True)
    assert api.get("/api/v1/account/").status_code == 200
