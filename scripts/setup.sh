#!/usr/bin/env bash
# Installs what Mino needs on a fresh Debian/Ubuntu machine, idempotently:
#   scripts/setup.sh            system packages (OpenBLAS, Python headers, venv)
#   scripts/setup.sh --python   ... and the project's Python environment (.venv)
#                               with a CPU build of torch, for the torch backend,
#                               the PyTorch benchmarks and the golden-value generator,
#                               and Intel MKL (the mkl wheel) for MINO_BLAS=mkl.
# Set MINO_PYTHON to use an existing Python environment with torch instead.
set -euo pipefail
cd "$(dirname "$0")/.."

want_python=0
for arg in "$@"; do
    case "$arg" in
        --python) want_python=1 ;;
        *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

# --- Debian packages -------------------------------------------------------
packages=(libopenblas-dev python3-dev python3-venv pkg-config)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "setup: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- The project's Python environment --------------------------------------
[ "$want_python" -eq 1 ] || exit 0
if [ -n "${MINO_PYTHON:-}" ]; then
    # Mino looks for MKL (MINO_BLAS=mkl) in that environment's lib/; `pip install mkl` there adds it.
    "$MINO_PYTHON" -c "import torch" && { echo "setup: using MINO_PYTHON=$MINO_PYTHON"; exit 0; }
    echo "setup: MINO_PYTHON=$MINO_PYTHON cannot import torch" >&2
    exit 1
fi

# The system interpreter: its libpython (python3-embed) is the one Mino embeds.
base_python=/usr/bin/python3
[ -x "$base_python" ] || base_python=$(command -v python3)
venv=.venv
if [ ! -x "$venv/bin/python" ]; then
    echo "setup: creating $venv with $base_python"
    "$base_python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
if ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
    echo "setup: installing torch (CPU build) and numpy into $venv"
    # The CPU wheel is small; the default wheel pulls gigabytes of CUDA libraries.
    "${pip[@]}" "torch==2.13.0+cpu" numpy 2>/dev/null \
        || "${pip[@]}" torch numpy --index-url https://download.pytorch.org/whl/cpu 2>/dev/null \
        || "${pip[@]}" torch numpy
    "$venv/bin/python" -c "import torch; print('setup: torch', torch.__version__)"
fi

# Intel MKL for the blas backend's MINO_BLAS=mkl (the wheel puts lib/libmkl_rt.so.N in the venv,
# where Mino looks). Optional: there is no wheel for every platform (none for arm64).
if ! compgen -G "$venv/lib/libmkl_rt*" >/dev/null; then
    echo "setup: installing mkl (Intel MKL, for MINO_BLAS=mkl) into $venv"
    "${pip[@]}" mkl || echo "setup: no mkl wheel for this platform; MINO_BLAS=mkl will not be available" >&2
fi
