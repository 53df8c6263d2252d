#!/usr/bin/env bash
# The SweetTok experiment (issue 8, docs/sweettok.md "The experiment"): on the same training clips, the same clip
# (17 frames of 64x64 at 3 fps), one thread each and the same step budget, a VidTok-FSQ grid tokenizer against
# SweetTok with a quarter of its token count, and the two ablations the paper names. Arms:
#   vidtok_fsq              configs/tessera_small_fsq_causal_488_4096.yaml from random weights, STEPS steps; its EMA
#                           weights become the proxy of every SweetTok arm (SweetTok distils a grid tokenizer)
#   sweettok                the curriculum: spatial pre-training on single frames (STEPS/4), stage 1 on the proxy's
#                           codes (STEPS/4), stage 2 on pixels through the proxy's decoder (STEPS/2; no GAN)
#   sweettok_no_curriculum  stage 1 (STEPS/2), then stage 2 (STEPS/2): no spatial pre-training
#   sweettok_learned_book   the curriculum with plain learned codebooks instead of the language codebooks
# Every arm is evaluated by its trainer at its last step on the held-out split (data/clips.csv, split eval, the first
# EVAL_CLIPS clips, EMA weights), the same protocol for all; the table gives tokens, indices emitted and bits per
# clip beside PSNR/SSIM and the minutes each arm took. LPIPS is not reported (no perceptual weights offline).
#
# Usage: scripts/sweettok-experiment.sh [STEPS]      (default 2000; the table goes to $dir/results.md)
# Environment: TESSERA_RUNS (default /root/tessera-runs), EXPERIMENT (run directory, default $TESSERA_RUNS/experiment),
# TESSERA_EXPERIMENT_BIN (the CLI, published from this checkout when missing), TESSERA_DATA (default
# $TESSERA_RUNS/data, prepared as scripts/train-bundled.sh does), WORD_VECTORS (default: scripts/fetch-word-vectors.sh),
# JOBS (SweetTok arms run at once, default 1), EVAL_CLIPS (default 6), ARMS (SweetTok arms to run, space-separated,
# default all three: lets a second process take an arm on another core). Arms already finished are not rerun; the
# table is written once every arm has finished.
set -euo pipefail
# The whole script is one block, which bash reads completely before running it: an edit to this file cannot reach a
# run under way.
{
root="$(cd "$(dirname "$0")/.." && pwd)"
steps="${1:-2000}"
[[ "$steps" =~ ^[0-9]+$ && "$steps" -ge 8 ]] || { echo "STEPS must be a whole number of at least 8, got '$steps'" >&2; exit 2; }
runs="${TESSERA_RUNS:-/root/tessera-runs}"
dir="${EXPERIMENT:-$runs/experiment}"
bin="${TESSERA_EXPERIMENT_BIN:-$runs/tessera-bin-experiment}"
data="${TESSERA_DATA:-$runs/data}"
jobs="${JOBS:-1}"
eval_clips="${EVAL_CLIPS:-6}"
cli="$bin/Tessera.Cli"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 DOTNET_gcServer=0
mkdir -p "$dir"

[[ -x "$cli" ]] || { echo "publishing the CLI to $bin"; dotnet publish "$root/src/Tessera.Cli" -c Release -o "$bin" > /dev/null; }
if [[ ! -f "$data/bundled.csv" || ! -f "$data/clips.csv" ]]; then
  echo "preparing the clips in $data"
  eval "$(sed -n '/^prepare_data()/,/^}/p' "$root/scripts/train-bundled.sh")"
  prepare_data
fi
if [[ ! -f "$dir/priors/adjective_noun.safetensors" || ! -f "$dir/priors/adverb_verb.safetensors" ]]; then
  vectors="${WORD_VECTORS:-$("$root/scripts/fetch-word-vectors.sh")}"
  "$cli" codebook build --vectors "$vectors" --output-dir "$dir/priors" | tee "$dir/priors.txt"
fi

final_step() { ls "$1"/checkpoints/step-*.safetensors 2>/dev/null | sort | tail -n 1 | sed 's/.*step-0*\([0-9]*\)\.safetensors/\1/'; }

# train ARM CONFIG STEPS [extra train args...]: trains (or resumes) one arm's run.
train() {
  local arm="$1" cfg="$2" n="$3"; shift 3
  local out="$dir/$arm"
  [[ -f "$out/done" ]] && return 0
  echo "$(date -u +%FT%TZ) $arm: $n steps"
  (cd "$dir" && "$cli" train -c "$cfg" --max-steps "$n" --eval-every "$n" --data "$data/bundled.csv" --split train -o "$out" \
    --eval-data "$data/clips.csv" --eval-split eval --threads 1 --resume --quiet "$@") > "$out.log" 2>&1 \
    || { echo "$arm failed (log $out.log)" >&2; return 1; }
  touch "$out/done"
}

# A SweetTok config for one arm: the checkout's config with the arm's tessera: keys put first in that section (the
# config's own lines for those keys removed; they appear nowhere else at that indentation).
sweet_config() {
  local name="$1" extra="$2" keys
  keys="$(printf '%b' "$extra" | sed -n 's/^    \([a-z_]*\):.*/\1/p' | paste -sd'|')"
  sed -E "/^    ($keys):/d" "$root/configs/sweettok_compact_64_80q.yaml" \
    | sed "s|^tessera:\$|tessera:\n$extra|" \
    | sed "s|^    eval_clips: .*|    eval_clips: $eval_clips|" > "$dir/$name.yaml"
  echo "$dir/$name.yaml"
}

# 1. The grid tokenizer, which is also the proxy.
sed "s|^  eval_clips: .*|  eval_clips: $eval_clips|" "$root/configs/tessera_small_fsq_causal_488_4096.yaml" > "$dir/vidtok_fsq.yaml"
train vidtok_fsq "$dir/vidtok_fsq.yaml" "$steps"
proxy="$dir/vidtok_fsq/proxy.safetensors"
[[ -f "$proxy" ]] || "$cli" convert "$(printf '%s/vidtok_fsq/checkpoints/step-%08d.safetensors' "$dir" "$(final_step "$dir/vidtok_fsq")")" \
  --config "$dir/vidtok_fsq.yaml" --ema -o "$proxy" > /dev/null

s0=$(( steps / 4 )); s2=$(( steps / 2 )); s1=$(( steps - s0 - s2 ))
common="    proxy: '$proxy'\n    spatial_prior: '$dir/priors/adjective_noun.safetensors'\n    temporal_prior: '$dir/priors/adverb_verb.safetensors'"

last_checkpoint() { printf '%s/%s/checkpoints/step-%08d.safetensors' "$dir" "$1" "$(final_step "$dir/$1")"; }

# sweet ARM BOOK PRETRAIN_STEPS STAGE1_STEPS: [stage 0 →] stage 1 → stage 2 (warm-up a tenth of each stage).
sweet() {
  local arm="$1" book="$2" n0="$3" n1="$4" init=""
  if (( n0 > 0 )); then
    train "${arm}_stage0" "$(sweet_config "${arm}_stage0" "$common\n    codebook: $book\n    stage: 0\n    warmup_steps: $(( n0 / 10 ))")" "$n0"
    init="\n    init_from: '$(last_checkpoint "${arm}_stage0")'"
  fi
  train "${arm}_stage1" "$(sweet_config "${arm}_stage1" "$common\n    codebook: $book\n    warmup_steps: $(( n1 / 10 ))$init")" "$n1"
  train "$arm" "$(sweet_config "$arm" "$common\n    codebook: $book\n    stage: 2\n    learning_rate: 1e-4\n    disc_start: 100000000\n    warmup_steps: $(( s2 / 10 ))\n    init_from: '$(last_checkpoint "${arm}_stage1")'")" "$s2"
}

pids=()
run_arm() {
  [[ -z "${ARMS:-}" || " $ARMS " == *" $2 "* ]] || return 0
  "$@" &
  pids+=($!)
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || true; done
}
run_arm sweet sweettok language "$s0" "$s1"
run_arm sweet sweettok_no_curriculum language 0 $(( s0 + s1 ))
run_arm sweet sweettok_learned_book learned "$s0" "$s1"
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
(( status == 0 )) || { echo "an arm failed; run the script again to finish it (finished arms are kept)" >&2; exit 1; }

# The table, once every arm has finished.
for arm in vidtok_fsq sweettok sweettok_no_curriculum sweettok_learned_book; do
  [[ -f "$dir/$arm/done" ]] || { echo "$arm has not finished yet; the table is written when it has"; exit 0; }
done
read -r adjectives nouns < <(sed -n 's/.*adjective_noun.safetensors: \([0-9]*\) adjectives + \([0-9]*\) nouns.*/\1 \2/p' "$dir/priors.txt")
read -r adverbs verbs < <(sed -n 's/.*adverb_verb.safetensors: \([0-9]*\) adverbs + \([0-9]*\) verbs.*/\1 \2/p' "$dir/priors.txt")
# Training minutes of a run: its logged seconds per step times the steps each log row stands for (evaluation and
# start-up left out; a run resumed after a crash counts its steps once).
train_seconds() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "sec_per_step") c = i; next }
           { s += $c * ($1 - prev); prev = $1 } END { printf "%.0f", s }' "$dir/$1/train_log.csv"
}
row() {
  local label="$1" tokens="$2" indices="$3" bits="$4"; shift 4
  local s=0 m psnr ssim last
  for run in "$@"; do s=$(( s + $(train_seconds "$run") )); done
  m=$(( (s + 30) / 60 ))
  last="$(tail -n 1 "$dir/${!#}/eval_log.csv")"
  IFS=, read -r _ psnr ssim <<< "$last"
  printf '| %s | %s | %s | %s | %s | %.2f | %.3f |\n' "$label" "$tokens" "$indices" "$bits" "$m" "$psnr" "$ssim"
}
sweet_bits=$(awk -v a="$adjectives" -v n="$nouns" -v d="$adverbs" -v v="$verbs" \
  'BEGIN { l = log(2); printf "%.0f", 16 * (2 * log(a) / l + log(n) / l) + 64 * (2 * log(d) / l + log(v) / l) }')
{
  echo "Budget: $steps steps per arm, batch 1, one thread each; SweetTok: $s0 steps of spatial pre-training on single frames"
  echo "(curriculum arms) + stage 1 to $(( s0 + s1 )) + $s2 steps of stage 2; stage 1 distils the VidTok-FSQ arm's model."
  echo "held-out: data/clips.csv split eval, first $eval_clips clips, 17 frames of 64x64 at 3 fps, EMA weights at the last step."
  echo
  echo "| arm | tokens / clip | indices / clip | bits / clip | training minutes | PSNR dB | SSIM |"
  echo "|---|---|---|---|---|---|---|"
  row "VidTok-FSQ (small, 4x8x8, 4096 codes)" 320 320 3840 vidtok_fsq
  row "SweetTok, curriculum (16 + 64 queries)" 80 240 "$sweet_bits" sweettok_stage0 sweettok_stage1 sweettok
  row "SweetTok without the curriculum" 80 240 "$sweet_bits" sweettok_no_curriculum_stage1 sweettok_no_curriculum
  row "SweetTok with a plain learned codebook" 80 240 "$sweet_bits" sweettok_learned_book_stage0 sweettok_learned_book_stage1 sweettok_learned_book
} | tee "$dir/results.md"
exit 0
}
