"""contingency.events.downloads.open_evidence: the one door to an instruction's evidence, audited."""

from __future__ import annotations

import pytest

from contingency.events import downloads
from contingency.events.refusals import EventRefused
from portal.models import AuditRecord

from .world import instruct, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def instruction(cast):
    return instruct(make_world(cast), cast.authority_officer.user)


def test_an_outsider_is_refused_with_its_code_and_nothing_recorded(cast, instruction):
    for member in (cast.srp_sro, cast.srp_aro, cast.outsider):
        with pytest.raises(EventRefused) as refused:
            downloads.open_evidence(member.user, instruction, channel="web")
        assert (refused.value.code, refused.value.http_status) == ("not-permitted", 403)
    assert not AuditRecord.objects.filter(action="instruction.evidence_download").exists()


def test_no_record_no_file(cast, instruction, monkeypatch):
    """If the record cannot be written, the file is not handed over (and not left open)."""
    opened = []
    real_open = type(instruction.evidence).open

    def spy(field_file, mode="rb"):
        opened.append(real_open(field_file, mode))
        return opened[-1]

    def broken(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(type(instruction.evidence), "open", spy)
    monkeypatch.setattr(downloads.audit, "write", broken)
    with pytest.raises(RuntimeError):
        downloads.open_evidence(cast.dcc_operator1.user, instruction, channel="api")
    assert len(opened) == 1 and opened[0].closed


def test_the_handle_reads_the_evidence_and_the_record_names_the_reader(cast, instruction):
    with downloads.open_evidence(cast.authority_officer.user, instruction, channel="web") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-") and len(data) == instruction.evidence_size
    record = AuditRecord.objects.get(action="instruction.evidence_download")
    assert record.actor == cast.authority_officer.username and record.subject_id == str(instruction.pk)
