"""The event chart shows a drill live (issue 11 point 8): the timeline counts the device gateway's
``device.payment_mode`` records (how a meter switched by SRV 1.6 is audited), and the page re-fetches its chart
partial (events:chart) with a local script, no inline one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from contingency.delivery.gateway.simulator import set_payment_mode
from contingency.devices.choices import PaymentMode
from contingency.events import timeline
from portal import audit

from .test_timeline import chart_world
from .world import event

pytestmark = pytest.mark.django_db


def test_a_meter_switched_by_the_gateway_leaves_the_prepayment_count_from_then_on(cast):
    world, m = chart_world(cast)
    before = timezone.now()  # after chart_world made its meters (audited), before the switch
    with audit.acting_as("system:test"):
        set_payment_mode(m["01"], PaymentMode.CREDIT, why="command test")  # the failed Supplier's
        set_payment_mode(m["05"], PaymentMode.CREDIT, why="command test")  # Healthy Energy's: not counted
    after = timezone.now() + timedelta(minutes=1)
    world_prepayment = 3  # make_world's own three prepayment meters
    # Before the switch there were 3 bulk prepayment meters (01, 02, 03), after it 2. Without the gateway's
    # records the walk back would put 2 at both instants: the chart would never show the drill's progress.
    assert timeline.prepayment_remaining(world.failed, [before, after]) == [world_prepayment + 3,
                                                                             world_prepayment + 2]
    with audit.acting_as("system:test"):
        set_payment_mode(m["01"], PaymentMode.PREPAYMENT, why="command test")  # switched back: counted again
    assert timeline.prepayment_remaining(world.failed, [before, timezone.now() + timedelta(minutes=1)]) == [
        world_prepayment + 3, world_prepayment + 3]


def test_the_chart_partial_is_the_pages_chart_for_its_viewers_only(cast):
    world, m = chart_world(cast)
    _, instruction = event(cast, world)
    url = reverse("events:chart", args=[instruction.pk])
    answer = cast.authority_officer.client.get(url)
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    body = answer.content.decode()
    assert '<svg id="event-chart"' in body and '<table id="event-timeline">' in body
    assert "<html" not in body  # a fragment, to be swapped into the page
    assert cast.dcc_operator1.client.get(url).status_code == 200
    assert cast.outsider.client.get(url).status_code == 403
    assert cast.srp_aro.client.get(url).status_code == 403
    assert cast.authority_officer.client.post(url).status_code == 405

    # The page's table and the partial's agree, and move when a meter is switched.
    def prepayment(html: str) -> list[int]:
        table = re.search(r'<table id="event-timeline">(.*?)</table>', html, re.S).group(1)
        return [int(v) for v in re.findall(r'<td data-key="prepayment">(\d+)</td>', table)]

    page = cast.authority_officer.client.get(reverse("events:detail", args=[instruction.pk])).content.decode()
    assert prepayment(page) == prepayment(body)
    with audit.acting_as("system:test"):
        set_payment_mode(m["01"], PaymentMode.CREDIT, why="command test")
    later = prepayment(cast.authority_officer.client.get(url).content.decode())
    assert later[-1] == prepayment(body)[-1] - 1


def test_the_event_page_loads_the_refresh_script_from_a_file_and_points_it_at_the_partial(cast):
    world, _ = chart_world(cast)
    _, instruction = event(cast, world)
    html = cast.authority_officer.client.get(reverse("events:detail", args=[instruction.pk])).content.decode()
    box = re.search(r'<div id="event-chart-live" data-chart-url="([^"]+)" data-refresh-seconds="(\d+)">', html)
    assert box and box.group(1) == reverse("events:chart", args=[instruction.pk]) and int(box.group(2)) >= 1
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)  # CSP: none inline
    source = next(attrs for attrs, _ in scripts if "event-chart" in attrs)
    name = re.search(r'src="/static/([^"]+)"', source).group(1)
    script = (settings.BASE_DIR / "static" / name).read_text()
    assert "event-chart-live" in script and "data-chart-url" in script and "fetch(" in script
