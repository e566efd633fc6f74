"""The key store: CA keys encrypted at rest, never in the database, swappable by a setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.core.management import call_command
from django.db import connection

from pki import ca as ca_module
from pki.dcc_identity import DCC_XML_SIGNING_KEY_REF
from pki.keystore import EncryptedFileKeyStore, KeyNotFound, KeyStore, KeyStoreError, get_keystore, keystore_secret
from pki.models import CertificateAuthority

pytestmark = pytest.mark.django_db


def ca_key_files(keystore_dir: Path) -> list[Path]:
    return sorted(keystore_dir.glob("ca__*.pem"))


def test_ca_key_files_are_encrypted(keystore_dir):
    call_command("pki_init")
    files = ca_key_files(keystore_dir)
    assert len(files) == 2
    for path in files:
        data = path.read_bytes()
        assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert path.stat().st_mode & 0o077 == 0
        with pytest.raises(TypeError):  # no password: refused
            load_pem_private_key(data, password=None)
        with pytest.raises(ValueError):  # wrong password: refused
            load_pem_private_key(data, password=b"not the secret")
    issuing = ca_module.issuing_ca()
    key = load_pem_private_key((keystore_dir / (issuing.key_ref.replace("/", "__") + ".pem")).read_bytes(),
                               password=keystore_secret())
    assert key.public_key() == issuing.x509().public_key()


def test_secret_file_is_generated_once_with_mode_0600(keystore_dir):
    first = keystore_secret()
    path = keystore_dir.parent / "keystore_secret"
    assert path.exists() and path.stat().st_mode & 0o777 == 0o600
    assert keystore_secret() == first and len(first) >= 32


def test_secret_from_the_environment_wins(keystore_dir, monkeypatch, tmp_path):
    store = EncryptedFileKeyStore()
    key = ec.generate_private_key(ec.SECP256R1())
    monkeypatch.setenv("SOLR_KEYSTORE_SECRET", "from-the-environment")
    store.store_private_key("test/key", key)
    monkeypatch.delenv("SOLR_KEYSTORE_SECRET")
    with pytest.raises(KeyStoreError) as caught:
        store.load_private_key("test/key")
    assert caught.value.code == "key-undecryptable"
    monkeypatch.setenv("SOLR_KEYSTORE_SECRET_FILE", str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere").write_text("from-the-environment\n")
    assert store.load_private_key("test/key").public_key() == key.public_key()


def test_store_refuses_to_overwrite_and_bad_refs(keystore_dir):
    store = get_keystore()
    key = ec.generate_private_key(ec.SECP256R1())
    store.store_private_key("a/b", key)
    with pytest.raises(KeyStoreError) as caught:
        store.store_private_key("a/b", key)
    assert caught.value.code == "key-exists"
    with pytest.raises(KeyStoreError) as caught:
        store.store_private_key("../escape", key)
    assert caught.value.code == "invalid-key-ref"
    with pytest.raises(KeyNotFound) as caught:
        store.load_private_key("no/such")
    assert caught.value.code == "key-not-found"


def _private_scalars(keystore_dir: Path) -> list[bytes]:
    store = EncryptedFileKeyStore()
    refs = [p.stem.replace("__", "/") for p in keystore_dir.glob("*.pem")]
    return [store.load_private_key(ref).private_numbers().private_value.to_bytes(32, "big") for ref in refs]


def test_no_private_key_material_in_the_database(keystore_dir, settings, tmp_path):
    from pki.demo import seed_certificates
    from portal.demo import seed_registry

    seed_registry()
    entries = seed_certificates(tmp_path / "demo")
    assert get_keystore().has_key(DCC_XML_SIGNING_KEY_REF)
    secrets_ = _private_scalars(keystore_dir)
    for entry in entries:
        key = load_pem_private_key(Path(entry["key"]).read_bytes(), password=None)
        secrets_.append(key.private_numbers().private_value.to_bytes(32, "big"))
    assert len(secrets_) >= 3
    needles = [*secrets_, *(s.hex().encode() for s in secrets_), *(s.hex().upper().encode() for s in secrets_)]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    if isinstance(value, str):
                        value = value.encode()
                    if isinstance(value, bytes):
                        assert b"PRIVATE KEY" not in value, table
                        assert not any(n in value for n in needles), table


class MemoryKeyStore(KeyStore):
    """A stand-in for an HSM: keys never touch the disk."""

    keys: dict = {}

    def store_private_key(self, key_ref, key, *, overwrite=False):
        self.keys[key_ref] = key

    def load_private_key(self, key_ref):
        return self.keys[key_ref]

    def has_key(self, key_ref):
        return key_ref in self.keys


def test_the_store_is_swappable_by_a_setting(keystore_dir, settings, srp_solr_uid):
    from pki.issuance import issue_certificate
    from tests.helpers.pki import csr_for

    settings.SMKI_KEYSTORE_CLASS = "tests.pki.test_keystore.MemoryKeyStore"
    MemoryKeyStore.keys.clear()
    call_command("pki_init")
    assert not keystore_dir.exists() or not list(keystore_dir.iterdir())
    issuing = CertificateAuthority.objects.get(level="issuing")
    assert issuing.key_ref in MemoryKeyStore.keys
    cert = issue_certificate(srp_solr_uid, "xml-signing", csr_for())
    cert.x509().verify_directly_issued_by(issuing.x509())
    assert not os.path.exists(keystore_dir)


def test_a_missing_secret_file_is_an_error_not_a_new_secret(keystore_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("SOLR_KEYSTORE_SECRET_FILE", str(tmp_path / "mistyped"))
    with pytest.raises(KeyStoreError) as caught:
        keystore_secret()
    assert caught.value.code == "keystore-secret-unavailable"
    assert not (tmp_path / "mistyped").exists()
    assert not (keystore_dir.parent / "keystore_secret").exists()


def test_deploy_check_warns_about_a_secret_inside_data_dir(keystore_dir, monkeypatch, tmp_path):
    from django.core import checks

    from pki.checks import keystore_secret_check

    def ids():
        return [m.id for m in keystore_secret_check()]

    assert ids() == ["pki.W001"]  # the default DATA_DIR/keystore_secret
    deploy = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    assert "pki.W001" in [m.id for m in deploy]
    assert "pki.W001" not in [m.id for m in checks.run_checks(tags=[checks.Tags.security])]  # deploy only
    monkeypatch.setenv("SOLR_KEYSTORE_SECRET_FILE", str(keystore_dir.parent / "elsewhere-but-inside"))
    (keystore_dir.parent / "elsewhere-but-inside").write_text("s3cret")
    assert ids() == ["pki.W001"]
    outside = tmp_path.parent / f"{tmp_path.name}-secret"
    outside.write_text("s3cret")
    monkeypatch.setenv("SOLR_KEYSTORE_SECRET_FILE", str(outside))
    assert ids() == []
    monkeypatch.setenv("SOLR_KEYSTORE_SECRET_FILE", str(outside) + "-typo")
    assert ids() == ["pki.E001"]
    monkeypatch.setenv("SOLR_KEYSTORE_SECRET", "from-the-environment")
    assert ids() == []
    outside.unlink()
