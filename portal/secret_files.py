"""Secrets that come from the environment, a named file, or a file generated once in the data dir.

One rule for every secret the service keeps (Django's secret key, the audit chain key, the key-store
secret): the variable itself wins; a named file must exist, because a mistyped path must not silently
become a new secret (sessions lost, an audit chain that no longer verifies, keys nobody can read); only the
default path is generated, once, with mode 0600, safely when several processes start at the same time.
Plain Python: portal.settings imports it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from .errors import Refusal


class SecretUnavailable(Refusal, RuntimeError):
    """A secret the service needs cannot be read. Codes: ``secret-file-missing``, ``secret-file-empty``."""

    code = "secret-unavailable"


def read_secret(env_var: str, file_env_var: str, default_path: Path) -> str:
    if os.environ.get(env_var):
        return os.environ[env_var]
    named = os.environ.get(file_env_var)
    path = Path(named) if named else Path(default_path)
    if not path.exists():
        if named:
            raise SecretUnavailable(f"{file_env_var} names {path}, which does not exist", code="secret-file-missing")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the data dir: private (portal.datadir)
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    secret = path.read_text().strip()
    if not secret:
        raise SecretUnavailable(f"the secret file {path} is empty", code="secret-file-empty")
    return secret
