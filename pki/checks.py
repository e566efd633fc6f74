"""System checks of the SMKI set-up (``manage.py check --deploy``)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import checks

from . import conf


@checks.register(checks.Tags.security, deploy=True)
def keystore_secret_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The key-encryption secret must not sit beside the keys it protects (DATA_DIR holds DATA_DIR/keys)."""
    from django.utils.module_loading import import_string

    from .keystore import EncryptedFileKeyStore, secret_source

    try:
        store_class = import_string(conf.get("SMKI_KEYSTORE_CLASS"))
    except ImportError as exc:
        return [checks.Error(f"SMKI_KEYSTORE_CLASS cannot be imported: {exc}", id="pki.E002")]
    if not issubclass(store_class, EncryptedFileKeyStore):
        return []
    source, path = secret_source()
    if source == "env":
        return []
    if source == "file" and not path.exists():
        return [checks.Error(f"SOLR_KEYSTORE_SECRET_FILE names {path}, which does not exist",
                             hint="Fix the path; the key store will not make a new secret there.", id="pki.E001")]
    data_dir = Path(settings.DATA_DIR).resolve()
    if path.resolve().is_relative_to(data_dir):
        return [checks.Warning(
            f"the key-store secret comes from {path}, inside DATA_DIR ({data_dir}) beside the encrypted keys in "
            f"DATA_DIR/keys: whoever copies DATA_DIR (a backup, a disk image) can read every CA key",
            hint="Set SOLR_KEYSTORE_SECRET_FILE to a file outside DATA_DIR (e.g. a mounted secret) or "
                 "SOLR_KEYSTORE_SECRET, and never back up the secret together with the keys (docs/pki.md).",
            id="pki.W001",
        )]
    return []
