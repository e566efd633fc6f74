"""Typed settings from the environment: one reader for every variable, one declaration per setting.

Every setting the service reads from the environment is declared once, with its type, its default and
what makes a value wrong (a ``Setting``). ``portal/settings.py`` reads the project's own variables with
``env()``; each app keeps its own settings in an ``AppSettings`` (``pki/conf.py``, ``contingency/conf.py``)
whose values come, in this order, from Django settings (a test or a deployment's settings module may set
them), the environment variable of the same name, or the declared default. A bad value stops start-up with
``ImproperlyConfigured`` naming the variable, the value and what was expected: each app validates its
settings in ``AppConfig.ready()``, so the web server, the workers and every ``manage.py`` command refuse to
start on a typo instead of failing later in a request.

Plain Python (no Django settings access at import): ``portal/settings.py`` imports it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected 1/0, true/false, yes/no or on/off")


def parse_int(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError("expected a whole number") from None


def parse_float(raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise ValueError("expected a number") from None


def parse_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_str(raw: str) -> str:
    return raw.strip()


def parse_path(raw: str) -> Path:
    if not raw.strip():
        raise ValueError("expected a path")
    return Path(raw.strip()).expanduser().resolve()


def at_least(minimum: float) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value >= minimum else f"must be at least {minimum}"

    return check


def one_of(choices: Iterable[str]) -> Callable[[Any], str | None]:
    allowed = tuple(choices)

    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"

    return check


def not_empty(value: Any) -> str | None:
    return None if value else "must not be empty"


_PARSE_FOR_TYPE: dict[type, Callable[[str], Any]] = {
    bool: parse_bool, int: parse_int, float: parse_float, str: parse_str, list: parse_list, Path: parse_path,
}


@dataclass(frozen=True)
class Setting:
    """One setting: its name (also its environment variable), default, type and rule."""

    name: str
    default: Any
    check: Callable[[Any], str | None] | None = None
    parse: Callable[[str], Any] | None = None  # by default from the default's type

    def parser(self) -> Callable[[str], Any]:
        return self.parse or _PARSE_FOR_TYPE[type(self.default)]

    def coerce(self, value: Any, source: str) -> Any:
        """Parse (a string from the environment or settings) and check; ImproperlyConfigured if wrong."""
        if isinstance(value, str):
            try:
                value = self.parser()(value)
            except ValueError as exc:
                raise ImproperlyConfigured(f"{self.name}={value!r} ({source}): {exc}") from None
        elif isinstance(self.default, int | float) and not isinstance(self.default, bool):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ImproperlyConfigured(f"{self.name}={value!r} ({source}): expected a number")
            value = type(self.default)(value) if isinstance(self.default, float) else value
        if self.check is not None:
            problem = self.check(value)
            if problem:
                raise ImproperlyConfigured(f"{self.name}={value!r} ({source}): {problem}")
        return value

    def from_environment(self, environ=None) -> Any:
        environ = os.environ if environ is None else environ
        if self.name in environ:
            return self.coerce(environ[self.name], "environment")
        return self.coerce(self.default, "default") if self.check else self.default


def env(name: str, default: Any, check: Callable[[Any], str | None] | None = None,
        parse: Callable[[str], Any] | None = None) -> Any:
    """The typed value of one environment variable (portal/settings.py reads every variable this way)."""
    return Setting(name, default, check, parse).from_environment()


class AppSettings:
    """An app's settings: Django setting of that name, else the environment variable, else the default."""

    def __init__(self, *settings: Setting) -> None:
        self._settings = {s.name: s for s in settings}

    @property
    def names(self) -> list[str]:
        return list(self._settings)

    def default(self, name: str) -> Any:
        return self._settings[name].default

    def get(self, name: str) -> Any:
        from django.conf import settings as django_settings

        setting = self._settings[name]
        if hasattr(django_settings, name):
            return setting.coerce(getattr(django_settings, name), "Django settings")
        return setting.from_environment()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._settings:
            raise AttributeError(name)
        return self.get(name)

    def validate(self) -> None:
        """Read every setting once: the first bad one raises ImproperlyConfigured (called at start-up)."""
        for name in self._settings:
            self.get(name)


# --- sign-in and accounts (issue 8; portal/accounts/, docs/accounts.md) ------------------------------------
# Declared here, read once by portal/settings.py (django-axes and django-rest-knox take plain Django settings).

def _between(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"must be {low} to {high}"

    return check


# After this many failed sign-ins for one username (within SOLR_LOCKOUT_MINUTES), that username is locked.
LOCKOUT_FAILURES = Setting("SOLR_LOCKOUT_FAILURES", 5, _between(1, 100))
# How long failures count and how long a lockout lasts.
LOCKOUT_MINUTES = Setting("SOLR_LOCKOUT_MINUTES", 15, _between(1, 24 * 60))
# How long a person's API token lives (one year at most).
API_TOKEN_HOURS = Setting("SOLR_API_TOKEN_HOURS", 720, _between(1, 24 * 365))
