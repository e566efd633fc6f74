"""The documentation index lists every document in docs/ (issue 6 point 14)."""

from __future__ import annotations

import re

from tests.helpers.processes import PROJECT_DIR

DOCS = PROJECT_DIR / "docs"


def test_docs_readme_lists_every_document():
    index = (DOCS / "README.md").read_text()
    linked = set(re.findall(r"\]\(([^)#]+\.md)\)", index))
    documents = {p.name for p in DOCS.glob("*.md")} - {"README.md"}
    assert documents - linked == set(), "documents in docs/ that docs/README.md does not list"
