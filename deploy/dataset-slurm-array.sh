#!/usr/bin/env bash
# One shard of a Tessera dataset plan per Slurm array task. Submit all shards of a plan with, e.g.:
#   sbatch --array=0-3 --export=ALL,PLAN=plan/,MODEL=model.safetensors,OUT=out/ deploy/dataset-slurm-array.sh
# (--array=0-(N-1) for a plan of N shards). `tessera dataset encode` reads the shard from SLURM_ARRAY_TASK_ID; a task
# that is requeued or rerun resumes its shard, and a finished shard is not redone. Then: tessera dataset merge "$OUT".
# TESSERA names the tessera command (default: tessera on PATH); EXTRA holds further encode options (e.g. --max-count 500).
#SBATCH --job-name=tessera-dataset
#SBATCH --cpus-per-task=1
#SBATCH --output=tessera-dataset-%A_%a.log
set -euo pipefail
: "${PLAN:?set PLAN to the plan folder}" "${MODEL:?set MODEL to the model}" "${OUT:?set OUT to the output folder}"
# shellcheck disable=SC2086 # EXTRA is a list of options
exec "${TESSERA:-tessera}" dataset encode "$PLAN" -m "$MODEL" -o "$OUT" --threads "${SLURM_CPUS_PER_TASK:-1}" ${EXTRA:-}
