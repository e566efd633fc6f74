"""Polling the DCC's responses endpoint (docs/delivery.md): every page is read with the officer's token, each
DCC-signed document reaches the callback once, a forged one is counted and never handed over, an outcome without
a document yet is passed over, and a refusal of the endpoint is a clear error."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from pki import xmldsig
from srp_client import polling
from srp_client.errors import ClientError

from .fakedcc import SRP_EUI, SUPPLIER_ES
from .responses_endpoint import ResponsesEndpoint
from .test_receiver import _service_response


@pytest.fixture
def documents(world):
    signed = xmldsig.sign(_service_response(), world.dcc.key, world.dcc.cert).decode()
    other = world.ca.issue(SUPPLIER_ES, serial=world.dcc.cert.serial_number)
    forged = xmldsig.sign(_service_response(), other.key, other.cert).decode()
    return signed, forged


def test_every_page_is_read_with_the_token_and_only_dcc_signed_documents_are_taken(world, documents):
    signed, forged = documents
    endpoint = ResponsesEndpoint([])
    endpoint.pages = [
        {"count": 4, "next": endpoint.url + f"?user_id={SRP_EUI}&page=2", "results": [
            {"request_id": "a", "document": signed}, {"request_id": "b", "document": forged}]},
        {"count": 4, "next": None, "results": [
            {"request_id": "c", "document": signed}, {"request_id": "d", "document": ""}]},
    ]
    taken = []
    try:
        result = polling.poll_once(endpoint.url, world.dcc.cert, taken.append, user_id=SRP_EUI, token="tok123",
                                   since="2026-01-01T00:00:00+00:00")
    finally:
        endpoint.close()
    assert (result.taken, result.refused) == (2, 1)
    assert len(taken) == 2 and all(doc.response_code == "I0" for doc in taken)
    assert [auth for _, auth in endpoint.seen] == ["Token tok123", "Token tok123"]
    first = parse_qs(urlsplit(endpoint.seen[0][0]).query)
    assert first["user_id"] == [SRP_EUI] and first["since"] == ["2026-01-01T00:00:00+00:00"]


@pytest.mark.parametrize("status, pages, code", [
    (403, [{"code": "responses-forbidden"}], "poll-forbidden"),
    (401, [{"code": "not_authenticated"}], "poll-forbidden"),
    (500, [{"results": []}], "poll-failed"),
    (200, [{"documents": []}], "poll-failed"),
])
def test_a_refusal_or_an_unknown_shape_is_a_clear_error(world, status, pages, code):
    endpoint = ResponsesEndpoint(pages, status=status)
    try:
        with pytest.raises(ClientError) as refused:
            polling.poll_once(endpoint.url, world.dcc.cert, lambda doc: None, user_id=SRP_EUI)
    finally:
        endpoint.close()
    assert refused.value.code == code


def test_a_poll_reports_the_newest_outcome_and_takes_each_response_once(world, documents):
    """What a long wait needs: where the next poll may start (shortly before the newest outcome read) and no
    document handed over twice across polls (the overlap reads some outcomes again)."""
    signed, _forged = documents
    endpoint = ResponsesEndpoint([])
    first = {"count": 3, "next": None, "results": [
        {"response_id": "r1", "responded_at": "2026-11-29T08:00:00+00:00", "document": signed},
        {"response_id": "r2", "responded_at": "2026-11-29T08:05:00+00:00", "document": ""},  # not answered yet
        {"response_id": "r3", "responded_at": "bad", "document": ""}]}
    second = {"count": 1, "next": None, "results": [
        {"response_id": "r1", "responded_at": "2026-11-29T08:00:00+00:00", "document": signed}]}
    endpoint.pages = [first]
    taken, seen = [], set()
    start = dt.datetime(2026, 11, 29, 7, 0, tzinfo=dt.UTC)
    try:
        result = polling.poll_once(endpoint.url, world.dcc.cert, taken.append, user_id=SRP_EUI, since=start,
                                   seen=seen, page_size=200)
        after = polling.next_since(start, result)
        endpoint.pages = [second]
        again = polling.poll_once(endpoint.url, world.dcc.cert, taken.append, user_id=SRP_EUI, since=after, seen=seen)
    finally:
        endpoint.close()
    assert result.newest == dt.datetime(2026, 11, 29, 8, 5, tzinfo=dt.UTC)
    assert after == result.newest - polling.POLL_OVERLAP
    assert (result.taken, again.taken, len(taken), seen) == (1, 0, 1, {"r1"})
    assert polling.next_since(after, again) == after  # nothing newer: it stays
    assert polling.next_since(start, polling.PollResult(0, 0)) == start  # nothing read: it stays
    queries = [parse_qs(urlsplit(path).query) for path, _ in endpoint.seen]
    assert queries[0]["since"] == [start.isoformat()] and queries[0]["page_size"] == ["200"]
    assert queries[1]["since"] == [after.isoformat()]


def test_a_poll_cut_at_the_page_limit_goes_on_from_its_newest_outcome(world, monkeypatch):
    """More than MAX_PAGES pages within one POLL_OVERLAP: starting again a minute before the newest outcome would
    read the same pages on every poll and never get past them."""
    monkeypatch.setattr(polling, "MAX_PAGES", 1)
    endpoint = ResponsesEndpoint([])
    endpoint.pages = [
        {"next": endpoint.url + "?page=2", "results": [
            {"response_id": "a", "responded_at": "2026-11-29T08:00:10+00:00", "document": ""}]},
        {"next": None, "results": [
            {"response_id": "b", "responded_at": "2026-11-29T08:00:20+00:00", "document": ""}]},
    ]
    start = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)
    try:
        cut = polling.poll_once(endpoint.url, world.dcc.cert, lambda doc: None, user_id=SRP_EUI, since=start)
    finally:
        endpoint.close()
    assert (cut.complete, cut.newest) == (False, dt.datetime(2026, 11, 29, 8, 0, 10, tzinfo=dt.UTC))
    assert len(endpoint.seen) == 1  # the second page was left for the next poll
    assert polling.next_since(start, cut) == cut.newest  # not a minute before it, which is before ``start``
