"""A stand-in for the DCC's GET /api/v1/responses/ (docs/delivery.md "Polling") on a loopback port: pages of
outcomes, the next reached through ``next`` (``?page=N``), with the status it is told to answer. Used by the SRP
client's polling tests and the drill's."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class ResponsesEndpoint:
    """``pages[N-1]`` answers ``?page=N`` (the first page without it); ``seen``: each request's path and token."""

    def __init__(self, pages, status=200):
        self.pages, self.status, self.seen = pages, status, []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - the standard library's name
                endpoint.seen.append((self.path, self.headers.get("Authorization")))
                query = parse_qs(urlsplit(self.path).query)
                page = int(query.get("page", ["1"])[0])
                body = json.dumps(endpoint.pages[page - 1]).encode()
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/v1/responses/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
