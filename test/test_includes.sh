#!/bin/sh
# SPDX-License-Identifier: MIT
# test_includes: the include graph follows the layer table of
# docs/architecture.md (no upward or sideways include, no unplaced file).
# Arguments: the source tree and the build tree.
set -e
. "$1/test/lib/test.sh"
command -v python3 >/dev/null 2>&1 || skip "no python3 (apt-get install python3)"
python3 "$src/test/check_includes.py" "$src"

# The check can fail: an upward include and a file no row places, planted in
# a copy of the tree, are both reported.
test_tmpdir includes
mkdir -p "$tmp/docs"
cp -R "$src/include" "$src/src" "$tmp/"
cp "$src/docs/architecture.md" "$tmp/docs/"
printf '#include <memregion/chan.h>\n' >>"$tmp/src/region.c"
printf '/* nobody placed me */\n' >"$tmp/src/stray.c"
if python3 "$src/test/check_includes.py" "$tmp" >"$tmp/out" 2>&1; then
    die "check_includes passed a tree with an upward include"
fi
grep -q 'src/region.c (region) includes memregion/chan.h (chan), a layer above it' "$tmp/out" ||
    die "upward include not reported: $(cat "$tmp/out")"
grep -q 'src/stray.c: in no row of the layer table' "$tmp/out" ||
    die "unplaced file not reported: $(cat "$tmp/out")"
echo "include graph follows docs/architecture.md"
