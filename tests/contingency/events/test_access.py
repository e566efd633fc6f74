"""may_act (issue 9 point 4): every answer, and its cost — at most two indexed queries, measured."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contingency.events.access import Decision, may_act
from contingency.events.activation import approve_activation, request_activation, suspend_activation
from contingency.models import Device

from .world import instruct, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    return make_world(cast)


def active(cast, instruction):
    activation = request_activation(cast.dcc_operator1.user, instruction)
    return approve_activation(cast.dcc_operator2.user, activation.pk)


def test_decision_is_truthy_only_when_allowed():
    assert Decision(True) and not Decision(False, "not-active")


def test_no_instruction_then_not_active_then_allowed(cast, world):
    meter = world.meters[0]
    assert may_act(world.solr_uid, meter, "1.6").reason == "no-instruction"
    instruction = instruct(world, cast.authority_officer.user)
    assert may_act(world.solr_uid, meter, "1.6").reason == "not-active"  # no activation yet
    activation = request_activation(cast.dcc_operator1.user, instruction)
    decision = may_act(world.solr_uid, meter, "1.6")
    assert (decision.allowed, decision.reason, decision.activation_id) == (False, "not-active", activation.pk)
    approve_activation(cast.dcc_operator2.user, activation.pk)
    decision = may_act(world.solr_uid, meter, "1.6")
    assert decision and (decision.reason, decision.activation_id) == (None, activation.pk)
    suspend_activation(cast.dcc_operator1.user, activation.pk)
    assert may_act(world.solr_uid, meter, "1.6").reason == "not-active"


def test_all_meters_scope(cast, world):
    active(cast, instruct(world, cast.authority_officer.user))
    for meter in world.meters:  # ESMEs of its IS User ID and the GSME of its GS User ID
        assert may_act(world.solr_uid, meter, "1.6"), meter
    # Another Supplier's meter: no instruction names this User ID for that Supplier.
    assert may_act(world.solr_uid, world.other_meter, "1.6").reason == "no-instruction"
    assert may_act(world.solr_uid, world.meters[0], "6.2.9").reason == "srv-not-instructed"
    # Another User ID (the failed Supplier's own) may not act through the contingency.
    assert may_act(world.failed_is, world.meters[0], "1.6").reason == "no-instruction"


def test_listed_scope(cast, world):
    listed, unlisted = world.meters[0], world.meters[1]
    active(cast, instruct(world, cast.authority_officer.user, device_euis=[listed.eui]))
    assert may_act(world.solr_uid, listed, "1.6")
    assert may_act(world.solr_uid, unlisted, "1.6").reason == "out-of-scope"


def test_euis_in_any_spelling_and_unknown_devices(cast, world):
    active(cast, instruct(world, cast.authority_officer.user))
    meter = world.meters[0]
    assert may_act(world.solr_uid.eui.replace("-", ""), meter.eui.replace("-", ":").lower(), "1.6")
    assert may_act(world.solr_uid.pk, meter.eui, "1.6")
    assert may_act(world.solr_uid, "00-DB-50-00-00-00-0F-FF", "1.6").reason == "no-instruction"
    assert may_act(world.solr_uid, "rubbish", "1.6").reason == "no-instruction"


def test_answers_about_the_time_asked(cast, world):
    instruction = instruct(world, cast.authority_officer.user, hours_from=-1, hours_to=2)
    active(cast, instruction)
    assert may_act(world.solr_uid, world.meters[0], "1.6", at=instruction.valid_from - timedelta(seconds=1)).reason \
        == "not-active"
    assert may_act(world.solr_uid, world.meters[0], "1.6", at=instruction.valid_to).reason == "expired"
    assert may_act(world.solr_uid, world.meters[0], "1.6", at=instruction.valid_to - timedelta(seconds=1))


def _queries_of(django_assert_max_num_queries, *args):
    with django_assert_max_num_queries(2) as captured:
        decision = may_act(*args)
    return decision, [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("listed", [False, True], ids=["all-meters", "listed-devices"])
def test_at_most_two_queries(cast, world, django_assert_max_num_queries, listed):
    instruction = instruct(world, cast.authority_officer.user,
                           device_euis=[world.meters[0].eui] if listed else None)
    active(cast, instruction)
    # The way the front door will call it: the device as it loaded it, and as an EUI from the request.
    device = Device.objects.get(pk=world.meters[0].pk)
    for target in (device, device.eui, Device.objects.select_related("registered_supplier").get(pk=device.pk)):
        decision, sql = _queries_of(django_assert_max_num_queries, world.solr_uid.eui, target, "1.6")
        assert decision.allowed and len(sql) == (2 if listed else 1), sql
    decision, sql = _queries_of(django_assert_max_num_queries, world.solr_uid, world.meters[1].eui, "1.6")
    assert decision.reason == ("out-of-scope" if listed else None) and len(sql) <= 2
    decision, sql = _queries_of(django_assert_max_num_queries, world.solr_uid, world.other_meter, "1.6")
    assert decision.reason == "no-instruction" and len(sql) == 2


def test_its_lookups_are_indexed(cast, world):
    """The statements may_act runs use the indexes it reads (activation_pair_newest, instruction_pair and the
    many-to-many key): asked of the database's own planner on SQLite (PostgreSQL's planner prefers a scan on a
    table this small, so there the index's existence is what is checked)."""
    from contingency.models import Activation, Instruction

    indexes = {name for name, c in connection.introspection.get_constraints(
        connection.cursor(), Activation._meta.db_table).items() if c["index"]}
    assert "activation_pair_newest" in indexes
    indexes = {name for name, c in connection.introspection.get_constraints(
        connection.cursor(), Instruction._meta.db_table).items() if c["index"]}
    assert "instruction_pair" in indexes
    if connection.vendor != "sqlite":
        return
    active(cast, instruct(world, cast.authority_officer.user, device_euis=[world.meters[0].eui]))
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        may_act(world.solr_uid.eui, world.meters[0].eui, "1.6", at=timezone.now())
    for query in captured.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
        assert "SCAN" not in plan.replace("SCAN CONSTANT ROW", ""), (query["sql"], plan)


def _both(world, meter, srv="1.6", at=None) -> Decision:
    """The ORM read (EUIs) and the front door's plain statement (a loaded sender and device) must agree."""
    from contingency.pipeline import reads

    orm = may_act(world.solr_uid.eui, meter.eui, srv, at)
    loaded = reads.device(meter.eui)
    with CaptureQueriesContext(connection) as plain_queries:
        plain = may_act(world.solr_uid, loaded, srv, at)
    assert plain == orm and len(plain_queries.captured_queries) <= 2
    return plain


def test_the_front_doors_plain_read_answers_as_the_orm(cast, world):
    meter, unlisted = world.meters[0], world.meters[1]
    assert _both(world, meter).reason == "no-instruction"
    instruction = instruct(world, cast.authority_officer.user, hours_from=-1, hours_to=2, device_euis=[meter.eui])
    assert _both(world, meter).reason == "not-active"
    activation = request_activation(cast.dcc_operator1.user, instruction)
    assert _both(world, meter) == Decision(False, "not-active", activation.pk)
    approve_activation(cast.dcc_operator2.user, activation.pk)
    assert _both(world, meter) == Decision(True, None, activation.pk)
    assert _both(world, unlisted).reason == "out-of-scope"
    assert _both(world, meter, srv="6.2.9").reason == "srv-not-instructed"
    assert _both(world, meter, at=instruction.valid_from - timedelta(seconds=1)).reason == "not-active"
    assert _both(world, meter, at=instruction.valid_to).reason == "expired"
    assert _both(world, meter, at=instruction.valid_to - timedelta(seconds=1)).allowed
    suspend_activation(cast.dcc_operator1.user, activation.pk)
    assert _both(world, meter).reason == "not-active"
