"""The Django project and the registry every app stands on."""

from .celery import app as celery_app

__all__ = ("celery_app",)
