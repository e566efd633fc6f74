"""One atomic file writer for everything the service writes to disk (manifests, CSVs, key and certificate files).

Write to a temporary file in the same folder (created 0600, so a key is never readable by others, even for a
moment), flush it to disk, set the final mode, then rename over the target: a reader sees the old file or the
new one, never half of one, and a crash leaves no truncated file behind.
(``portal.broker`` is a different thing: the message files of the embedded Celery broker.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def write_atomically(path: str | Path, content: bytes | str | Callable[[IO], None], *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``content``: bytes, text (UTF-8), or a function that writes to a text handle."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        else:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
                if isinstance(content, str):
                    handle.write(content)
                else:
                    content(handle)
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
