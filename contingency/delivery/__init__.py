"""Delivery (DESIGN §3): pushes of signed DUIS documents to User IDs' endpoints (``push``), their Celery tasks
and the sweeper (``tasks``); the device gateway comes with issue 11. Never imports ``pipeline/`` (tested)."""
