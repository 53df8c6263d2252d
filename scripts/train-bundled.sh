#!/usr/bin/env bash
# Starts, or resumes, the long training runs of the bundled models in the background (docs/bundled-training.md).
# Each run is VidTok's two stages: stage 1 trains the whole model at 64x64 (`tessera train`, the config's max_steps),
# stage 2 fine-tunes the decoder alone at 128x128 with the encoder frozen (`tessera finetune --stage2`). Both resume
# from their newest checkpoint, so running this script again after a reboot or in a new sitting continues each run.
# Every run is one process: single-threaded, `nice -n 10`, detached (setsid + nohup), so it survives the shell.
#
# Usage: scripts/train-bundled.sh [start] [fsq|kl|small ...]   start or resume the runs (default: fsq and kl); running ones are left alone
#        scripts/train-bundled.sh status                  stage, step and latest held-out PSNR/SSIM of each run
#        scripts/train-bundled.sh stop [fsq|kl|small ...] stop the runs (the newest checkpoint stays valid)
# small: further cycles of the current default, tessera_small_fsq_causal_488_4096, warm-started from its bundled file.
# Environment: TESSERA_RUNS (default /root/tessera-runs), TESSERA_BIN (default /root/tessera-bin; published from this
# checkout with `dotnet publish -c Release` when missing; never republished under a running run), TESSERA_DATA
# (default $TESSERA_RUNS/data), TESSERA_NICE (the runs' niceness, default 10; 19 lets a test run or build take the cores), STAGE1_STEPS (default: the config's tessera.max_steps), STAGE2_STEPS (1000),
# STAGE2_SIZE (128), STAGE2_LR (1e-4). To train longer, raise them and run the script again (stop the runs first).
# WARM_START: a model file (with one run named) or a folder of model files named like the runs (e.g. models/, for
# both): a stage 1 with no checkpoint yet starts from those weights (`tessera finetune --from`, the whole model, a fresh
# optimiser and the config's schedule) instead of from random ones; once it has a checkpoint it resumes as usual. This
# is how a new sitting trains its cycle on from the bundled weights the previous one produced (docs/bundled-training.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${TESSERA_RUNS:-/root/tessera-runs}"
bin="${TESSERA_BIN:-/root/tessera-bin}"
data="${TESSERA_DATA:-$runs/data}"
stage2_steps="${STAGE2_STEPS:-1000}"
stage2_size="${STAGE2_SIZE:-128}"
stage2_lr="${STAGE2_LR:-1e-4}"

declare -A configs=(
  [fsq]=tessera_base_fsq_causal_488_4096
  [kl]=tessera_base_kl_causal_488_4chn
  [small]=tessera_small_fsq_causal_488_4096
)

# Newest checkpoint step of a stage directory (0 when none).
latest_step() {
  local f
  f="$(ls "$1"/checkpoints/step-*.safetensors 2>/dev/null | sort | tail -n 1 || true)"
  [[ -n "$f" ]] || { echo 0; return; }
  f="${f##*/step-}"; f="${f%.safetensors}"; echo $((10#$f))
}

# The config's tessera.max_steps (stage 1 length).
max_steps() { sed -n 's/^  max_steps: *\([0-9]*\).*/\1/p' "$1" | head -n 1; }

# The data the runs read, outside the repository so a removed or switched checkout cannot pull files from under a run:
# the Debian clips are fetched into $runs/data/clips, the still-photo clips made in $runs/data/stills
# (scripts/make-still-clips.sh) and the manifests copied there; the CC-BY clips of
# ../shared/data/clips are read in place (their relative paths are made absolute).
prepare_data() {
  mkdir -p "$data"
  "$root/scripts/fetch-clips.sh" "$data/clips" >/dev/null
  "$root/scripts/make-still-clips.sh" "$data/stills" >/dev/null
  local shared
  shared="$(cd "$root/data" && realpath ../../shared)"
  for csv in clips.csv bundled.csv; do
    sed "s#^\.\./\.\./shared/#$shared/#" "$root/data/$csv" > "$data/.$csv.tmp"
    mv "$data/.$csv.tmp" "$data/$csv"
  done
}

ensure_bin() {
  [[ -x "$bin/Tessera.Cli" ]] && return
  echo "publishing the CLI (Release) to $bin"
  nice -n 10 dotnet publish "$root/src/Tessera.Cli" -c Release -o "$bin" >/dev/null
}

# Keeps a hard link to the checkpoint with the best held-out PSNR of a stage (best.safetensors, best.txt), so pruning
# old checkpoints never loses it. Checkpoints are written at every evaluation step (eval_every is a multiple of
# checkpoint_every), just after the evaluation.
keep_best() {
  local dir="$1" line step psnr ckpt
  [[ -f "$dir/eval_log.csv" ]] || return 0
  line="$(awk -F, 'NR > 1 && $1 > 0 && $2 ~ /^[0-9.]+$/ { if (best == "" || $2 > best) { best = $2; s = $1 } } END { if (s != "") print s, best }' "$dir/eval_log.csv")"
  [[ -n "$line" ]] || return 0
  read -r step psnr <<<"$line"
  ckpt="$(printf '%s/checkpoints/step-%08d.safetensors' "$dir" "$step")"
  [[ -f "$ckpt" ]] || return 0
  if [[ ! -f "$dir/best.txt" ]] || [[ "$(cut -d' ' -f1 "$dir/best.txt")" != "$step" ]]; then
    ln -f "$ckpt" "$dir/.best.tmp" && mv -f "$dir/.best.tmp" "$dir/best.safetensors"
    echo "$step $psnr" > "$dir/best.txt"
  fi
}

# The weights a run's stage 1 starts from when WARM_START is set: the file itself, or the run's file in a folder.
warm_start_file() {
  local w="${WARM_START:-}"
  [[ -n "$w" ]] || return 0
  if [[ -d "$w" ]]; then echo "$w/${configs[$1]}.safetensors"; else echo "$w"; fi
}

# The body of one detached run: stage 1 until the config's max_steps, then stage 2. Runs in its own session. A stage
# that exits early (a crash, the machine running out of memory) is resumed from its newest checkpoint, up to 5 times.
drive() {
  local name="$1" cfg="$root/configs/${configs[$1]}.yaml" dir="$runs/${configs[$1]}"
  local s1="$dir/stage1" s2="$dir/stage2" total tries
  total="${STAGE1_STEPS:-$(max_steps "$cfg")}"
  export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 DOTNET_gcServer=0
  local common=(--eval-data "$data/clips.csv" --eval-split eval --threads 1 --resume)
  ( while sleep 120; do keep_best "$s1"; keep_best "$s2"; done ) &
  keeper=$!   # global: the EXIT trap runs after drive has returned
  trap 'kill "$keeper" 2>/dev/null || true' EXIT
  # stage1/final.safetensors marks stage 1 as done (whatever STAGE1_STEPS says later).
  [[ -f "$s1/final.safetensors" ]] && total="$(latest_step "$s1")"
  local warm
  warm="$(warm_start_file "$name")"
  for ((tries = 0; tries < 5 && $(latest_step "$s1") < total; tries++)); do
    if [[ -n "$warm" && "$(latest_step "$s1")" == 0 ]]; then
      # A warm start: the whole model from the previous cycle's weights; its checkpoints then resume with train.
      echo "$(date -u +%FT%TZ) stage 1: $name warm-started from $warm, step 0 to $total"
      "$bin/Tessera.Cli" finetune -c "$cfg" --from "$warm" --max-steps "$total" --data "$data/bundled.csv" --split train -o "$s1" "${common[@]}" \
        || { rc=$?; echo "$(date -u +%FT%TZ) stage 1 exited with status $rc"; }
    else
      echo "$(date -u +%FT%TZ) stage 1: $name from step $(latest_step "$s1") to $total"
      "$bin/Tessera.Cli" train -c "$cfg" --max-steps "$total" --data "$data/bundled.csv" --split train -o "$s1" "${common[@]}" \
        || { rc=$?; echo "$(date -u +%FT%TZ) stage 1 exited with status $rc"; }
    fi
  done
  keep_best "$s1"
  (( $(latest_step "$s1") >= total )) || { echo "stage 1 did not finish; run the script again"; exit 1; }
  local from
  from="$(printf '%s/checkpoints/step-%08d.safetensors' "$s1" "$total")"
  # STAGE1_STEPS below the newest checkpoint (stage 1 cut short): that newest checkpoint ends stage 1.
  [[ -f "$from" ]] || from="$(printf '%s/checkpoints/step-%08d.safetensors' "$s1" "$(latest_step "$s1")")"
  [[ -f "$s1/final.safetensors" ]] || ln -f "$from" "$s1/final.safetensors"
  # Stage 2 starts from stage 1's EMA weights (the encoder it freezes is the one a user would get from stage 1).
  [[ -f "$s1/final-ema.safetensors" ]] || "$bin/Tessera.Cli" convert "$s1/final.safetensors" --config "$cfg" --ema -o "$s1/final-ema.safetensors"
  for ((tries = 0; tries < 5 && $(latest_step "$s2") < stage2_steps; tries++)); do
    echo "$(date -u +%FT%TZ) stage 2: $name decoder at ${stage2_size}x${stage2_size} from $s1/final-ema.safetensors, step $(latest_step "$s2") to $stage2_steps"
    "$bin/Tessera.Cli" finetune -c "$cfg" --from "$s1/final-ema.safetensors" --stage2 --size "$stage2_size" --lr "$stage2_lr" \
      --max-steps "$stage2_steps" --data "$data/bundled.csv" --split train -o "$s2" "${common[@]}" \
      || { rc=$?; echo "$(date -u +%FT%TZ) stage 2 exited with status $rc"; }
  done
  keep_best "$s2"
  echo "$(date -u +%FT%TZ) $name: stage 1 at step $(latest_step "$s1"), stage 2 at step $(latest_step "$s2")"
}

running() { local p="$runs/${configs[$1]}/run.pid"; [[ -f "$p" ]] && kill -0 "$(cat "$p")" 2>/dev/null; }

start() {
  # WARM_START is checked before anything starts, and made absolute for the detached drivers.
  if [[ -n "${WARM_START:-}" ]]; then
    if [[ ! -d "$WARM_START" && $# -gt 1 ]]; then
      echo "WARM_START=$WARM_START is one model file: name one run (fsq or kl), or give a folder of model files named like the runs" >&2; exit 2
    fi
    export WARM_START="$(realpath -m "$WARM_START")"
    for name in "$@"; do
      local file
      file="$(warm_start_file "$name")"
      [[ -f "$file" ]] || { echo "WARM_START: model file '$file' for run $name does not exist" >&2; exit 2; }
    done
  fi
  ensure_bin
  prepare_data
  for name in "$@"; do
    local dir="$runs/${configs[$name]}"
    mkdir -p "$dir"
    if running "$name"; then echo "$name: already running (pid $(cat "$dir/run.pid"))"; continue; fi
    setsid nohup nice -n "${TESSERA_NICE:-10}" "$0" _drive "$name" >> "$dir/run.log" 2>&1 < /dev/null &
    echo $! > "$dir/run.pid"
    echo "$name: started (pid $!), log $dir/run.log, runs in $dir"
  done
}

status() {
  for name in "${!configs[@]}"; do
    local dir="$runs/${configs[$name]}" state=stopped
    running "$name" && state="running (pid $(cat "$dir/run.pid"))"
    echo "$name (${configs[$name]}): $state"
    for stage in stage1 stage2; do
      [[ -d "$dir/$stage" ]] || continue
      local last best=""
      last="$(tail -n 1 "$dir/$stage/eval_log.csv" 2>/dev/null || true)"
      [[ -f "$dir/$stage/best.txt" ]] && best="; best $(cat "$dir/$stage/best.txt")"
      echo "  $stage: checkpoint step $(latest_step "$dir/$stage"); last eval (step,psnr,ssim) $last$best"
    done
  done
}

stop() {
  for name in "$@"; do
    running "$name" || { echo "$name: not running"; continue; }
    # The whole process group: the driver, its PSNR keeper and the training process (checkpoints are written
    # atomically, so at most checkpoint_every steps are redone on resume).
    kill -TERM -- "-$(cat "$runs/${configs[$name]}/run.pid")" && echo "$name: stopped"
  done
}

# Everything runs from main, called on the script's last line: bash reads a script as it runs, so a run started
# before this file was edited must never read past that line.
main() {
  cmd=start
  case "${1:-}" in start|status|stop|_drive) cmd="$1"; shift ;; esac
  names=("$@")
  [[ ${#names[@]} -gt 0 ]] || names=(fsq kl)
  for n in "${names[@]}"; do [[ -n "${configs[$n]:-}" ]] || { echo "unknown run '$n' (fsq, kl, small)" >&2; exit 2; }; done
  case "$cmd" in
    start) start "${names[@]}" ;;
    status) status ;;
    stop) stop "${names[@]}" ;;
    _drive) drive "${names[0]}" ;;
    *) echo "usage: $0 [start|status|stop] [fsq|kl|small ...]" >&2; exit 2 ;;
  esac
}

main "$@"; exit $?
