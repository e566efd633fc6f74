"""The client imports no Django at all (issue 11 point 6): run in a process without DJANGO_SETTINGS_MODULE, it
switches a meter against the fake DCC; and its source imports only the plain-Python rooms it may use."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
import srp_client, srp_client.cli, srp_client.polling, srp_client.receiver
from srp_client import SrpClient, CounterStore, Receiver, Transport, xml_signer, supplier_key, load_certificate
base, srp_key, srp_cert, es_key, es_cert, dcc_cert, device = sys.argv[1:8]
client = SrpClient(base_url=base, signer=xml_signer(srp_key, srp_cert), suppliers=[supplier_key(es_key, es_cert)],
                   dcc_certificate=load_certificate(dcc_cert), transport=Transport(retries=0))
result = client.switch(device)
print(json.dumps({"outcome": str(result.outcome), "code": result.code,
                  "django": sorted(m for m in sys.modules if m == "django" or m.startswith("django."))}))
"""

ALLOWED_PROJECT_IMPORTS = ("pki.xmldsig", "contingency.duis", "contingency.gbcs")


def test_the_client_works_in_a_process_without_django(dcc, world, tmp_path):
    from .fakedcc import ESME

    files = [*world.srp.write(tmp_path), *world.supplier_es.write(tmp_path), world.dcc.write(tmp_path)[1]]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["PYTHONPATH"] = str(PROJECT_DIR)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, dcc.url, *map(str, files), ESME], capture_output=True,
                          text=True, timeout=120, env=env, cwd="/", check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"outcome": "accepted", "code": "I99", "django": []}


def test_the_client_source_imports_only_the_plain_python_rooms():
    for path in (PROJECT_DIR / "srp_client").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                top = name.split(".")[0]
                assert top not in ("django", "rest_framework", "portal", "celery"), (path.name, name)
                if top in ("pki", "contingency"):
                    assert name.startswith(ALLOWED_PROJECT_IMPORTS), (path.name, name)
