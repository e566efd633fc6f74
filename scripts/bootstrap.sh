# Sourced by scripts/run and scripts/test: make sure the virtual environment exists and holds exactly what
# requirements-test.lock says (the versions CI tests, each checked against its sha256 hashes), then the project
# itself without dependencies. Re-installs only when the lock or pyproject.toml changed. The lock files are
# made from pyproject.toml by scripts/lock (README "Dependency notes").
set -euo pipefail
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SOLR_VENV:-$PROJECT_DIR/.venv}"
PYTHON_BIN="${PYTHON:-python3}"
LOCK="$PROJECT_DIR/requirements-test.lock"

if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating the virtual environment in $VENV" >&2
    "$PYTHON_BIN" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
STAMP="$VENV/.solr-installed"
WANT="$(cat "$LOCK" "$PROJECT_DIR/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    echo "Installing Python dependencies (requirements-test.lock, hash-checked)" >&2
    python -m pip install -q --disable-pip-version-check --require-hashes -r "$LOCK" >&2
    # The project itself: its dependencies are all in the lock; its build back-end (setuptools) too.
    python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e "$PROJECT_DIR" >&2
    echo "$WANT" > "$STAMP"
fi
cd "$PROJECT_DIR"
