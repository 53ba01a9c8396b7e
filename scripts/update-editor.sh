#!/usr/bin/env bash
# Refresh the vendored query editor (CodeMirror 5, MIT) from the npm registry.
# A maintainer's tool: the package ships the files, so neither building, installing
# nor serving newsgraph needs npm. Usage: bash scripts/update-editor.sh [VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-5.65.20}"
vendor=src/newsgraph/server/web/static/sparql/vendor
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
npm install --prefix "$work" --no-audit --no-fund --no-save --loglevel=error "codemirror@$version"
pkg="$work/node_modules/codemirror"
cp "$pkg/lib/codemirror.js" "$vendor/codemirror.js"
cp "$pkg/lib/codemirror.css" "$vendor/codemirror.css"
cp "$pkg/mode/sparql/sparql.js" "$vendor/sparql-mode.js"
cp "$pkg/LICENSE" "$vendor/LICENSE-codemirror.txt"
sed -i -E "s/CodeMirror [0-9]+\.[0-9]+\.[0-9]+/CodeMirror $version/; s/codemirror@[0-9.]+/codemirror@$version/" "$vendor/README.md"
echo "vendored CodeMirror $version into $vendor; run the browser tests before committing"
