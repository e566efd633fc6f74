"""Plain helper modules for the tests (no fixtures here: fixtures live in the conftest files)."""
