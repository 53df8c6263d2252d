#!/usr/bin/env bash
# Issue 13's measure of a bundled model: `tessera reconstruct` of each held-out clip at the video's own size and frame
# rate (no resize, no frame skipping), the first N frames, and the mean PSNR/SSIM over the clips. `tessera eval` resizes
# every clip to one size (its --size), so it cannot give this figure.
#
# Usage: scripts/eval-own-size.sh [model name or file] [frames, default 17] [manifest, default data/clips.csv] [split, default eval]
# Environment: TESSERA (the CLI; default: dotnet run --project src/Tessera.Cli -c Release --), THREADS (default: all cores).
# Prints one line per clip (file, size, PSNR, SSIM) and the mean; exits non-zero if a clip fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:-}"
frames="${2:-17}"
manifest="${3:-$root/data/clips.csv}"
split="${4:-eval}"
if [[ -n "${TESSERA:-}" ]]; then tessera=($TESSERA); else tessera=(dotnet run --project "$root/src/Tessera.Cli" -c Release --); fi
args=(--frames "$frames")
[[ -n "$model" ]] && args+=(-m "$model")
[[ -n "${THREADS:-}" ]] && args+=(--threads "$THREADS")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
base="$(cd "$(dirname "$manifest")" && pwd)"
# The manifest's columns by name: 'videos' and 'split'.
header="$(head -n 1 "$manifest")"
col() { awk -F, -v name="$1" '{ for (i = 1; i <= NF; i++) if ($i == name) { print i; exit } }' <<<"$header"; }
vcol="$(col videos)"; scol="$(col split)"
[[ -n "$vcol" && -n "$scol" ]] || { echo "$manifest: needs 'videos' and 'split' columns" >&2; exit 2; }
mapfile -t clips < <(awk -F, -v v="$vcol" -v s="$scol" -v want="$split" 'NR > 1 && $s == want { print $v }' "$manifest")
[[ ${#clips[@]} -gt 0 ]] || { echo "$manifest: no rows with split '$split'" >&2; exit 2; }
printf '%-32s %-10s %9s %7s\n' clip size psnr_db ssim
for clip in "${clips[@]}"; do
  [[ "$clip" = /* ]] || clip="$base/$clip"
  "${tessera[@]}" reconstruct "$clip" "${args[@]}" -o "$work/rec.mkv" > "$work/report.txt" 2> "$work/err.txt" \
    || { echo "$clip: reconstruct failed:" >&2; cat "$work/err.txt" >&2; exit 1; }
  psnr="$(awk '$1 == "PSNR" { print $2 }' "$work/report.txt")"
  ssim="$(awk '$1 == "SSIM" { print $2 }' "$work/report.txt")"
  size="$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0:s=x "$clip" | head -n 1)"
  size="${size%x}"
  printf '%-32s %-10s %9s %7s\n' "$(basename "$clip")" "$size" "$psnr" "$ssim"
  echo "$psnr $ssim" >> "$work/all.txt"
done
awk '{ p += $1; s += $2; n++ } END { printf "%-32s %-10s %9.2f %7.4f\n", "mean (" n " clips)", "", p / n, s / n }' "$work/all.txt"
