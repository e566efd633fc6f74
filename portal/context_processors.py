"""Template context shared by every page."""

from __future__ import annotations

from .navigation import links_for


def navigation(request) -> dict:
    """``nav_links``: the role-aware navigation of ``templates/base.html`` (see ``portal.navigation``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    return {"nav_links": links_for(user, request.path)}
