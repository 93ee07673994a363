#!/usr/bin/env bash
# Rebuilds api/static/graphiql/ from the npm packages pinned in package-lock.json: installs
# them into a temporary folder (nothing is left in the repository but the output), bundles
# src/main.js and Monaco's workers with esbuild, and writes THIRD_PARTY_LICENSES.txt and
# SHA256SUMS. Needs Node and npm; the service itself does not (the output is committed).
# To move to new versions: edit package.json, run `npm install --package-lock-only` here,
# then this script, and update the versions in api/static/graphiql/README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../api/static/graphiql"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$here/package.json" "$here/package-lock.json" "$here/build.mjs" "$here/src" "$work/"
cd "$work"
# --ignore-scripts: esbuild's binary comes in its platform package, no install script needed.
npm ci --ignore-scripts --no-audit --no-fund
node build.mjs "$out"
