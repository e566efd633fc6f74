"""The SRP client (issue 11 point 6): what a Shared Resource Provider runs to switch a failed Supplier's prepayment
meters to Credit through the DCC's SoLR Contingency service — builds and signs SRV 1.6, sends CV 4, checks the
Pre-Command, signs it with the Supplier's Digital Signing key, sends CV 5, collects the Service Responses.

A library and a command (``python -m srp_client``, ``solr-srp-client``). It imports no Django at all: only the
plain-Python rooms ``pki.xmldsig`` (with ``pki.safexml``, ``pki.names``), ``contingency.duis`` and
``contingency.gbcs``. docs/srp-client.md is its manual.
"""

from .client import Meter, Outcome, Result, SrpClient, Tracker, summarise
from .counters import CounterStore
from .errors import ClientError
from .keys import SupplierKey, XmlSigner, load_certificate, supplier_key, xml_signer
from .receiver import Receiver
from .transport import Transport

__all__ = ["ClientError", "CounterStore", "Meter", "Outcome", "Receiver", "Result", "SrpClient", "SupplierKey",
           "Tracker", "Transport", "XmlSigner", "load_certificate", "summarise", "supplier_key", "xml_signer"]
