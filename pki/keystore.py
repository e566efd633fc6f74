"""The one way to store and load private keys (DESIGN §6): CA keys, and the DCC's own XML signing key.

Callers use ``get_keystore()`` and name a key by a reference (``ca/sc1``, ``dcc/xml-signing``); they never
see where or how it is kept. The store class is a setting (``SMKI_KEYSTORE_CLASS``) so that an HSM-backed
store can replace the default without touching its callers.

The default, ``EncryptedFileKeyStore``, keeps each key as an encrypted PKCS#8 PEM file
(``BestAvailableEncryption``) under ``DATA_DIR/keys``. The key-encryption secret comes from the environment
(``SOLR_KEYSTORE_SECRET``), from a file named by ``SOLR_KEYSTORE_SECRET_FILE`` (which must exist), or from
``DATA_DIR/keystore_secret``, generated once with mode 0600 (convenient for development; ``check --deploy``
warns about it, pki/checks.py). Keys are never written to the database or to the source tree.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils.module_loading import import_string

from portal.errors import Refusal
from portal.secret_files import SecretUnavailable, read_secret

from . import conf

PrivateKey = ec.EllipticCurvePrivateKey

_REF = re.compile(r"[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*")


class KeyStoreError(Refusal):
    """The key store cannot do what was asked (docs/refusal-codes.md, SMKI)."""

    code = "keystore-error"


class KeyNotFound(KeyStoreError):
    code = "key-not-found"


class KeyStore:
    """Interface of every key store."""

    def store_private_key(self, key_ref: str, key: PrivateKey, *, overwrite: bool = False) -> None:
        raise NotImplementedError

    def load_private_key(self, key_ref: str) -> PrivateKey:
        raise NotImplementedError

    def has_key(self, key_ref: str) -> bool:
        raise NotImplementedError


def check_ref(key_ref: str) -> str:
    if not _REF.fullmatch(key_ref or ""):
        raise KeyStoreError(f"{key_ref!r} is not a key reference (lower-case words separated by '/')",
                            code="invalid-key-ref")
    return key_ref


class EncryptedFileKeyStore(KeyStore):
    """PKCS#8 PEM files encrypted with a secret kept outside the database (see the module docstring)."""

    def __init__(self, directory: Path | None = None, secret: bytes | None = None):
        self._directory = Path(directory) if directory else None
        self._secret = secret

    @property
    def directory(self) -> Path:
        return self._directory or Path(settings.DATA_DIR) / "keys"

    def path_for(self, key_ref: str) -> Path:
        return self.directory / (check_ref(key_ref).replace("/", "__") + ".pem")

    def secret(self) -> bytes:
        if self._secret is not None:
            return self._secret
        return keystore_secret()

    def store_private_key(self, key_ref: str, key: PrivateKey, *, overwrite: bool = False) -> None:
        path = self.path_for(key_ref)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self.secret()),
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(self.directory, 0o700)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            raise KeyStoreError(f"a key {key_ref!r} is already stored; refusing to overwrite it",
                                code="key-exists") from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)

    def load_private_key(self, key_ref: str) -> PrivateKey:
        path = self.path_for(key_ref)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyNotFound(f"no key {key_ref!r} in the key store ({self.directory})") from None
        try:
            return serialization.load_pem_private_key(data, password=self.secret())
        except (ValueError, TypeError) as exc:
            raise KeyStoreError(f"key {key_ref!r} cannot be decrypted with the key-store secret",
                                code="key-undecryptable") from exc

    def has_key(self, key_ref: str) -> bool:
        return self.path_for(key_ref).exists()


def default_secret_path() -> Path:
    return Path(settings.DATA_DIR) / "keystore_secret"


def secret_source() -> tuple[str, Path | None]:
    """Where the key-encryption secret comes from: ("env", None), ("file", path) or ("default-file", path)."""
    if os.environ.get("SOLR_KEYSTORE_SECRET"):
        return "env", None
    if os.environ.get("SOLR_KEYSTORE_SECRET_FILE"):
        return "file", Path(os.environ["SOLR_KEYSTORE_SECRET_FILE"])
    return "default-file", default_secret_path()


def keystore_secret() -> bytes:
    """SOLR_KEYSTORE_SECRET, or the file SOLR_KEYSTORE_SECRET_FILE (which must exist), or
    DATA_DIR/keystore_secret (generated once, mode 0600, only at that default path)."""
    try:
        return read_secret("SOLR_KEYSTORE_SECRET", "SOLR_KEYSTORE_SECRET_FILE", default_secret_path()).encode()
    except SecretUnavailable as exc:
        raise KeyStoreError(f"the key-store secret: {exc}", code="keystore-secret-unavailable") from None


def get_keystore() -> KeyStore:
    """The configured key store (settings.SMKI_KEYSTORE_CLASS)."""
    return import_string(conf.get("SMKI_KEYSTORE_CLASS"))()
