"""static/css/site.css defines the ``visually-hidden`` class the templates use (the tokens and lockouts tables'
"Action" column header): the text is not shown, yet stays the column header's accessible name for a screen reader
(WCAG 2.1 SC 1.3.1)."""

from __future__ import annotations

import pytest
from knox.models import AuthToken

from portal.models import Office, OfficeKind, OfficeStatus, PartyKind
from tests.helpers.cast import PASSWORD
from tests.portal.factories import PartyFactory, PersonFactory


@pytest.mark.django_db(transaction=True)
def test_the_action_column_header_is_read_out_but_not_shown(live_server, page):
    person = PersonFactory(username="srp.sro")
    Office.objects.create(person=person, kind=OfficeKind.SRO, party=PartyFactory(kind=PartyKind.SRP),
                          status=OfficeStatus.VERIFIED)
    AuthToken.objects.create(user=person)  # so the tokens page shows its table
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "srp.sro")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/account/tokens/")
    hidden = page.locator("th .visually-hidden")
    assert hidden.count() == 1 and hidden.inner_text() == "Action"
    box = hidden.bounding_box()
    assert box is not None and box["width"] <= 1 and box["height"] <= 1, box  # drawn in one pixel, clipped away
    assert hidden.evaluate("e => getComputedStyle(e).position") == "absolute"
    # Not display:none or visibility:hidden, which would hide it from screen readers as well.
    assert page.get_by_role("columnheader", name="Action").count() == 1
