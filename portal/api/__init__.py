"""The people's API under /api/v1/ (DESIGN §3): the shared parts every room's API uses.

Errors are JSON ``{"code", "detail"}`` (plus ``errors`` for field problems); a refusal's ``code`` is its
stable code from docs/refusal-codes.md. Each app adds its own endpoints in ``<app>/api/urls.py``.
"""
