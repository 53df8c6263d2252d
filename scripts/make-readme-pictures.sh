#!/usr/bin/env bash
# The README's pictures of a bundled model: a held-out clip at its own size, original frames above the model's
# reconstruction of them (`tessera reconstruct`), three frames side by side, written to docs/images/<model>.jpg (JPEG at quality 2 of 31, to keep the repository small).
#
# Usage: scripts/make-readme-pictures.sh <model name or file> [clip] [frames]
#   clip: default imageio_realshort.mp4 from the held-out split (fetched by scripts/fetch-clips.sh into data/clips)
#   frames: how many frames to reconstruct (default 9); the picture shows the first, the middle and the last
# Environment: TESSERA (the CLI; default: dotnet run --project src/Tessera.Cli -c Release --).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:?model name or file}"
clip="${2:-$root/data/clips/imageio_realshort.mp4}"
frames="${3:-9}"
if [[ -n "${TESSERA:-}" ]]; then tessera=($TESSERA); else tessera=(dotnet run --project "$root/src/Tessera.Cli" -c Release --); fi
name="$(basename "$model" .safetensors)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Both videos at the clip's own size and rate, so the frames line up one to one.
"${tessera[@]}" reconstruct "$clip" -m "$model" --frames "$frames" -o "$work/rec.mp4" | tee "$work/report.txt" >&2
ffmpeg -v error -i "$clip" -frames:v "$frames" -c:v libx264 -crf 0 -pix_fmt yuv444p "$work/orig.mp4"
last=$((frames - 1)); mid=$((frames / 2))
pick="select='eq(n\\,0)+eq(n\\,$mid)+eq(n\\,$last)',tile=3x1"
ffmpeg -v error -i "$work/orig.mp4" -vf "$pick" -frames:v 1 "$work/top.png"
ffmpeg -v error -i "$work/rec.mp4" -vf "$pick" -frames:v 1 "$work/bottom.png"
mkdir -p "$root/docs/images"
ffmpeg -v error -y -i "$work/top.png" -i "$work/bottom.png" -filter_complex vstack -q:v 2 "$root/docs/images/$name.jpg"
echo "docs/images/$name.jpg: $(basename "$clip"), frames 0, $mid, $last; top original, bottom $name ($(grep -E '^PSNR' "$work/report.txt" | tr -s ' '))"
