#!/usr/bin/env bash
# Collect the wheels that a stock PyTorch GPU machine lacks for the trainer into one folder, to
# carry there for gpu-check.sh (`bash infra/trainer/gpu-check.sh WHEEL_DIR`):
#
#   bash infra/trainer/gpu-wheels.sh WHEEL_DIR [--python-version 3.12]
#
# Such a machine has torch (with its CUDA libraries), usually transformers, PEFT and accelerate,
# and numpy, pandas, pyarrow, xxhash, aiohttp, huggingface_hub, tokenizers, safetensors; it lacks
# TRL and datasets and datasets' dill and multiprocess. Collected, at the versions of
# infra/trainer/requirements.lock, without dependencies (torch is never carried):
#   pure Python: trl, datasets, transformers, peft, accelerate, dill, multiprocess, fsspec
#     (transformers/peft/accelerate so that the machine runs the pinned versions; fsspec because
#     datasets caps it)
#   binary, for --python-version (best effort: the machine usually has them): pyarrow, xxhash
# About 16 MB without the binary ones. --python-version is the GPU machine's Python (default
# 3.12); `multiprocess` ships one wheel per Python version, and pip takes the newest one not
# newer than that. pip reads the package index (or the local package store) as configured.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LOCK="$ROOT/infra/trainer/requirements.lock"
DIR=""
PYV="3.12"
while [ $# -gt 0 ]; do
  case "$1" in
    --python-version) PYV="${2:-}"; shift 2 ;;
    --python-version=*) PYV="${1#*=}"; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gpu-wheels: unknown option $1" >&2; exit 2 ;;
    *) DIR="$1"; shift ;;
  esac
done
[ -n "$DIR" ] || { echo "usage: bash infra/trainer/gpu-wheels.sh WHEEL_DIR [--python-version 3.12]" >&2; exit 2; }
mkdir -p "$DIR"

PY="${PYTHON:-}"
[ -n "$PY" ] || { [ -x "$ROOT/.venv/bin/python" ] && PY="$ROOT/.venv/bin/python"; } || PY=python3
args=(--disable-pip-version-check -q --no-deps --only-binary=:all: --python-version "$PYV" --implementation cp
      --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
      --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d "$DIR")
if "$PY" -m pip config list 2>/dev/null | grep -E 'find-links|index-url' >/dev/null; then
  args+=(--retries 0)  # a configured package store: do not retry an unreachable public index for minutes
fi
pin() { grep -i -m1 "^$1==" "$LOCK" || { echo "gpu-wheels: $1 is not in $LOCK" >&2; exit 1; }; }

for n in trl datasets transformers peft accelerate dill multiprocess fsspec; do
  "$PY" -m pip download "${args[@]}" "$(pin "$n")"
done
for n in pyarrow xxhash; do
  if ! "$PY" -m pip download "${args[@]}" "$(pin "$n")" 2>/dev/null; then
    echo "gpu-wheels: no $(pin "$n") wheel for Python $PYV here; the GPU machine must have $n already" >&2
  fi
done
ls -1 "$DIR"
du -sh "$DIR" | cut -f1 | sed 's/^/total /'
