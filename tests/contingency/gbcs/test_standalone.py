"""The GBCS room is plain Python (DESIGN §3; issue 10): the SRP client and the device gateway use it with no
Django at all. Run in a fresh interpreter without DJANGO_SETTINGS_MODULE: build, sign, decode, check and wrap a
Pre-Command, and report which Django modules got imported (none may be)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.contingency.gbcs import rtds
from tests.helpers.processes import PROJECT_DIR

SCRIPT = r"""
import json, sys
from pathlib import Path
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from contingency.gbcs import check, command, decode, precommand, signature

keystore = Path(sys.argv[1])
key = load_pem_private_key((keystore / "90b3d51f30010000-ds.key").read_bytes(), None)
cert = x509.load_pem_x509_certificate((keystore / "90b3d51f30010000-ds.pem").read_bytes())
acb = load_pem_private_key((keystore / "90b3d51f30000002-ka.key").read_bytes(), None)
device = x509.load_pem_x509_certificate((keystore / "00db1234567890a0-ka.pem").read_bytes())
issued = precommand.esme_precommand(originator="90-B3-D5-1F-30-01-00-00", device="00-DB-12-34-56-78-90-A0",
                                    counter=1002)
signed = signature.sign(issued, key)
got = check.check_signed_precommand(signed, issued, supplier_public_keys=[cert], require_credit=True)
wrapped = command.wrap(signed, acb, device)
print(json.dumps({
    "use_case": got.use_case,
    "wrapped_is_signed": command.unwrap(wrapped, acb_private_key=acb, device_public_key=device) == signed,
    "django_modules": sorted(m for m in sys.modules if m == "django" or m.startswith("django.")),
}))
"""


def test_the_room_runs_in_a_process_without_django(vectors_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["PYTHONPATH"] = str(PROJECT_DIR)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(vectors_dir / rtds.KEYSTORE)], capture_output=True,
                          text=True, timeout=120, env=env, cwd="/", check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result == {"use_case": "ECS02", "wrapped_is_signed": True, "django_modules": []}
