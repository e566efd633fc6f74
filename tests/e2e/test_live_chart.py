"""The event page's chart follows a drill live in a real browser (issue 11 point 8): a meter switched by the device
gateway (its ``device.payment_mode`` record) shows on the open page within a few seconds, without a reload, and the
page breaks no rule of the Content-Security-Policy (the refresh is a local script file)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from contingency.delivery.gateway.simulator import set_payment_mode
from contingency.devices.choices import PaymentMode
from portal import audit
from tests.contingency.web_events.test_timeline import chart_world
from tests.contingency.web_events.world import event
from tests.helpers.cast import make_cast
from tests.helpers.signin import sign_in_operator

pytestmark = pytest.mark.django_db(transaction=True)

LAST_PREPAYMENT = "#event-timeline tbody tr:last-child td[data-key=prepayment]"


def test_the_open_event_page_shows_a_switched_meter_without_a_reload(live_server, page, csp_violations):
    cast = make_cast()
    world, meters = chart_world(cast)
    _, instruction = event(cast, world)
    sign_in_operator(page, live_server.url, cast.authority_officer.username)
    page.goto(f"{live_server.url}/events/{instruction.pk}/")
    before = int(page.locator(LAST_PREPAYMENT).inner_text())
    page.evaluate("window.__notReloaded = true")  # gone if the page itself were reloaded

    with audit.acting_as("system:test"):
        set_payment_mode(meters["01"], PaymentMode.CREDIT, why="command drill")  # as the gateway does
    # The script re-fetches every 5 s: within 20 s the last row says one prepayment meter fewer.
    expect(page.locator(LAST_PREPAYMENT)).to_have_text(str(before - 1), timeout=20_000)
    assert re.match(r"\d{4}-\d\d-\d\dT", page.locator("#event-chart-live").get_attribute("data-refreshed") or "")
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("#event-chart circle.point").last.get_attribute("data-value") == str(before - 1)
    assert csp_violations == []
