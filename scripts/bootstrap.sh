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
    # pip's output is shown only when it fails: the machines' pip configuration names index folders that may be
    # absent (one warning a package), and setuptools warns about editable installs; neither is news to a newcomer.
    quiet_pip() {
        local out
        out="$(python -m pip "$@" 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
    }
    quiet_pip install -q --disable-pip-version-check --require-hashes -r "$LOCK"
    # The project itself: its dependencies are all in the lock; its build back-end (setuptools) too.
    quiet_pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e "$PROJECT_DIR"
    echo "$WANT" > "$STAMP"
fi
cd "$PROJECT_DIR"
