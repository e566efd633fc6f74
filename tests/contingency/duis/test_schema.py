"""The official DUIS 5.4 schema loads from a local folder only and tells valid from invalid messages."""

from __future__ import annotations

import shutil

import pytest
from lxml import etree

from contingency.duis import schema


def test_official_templates_and_responses_validate(duis_schema, vectors_dir):
    templates = sorted((vectors_dir / "duis-templates" / "templates").glob("*.XML"))
    assert len(templates) >= 15
    for path in [*templates, *(vectors_dir / "duis-templates" / "test-data").glob("*.XML")]:
        assert duis_schema.errors(etree.parse(str(path))) == [], path.name


def test_a_misspelt_element_is_invalid(duis_schema, vectors_dir):
    bad = etree.parse(str(vectors_dir / "duis-sign-wrap" / "8.2_READ_INVENTORY_REQUEST_DUIS-invalid.XML"))
    errors = duis_schema.errors(bad)
    assert errors and "ReqxuestID" in errors[0]
    assert not duis_schema.is_valid(bad)


def test_a_body_of_the_wrong_shape_is_invalid(duis_schema, vectors_dir):
    doc = etree.parse(str(vectors_dir / "duis-templates" / "templates" / "8.2_READ_INVENTORY_REQUEST_DUIS.XML"))
    header = doc.getroot().find(f"{{{schema.SR_NS}}}Header")
    etree.SubElement(header, f"{{{schema.SR_NS}}}Unexpected").text = "x"
    assert not duis_schema.is_valid(doc)


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(schema.SchemaUnavailable):
        schema.load(tmp_path)


def _copy_schema(vectors_dir, folder):
    source = vectors_dir / "dccboxed-signing-tool" / "schema"
    for name in schema.IMPORTED_FILES:
        shutil.copy(source / name, folder / name)


def test_an_import_outside_the_folder_is_refused_not_fetched(tmp_path, vectors_dir):
    _copy_schema(vectors_dir, tmp_path)
    main = tmp_path / schema.SCHEMA_FILE
    main.write_text(main.read_text(encoding="utf-8").replace(
        'schemaLocation="xmldsig-core-schema.xsd"',
        'schemaLocation="http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd"'), encoding="utf-8")
    with pytest.raises(schema.SchemaUnavailable):
        schema.DuisSchema(tmp_path)


def test_a_copy_in_another_folder_loads(tmp_path, vectors_dir):
    _copy_schema(vectors_dir, tmp_path)
    loaded = schema.load(tmp_path)
    assert loaded.is_valid(etree.parse(str(vectors_dir / "duis-sign-wrap" / "readfw-version-response.xml")))
