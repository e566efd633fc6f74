"""Fixtures of the delivery tests: the gateway tests' world (a Supplier with an ESME and a GSME, its SRP's SoLR
Contingency User ID with an endpoint the test runs, the DCC's signing identity, the Supplier's Digital Signing key)."""

from tests.contingency.gateway.conftest import endpoint, world  # noqa: F401 - fixtures shared with the gateway tests
