#!/usr/bin/env bash
# Regenerates the PyTorch golden values, or checks that they reproduce.
#   Conformance/golden.sh           rewrite Conformance/Golden/golden.safetensors
#   Conformance/golden.sh --check   regenerate in memory and compare with the committed file
# Needs the project's Python environment with torch: MINO_PYTHON, else .venv/bin/python
# (scripts/setup.sh --python creates it).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=--out
case "${1:-}" in
    "") ;;
    --check) mode=--check ;;
    *) echo "golden.sh: unknown option $1 (use --check or nothing)" >&2; exit 2 ;;
esac

python="${MINO_PYTHON:-.venv/bin/python}"
if ! "$python" -c "import torch, numpy" 2>/dev/null; then
    echo "golden.sh: $python cannot import torch; run scripts/setup.sh --python or set MINO_PYTHON" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swift build --product mino >/dev/null
"$(swift build --show-bin-path)/mino" conformance --export-samples "$work/samples.safetensors"
"$python" Conformance/generate_golden.py --samples "$work/samples.safetensors" "$mode" Conformance/Golden/golden.safetensors
