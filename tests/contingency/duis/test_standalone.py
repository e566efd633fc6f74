"""The DUIS message room works without Django (DESIGN §3: duis/ imports no Django model): in a fresh process
with no DJANGO_SETTINGS_MODULE it reads a request, checks its structure and builds a response, and no Django
module is imported on the way."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

from tests.helpers.processes import PROJECT_DIR

SCRIPT = r"""
import datetime as dt, json, sys
from lxml import etree
from contingency.duis import codes, requestid, requests, responses, structure
from contingency.duis.refusals import MessageRefused

root = etree.parse(sys.argv[1]).getroot()
structure.check(root)
request = requests.parse(root)
answer = responses.acknowledgement(request, at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
try:
    requestid.parse("x")
    refused = None
except MessageRefused as exc:
    refused = exc.code
print(json.dumps({
    "request_id": str(request.request_id),
    "credit": request.body.is_credit,
    "code": answer.findtext("{http://www.dccinterface.co.uk/ServiceUserGateway}Header/"
                            "{http://www.dccinterface.co.uk/ServiceUserGateway}ResponseCode"),
    "refused": refused,
    "answer": codes.answer_for("command-variant-mismatch").response_code,
    "django_modules": sorted(m for m in sys.modules if m == "django" or m.startswith("django.")),
}))
"""


def test_the_room_runs_in_a_process_without_django(vectors_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["PYTHONPATH"] = str(PROJECT_DIR)
    template = vectors_dir / "duis-templates/templates/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML"
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(template)], capture_output=True, text=True,
                          timeout=120, env=env, cwd="/", check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report == {
        "request_id": "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1002",
        "credit": True,
        "code": "I99",
        "refused": "request-id-malformed",
        "answer": "E12",
        "django_modules": [],
    }


def test_no_module_of_the_room_imports_django_or_the_portal():
    for path in (PROJECT_DIR / "contingency" / "duis").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in ("django", "rest_framework", "portal", "celery"), (path.name, name)
