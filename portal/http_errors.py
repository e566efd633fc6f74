"""Error pages Django leaves blank: a 405 on a page URL gets the site's error layout (templates/405.html)."""

from __future__ import annotations

from django.http import HttpResponseNotAllowed
from django.template.loader import render_to_string


class MethodNotAllowedPageMiddleware:
    """Replace the empty body of a 405 (``require_POST`` and friends) on a page with a rendered page.

    A GET on a POST-only page URL (a decision or token form's target, opened from the address bar) otherwise
    shows a blank page. The status and the ``Allow`` header stay. The API (``/api/``) keeps its own JSON
    answers; a 405 that already has a body is left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (isinstance(response, HttpResponseNotAllowed) and not response.content
                and not request.path.startswith("/api/")):
            page = HttpResponseNotAllowed(
                [m.strip() for m in response["Allow"].split(",") if m.strip()],
                render_to_string("405.html", {"allowed": response["Allow"]}, request=request),
            )
            return page
        return response
