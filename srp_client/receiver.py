"""The SRP's endpoint for what the DCC pushes: Service Responses and alerts (DESIGN §2 step 6, §1 requirement 7).

A WSGI application (:func:`application`; mount it in any WSGI server behind the SRP's TLS) and a small threaded
HTTP server for it (:class:`Receiver`). For each POST:

* the body (at most ``max_bytes``) must be a DUIS ``sr:Response`` signed by the DCC's XML signing certificate
  (``pki.xmldsig``, the DCC Boxed profile) — else **400** with ``{"code": "answer-signature-invalid" |
  "answer-invalid" | "too-large", "cause": …}`` and the callback is not called: a forged response changes nothing;
* otherwise the verified document goes to ``callback(document)`` (e.g. ``SrpClient.tracker.handle``), and the
  answer is **204**. The DCC counts any 2xx as delivered and retries anything else (docs/alerts.md), so a
  callback that raises gives 500 and the DCC sends the document again.

Any other method: 405. The DCC's pushes are plain ``POST`` of ``application/xml`` to the User ID's endpoint URL.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509

from . import messages
from .errors import ClientError

__all__ = ["Receiver", "application"]

log = logging.getLogger("srp_client.receiver")
MAX_BYTES = 1024 * 1024


def _answer(start_response, status: str, payload: dict | None = None):
    body = json.dumps(payload).encode() if payload is not None else b""
    headers = [("Content-Length", str(len(body)))]
    if payload is not None:
        headers.append(("Content-Type", "application/json"))
    start_response(status, headers)
    return [body]


def application(dcc_certificate: x509.Certificate, callback: Callable[[messages.Document], object], *,
                max_bytes: int = MAX_BYTES):
    """The WSGI application: verify, hand over, answer 204; or 400 / 405 / 413 / 500."""

    def app(environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST":
            start_response("405 Method Not Allowed", [("Allow", "POST"), ("Content-Length", "0")])
            return [b""]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > max_bytes:
            return _answer(start_response, "413 Content Too Large", {"code": "too-large"})
        data = environ["wsgi.input"].read(length) if length else b""
        try:
            document = messages.read_document(data, dcc_certificate)
        except ClientError as exc:
            log.warning("refused a pushed document: %s (%s)", exc.code, exc.cause)
            return _answer(start_response, "400 Bad Request", {"code": exc.code, "cause": exc.cause})
        try:
            callback(document)
        except Exception:  # the DCC will push again: answer 500, never 2xx for a document not taken
            log.exception("the callback failed on %s", document.request_id or document.response_id)
            return _answer(start_response, "500 Internal Server Error", {"code": "callback-failed"})
        return _answer(start_response, "204 No Content")

    return app


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the standard library's name
        log.debug("%s " + format, self.address_string(), *args)


class Receiver:
    """``Receiver(dcc_cert, callback, port=8443).start()`` serves in a thread until :meth:`stop`.
    ``port=0`` picks a free port (see :attr:`url`)."""

    def __init__(self, dcc_certificate: x509.Certificate, callback: Callable[[messages.Document], object], *,
                 host: str = "127.0.0.1", port: int = 0, max_bytes: int = MAX_BYTES):
        self.server = make_server(host, port, application(dcc_certificate, callback, max_bytes=max_bytes),
                                  server_class=_ThreadingServer, handler_class=_QuietHandler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> Receiver:
        self._thread = threading.Thread(target=self.server.serve_forever, name="srp-receiver", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
