#!/usr/bin/env bash
# The trainer's Python environment: .venv/ at the repository root with the pinned Hugging Face
# stack (infra/trainer/requirements.lock). Skips all work when .venv already matches the lock.
#   bash scripts/python-env.sh            create or update .venv
#   bash scripts/python-env.sh --relock   re-resolve requirements.txt and rewrite requirements.lock
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
REQ=infra/trainer/requirements.txt
LOCK=infra/trainer/requirements.lock
VENV="$ROOT/.venv"
STAMP="$VENV/.trainyard-lock.sha256"

want=$(sha256sum "$LOCK" | cut -d' ' -f1)
if [ "${1:-}" != "--relock" ] && [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

# The interpreter the venv is made from: any Python 3.10+ with the venv module.
base_python() {
  for p in python3.11 python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
      command -v "$p"; return 0
    fi
  done
  apt_install python3 python3-venv >&2
  command -v python3
}

pip_args=(--disable-pip-version-check -q)
if python3 -m pip config list 2>/dev/null | grep -E 'find-links|index-url' >/dev/null; then
  # A configured package store (this project's machines carry an offline one): the public
  # index is unreachable there, and pip would retry it for minutes before falling back.
  pip_args+=(--retries 0)
elif ! command -v nvidia-smi >/dev/null; then
  # No GPU: PyTorch's CPU wheels (~200 MB) instead of the CUDA build (~2.5 GB with its libraries).
  pip_args+=(--extra-index-url https://download.pytorch.org/whl/cpu)
fi

if [ ! -x "$VENV/bin/python" ]; then
  py=$(base_python)
  log "python venv .venv from $py"
  "$py" -m venv "$VENV"
fi
if [ "${1:-}" = "--relock" ]; then
  log "pip install -r $REQ (re-resolving the lock)"
  "$VENV/bin/pip" install "${pip_args[@]}" -r "$REQ"
  { echo "# Generated from requirements.txt by: .venv/bin/pip freeze (torch's local +cpu label dropped)."
    echo "# Regenerate after changing requirements.txt: bash scripts/python-env.sh --relock"
    "$VENV/bin/pip" freeze --disable-pip-version-check | sed -E 's/^(torch==[0-9.]+)\+cpu$/\1/'; } > "$LOCK"
  want=$(sha256sum "$LOCK" | cut -d' ' -f1)
else
  log "pip install -r $LOCK (torch, transformers, TRL, PEFT, ...)"
  "$VENV/bin/pip" install "${pip_args[@]}" -r "$LOCK"
fi
echo "$want" > "$STAMP"
