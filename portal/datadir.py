"""The data directory and what lives in it, created private whatever the umask (issue 7 point 4).

The data directory holds the embedded database (with the demo's staff accounts and every audit record), the
broker's message files, generated secrets and the encrypted key store: nobody but the service's own user may
read it. ``prepare()`` runs at start-up of every process (``PortalConfig.ready``): it creates the folders the
configuration needs with mode 0700 and the SQLite database file with 0600 before SQLite opens it (SQLite gives
its -wal and -shm files the database file's mode), and tightens looser modes it finds, with a warning, so a
directory made by an older version or under a lax umask is fixed on the next start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def _tighten(path: Path, mode: int) -> bool:
    """chmod ``path`` to ``mode`` if it allows more; True when it had to be tightened."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return False
    if current & ~mode:
        os.chmod(path, mode)
        logger.warning("%s was mode %04o (readable by others); tightened to %04o", path, current, mode)
        return True
    return False


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents inside it) with mode 0700, or tighten it if it exists."""
    path = Path(path)
    if path.is_dir():
        _tighten(path, DIR_MODE)
        return path
    with contextlib.suppress(FileExistsError):  # another process made it first
        path.mkdir(parents=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask; a umask can only remove bits, but be exact
    return path


def private_file(path: Path) -> Path:
    """Create an empty ``path`` with mode 0600 if missing (O_EXCL: safe when processes race), else tighten it."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _tighten(path, FILE_MODE)
    else:
        os.fchmod(fd, FILE_MODE)
        os.close(fd)
    return path


def sqlite_path(database: dict) -> Path | None:
    """The database file of an SQLite connection, or None (another engine, or in memory)."""
    if not database.get("ENGINE", "").endswith("sqlite3"):
        return None
    name = str(database.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def prepare(settings) -> None:
    """Make the data directory and what the configuration keeps in it private; called once per process."""
    data_dir = private_dir(Path(settings.DATA_DIR))
    for name in ("secret_key", "audit_key", "keystore_secret"):  # generated secrets, if they are there
        _tighten(data_dir / name, FILE_MODE)
    db_file = sqlite_path(settings.DATABASES["default"])
    if db_file is not None:
        if db_file.parent != data_dir:
            private_dir(db_file.parent)
        # An empty file is a valid empty SQLite database; made here so that SQLite never creates it 0644.
        private_file(db_file)
        for suffix in ("-wal", "-shm", "-journal"):
            _tighten(db_file.with_name(db_file.name + suffix), FILE_MODE)
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        private_dir(Path(settings.CELERY_FILESYSTEM_DIR))
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            private_dir(Path(options[key]))
    if settings.CELERY_RESULT_BACKEND.startswith("file://"):
        private_dir(Path(settings.CELERY_RESULT_BACKEND.removeprefix("file://")))
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # public files (WhiteNoise serves them)
