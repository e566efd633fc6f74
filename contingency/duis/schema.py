"""The official DUIS 5.4 XML Schema, loaded from a local folder only (never from the network).

The DUIS schema imports ``MMC Schema V5.4.xsd`` and ``xmldsig-core-schema.xsd`` by relative file name.
libxml2 does not resolve a schemaLocation with a space in it, and the xmldsig schema carries an internal DTD
subset; so every import goes through a resolver that serves the named file from the same folder and refuses
anything else (a URL, a parent folder, a file that is not there). The folder is the setting
``DUIS_SCHEMA_DIR`` (contingency/conf.py), e.g. ``../shared/vectors/dccboxed-signing-tool/schema``.

Loading takes about a second; ``load`` keeps one compiled schema per folder. ``lxml.etree.XMLSchema`` is
not thread-safe for concurrent validation, so ``validate`` takes a lock per schema.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

SCHEMA_FILE = "DUIS Schema V5.4.xsd"
IMPORTED_FILES = frozenset({SCHEMA_FILE, "MMC Schema V5.4.xsd", "xmldsig-core-schema.xsd", "XMLSchema.dtd",
                            "datatypes.dtd"})
# libxml2 does not follow an xs:import whose schemaLocation has a space in it; such locations are renamed in
# the parsed tree to these aliases, which the resolver maps back to the real files.
_ALIASES = {"MMC Schema V5.4.xsd": "mmc-schema-v5.4.xsd"}
_REAL_NAME = {alias: real for real, alias in _ALIASES.items()}
XS_IMPORT = "{http://www.w3.org/2001/XMLSchema}import"

SR_NS = "http://www.dccinterface.co.uk/ServiceUserGateway"
RA_NS = "http://www.dccinterface.co.uk/ResponseAndAlert"


class SchemaUnavailable(RuntimeError):
    """The folder does not hold a loadable DUIS 5.4 schema."""


class _FolderResolver(etree.Resolver):
    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder

    def resolve(self, system_url, public_id, context):
        url = urlsplit(system_url or "")
        name = Path(unquote(url.path)).name
        name = _REAL_NAME.get(name, name)
        if url.scheme in ("", "file") and name in IMPORTED_FILES and (self.folder / name).is_file():
            return self.resolve_filename(str(self.folder / name), context)
        raise SchemaUnavailable(f"the DUIS schema refers to {system_url!r}, which is not a file of {self.folder}")


class DuisSchema:
    """A compiled DUIS schema; ``errors(document)`` lists what is wrong (empty when valid)."""

    def __init__(self, folder: Path):
        self.folder = folder
        main = folder / SCHEMA_FILE
        if not main.is_file():
            raise SchemaUnavailable(f"{SCHEMA_FILE!r} not found in {folder}")
        parser = etree.XMLParser(load_dtd=True, no_network=True, resolve_entities=True)
        parser.resolvers.add(_FolderResolver(folder))
        try:
            # The schema files are the DCC's, from a folder the operator names: trusted input, so the xmldsig
            # schema's internal DTD entities may be expanded here (never for messages).
            document = etree.parse(str(main), parser)
            for element in document.getroot().iter(XS_IMPORT):
                location = element.get("schemaLocation", "")
                if location in _ALIASES:
                    element.set("schemaLocation", _ALIASES[location])
            self._schema = etree.XMLSchema(document)
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
            raise SchemaUnavailable(f"the DUIS schema in {folder} does not load: {exc}") from exc
        self._lock = threading.Lock()

    def errors(self, document: etree._Element | etree._ElementTree) -> list[str]:
        with self._lock:
            if self._schema.validate(document):
                return []
            return [f"line {e.line}: {e.message}" for e in self._schema.error_log]

    def is_valid(self, document: etree._Element | etree._ElementTree) -> bool:
        return not self.errors(document)


@functools.lru_cache(maxsize=4)
def _load(folder: str) -> DuisSchema:
    return DuisSchema(Path(folder))


def load(folder: str | Path) -> DuisSchema:
    """The compiled DUIS schema of ``folder`` (cached per folder). Raises SchemaUnavailable."""
    return _load(str(Path(folder).resolve()))
