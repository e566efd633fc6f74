# Sourced by scripts/run and scripts/test: make sure the virtual environment exists and holds
# what pyproject.toml asks for. Re-installs only when pyproject.toml changed.
set -euo pipefail
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SOLR_VENV:-$PROJECT_DIR/.venv}"
PYTHON_BIN="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating the virtual environment in $VENV" >&2
    "$PYTHON_BIN" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
STAMP="$VENV/.solr-installed"
WANT="$(sha256sum "$PROJECT_DIR/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    echo "Installing Python dependencies (pyproject.toml)" >&2
    python -m pip install -q --disable-pip-version-check -U pip >&2
    python -m pip install -q --disable-pip-version-check -e "$PROJECT_DIR[test]" >&2
    echo "$WANT" > "$STAMP"
fi
cd "$PROJECT_DIR"
