#!/usr/bin/env bash
# Packs the tessera command-line tool and installs (or updates) it as a .NET tool, so `tessera ...` starts in a
# fraction of a second instead of going through `dotnet run`'s build checks.
#   scripts/install-tool.sh                 # global tool in ~/.dotnet/tools
#   scripts/install-tool.sh --tool-path DIR # into DIR (no PATH change needed: run DIR/tessera)
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=artifacts/pkg
rm -rf "$pkg" src/Tessera.Cli/bin/Release/net10.0/linux-x64/publish
# Writes Tessera.Cli (a pointer) and Tessera.Cli.linux-x64 (the tool with libtorch and the bundled model); install resolves both.
dotnet pack src/Tessera.Cli -c Release -o "$pkg" -v quiet -nologo
if [[ "${1:-}" == "--tool-path" ]]; then
    dotnet tool update --tool-path "$2" --add-source "$pkg" Tessera.Cli
    echo "installed: $2/tessera"
else
    dotnet tool update --global --add-source "$pkg" Tessera.Cli
    case ":$PATH:" in *":$HOME/.dotnet/tools:"*) ;; *) echo "add ~/.dotnet/tools to PATH: export PATH=\"\$PATH:\$HOME/.dotnet/tools\"";; esac
fi
