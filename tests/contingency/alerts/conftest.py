"""Fixtures of the alerts tests: the world (tests/contingency/alerts/world.py) and a test HTTP endpoint."""

from __future__ import annotations

import pytest
from django.test import override_settings

from .world import Endpoint, make_world


@pytest.fixture
def endpoint():
    server = Endpoint()
    yield server
    server.close()


@pytest.fixture
def insecure_endpoints(settings, monkeypatch):
    """http:// endpoints allowed (SOLR_ALLOW_INSECURE_ENDPOINTS=1), here and in processes the test starts;
    retries due at once (base delay 0)."""
    monkeypatch.setenv("SOLR_ALLOW_INSECURE_ENDPOINTS", "1")
    monkeypatch.setenv("SOLR_PUSH_BASE_DELAY_SECONDS", "0")
    settings.SOLR_ALLOW_INSECURE_ENDPOINTS = True
    settings.SOLR_PUSH_BASE_DELAY_SECONDS = 0


@pytest.fixture
def world(smki, tmp_path, endpoint, insecure_endpoints):
    with override_settings(DCC_USER_ID="90-B3-D5-1F-30-00-00-02"):
        yield make_world(tmp_path, endpoint=endpoint.url)
