"""contingency.adt.counting.check_and_count (issue 10 point 9): exact levels, the window, no ADT, one count per
RequestID (a CV 4 and its CV 5), and the counts kept over several rows."""

from __future__ import annotations

import datetime as dt

import pytest

from contingency.adt import counting
from contingency.adt.counting import check_and_count
from contingency.models import AdtCount, AdtCountedRequest, AdtNotice, RequestState

from .world import T0, rid, service_request, threshold

pytestmark = pytest.mark.django_db


def outcomes(world, n, *, at=T0, target=None, start=0):
    return [check_and_count(world.sender, "1.6", target or world.supplier, at=at, request_id=rid(start + i)).outcome
            for i in range(1, n + 1)]


def test_levels_are_exact_warning_above_the_warning_level_quarantine_above_the_quarantine_level(world):
    """docs/adt-format.md: 'above the warning level' and 'above the quarantine level': count = level + 1."""
    t = threshold(world, warning=3, quarantine=5)
    verdicts = [check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(i)) for i in range(1, 8)]
    assert [v.outcome for v in verdicts] == ["ok", "ok", "ok", "warning", "warning", "quarantine", "quarantine"]
    assert [v.count for v in verdicts] == [1, 2, 3, 4, 5, 6, 7]
    assert {(v.warning_level, v.quarantine_level, v.threshold_id) for v in verdicts} == {(3, 5, t.pk)}
    assert all(v.counted for v in verdicts)


def test_the_target_may_be_the_party_or_its_user_id_and_other_suppliers_have_their_own_count(world):
    threshold(world, 1, 2)
    threshold(world, 1, 2, target=world.other_supplier_uid)
    assert check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(1)).count == 1
    assert check_and_count(world.sender, "1.6", world.supplier_uid, at=T0, request_id=rid(2)).count == 2
    assert check_and_count(world.sender, "1.6", world.other_supplier, at=T0, request_id=rid(3)).count == 1


def test_the_window_slides_requests_older_than_the_window_drop_out(world):
    """A 1-minute window counts in 1-second buckets: a request at T0 counts until T0+59 s, not at T0+60 s."""
    threshold(world, warning=2, quarantine=3, window_minutes=1)
    assert outcomes(world, 2, at=T0) == ["ok", "ok"]
    edge = check_and_count(world.sender, "1.6", world.supplier, at=T0 + dt.timedelta(seconds=59), request_id=rid(3))
    assert (edge.count, edge.outcome) == (3, "warning")
    after = check_and_count(world.sender, "1.6", world.supplier, at=T0 + dt.timedelta(seconds=60), request_id=rid(4))
    assert (after.count, after.outcome) == (2, "ok")  # the two at T0 left; the one at T0+59 s and this one stay
    later = check_and_count(world.sender, "1.6", world.supplier, at=T0 + dt.timedelta(seconds=200), request_id=rid(5))
    assert later.count == 1
    assert counting.window_count(world.sender.adt_thresholds.get(), T0 + dt.timedelta(hours=1)) == 0


def test_a_sixty_minute_window_counts_in_minutes(world):
    t = threshold(world, warning=10, quarantine=20, window_minutes=60)
    outcomes(world, 3, at=T0)
    assert counting.window_count(t, T0 + dt.timedelta(minutes=59, seconds=59)) == 3
    assert counting.window_count(t, T0 + dt.timedelta(minutes=60)) == 0


def test_no_active_adt_is_no_adt_and_counts_nothing(world):
    verdict = check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(1))
    assert verdict.outcome == "no-adt"
    assert (verdict.count, verdict.threshold_id, verdict.counted) == (0, None, False)
    threshold(world, 1, 2, srv="6.2.9")  # another SRV's threshold does not cover 1.6
    threshold(world, 1, 2, target=world.other_supplier_uid)  # nor another Supplier's
    assert check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(2)).outcome == "no-adt"
    assert check_and_count(world.sender, "1.6", None, at=T0, request_id=rid(3)).outcome == "no-adt"
    inactive = threshold(world, 1, 2)
    inactive.active = False
    inactive.save()
    assert check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(4)).outcome == "no-adt"
    assert not AdtCount.objects.exists() and not AdtCountedRequest.objects.exists()


def test_a_cv4_and_its_cv5_count_once_and_the_cv5_gets_the_cv4_verdict(world):
    """The front door calls at CV 4 (the request not stored yet: its RequestID) and again at CV 5 with the stored
    request: the second call counts nothing and answers what the first did, even once the window moved on."""
    threshold(world, warning=1, quarantine=2)
    outcomes(world, 2, start=100)
    first = check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(1))
    assert (first.outcome, first.count, first.counted) == ("quarantine", 3, True)
    stored = service_request(world, rid(1), state=RequestState.TRANSFORMED)
    second = check_and_count(world.sender, "1.6", world.supplier, stored, at=T0 + dt.timedelta(hours=2))
    assert (second.outcome, second.count, second.counted) == ("quarantine", 3, False)
    again = check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(1))
    assert (again.outcome, again.counted) == ("quarantine", False)
    assert sum(AdtCount.objects.values_list("n", flat=True)) == 3
    assert AdtCountedRequest.objects.count() == 3


def test_without_a_request_id_every_call_counts(world):
    threshold(world, warning=5, quarantine=9)
    assert [check_and_count(world.sender, "1.6", world.supplier, at=T0).count for _ in range(3)] == [1, 2, 3]


def test_counts_are_spread_over_shards_not_one_row(world):
    t = threshold(world, warning=1000, quarantine=2000)
    outcomes(world, 200)
    rows = AdtCount.objects.filter(key=counting.counter_key(t))
    assert sum(r.n for r in rows) == 200
    assert rows.count() == counting.SHARDS  # 200 random picks among 8 shards leave none unused (p ≈ 2e-11)
    assert counting.window_count(t, T0) == 200


def test_a_warning_notes_the_service_desk_once_per_window_period(world):
    threshold(world, warning=1, quarantine=10)
    outcomes(world, 4)
    notices = list(AdtNotice.objects.values_list("kind", "count", "request_id"))
    assert notices == [("warning", 2, rid(2))]


def test_the_front_doors_call_with_its_parsed_request_counts_once_per_request_id(world):
    """contingency/pipeline/adt.py passes the device's registered Supplier (a User ID) and its parsed DUIS request,
    whose ``request_id`` is a RequestID object: its canonical text is the key."""
    from types import SimpleNamespace

    from contingency.duis.requestid import parse as parse_request_id

    threshold(world, warning=1, quarantine=2)
    parsed = SimpleNamespace(request_id=parse_request_id(rid(1)), command_variant=5, service_reference_variant="1.6")
    first = check_and_count(world.sender, "1.6", world.supplier_uid, parsed, at=T0)
    again = check_and_count(world.sender, "1.6", world.supplier_uid, parsed, at=T0)
    assert (first.outcome, first.count, first.counted) == ("ok", 1, True)
    assert (again.outcome, again.count, again.counted) == ("ok", 1, False)
    assert AdtCountedRequest.objects.get().request_id == str(parse_request_id(rid(1)))
