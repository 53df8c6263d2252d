#!/usr/bin/env bash
# Starts, or resumes, the long SweetTok training run in the background (docs/sweettok.md, "The long run"): stage 1 of
# configs/sweettok_compact_64_80q.yaml (80 queries distilled from the bundled VidTok-FSQ proxy, 17 frames of 64x64)
# on the clips scripts/train-bundled.sh prepares. The word priors are built with `tessera codebook build` into the run
# directory when missing; the trainer runs in the run directory, so the config's relative prior paths resolve there.
# The run keeps its own copy of the config and resumes from its newest checkpoint, so running this script again after a reboot or in a new sitting
# continues it. One process: single-threaded, `nice -n 10`, detached (setsid + nohup), so it survives the shell. Every
# few minutes the checkpoint with the best held-out PSNR is kept as best.safetensors and converted into a model file,
# best-model.safetensors (`tessera convert` with the EMA weights), which `tessera reconstruct/encode/words` accept.
#
# When stage 1 has reached its steps, stage 2 (pixels through the proxy's decoder from soft codes; the encoder and
# quantisers frozen) runs in $dir/stage2 from stage 1's newest checkpoint, STAGE2_STEPS steps (default 3000) at
# learning rate 1e-4 with 200 warm-up steps and no discriminator (disc_start beyond the run), and its best checkpoint
# becomes best-model.safetensors. STAGE2_STEPS=0 stops after stage 1.
#
# Usage: scripts/train-sweettok.sh [start]   start or resume the run (left alone when it is running)
#        scripts/train-sweettok.sh status    step, latest and best held-out PSNR/SSIM
#        scripts/train-sweettok.sh stop      stop the run (the newest checkpoint stays valid)
# Environment: TESSERA_RUNS (default /root/tessera-runs), TESSERA_SWEETTOK_BIN (default /root/tessera-bin-sweettok;
# published from this checkout with `dotnet publish -c Release` when missing; never republished under a running run),
# TESSERA_DATA (default $TESSERA_RUNS/data, prepared by scripts/train-bundled.sh's prepare_data when missing),
# WORD_VECTORS (GloVe vectors for the priors; default: scripts/fetch-word-vectors.sh's cache), STEPS (default: the
# config's tessera.max_steps; to train longer, stop the run, raise it and start again), RUN (the run directory's name
# under TESSERA_RUNS; default sweettok_compact_64_80q), PROXY (a VidTok-FSQ model file on the proxy's 4x8x8 grid with
# 4,096 codes, written into the run's config copy as tessera.proxy at the first start; default: the bundled model),
# STAGE2_STEPS (see above).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${TESSERA_RUNS:-/root/tessera-runs}"
bin="${TESSERA_SWEETTOK_BIN:-/root/tessera-bin-sweettok}"
data="${TESSERA_DATA:-$runs/data}"
name=sweettok_compact_64_80q
dir="$runs/${RUN:-$name}"
# The run reads its own copy of the config (made at the first start), so a removed or switched checkout cannot change
# a run under way; delete the copy to start over from the checkout's.
cfg="$dir/$name.yaml"

latest_step() {
  local f
  f="$(ls "${1:-$dir}"/checkpoints/step-*.safetensors 2>/dev/null | sort | tail -n 1 || true)"
  [[ -n "$f" ]] || { echo 0; return; }
  f="${f##*/step-}"; f="${f%.safetensors}"; echo $((10#$f))
}

max_steps() { sed -n 's/^    max_steps: *\([0-9]*\).*/\1/p' "$cfg" | head -n 1; }

ensure_bin() {
  [[ -x "$bin/Tessera.Cli" ]] && return
  echo "publishing the CLI (Release) to $bin"
  nice -n 10 dotnet publish "$root/src/Tessera.Cli" -c Release -o "$bin" >/dev/null
}

ensure_data() {
  [[ -f "$data/bundled.csv" && -f "$data/clips.csv" ]] && return
  echo "preparing the training clips in $data (scripts/train-bundled.sh)"
  # train-bundled.sh's prepare_data (it reads $root and $data), without starting its runs.
  eval "$(sed -n '/^prepare_data()/,/^}/p' "$root/scripts/train-bundled.sh")"
  prepare_data
}

ensure_priors() {
  [[ -f "$dir/priors/adjective_noun.safetensors" && -f "$dir/priors/adverb_verb.safetensors" ]] && return
  local vectors="${WORD_VECTORS:-}"
  [[ -n "$vectors" ]] || vectors="$("$root/scripts/fetch-word-vectors.sh")"
  echo "building the word priors into $dir/priors from $vectors"
  "$bin/Tessera.Cli" codebook build --vectors "$vectors" --output-dir "$dir/priors"
}

# Keeps a hard link to the checkpoint of RUN_DIR (default: stage 1's) with the best held-out PSNR (best.safetensors,
# best.txt there) and converts it with CONFIG into the run's model file ($dir/best-model.safetensors) whenever it changes.
keep_best() {
  local run="${1:-$dir}" config="${2:-$cfg}" line step psnr ckpt
  [[ -f "$run/eval_log.csv" ]] || return 0
  line="$(awk -F, 'NR > 1 && $1 > 0 && $2 ~ /^[0-9.]+$/ { if (best == "" || $2 > best) { best = $2; s = $1 } } END { if (s != "") print s, best }' "$run/eval_log.csv")"
  [[ -n "$line" ]] || return 0
  read -r step psnr <<<"$line"
  ckpt="$(printf '%s/checkpoints/step-%08d.safetensors' "$run" "$step")"
  [[ -f "$ckpt" ]] || return 0
  if [[ ! -f "$run/best.txt" ]] || [[ "$(cut -d' ' -f1 "$run/best.txt")" != "$step" ]]; then
    ln -f "$ckpt" "$run/.best.tmp" && mv -f "$run/.best.tmp" "$run/best.safetensors"
    (cd "$dir" && "$bin/Tessera.Cli" convert "$run/best.safetensors" --config "$config" --ema -o best-model.safetensors) > /dev/null \
      || echo "$(date -u +%FT%TZ) converting $run/best.safetensors (step $step) into best-model.safetensors failed"
    echo "$step $psnr" > "$run/best.txt"
  fi
}

# Stage 2's config: the run's stage-1 copy with the stage-2 keys first in its tessera: section (made once).
stage2_config() {
  local s2cfg="$dir/stage2.yaml" from
  if [[ ! -f "$s2cfg" ]]; then
    from="$(printf '%s/checkpoints/step-%08d.safetensors' "$dir" "$(latest_step)")"
    sed -e 's/^    train_stage: 1/    train_stage: 2/' \
      -e "s|^tessera:\$|tessera:\n    stage: 2\n    init_from: '$from'\n    learning_rate: 1e-4\n    warmup_steps: 200\n    disc_start: 100000000|" \
      "$cfg" > "$s2cfg.tmp" && mv "$s2cfg.tmp" "$s2cfg"
  fi
  echo "$s2cfg"
}

drive() {
  local total tries
  total="${STEPS:-$(max_steps)}"
  export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 DOTNET_gcServer=0
  ( while sleep 300; do keep_best || true; done ) &
  keeper=$!
  trap 'kill "$keeper" 2>/dev/null || true' EXIT
  cd "$dir"
  for ((tries = 0; tries < 5 && $(latest_step) < total; tries++)); do
    echo "$(date -u +%FT%TZ) stage 1: $name from step $(latest_step) to $total"
    "$bin/Tessera.Cli" train -c "$cfg" --max-steps "$total" --data "$data/bundled.csv" --split train -o "$dir" \
      --eval-data "$data/clips.csv" --eval-split eval --threads 1 --resume \
      || echo "$(date -u +%FT%TZ) stage 1 exited with status $?"
  done
  keep_best
  echo "$(date -u +%FT%TZ) $name: stage 1 at step $(latest_step)"
  local steps2="${STAGE2_STEPS:-3000}" s2cfg
  (( steps2 > 0 && $(latest_step) >= total )) || return 0
  # Stage 2 starts from stage 1's newest checkpoint, which nothing prunes once stage 1 is done.
  s2cfg="$(stage2_config)"
  kill "$keeper" 2>/dev/null || true
  ( while sleep 300; do keep_best "$dir/stage2" "$s2cfg" || true; done ) &
  keeper=$!
  for ((tries = 0; tries < 5 && $(latest_step "$dir/stage2") < steps2; tries++)); do
    echo "$(date -u +%FT%TZ) stage 2: $name from step $(latest_step "$dir/stage2") to $steps2"
    "$bin/Tessera.Cli" train -c "$s2cfg" --max-steps "$steps2" --data "$data/bundled.csv" --split train -o "$dir/stage2" \
      --eval-data "$data/clips.csv" --eval-split eval --threads 1 --resume \
      || echo "$(date -u +%FT%TZ) stage 2 exited with status $?"
  done
  keep_best "$dir/stage2" "$s2cfg"
  echo "$(date -u +%FT%TZ) $name: stage 2 at step $(latest_step "$dir/stage2")"
}

running() { [[ -f "$dir/run.pid" ]] && kill -0 "$(cat "$dir/run.pid")" 2>/dev/null; }

start() {
  mkdir -p "$dir"
  if running; then echo "$name: already running (pid $(cat "$dir/run.pid"))"; return; fi
  if [[ ! -f "$cfg" ]]; then
    if [[ -n "${PROXY:-}" ]]; then
      [[ -f "$PROXY" ]] || { echo "PROXY '$PROXY' does not exist" >&2; exit 1; }
      sed "s|^tessera:\$|tessera:\n    proxy: '$(realpath "$PROXY")'|" "$root/configs/$name.yaml" > "$cfg.tmp" && mv "$cfg.tmp" "$cfg"
    else
      cp "$root/configs/$name.yaml" "$cfg"
    fi
  fi
  ensure_bin
  ensure_data
  ensure_priors
  setsid nohup nice -n 10 "$0" _drive >> "$dir/run.log" 2>&1 < /dev/null &
  echo $! > "$dir/run.pid"
  echo "$name: started (pid $!), log $dir/run.log, runs in $dir"
}

status() {
  local state=stopped last best=""
  running && state="running (pid $(cat "$dir/run.pid"))"
  echo "$name: $state"
  [[ -d "$dir" ]] || return 0
  last="$(tail -n 1 "$dir/eval_log.csv" 2>/dev/null || true)"
  [[ -f "$dir/best.txt" ]] && best="; best $(cat "$dir/best.txt")"
  echo "  checkpoint step $(latest_step); last eval (step,psnr,ssim) $last$best"
  if [[ -d "$dir/stage2" ]]; then
    best=""
    [[ -f "$dir/stage2/best.txt" ]] && best="; best $(cat "$dir/stage2/best.txt")"
    echo "  stage 2: checkpoint step $(latest_step "$dir/stage2"); last eval $(tail -n 1 "$dir/stage2/eval_log.csv" 2>/dev/null || true)$best"
  fi
  [[ -f "$dir/train_log.csv" ]] && echo "  last logged step: $(tail -n 1 "$dir/train_log.csv")"
}

stop() {
  running || { echo "$name: not running"; return; }
  kill -TERM -- "-$(cat "$dir/run.pid")" && echo "$name: stopped"
}

# Everything runs from main, called on the script's last line: bash reads a script as it runs, so a run started
# before this file was edited must never read past that line.
main() {
  case "${1:-start}" in
    start) start ;;
    status) status ;;
    stop) stop ;;
    _drive) drive ;;
    *) echo "usage: $0 [start|status|stop]" >&2; exit 2 ;;
  esac
}

main "$@"; exit $?
