"""The shared sr:Response envelope is valid DUIS 5.4 once its body has a child."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from contingency.duis import envelope

REQUEST_ID = "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1002"


def test_acknowledgement_envelope_validates(duis_schema):
    at = dt.datetime(2026, 11, 29, 3, 4, 5, 678901, tzinfo=dt.UTC)
    root, body = envelope.response(code="I99", at=at, request_id=REQUEST_ID,
                                   response_id=envelope.swap_request_id(REQUEST_ID))
    message = etree.SubElement(body, envelope.sr("ResponseMessage"))
    etree.SubElement(message, envelope.sr("ServiceReference")).text = "1.6"
    etree.SubElement(message, envelope.sr("ServiceReferenceVariant")).text = "1.6"
    assert duis_schema.errors(root) == []
    assert root.findtext(f"{envelope.sr('Header')}/{envelope.sr('ResponseDateTime')}") == "2026-11-29T03:04:05.678Z"
    assert root.findtext(f"{envelope.sr('Header')}/{envelope.sr('ResponseID')}") == \
        "00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:1002"


def test_an_empty_body_is_not_valid(duis_schema):
    root, _ = envelope.response(code="I0", at=dt.datetime.now(dt.UTC))
    assert not duis_schema.is_valid(root)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        envelope.format_datetime(dt.datetime(2026, 1, 1))
