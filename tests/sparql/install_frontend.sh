#!/usr/bin/env bash
# Install the query page's editor (CodeMirror 5, MIT) from the npm registry and
# copy the files the page serves into src/newsgraph/static/sparql/vendor/
# (ignored by git). Without them the page still works, as a plain textarea.
# Usage: bash tests/sparql/install_frontend.sh
set -euo pipefail
CODEMIRROR_VERSION=5.65.20
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
vendor="$repo/src/newsgraph/static/sparql/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
npm install --prefix "$work" --no-audit --no-fund --no-save --loglevel=error \
    "codemirror@$CODEMIRROR_VERSION" >/dev/null
cm="$work/node_modules/codemirror"
mkdir -p "$vendor"
cp "$cm/lib/codemirror.js" "$vendor/codemirror.js"
cp "$cm/lib/codemirror.css" "$vendor/codemirror.css"
cp "$cm/mode/sparql/sparql.js" "$vendor/sparql-mode.js"
cp "$cm/LICENSE" "$vendor/LICENSE-codemirror.txt"
echo "CodeMirror $CODEMIRROR_VERSION installed in $vendor"
