#!/usr/bin/env bash
# Create or refresh the project's environment: Debian packages the project needs,
# then the virtual environment at .venv with the pinned Python dependencies.
# Idempotent and quick when nothing changed (a stamp records what was installed).
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-}"          # extras of pyproject.toml: "serve", "notebooks", "serve,notebooks" or "dev" (all + tools)
venv=.venv
python_bin="${PYTHON:-python3.11}"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

# --- system packages (one per line in system-packages.txt; '#' starts a comment) ---
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' system-packages.txt)
missing=()
for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    log "installing system packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- Python ---
if ! command -v "$python_bin" >/dev/null 2>&1; then
    echo "error: $python_bin not found; ASN Recsys needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    log "creating virtual environment in $venv"
    rm -rf "$venv"
    "$python_bin" -m venv "$venv"
fi

spec="pyproject.toml requirements/constraints.txt system-packages.txt"
stamp="$venv/.installed-${extras:-core}"
digest=$(cat $spec | sha256sum | cut -d' ' -f1)
# an environment with the dev extras has every other extra too
for done in "$stamp" "$venv/.installed-dev"; do
    if [ -f "$done" ] && [ "$(cat "$done")" = "$digest" ]; then
        exit 0
    fi
done
# stamps of an older specification no longer say anything
for old in "$venv"/.installed-*; do
    if [ -f "$old" ] && [ "$(cat "$old")" != "$digest" ]; then rm -f "$old"; fi
done
log "installing Python dependencies (pinned by requirements/constraints.txt)"
"$venv/bin/python" -m pip install --quiet --upgrade "pip==26.3" 2>&1 | grep -v "is ignored: it is neither" >&2 || true
target="."
[ -n "$extras" ] && target=".[$extras]"
"$venv/bin/python" -m pip install --quiet --constraint requirements/constraints.txt -e "$target" 2>&1 \
    | { grep -v "is ignored: it is neither" || true; } >&2
"$venv/bin/python" -c "import recsys" # fails loudly if the install is broken
echo "$digest" > "$stamp"
log "environment ready: $venv"
