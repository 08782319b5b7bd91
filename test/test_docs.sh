#!/bin/sh
# SPDX-License-Identifier: MIT
# test_docs: docs/api/*.md are what docs/gen_api.py makes of the headers, so
# the reference pages never drift from the header comments they come from.
# Arguments: the source tree and the build tree.
set -e
. "$1/test/lib/test.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 not found (install python3)"
python3 "$src/docs/gen_api.py" --check
