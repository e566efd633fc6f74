"""The DUIS endpoints (DESIGN §1, §4; the DCC Boxed URLs): ``POST /api/v1/serviceT``, ``/serviceS``, ``/serviceD``.

No session, no CSRF token, no API token: the XML signature is the authentication (check 4). Each view hands the
request to ``contingency.pipeline.run.handle`` and sends back what it answers (docs/duis-checks.md).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ..pipeline import run


def _content_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def _endpoint(service: str):
    @csrf_exempt
    def view(request):
        answer = run.handle(service, method=request.method, content_type=request.content_type or "",
                            content_length=_content_length(request), read_body=lambda: request.body)
        response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
        if answer.status == 405:
            response["Allow"] = "POST"
        return response

    view.__name__ = view.__qualname__ = f"service{service}"
    return view


service_t = _endpoint("T")
service_s = _endpoint("S")
service_d = _endpoint("D")
