#!/bin/sh
# Runs the pinned pnpm on a machine that only has Node 20 and npm.
# pnpm then puts Node 24 (dev dependency "nodejs24") first on PATH for every script it runs.
set -e
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "12.21.0" ]; then
  exec pnpm "$@"
fi
exec npx --yes pnpm@12.21.0 "$@"
