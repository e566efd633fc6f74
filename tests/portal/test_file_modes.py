"""File modes (issue 7 point 4): the data directory, the SQLite database with its WAL and SHM files and the
broker folders are private (0700 / 0600) whatever the umask, and looser ones are tightened at start-up."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from portal import datadir


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def embedded_settings(data_dir: Path) -> SimpleNamespace:
    """What portal/settings.py gives on the embedded default, for a data directory of the test's own."""
    broker = data_dir / "broker"
    return SimpleNamespace(
        DATA_DIR=data_dir,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(data_dir / "db.sqlite3")}},
        CELERY_BROKER_URL="filesystem://localhost/",
        CELERY_FILESYSTEM_DIR=broker,
        CELERY_BROKER_TRANSPORT_OPTIONS={
            "data_folder_in": str(broker / "queue"), "data_folder_out": str(broker / "queue"),
            "processed_folder": str(broker / "processed"), "control_folder": str(broker / "control"),
        },
        CELERY_RESULT_BACKEND=f"file://{data_dir / 'celery-results'}",
        STATIC_ROOT=data_dir / "staticfiles",
    )


@pytest.fixture
def lax_umask():
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755
    try:
        yield
    finally:
        os.umask(old)


def test_everything_is_created_private_under_a_lax_umask(tmp_path, lax_umask):
    data_dir = tmp_path / "data"
    datadir.prepare(embedded_settings(data_dir))
    assert mode(data_dir) == 0o700
    for folder in ("broker", "broker/queue", "broker/processed", "broker/control", "celery-results"):
        assert mode(data_dir / folder) == 0o700, folder
    db = data_dir / "db.sqlite3"
    assert mode(db) == 0o600
    # SQLite, opening the file made above, gives its WAL and shared-memory files the database file's mode.
    connection = sqlite3.connect(db)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (1)")
        connection.commit()
        for suffix in ("-wal", "-shm"):
            assert mode(db.with_name(db.name + suffix)) == 0o600, suffix
    finally:
        connection.close()


def test_looser_modes_found_at_start_up_are_tightened_with_a_warning(tmp_path, lax_umask, caplog):
    data_dir = tmp_path / "data"
    (data_dir / "broker" / "queue").mkdir(parents=True)
    for path in (data_dir, data_dir / "broker", data_dir / "broker" / "queue"):
        path.chmod(0o755)
    db = data_dir / "db.sqlite3"
    for path in (db, db.with_name("db.sqlite3-wal"), db.with_name("db.sqlite3-shm"), data_dir / "secret_key"):
        path.write_bytes(b"")
        path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="portal.datadir"):
        datadir.prepare(embedded_settings(data_dir))
    for path in (data_dir, data_dir / "broker", data_dir / "broker" / "queue"):
        assert mode(path) == 0o700, path
    for path in (db, db.with_name("db.sqlite3-wal"), db.with_name("db.sqlite3-shm"), data_dir / "secret_key"):
        assert mode(path) == 0o600, path
    warned = {record.args[0] for record in caplog.records if record.levelno == logging.WARNING}
    assert {data_dir, db, db.with_name("db.sqlite3-wal"), data_dir / "broker" / "queue"} <= warned


def test_a_private_tree_is_left_alone_and_nothing_is_logged(tmp_path, caplog):
    data_dir = tmp_path / "data"
    datadir.prepare(embedded_settings(data_dir))
    with caplog.at_level(logging.WARNING, logger="portal.datadir"):
        datadir.prepare(embedded_settings(data_dir))
    assert not [r for r in caplog.records if r.name == "portal.datadir"]


def test_this_process_prepared_its_own_data_dir(settings):
    # PortalConfig.ready ran prepare() for the test run's own settings.
    assert mode(Path(settings.DATA_DIR)) == 0o700
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        assert mode(Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])) == 0o700
