"""The DCC operators' page for the role → SRV table: who may see and change it (the cast), add / change / remove,
the audit records, and SRV 6.2.9 for the SoLR Contingency role switched on by the page alone (what issue 10 tests
end to end)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contingency.models import ServicePermission
from contingency.service_matrix import may_send
from contingency.service_matrix import services as matrix_services
from portal.models import AuditRecord
from tests.helpers.permissions import assert_access

SC = reverse("service-matrix-role", args=["SC"])
ENABLE_6_2_9 = {"action": "allow", "srv": "6.2.9", "name": "Read Device Configuration (Payment Mode)",
                "command_variants": ["1"]}


def audit(action: str) -> list[tuple]:
    return list(AuditRecord.objects.filter(action=action).order_by("id").values_list("actor", "before", "after"))


def test_only_dcc_operators_see_the_pages(cast):
    for url in (reverse("service-matrix"), SC):
        assert_access(cast, "get", url, {"dcc_operator1": 200, "dcc_operator2": 200}, others=403, anonymous=302)


def test_the_refusal_page_names_its_code(cast):
    response = cast.srp_sro.client.get(SC)
    assert response.status_code == 403
    assert 'data-code="service-matrix-not-allowed"' in response.content.decode()


def test_enabling_6_2_9_for_the_solr_role_through_the_page_makes_may_send_true(cast):
    assert not may_send(["SC"], "6.2.9", 1)
    response = cast.dcc_operator1.client.post(SC, ENABLE_6_2_9)
    assert (response.status_code, response["Location"]) == (302, SC)
    assert may_send(["SC"], "6.2.9", 1)
    assert not may_send(["SC"], "6.2.9", 4)  # only the Command Variants ticked
    assert may_send(["SC"], "1.6", 4)  # 1.6 stays
    assert audit("service_matrix.allow") == [(cast.dcc_operator1.username, None, {
        "role": "SC", "srv": "6.2.9", "command_variants": [1], "name": "Read Device Configuration (Payment Mode)"})]
    page = cast.dcc_operator2.client.get(SC).content.decode()
    assert 'data-srv="6.2.9"' in page and 'data-srv="1.6"' in page


def test_nobody_but_a_dcc_operator_changes_the_table(cast):
    outcomes = assert_access(cast, "post", SC, {"dcc_operator1": 302, "dcc_operator2": 302}, others=403,
                             data=ENABLE_6_2_9)
    assert outcomes["outsider"].status == 403
    # The first operator added it; the second sent the same again (nothing to change, nothing recorded).
    assert [actor for actor, _, _ in audit("service_matrix.allow")] == [cast.dcc_operator1.username]
    assert ServicePermission.objects.filter(role="SC").count() == 2


@pytest.mark.parametrize("who", ["authority_officer", "srp_sro", "srp_aro", "outsider"])
def test_the_others_are_refused_by_the_service_too(cast, who):
    with pytest.raises(matrix_services.ServiceMatrixRefused) as refused:
        matrix_services.allow(cast[who].user, "SC", "6.2.9", [1])
    assert (refused.value.code, refused.value.http_status) == ("service-matrix-not-allowed", 403)
    with pytest.raises(matrix_services.ServiceMatrixRefused) as refused:
        matrix_services.remove(cast[who].user, "SC", "1.6")
    assert refused.value.code == "service-matrix-not-allowed"
    assert may_send(["SC"], "1.6", 4) and not may_send(["SC"], "6.2.9", 1)
    assert not AuditRecord.objects.filter(action__startswith="service_matrix.").exists()


def test_removing_through_the_page(cast):
    response = cast.dcc_operator2.client.post(SC, {"action": "remove", "srv": "1.6"})
    assert response.status_code == 302
    assert not may_send(["SC"], "1.6", 4)
    assert audit("service_matrix.remove") == [(cast.dcc_operator2.username, {
        "role": "SC", "srv": "1.6", "command_variants": [1, 4, 5], "name": "Update Payment Mode"}, None)]
    again = cast.dcc_operator2.client.post(SC, {"action": "remove", "srv": "1.6"})
    assert again.status_code == 409 and 'data-code="service-matrix-not-found"' in again.content.decode()


def test_changing_the_command_variants_of_an_srv_is_audited_before_and_after(cast):
    response = cast.dcc_operator1.client.post(SC, {"action": "allow", "srv": "1.6", "command_variants": ["4", "5"]})
    assert response.status_code == 302
    assert not may_send(["SC"], "1.6", 1) and may_send(["SC"], "1.6", 5)
    [(actor, before, after)] = audit("service_matrix.allow")
    assert before["command_variants"] == [1, 4, 5] and after["command_variants"] == [4, 5]
    assert after["name"] == "Update Payment Mode"  # kept when the form leaves it empty


@pytest.mark.parametrize(("data", "status", "code"), [
    ({"action": "allow", "srv": "6.2", "command_variants": ["9"]}, 400, None),  # not a choice: the form says so
    ({"action": "allow", "srv": "6.2.9"}, 400, None),  # no Command Variant
    ({"action": "allow", "srv": "six", "command_variants": ["1"]}, 400, "service-matrix-srv-invalid"),
    ({"action": "allow", "srv": "6.2.9.1", "command_variants": ["1"]}, 400, "service-matrix-srv-invalid"),
    ({"action": "allow", "srv": "6.99", "command_variants": ["1"]}, 400, "service-matrix-srv-unknown"),
    ({"action": "launch"}, 400, "service-matrix-action-unknown"),
])
def test_bad_input_is_refused_and_changes_nothing(cast, data, status, code):
    response = cast.dcc_operator1.client.post(SC, data)
    assert response.status_code == status
    if code:
        assert f'data-code="{code}"' in response.content.decode()
    assert list(ServicePermission.objects.of_role("SC").values_list("srv", flat=True)) == ["1.6"]
    assert not AuditRecord.objects.filter(action__startswith="service_matrix.").exists()


def test_an_unknown_role_is_404_and_the_service_refuses_it(cast):
    assert cast.dcc_operator1.client.get(reverse("service-matrix-role", args=["XX"])).status_code == 404
    with pytest.raises(matrix_services.ServiceMatrixRefused) as refused:
        matrix_services.allow(cast.dcc_operator1.user, "XX", "1.6", [4])
    assert refused.value.code == "service-matrix-role-unknown"


def test_the_index_lists_every_role_with_its_count(cast):
    html = cast.dcc_operator1.client.get(reverse("service-matrix")).content.decode()
    for code in ("IS", "ES", "GS", "RSA", "ED", "GT", "OU", "SC"):
        assert f'data-role="{code}"' in html


def test_a_roles_srvs_are_listed_in_duis_order(cast):
    for srv in ("6.2.10", "6.2.9", "11.2"):
        matrix_services.allow(cast.dcc_operator1.user, "SC", srv, [1])
    html = cast.dcc_operator1.client.get(SC).content.decode()
    order = [html.index(f'data-srv="{srv}"') for srv in ("1.6", "6.2.9", "6.2.10", "11.2")]
    assert order == sorted(order)
