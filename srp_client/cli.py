"""The command: ``python -m srp_client`` (or ``solr-srp-client``) — docs/srp-client.md.

    solr-srp-client switch --base-url URL --xml-key K --xml-cert C --dcc-cert D --supplier KEY CERT [...] EUI ...
    solr-srp-client receive --port 8443 --dcc-cert D

``switch`` prints a progress line (standard error) and a summary (standard output); ``--json`` makes the summary
one JSON object on the last line. Exit status: 0 when no request was rejected or failed, 1 otherwise, 2 when the
command could not start (bad options, unreadable keys).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from . import manifest, messages, polling
from .client import Meter, Outcome, SrpClient, summarise
from .counters import CounterStore
from .errors import ClientError
from .keys import load_certificate, supplier_key, xml_signer
from .receiver import Receiver
from .transport import Transport

PROG = "solr-srp-client"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="SRP client of the SoLR Contingency service (MP134B)")
    commands = parser.add_subparsers(dest="command", required=True)

    switch = commands.add_parser("switch", help="switch meters to Credit: SRV 1.6, CV 4 then CV 5")
    switch.add_argument("devices", nargs="*", metavar="EUI", help="device EUI-64s")
    switch.add_argument("--devices-file", type=Path,
                        help="device EUI-64s, one a line with an optional generation (EUI SMETS1), or a CSV with "
                             "eui and generation columns (# comments)")
    switch.add_argument("--smets1", action="store_true",
                        help="the EUIs given as arguments are SMETS1 meters (CV 1 to serviceS, no Pre-Command)")
    switch.add_argument("--base-url", required=True, help="the DCC's base URL (https://dcc.example)")
    switch.add_argument("--manifest", type=Path,
                        help="a demo manifest (seed_demo): the keys and certificates of --supplier-name's event")
    switch.add_argument("--supplier-name", help="with --manifest: the failed Supplier's short name")
    switch.add_argument("--xml-key", type=Path, help="the SRP's XML signing private key (PEM)")
    switch.add_argument("--xml-cert", type=Path, help="its certificate (PEM)")
    switch.add_argument("--user-id", help="the SRP's SoLR Contingency User ID (default: the certificate's EUI)")
    switch.add_argument("--supplier", nargs=2, action="append", metavar=("KEY", "CERT"),
                        help="a failed Supplier User ID's Digital Signing key and certificate (PEM); repeat for "
                             "each User ID (import and gas supplier)")
    switch.add_argument("--dcc-cert", type=Path, help="the DCC's XML signing certificate (PEM)")
    switch.add_argument("--counter-file", type=Path, help="where counters are kept (default: memory only)")
    switch.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
    switch.add_argument("--retries", type=int, default=3, help="retries after a transport error or HTTP 5xx")
    switch.add_argument("--backoff", type=float, default=0.5, help="first retry delay in seconds (doubles)")
    switch.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request")
    switch.add_argument("--ca-bundle", help="CA bundle for the DCC's TLS certificate (default: the system's)")
    when = switch.add_mutually_exclusive_group()
    when.add_argument("--at", help="future-dated: execution time, ISO 8601 with a time zone, whole seconds")
    when.add_argument("--cancel", action="store_true", help="cancel a future-dated change")
    switch.add_argument("--receive-port", type=int, help="run the receiver on this port for the Service Responses")
    switch.add_argument("--receive-host", default="127.0.0.1")
    switch.add_argument("--poll-url", help="poll the DCC's responses endpoint for Service Responses (usually "
                        "BASE/api/v1/responses/; needs --poll-token)")
    switch.add_argument("--poll-token", default=os.environ.get("SOLR_SRP_POLL_TOKEN", ""),
                        help="API token of one of the SRP's officers, for --poll-url (default: $SOLR_SRP_POLL_TOKEN)")
    switch.add_argument("--poll-interval", type=float, default=2.0)
    switch.add_argument("--wait", type=float, default=60.0,
                        help="with --receive-port / --poll-url: seconds to wait for the outcomes (default 60)")
    switch.add_argument("--results", type=Path, help="write each request's result here, one JSON object a line")
    switch.add_argument("--json", action="store_true", help="the summary as one JSON object on the last line")

    receive = commands.add_parser("receive", help="run the endpoint the DCC pushes Service Responses and alerts to")
    receive.add_argument("--port", type=int, required=True)
    receive.add_argument("--host", default="127.0.0.1")
    receive.add_argument("--dcc-cert", required=True, type=Path, help="the DCC's XML signing certificate (PEM)")
    receive.add_argument("--out-dir", type=Path, help="also keep each verified document here")
    return parser


def _devices(args) -> list[Meter]:
    """Arguments (SMETS2+ unless ``--smets1``) and the devices file: ``EUI [GENERATION]`` a line, or a CSV whose
    header names ``eui`` and optionally ``generation`` (the ``import_devices`` format)."""
    devices = [Meter(eui, "SMETS1" if args.smets1 else "SMETS2") for eui in args.devices]
    if args.devices_file:
        try:
            text = args.devices_file.read_text()
        except OSError as exc:
            raise ClientError("devices-file-unreadable", f"{args.devices_file}: {exc.strerror}") from None
        lines = [line.split("#")[0].strip() for line in text.splitlines()]
        lines = [line for line in lines if line]
        header = [name.strip().lower() for name in lines[0].split(",")] if lines else []
        if "eui" in header:
            for row in csv.DictReader(lines, fieldnames=header):
                if row is not None and row.get("eui") and row["eui"].strip().lower() != "eui":
                    devices.append(Meter(row["eui"].strip(), (row.get("generation") or "SMETS2").strip()))
        else:
            for line in lines:
                eui, *rest = line.replace(",", " ").split()
                devices.append(Meter(eui, rest[0] if rest else ("SMETS1" if args.smets1 else "SMETS2")))
    if not devices:
        raise ClientError("devices-missing", "no device EUI given (arguments or --devices-file)")
    return devices


def _credentials(args):
    """From --manifest and --supplier-name, or from --xml-key, --xml-cert, --supplier and --dcc-cert."""
    if args.manifest:
        if not args.supplier_name:
            raise ClientError("options-invalid", "--manifest needs --supplier-name")
        found = manifest.credentials(args.manifest, args.supplier_name)
        return found.signer, found.suppliers, found.dcc_certificate
    missing = [name for name, value in (("--xml-key", args.xml_key), ("--xml-cert", args.xml_cert),
                                        ("--supplier", args.supplier), ("--dcc-cert", args.dcc_cert)) if not value]
    if missing:
        raise ClientError("options-invalid", f"give {', '.join(missing)} (or --manifest and --supplier-name)")
    return (xml_signer(args.xml_key, args.xml_cert, user_id=args.user_id),
            [supplier_key(key, cert) for key, cert in args.supplier], load_certificate(args.dcc_cert))


def _execution(args) -> dt.datetime | None:
    if args.cancel:
        return messages.CANCELLATION
    if not args.at:
        return None
    try:
        when = dt.datetime.fromisoformat(args.at.replace("Z", "+00:00"))
    except ValueError:
        raise ClientError("execution-invalid", f"--at {args.at!r} is not an ISO 8601 time") from None
    return messages.check_execution(when)


class _Progress:
    def __init__(self, total: int, stream):
        self.total, self.stream, self.counts = total, stream, {}
        self.started = time.monotonic()

    def __call__(self, done: int, result) -> None:
        key = str(result.outcome)
        self.counts[key] = self.counts.get(key, 0) + 1
        rate = done / max(time.monotonic() - self.started, 1e-9)
        parts = " ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        self.stream.write(f"\r{done}/{self.total} {parts} ({rate:.1f}/s)")
        self.stream.flush()

    def end(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _switch(args, out, err) -> int:
    devices = _devices(args)
    execution = _execution(args)
    signer, suppliers, dcc_certificate = _credentials(args)
    client = SrpClient(
        base_url=args.base_url,
        signer=signer,
        suppliers=suppliers,
        dcc_certificate=dcc_certificate,
        counters=CounterStore(args.counter_file),
        transport=Transport(retries=args.retries, timeout=args.timeout, base_delay=args.backoff,
                            verify=args.ca_bundle or True),
    )
    receiver = None
    if args.receive_port is not None:
        receiver = Receiver(client.dcc_certificate, client.tracker.handle, host=args.receive_host,
                            port=args.receive_port).start()
    started = time.monotonic()
    # Polling reads outcomes from a minute before the run began (clocks of the SRP and the DCC differ a little).
    run_started_at = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).replace(microsecond=0).isoformat()
    progress = _Progress(len(devices), err)
    try:
        results = client.switch_many(devices, concurrency=args.concurrency, execution=execution, progress=progress)
        progress.end()
        waiting = [r for r in results if r.outcome == Outcome.ACCEPTED]
        if waiting and (receiver is not None or args.poll_url):
            _wait(client, waiting, args, err, since=run_started_at)
            for result in waiting:
                client.tracker.give_up(result, "no-response", f"no Service Response within {args.wait:g} s")
    finally:
        if receiver is not None:
            receiver.stop()
        client.counters.close()
    summary = summarise(results, time.monotonic() - started)
    if args.results:
        with open(args.results, "w") as handle:
            handle.writelines(json.dumps(r.as_dict()) + "\n" for r in results)
    if args.json:
        out.write(json.dumps(summary) + "\n")
    else:
        out.write(" ".join(f"{k} {summary[k]}" for k in ("requested", "switched", "accepted", "rejected",
                                                          "quarantined", "failed")) + f" in {summary['seconds']} s\n")
        for code, count in summary["codes"].items():
            out.write(f"  {code}: {count}\n")
    return 0 if not (summary["rejected"] or summary["failed"]) else 1


def _wait(client: SrpClient, waiting, args, err, since: str) -> None:
    """Wait for the Service Responses of ``waiting`` (pushed to the receiver, or polled from ``since``: each poll
    starts shortly before the newest outcome the last one saw, and takes each ResponseID once)."""
    deadline = time.monotonic() + args.wait
    err.write(f"waiting up to {args.wait:g} s for {len(waiting)} Service Responses\n")
    poll_from, seen = dt.datetime.fromisoformat(since), set()
    while time.monotonic() < deadline:
        if args.poll_url:
            try:
                result = polling.poll_once(args.poll_url, client.dcc_certificate, client.tracker.handle,
                                           user_id=client.signer.user_id, token=args.poll_token, since=poll_from,
                                           seen=seen)
                poll_from = polling.next_since(poll_from, result)
            except ClientError as exc:
                err.write(f"poll: {exc}\n")
        step = args.poll_interval if args.poll_url else deadline - time.monotonic()
        if client.tracker.wait(waiting, max(0.0, min(step, deadline - time.monotonic()))):
            return


def _receive(args, out, err) -> int:
    dcc_certificate = load_certificate(args.dcc_cert)
    lock = threading.Lock()
    if args.out_dir:
        args.out_dir.mkdir(parents=True, exist_ok=True)

    def callback(document: messages.Document) -> None:
        line = {"response_code": document.response_code, "request_id": document.request_id,
                "response_id": document.response_id, "body": document.body_kind,
                "dcc_alert_code": document.dcc_alert_code, "alert_request_id": document.alert_request_id}
        with lock:
            if args.out_dir:
                name = (document.request_id or document.response_id or "document").replace(":", "_")
                (args.out_dir / f"{name}.{time.time_ns()}.xml").write_bytes(document.raw)
            out.write(json.dumps(line) + "\n")
            out.flush()

    receiver = Receiver(dcc_certificate, callback, host=args.host, port=args.port)
    err.write(f"receiving on {receiver.url}\n")
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=receiver.server.shutdown).start())
    try:
        receiver.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.server.server_close()
    return 0


def main(argv: list[str] | None = None, *, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=err)
    args = _parser().parse_args(argv)
    try:
        if args.command == "switch":
            return _switch(args, out, err)
        return _receive(args, out, err)
    except ClientError as exc:
        err.write(f"{PROG}: {exc.code}: {exc.message}\n")
        return 2
