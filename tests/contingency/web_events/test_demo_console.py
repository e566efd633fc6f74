"""The console on the demo world (issue 9 point 11): right after seed_demo, each manifest event has its page with
the state the manifest says, and the requested one waits on the other operator's home page with its Approve
button — so the run command's demo shows the console working."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.helpers.signin import force_login_verified

pytestmark = pytest.mark.django_db


def signed_in(username: str) -> Client:
    return force_login_verified(Client(), get_user_model().objects.get(username=username))


def test_the_demo_events_show_on_the_console(tmp_path):
    call_command("seed_demo", out=str(tmp_path / "demo"), meters=10, no_progress=True)
    events = json.loads((tmp_path / "demo" / "manifest.json").read_text())["events"]
    assert sorted(e["activation_state"] for e in events) == ["active", "requested"]
    requested = next(e for e in events if e["activation_state"] == "requested")
    approver = "dcc.operator2" if requested["requested_by"] == "dcc.operator1" else "dcc.operator1"
    operator, authority = signed_in(approver), signed_in("authority.officer")

    listing = operator.get(reverse("events:list")).content.decode()
    for e in events:
        assert f'href="{reverse("events:detail", args=[e["id"]])}">{e["instruction_reference"]}</a>' in listing
        page = authority.get(reverse("events:detail", args=[e["id"]]))
        assert page.status_code == 200
        assert f'id="activation-state" data-state="{e["activation_state"]}"' in page.content.decode()
        prepayment = re.search(r'<tr data-type="all">.*?data-key="prepayment">(\d+)<', page.content.decode(), re.S)
        assert int(prepayment.group(1)) == e["meters"]["prepayment"]

    page = operator.get(reverse("events:detail", args=[requested["id"]])).content.decode()
    assert 'id="button-approve"' in page
    home = operator.get("/").content.decode()
    assert requested["instruction_reference"] in home
