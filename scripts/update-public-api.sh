#!/usr/bin/env bash
# Rewrites src/Tessera/PublicAPI.Shipped.txt from the build's public-API diagnostics: symbols the build reports as
# undeclared (RS0016) are added, declared symbols it can no longer find (RS0017) are removed, the file is sorted, and a
# second build confirms the baseline now matches. Run it after a deliberate change to the public surface (or after
# merging a branch that made one), then review the diff of PublicAPI.Shipped.txt like any other API change.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/src/Tessera"
baseline="$project/PublicAPI.Shipped.txt"
unshipped="$project/PublicAPI.Unshipped.txt"
log="$(mktemp)"
trap 'rm -f "$log" "$baseline.tmp"' EXIT

build() {
  # --no-incremental: an up-to-date build runs no analyzers and so reports nothing.
  dotnet build "$project" --no-incremental -nologo -clp:NoSummary "$@" >"$log" 2>&1
}

build -p:TreatWarningsAsErrors=false || true
python3 - "$log" "$baseline" "$unshipped" <<'PY'
import re, sys
log, baseline, unshipped = sys.argv[1:]
text = open(log, encoding="utf-8").read()
added = set(re.findall(r"RS0016: Symbol '(.+?)' is not part of the declared public API", text))
removed = set(re.findall(r"RS0017: Symbol '(.+?)' is part of the declared (?:public )?API, but is either not public or could not be found", text))
def symbols(path):
    try:
        return [l.rstrip("\n") for l in open(path, encoding="utf-8") if l.strip() and not l.startswith("#")]
    except FileNotFoundError:
        return []
# Anything a merge left in the Unshipped file moves into the one baseline.
current = set(symbols(baseline)) | set(symbols(unshipped))
final = sorted((current - removed) | added, key=lambda s: (s.lower(), s))
with open(baseline + ".tmp", "w", encoding="utf-8", newline="\n") as f:
    f.write("#nullable enable\n" + "".join(s + "\n" for s in final))
with open(unshipped, "w", encoding="utf-8", newline="\n") as f:
    f.write("#nullable enable\n")
print(f"public API: +{len(added)} -{len(removed)} -> {len(final)} symbols")
PY
mv "$baseline.tmp" "$baseline"

if ! build; then
  grep -E "error (RS00|CS)" "$log" | sed -E 's/ \[[^]]*\]$//' | sort -u | head -40 >&2
  echo "update-public-api: the build still fails after updating $baseline (errors above)." >&2
  exit 1
fi
echo "update-public-api: $baseline matches the build."
