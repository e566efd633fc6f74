"""Fixtures of the SoLR events API tests: the world (world.py) and the records a client's earlier calls would have
made, made through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contingency.events.activation import approve_activation, request_activation
from contingency.events.records import record_licence_revocation

from .world import World, make_instruction, make_world


@pytest.fixture
def world(cast) -> World:
    return make_world(cast)


@pytest.fixture
def revoked(world):
    """The failed Supplier's licence revoked an hour ago, recorded by the Authority officer."""
    return record_licence_revocation(world.cast.authority_officer.user, supplier=world.failed,
                                     effective_at=timezone.now() - dt.timedelta(hours=1),
                                     solr=world.steady, reference="OFG-REV-1")


@pytest.fixture
def instruction(world, revoked):
    """A current instruction for all the failed Supplier's meters."""
    return make_instruction(world)


@pytest.fixture
def requested(world, instruction):
    """The contingency requested by operator 1 (not yet approved)."""
    return request_activation(world.cast.dcc_operator1.user, instruction)


@pytest.fixture
def active(world, requested):
    """The contingency requested by operator 1 and approved by operator 2."""
    return approve_activation(world.cast.dcc_operator2.user, requested.pk)
