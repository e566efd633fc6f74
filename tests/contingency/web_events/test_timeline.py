"""The event chart (issue 9 point 5): contingency.events.timeline's numbers from meters switched at known times
(audit records of meter changes, as the audit hook writes them), the SVG geometry that plots them, and the page
that shows both the chart and its table."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contingency.devices.choices import DeviceType, PaymentMode
from contingency.events import timeline
from contingency.models import Instruction
from contingency.web.events import chart

from .world import bulk_meters, event, make_world, switch

pytestmark = pytest.mark.django_db

PP, CREDIT = PaymentMode.PREPAYMENT, PaymentMode.CREDIT


def chart_world(cast):
    """The failed Supplier with three prepayment meters and a credit one, written in bulk (no audit record), and
    two Healthy Energy prepayment meters; besides make_world's own four (made one by one, so audited)."""
    world = make_world(cast)
    healthy_uid = world.healthy.user_ids.get()
    meters = bulk_meters([
        ("00-DB-61-00-00-00-00-01", world.failed_is, DeviceType.ESME, PP),
        ("00-DB-61-00-00-00-00-02", world.failed_is, DeviceType.ESME, PP),
        ("00-DB-61-00-00-00-00-03", world.failed_gs, DeviceType.GSME, PP),
        ("00-DB-61-00-00-00-00-04", world.failed_is, DeviceType.ESME, CREDIT),
        ("00-DB-61-00-00-00-00-05", healthy_uid, DeviceType.ESME, PP),
        ("00-DB-61-00-00-00-00-06", healthy_uid, DeviceType.ESME, PP),
    ])
    return world, {m.eui[-2:]: m for m in meters}


def test_request_counts_are_zero_until_the_front_door_stores_requests(cast):
    world = make_world(cast)
    start = timezone.now()
    counts = timeline.request_counts(world.failed, start, start + timedelta(hours=4), timedelta(hours=1))
    assert counts == [{"accepted": 0, "rejected": 0, "quarantined": 0}] * 4


def test_prepayment_meters_remaining_walk_back_through_the_audited_changes(cast):
    world, m = chart_world(cast)
    # The world's own four meters (3 prepayment, audited at creation before t0) also belong to the Supplier.
    t0 = timezone.now() + timedelta(hours=1)
    switch(m["01"], t0 + timedelta(minutes=30), payment_mode=CREDIT)
    switch(m["05"], t0 + timedelta(minutes=90), payment_mode=CREDIT)  # Healthy Energy's: not counted
    switch(m["02"], t0 + timedelta(minutes=150), payment_mode=CREDIT)
    switch(m["03"], t0 + timedelta(minutes=165), payment_mode=CREDIT)
    # A prepayment meter moved to the failed Supplier counts from then on.
    switch(m["06"], t0 + timedelta(minutes=210), registered_supplier=world.failed_is)
    instants = [t0 + timedelta(hours=h) for h in range(5)]
    world_prepayment = 3  # make_world's ESME, ESME, GSME in prepayment
    assert timeline.prepayment_remaining(world.failed, instants) == [
        world_prepayment + n for n in (3, 2, 2, 0, 1)]


def test_the_event_timeline_buckets_the_window_so_far(cast):
    world, m = chart_world(cast)
    from contingency.models import Device

    Device.objects.filter(eui__in=[d.eui for d in world.meters]).delete()  # only the bulk meters remain
    _, instruction = event(cast, world)
    base = instruction.valid_from
    switch(m["01"], base + timedelta(minutes=30), payment_mode=CREDIT)
    switch(m["02"], base + timedelta(minutes=150), payment_mode=CREDIT)
    switch(m["03"], base + timedelta(minutes=165), payment_mode=CREDIT)
    switch(m["06"], base + timedelta(minutes=210), registered_supplier=world.failed_is)
    rows = timeline.event_timeline(instruction, buckets=4, now=base + timedelta(hours=4))
    assert [(r["start"], r["end"]) for r in rows] == [
        (base + timedelta(hours=h), base + timedelta(hours=h + 1)) for h in range(4)]
    assert rows[0]["prepayment_start"] == 3
    assert [r["prepayment"] for r in rows] == [2, 2, 0, 1]
    assert all(r["accepted"] == r["rejected"] == r["quarantined"] == 0 for r in rows)
    # Before the window begins there is nothing to draw; after it ends the chart stops at valid_to.
    assert timeline.event_timeline(instruction, now=base - timedelta(minutes=1)) == []
    late = timeline.event_timeline(instruction, buckets=2, now=instruction.valid_to + timedelta(days=3))
    assert late[-1]["end"] == instruction.valid_to


def test_the_chart_reads_the_requests_from_request_counts(cast, monkeypatch):
    world, instruction = event(cast)
    seen = []

    def counts(supplier, since, until, bucket):
        seen.append((supplier, since, until, bucket))
        return [{"accepted": 10 * i, "rejected": i, "quarantined": 1} for i in range(3)]

    monkeypatch.setattr(timeline, "request_counts", counts)
    now = instruction.valid_from + timedelta(hours=3)
    rows = timeline.event_timeline(instruction, buckets=3, now=now)
    assert seen == [(instruction.supplier, instruction.valid_from, now, timedelta(hours=1))]
    assert [(r["accepted"], r["rejected"], r["quarantined"]) for r in rows] == [(0, 0, 1), (10, 1, 1), (20, 2, 1)]
    drawn = chart.build(rows)
    panel = drawn["requests"]
    assert panel.maximum == 20
    bars = {(b.series, i // 3): b for i, b in enumerate(drawn["bars"])}
    assert bars[("accepted", 2)].value == 20 and bars[("accepted", 2)].y == panel.top
    assert bars[("accepted", 1)].height == pytest.approx((panel.bottom - panel.top) / 2, abs=0.01)
    assert bars[("rejected", 0)].height == 0


def test_the_chart_plots_each_value_where_its_axis_says():
    start = timezone.now()
    rows = [{"start": start + timedelta(hours=h), "end": start + timedelta(hours=h + 1), "prepayment_start": 40 - h,
             "prepayment": v, "accepted": 0, "rejected": 0, "quarantined": 0} for h, v in enumerate([30, 30, 5])]
    rows[0]["prepayment_start"] = 40
    drawn = chart.build(rows)
    meters = drawn["meters"]
    assert meters.maximum == 50  # 40 rounded up to 1, 2 or 5 × 10ⁿ
    assert [p.value for p in drawn["points"]] == [40, 30, 30, 5]
    height = meters.bottom - meters.top
    assert [p.y for p in drawn["points"]] == [pytest.approx(meters.bottom - height * v / 50, abs=0.01)
                                              for v in (40, 30, 30, 5)]
    xs = [p.x for p in drawn["points"]]
    assert xs[0] == chart.LEFT and xs[-1] == chart.WIDTH - chart.RIGHT and xs == sorted(xs)
    assert [t.value for t in meters.ticks] == [0, 25, 50]
    assert chart.build([]) is None


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (3, 5), (10, 10), (11, 20), (250, 500), (1000, 1000)])
def test_nice_maximum(value, top):
    assert chart.nice_maximum(value) == top


def test_the_event_page_draws_the_chart_and_its_table(cast):
    world, m = chart_world(cast)
    from contingency.models import Device

    Device.objects.filter(eui__in=[d.eui for d in world.meters]).delete()
    _, instruction = event(cast, world)
    base = timezone.now() - timedelta(hours=4)
    Instruction.objects.filter(pk=instruction.pk).update(valid_from=base)
    # Off the 10-minute bucket boundaries of a 4-hour window cut in 24.
    switch(m["01"], base + timedelta(minutes=35), payment_mode=CREDIT)
    switch(m["02"], base + timedelta(minutes=155), payment_mode=CREDIT)
    switch(m["03"], base + timedelta(minutes=175), payment_mode=CREDIT)
    switch(m["06"], base + timedelta(minutes=205), registered_supplier=world.failed_is)

    html = cast.authority_officer.client.get(reverse("events:detail", args=[instruction.pk])).content.decode()
    expected = [3] * 3 + [2] * 12 + [1] * 2 + [0] * 3 + [1] * 4  # at the end of each 10-minute interval
    table = re.search(r'<table id="event-timeline">(.*?)</table>', html, re.S).group(1)
    assert [int(v) for v in re.findall(r'<td data-key="prepayment">(\d+)</td>', table)] == expected
    assert re.findall(r'<td data-key="accepted">(\d+)</td>', table) == ["0"] * 24

    svg = re.search(r'<svg id="event-chart".*?</svg>', html, re.S).group(0)
    points = [(float(cy), int(v)) for cy, v in
              re.findall(r'<circle class="point" cx="[\d.]+" cy="([\d.]+)" r="3" [^>]*data-value="(\d+)"', svg)]
    assert [v for _, v in points] == [3] + expected
    # The y axis runs from 0 at the base line to 5 (3 rounded up) at the top of the panel.
    top, bottom = chart.TOP, chart.PANEL_HEIGHT - chart.BOTTOM
    assert [cy for cy, _ in points] == [pytest.approx(bottom - (bottom - top) * v / 5, abs=0.01)
                                        for _, v in points]
    # The CSP allows neither inline script nor inline style (the page's one script is a file: test_live_chart.py).
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and "style=" not in html
