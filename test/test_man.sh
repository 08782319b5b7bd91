#!/bin/sh
# SPDX-License-Identifier: MIT
# test_man: the man pages in docs/man/ are what docs/gen_man.py makes of the
# headers and of the program's --help (and docs/cli/ still holds that help
# word for word), and man renders every one of them without a warning.
# Arguments: the source tree and the build tree.
set -eu
src=$1
build=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3" >&2; exit 77; }
[ -x "$build/tools/memregion" ] || fail "no program at $build/tools/memregion"
python3 "$src/docs/gen_man.py" --check --memregion "$build/tools/memregion" ||
    fail "the man pages are out of step (see above)"

command -v man >/dev/null 2>&1 || {
    echo "SKIP: no man (install man-db: make deps); the pages are in step" >&2; exit 77; }
n=0
bad=0
for page in "$src"/docs/man/man[137]/*.[137]; do
    out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) ||
        { echo "man failed on $page" >&2; bad=$((bad + 1)); }
    if [ -n "$out" ]; then
        echo "$page:" >&2
        echo "$out" >&2
        bad=$((bad + 1))
    fi
    n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no pages in $src/docs/man"
[ "$bad" = 0 ] || fail "$bad of $n pages draw warnings from man"
echo "man pages: $n in step and rendered without a warning"
