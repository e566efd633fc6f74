"""Credentials from the demo manifest: the real ``seed_demo`` output gives the SRP's signer, the failed Supplier's
Digital Signing keys (one per User ID) and the DCC's certificate; the command takes them with --manifest."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from srp_client import ClientError, manifest

from .fakedcc import ESME, GSME, SUPPLIER_ES, SUPPLIER_GS


@pytest.mark.django_db
def test_the_demo_manifest_gives_the_failed_suppliers_credentials(tmp_path, smki):
    call_command("seed_demo", "--out", str(tmp_path), "--meters", "2")
    found = manifest.credentials(tmp_path / "manifest.json", "failing-energy")
    assert found.signer.user_id == "90-B3-D5-1F-30-20-00-01"
    assert found.supplier_user_ids == ["90-B3-D5-1F-30-10-01-01", "90-B3-D5-1F-30-10-01-02"]
    assert [s.user_id for s in found.suppliers] == found.supplier_user_ids
    assert found.dcc_certificate.serial_number == int(next(
        c["serial"] for c in json.loads((tmp_path / "manifest.json").read_text())["certificates"]
        if c["user_id"] == "90-B3-D5-1F-30-00-00-02" and c["kind"] == "xml-signing"))
    with pytest.raises(ClientError) as info:
        manifest.credentials(tmp_path / "manifest.json", "steady-supply")  # healthy: no digital-signing keys held
    assert info.value.code == "manifest-invalid"
    with pytest.raises(ClientError) as info:
        manifest.credentials(tmp_path / "manifest.json", "nobody")
    assert info.value.code == "supplier-unknown"


def test_the_command_takes_its_credentials_from_a_manifest(dcc, world, tmp_path):
    from srp_client.cli import main

    def entry(credential, kind):
        key, cert = credential.write(tmp_path)
        return {"user_id": credential.eui, "kind": kind, "serial": str(credential.cert.serial_number),
                "cert": str(cert), "key": str(key)}

    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({
        "version": 1, "solr_role_code": "SC",
        "parties": [
            {"short_name": "dcc", "kind": "dcc", "user_ids": [{"eui": world.dcc.eui, "roles": []}]},
            {"short_name": "srp", "kind": "srp", "user_ids": [{"eui": world.srp.eui, "roles": ["SC"]}]},
            {"short_name": "failed", "kind": "supplier",
             "user_ids": [{"eui": SUPPLIER_ES, "roles": ["IS"]}, {"eui": SUPPLIER_GS, "roles": ["GS"]}]}],
        "certificates": [entry(world.dcc, "xml-signing"), entry(world.srp, "xml-signing"),
                         entry(world.supplier_es, "digital-signing"), entry(world.supplier_gs, "digital-signing")],
        "events": []}))
    import io

    out, err = io.StringIO(), io.StringIO()
    code = main(["switch", ESME, GSME, "--base-url", dcc.url, "--manifest", str(path), "--supplier-name", "failed",
                 "--json"], out=out, err=err)
    assert code == 0, err.getvalue()
    assert json.loads(out.getvalue().splitlines()[-1])["accepted"] == 2
    code = main(["switch", ESME, "--base-url", dcc.url, "--manifest", str(path)], out=out, err=err)
    assert code == 2 and "options-invalid" in err.getvalue()
