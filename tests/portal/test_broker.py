"""The embedded broker never hands a consumer a message that is still being written."""

import os

from kombu import Connection

from portal.broker import Transport


def test_a_message_is_only_visible_once_complete(tmp_path, monkeypatch):
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "control_folder": str(tmp_path)}
    seen_while_writing = []
    real_open = open

    class SpyingHandle:
        # While the payload is being written, no file a consumer would take (…q.msg) may exist yet.
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            seen_while_writing.append(sorted(n for n in os.listdir(folder) if n.endswith(".q.msg")))
            return self.handle.write(data)

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

    def spying_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        return SpyingHandle(handle) if "w" in mode else handle

    with Connection(transport=Transport, transport_options=options) as conn:
        channel = conn.default_channel
        monkeypatch.setattr("builtins.open", spying_open)
        channel._put("q", {"body": "hello"})
        monkeypatch.undo()
        assert seen_while_writing == [[]]
        names = os.listdir(folder)
        assert len(names) == 1 and names[0].endswith(".q.msg")
        assert channel._get("q") == {"body": "hello"}
        assert os.listdir(folder) == []


def test_settings_choose_it_for_the_embedded_broker(settings):
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        assert settings.CELERY_BROKER_TRANSPORT == "portal.broker:Transport"
    elif settings.CELERY_BROKER_URL.startswith("redis://"):
        # kombu's Redis transport with a closed connection failing as one (tests/portal/test_broker_redis.py)
        assert settings.CELERY_BROKER_TRANSPORT == "portal.broker:RedisTransport"
    else:
        assert not hasattr(settings, "CELERY_BROKER_TRANSPORT")
