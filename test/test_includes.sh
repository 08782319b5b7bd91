#!/bin/sh
# SPDX-License-Identifier: MIT
# test_includes: the include graph follows the layer table of
# docs/architecture.md (no upward or sideways include, no unplaced file).
# Arguments: the source tree and the build tree.
set -eu
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3 (apt-get install python3)" >&2; exit 77; }
python3 "$1/test/check_includes.py" "$1"

# The check can fail: an upward include and a file no row places, planted in
# a copy of the tree, are both reported.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mr-includes-$$-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/docs"
cp -R "$1/include" "$1/src" "$tmp/"
cp "$1/docs/architecture.md" "$tmp/docs/"
printf '#include <memregion/chan.h>\n' >>"$tmp/src/region.c"
printf '/* nobody placed me */\n' >"$tmp/src/stray.c"
if python3 "$1/test/check_includes.py" "$tmp" >"$tmp/out" 2>&1; then
    echo "FAIL: check_includes passed a tree with an upward include" >&2; exit 1
fi
grep -q 'src/region.c (region) includes memregion/chan.h (chan), a layer above it' "$tmp/out" ||
    { echo "FAIL: upward include not reported:" >&2; cat "$tmp/out" >&2; exit 1; }
grep -q 'src/stray.c: in no row of the layer table' "$tmp/out" ||
    { echo "FAIL: unplaced file not reported:" >&2; cat "$tmp/out" >&2; exit 1; }
echo "include graph follows docs/architecture.md"
