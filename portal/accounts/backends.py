"""The lockout backend: django-axes's own, first in AUTHENTICATION_BACKENDS."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked username before any password is checked (axes), for every sign-in over HTTP: the
    login page and the admin's, which both pass the request.

    One change to axes: ``authenticate()`` called from code without a request (the test client's ``login()``,
    a shell) is not judged here, where axes would raise an error instead. Axes cannot count such a failure
    either (its handler needs the request), and no HTTP path of this service authenticates without one."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
