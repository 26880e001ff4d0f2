#!/usr/bin/env bash
# One-shot check of TRM Lab on one CUDA GPU, under 8 minutes: builds small datasets, benchmarks
# sudoku-mlp and maze-att (fp32/bf16, eager/compiled) against the measured matmul rate, trains every
# paper preset ~100 steps at the paper's batch, votes on ARC, records a trace, and writes every figure
# with the environment to OUT/gpu_check.json. Without CUDA it prints one line and exits 0.
#
#   scripts/gpu_check.sh [OUT] [more `trm bench gpu` options]      (OUT defaults to $OUT, else ./gpu_check)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-${OUT:-gpu_check}}"
shift || true
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
exec "${PYTHON:-python}" -m trm_engine.cli bench gpu --out "$out" "$@"
