#!/bin/sh
# test_docs: docs/api/*.md are what docs/gen_api.py makes of the headers, so
# the reference pages never drift from the header comments they come from.
# Arguments: the source tree and the build tree.
set -eu
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3" >&2; exit 77; }
python3 "$1/docs/gen_api.py" --check
