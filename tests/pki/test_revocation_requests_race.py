"""Deciding a revocation request is compare-and-set: two DCC operators at once, one wins, the other is refused
(``request-already-decided``) and the certificate is revoked once. Real concurrent transactions: threads, each
with its own database connection, started together and held open long enough to overlap."""

from __future__ import annotations

import pytest

from pki.models import Certificate, CertificateKind, RevocationRequest
from pki.orders import services
from portal.models import AuditRecord
from tests.helpers.races import hold_transactions_open, race

from .orders_cast import SOLR_EUI, csr_pem, make_cast

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_audit(monkeypatch):
    hold_transactions_open(monkeypatch, services)



@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_operators_decide_at_once_one_wins(smki, slow_audit, second):
    cast = make_cast()
    order = services.submit_order(cast.aro, SOLR_EUI, CertificateKind.XML_SIGNING, csr_pem().encode())
    assert order.issued, order.reason
    req = services.request_revocation(cast.aro, order.certificate, "key lost")
    other = services.approve_revocation if second == "approve" else services.reject_revocation
    results = race(lambda: services.approve_revocation(cast.op1, RevocationRequest.objects.get(pk=req.pk)),
                   lambda: other(cast.op2, RevocationRequest.objects.get(pk=req.pk)))
    wins = [r for r in results if isinstance(r, RevocationRequest)]
    losses = [r for r in results if isinstance(r, services.OrderRefused)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert losses[0].code == "request-already-decided"
    req.refresh_from_db()
    assert req.decided_by == wins[0].decided_by
    decisions = AuditRecord.objects.filter(action__startswith="certificate.revocation_", subject_id=str(req.pk))
    assert decisions.exclude(action="certificate.revocation_request").count() == 1
    cert = Certificate.objects.get(pk=order.certificate.pk)
    revokes = AuditRecord.objects.filter(action="certificate.revoke", subject_id=str(cert.pk)).count()
    assert cert.is_revoked() == (req.status == RevocationRequest.Status.APPROVED)
    assert revokes == (1 if cert.is_revoked() else 0)
