"""The service desk sees alerts and pushes in the admin, read-only (unroutable alerts, failing pushes with their
delivery log); people outside it see nothing."""

from __future__ import annotations

import pytest

from contingency.alerts.services import raise_device_alert
from contingency.delivery import tasks

pytestmark = pytest.mark.django_db


def test_the_service_desk_views_alerts_and_the_delivery_log_read_only(world, endpoint, cast):
    endpoint.script = [503]
    raised = raise_device_alert(world.device.eui, "8F20")
    tasks.deliver_push(raised.push.pk)
    desk = cast.dcc_operator1.client
    listing = desk.get("/admin/contingency/push/?state__exact=pending")
    assert listing.status_code == 200
    assert f"/admin/contingency/push/{raised.push.pk}/change/" in listing.content.decode()
    page = desk.get(f"/admin/contingency/push/{raised.push.pk}/change/").content.decode()
    assert "HTTP 503" in page  # the attempt log, inline
    assert desk.get(f"/admin/contingency/alert/{raised.alert.pk}/change/").status_code == 200
    assert desk.get("/admin/contingency/alert/add/").status_code == 403
    assert desk.post(f"/admin/contingency/push/{raised.push.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("name", ["srp_sro", "outsider"])
def test_people_outside_the_service_desk_see_no_alert(world, cast, name):
    raise_device_alert(world.device.eui, "8F20")
    answer = cast[name].client.get("/admin/contingency/alert/")
    assert answer.status_code == 302 and "/login/" in answer["Location"]
