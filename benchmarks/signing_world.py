"""What the XML-signature benchmarks share: the DCC conformance vectors they sign with, and a throwaway Django
setup (SQLite in a temporary data dir) with the ZAZ1 supplier XML-signing certificate in the repository."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
VECTORS_DIR = Path(os.environ.get("SOLR_VECTORS_DIR", PROJECT_DIR.parent / "shared" / "vectors"))
TEMPLATE = VECTORS_DIR / "duis-templates/templates/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML"
KEYS = VECTORS_DIR / "dccboxed-signing-tool/keys"
SIGNER = "xml-sign-90B3D51F30010000-ds"

if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))


def setup_django(data_dir: str) -> None:
    """Django on a fresh SQLite database in ``data_dir``, migrated."""
    os.environ["SOLR_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)  # the embedded SQLite database inside the temporary data dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def import_signer() -> None:
    """The ZAZ1 certificate chains to no CA we know: imported as the documented --trust-unchained case."""
    from django.core.management import call_command

    call_command("pki_import", "--trust-unchained", str(KEYS / f"{SIGNER}.pem"), verbosity=0, stdout=io.StringIO())
