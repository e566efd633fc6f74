"""The lock files (issue 7 point 9): every dependency of pyproject.toml pinned, with hashes, and what runs the tests
is exactly what the lock says. A dependency added to pyproject.toml without `scripts/lock` fails here."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers.processes import PROJECT_DIR

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def pins(lock_name: str) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in _PIN.findall((PROJECT_DIR / lock_name).read_text())}


def declared(*, test: bool) -> list[Requirement]:
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"]) + (project["optional-dependencies"]["test"] if test else [])
    return [Requirement(line) for line in wanted]


@pytest.mark.parametrize(("lock_name", "test"), [("requirements.lock", False), ("requirements-test.lock", True)])
def test_every_declared_dependency_is_pinned_within_its_range_and_hashed(lock_name, test):
    pinned = pins(lock_name)
    for requirement in declared(test=test):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in {lock_name}: run scripts/lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock_name} pins {requirement.name}=={pinned[name]}, outside {requirement.specifier}: run scripts/lock")
    text = (PROJECT_DIR / lock_name).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text[text.index("\n\n") if "\n\n" in text else 0:])
    for entry in entries:
        if _PIN.match(entry.strip()):
            assert "--hash=sha256:" in entry, f"no hash for {entry.splitlines()[0]} in {lock_name}"


def test_the_test_run_uses_exactly_the_locked_versions():
    for name, version in pins("requirements-test.lock").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name} is in requirements-test.lock but not installed")
        assert installed == version, f"{name}: installed {installed}, locked {version}"
