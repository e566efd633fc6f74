"""Settings of the SoLR business, each declared once with its default, type and rule (see portal/conf.py).

A value comes from Django settings if set there, else from the environment variable of the same name, else
the default below; ``ContingencyConfig.ready()`` validates them at start-up (``ImproperlyConfigured``).

    from contingency import conf
    conf.get("SOLR_IMPORT_BATCH_SIZE")
"""

from __future__ import annotations

from portal.conf import AppSettings, Setting, at_least


def _fraction(value) -> str | None:
    return None if 0 <= value <= 1 else "must be between 0 and 1"


SETTINGS = AppSettings(
    # Meters written per bulk insert by import_devices (docs/device-import.md): large enough that 100,000 rows
    # take seconds, small enough that one batch stays well inside SQLite's and PostgreSQL's statement limits.
    Setting("SOLR_IMPORT_BATCH_SIZE", 2000, at_least(1)),
    # import_devices stops reporting after this many bad rows (the file is refused as a whole anyway).
    Setting("SOLR_IMPORT_MAX_ERRORS", 50, at_least(1)),
    # Meters per demo Supplier that seed_demo creates when --meters is not given.
    Setting("SOLR_DEMO_METERS", 200, at_least(0)),
    # The largest ADT file an officer may upload, in bytes (docs/adt-format.md): a threshold row is ~70 bytes, so
    # 1 MiB is some 15,000 rows, far more than any Party needs, and small enough to check in well under a second.
    Setting("SOLR_ADT_MAX_BYTES", 1024 * 1024, at_least(1)),
    # The largest evidence document (PDF) of an Authority instruction, in bytes (docs/events.md): 10 MiB holds a
    # signed letter with scanned annexes; the upload is read to at most one byte over it.
    Setting("SOLR_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024, at_least(1)),
    # The folder holding the official DUIS 5.4 XSD ("DUIS Schema V5.4.xsd" and the files it imports), e.g.
    # ../shared/vectors/dccboxed-signing-tool/schema; empty: the project's own structural check (contingency.duis).
    Setting("DUIS_SCHEMA_DIR", ""),
    # Pushes of signed DUIS documents to a User ID's endpoint (alerts, later Service Responses; docs/alerts.md):
    # after the n-th failed attempt the next waits min(MAX, BASE × 2^(n-1)) seconds, rounded up to the next run
    # of the sweeper (every 5 s). A push is tried until the endpoint accepts it: nothing is dropped.
    Setting("SOLR_PUSH_BASE_DELAY_SECONDS", 10.0, at_least(0)),
    Setting("SOLR_PUSH_MAX_DELAY_SECONDS", 3600.0, at_least(1)),
    # How long one POST may take (connect and read). A worker holds a push for 2 × this + 30 s: a worker that
    # dies mid-send leaves the push to the sweeper once that claim has expired.
    Setting("SOLR_PUSH_TIMEOUT_SECONDS", 10.0, at_least(0.1)),
    # Due pushes the sweeper queues per run.
    Setting("SOLR_PUSH_SWEEP_BATCH", 500, at_least(1)),
    # The DUIS request matrix (JSON: SRV, Critical, Non-Device, Eligible User Roles) that seed_service_matrix reads
    # for the roles other than SoLR Contingency, e.g. ../shared/vectors/duis-parser/duis-request-matrix.json;
    # empty: seed_service_matrix without --matrix seeds nothing (docs/service-matrix.md).
    Setting("DUIS_REQUEST_MATRIX", ""),
    # The device gateway the delivery tasks use (docs/device-gateway.md): a class with the interface of
    # contingency.delivery.gateway.interface.DeviceGateway. The default simulates the comms hubs and SMETS1 SPs.
    Setting("SOLR_GATEWAY_CLASS", "contingency.delivery.gateway.simulator.SimulatedGateway"),
    # The simulated device gateway: each command's round trip to the meter takes the mean
    # latency plus or minus up to the jitter (uniform), in seconds; small by default so tests and the drill run fast.
    Setting("SOLR_GATEWAY_LATENCY_SECONDS", 0.02, at_least(0)),
    Setting("SOLR_GATEWAY_JITTER_SECONDS", 0.01, at_least(0)),
    # The share of commands that fail in the network (0 to 1; default none): half of them cannot reach the meter
    # (E20, at once), half get no answer (E21, after the response timeout). The meter is unchanged in both.
    Setting("SOLR_GATEWAY_FAILURE_RATE", 0.0, _fraction),
    # How long the gateway waits for a meter's answer before it reports E21 (seconds).
    Setting("SOLR_GATEWAY_RESPONSE_TIMEOUT_SECONDS", 5.0, at_least(0)),
    # Future-dated changes executed per run of contingency.delivery.gateway.tasks.execute_due (beat, every 5 s).
    Setting("SOLR_GATEWAY_EXECUTE_BATCH", 500, at_least(1)),
    # Delivery of accepted Service Requests (docs/delivery.md): a worker holds a request it is delivering for this
    # long; the sweeper re-queues an accepted request nobody took within it and one whose holder died (DESIGN §6).
    # It must exceed one delivery's longest run (the gateway's response timeout plus signing): 60 s by default.
    Setting("SOLR_DELIVERY_STUCK_SECONDS", 60.0, at_least(1)),
    # An accepted request still not delivered this long after it was accepted is given up: state expired, with an
    # E20 Service Response to its sender (default one day).
    Setting("SOLR_DELIVERY_EXPIRY_SECONDS", 86400.0, at_least(1)),
    # Requests the delivery sweeper re-queues per run.
    Setting("SOLR_DELIVERY_SWEEP_BATCH", 500, at_least(1)),
)


def get(name: str):
    """The typed, checked value of one contingency setting."""
    return SETTINGS.get(name)


def validate() -> None:
    SETTINGS.validate()
