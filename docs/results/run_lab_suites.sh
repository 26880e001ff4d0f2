#!/bin/sh
# Run, or resume where it stopped, the lab-scale suites published in docs/results, one after another,
# each run on one torch thread at low priority. Safe to start again at any time: measured runs are
# skipped and a stopped run continues from its latest checkpoint with what is left of its budget.
#   nohup sh docs/results/run_lab_suites.sh > docs/results/_logs/run.log 2>&1 &
# Stop with `kill -TERM <pid of the python process>` (it checkpoints); then rerun this script.
cd "$(dirname "$0")/../.." || exit 1
export PYTHONPATH="$PWD" OMP_NUM_THREADS=1
mkdir -p docs/results/_logs
for suite in ${SUITES:-mlp-vs-attention depth halting}; do
  nice -n 10 python -m trm_engine.cli experiments run "$suite" --scale lab --seeds 3 --out docs/results \
    --threads 1 || exit $?
done
