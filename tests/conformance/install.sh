#!/usr/bin/env bash
# Install the W3C test runner (npm rdf-test-suite; it needs n3 pinned to 2.7.12)
# into tests/conformance/node_modules (ignored by git). tests/conformance/
# test_w3c_suites.py skips with this command as the reason when it is missing.
# Usage: bash tests/conformance/install.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
npm install --no-audit --no-fund --no-save --loglevel=error \
    rdf-test-suite@2.8.0 n3@2.7.12 >/dev/null
echo "rdf-test-suite installed in $here/node_modules"
