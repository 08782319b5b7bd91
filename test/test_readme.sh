#!/bin/sh
# SPDX-License-Identifier: MIT
# test_readme: the README's short example compiles without warnings against
# the built library and prints what the README says it prints.
# Arguments: the source tree and the build tree.
set -e
. "$1/test/lib/test.sh"
test_tmpdir readme

# The first ```c block after "## A short example".
awk '/^## A short example/ { on = 1 } on && /^```c$/ { code = 1; next }
     code && /^```$/ { exit } code { print }' "$src/README.md" >"$tmp/example.c"
test -s "$tmp/example.c" || die "no C example found in README.md"
${CC:-cc} -std=c11 -Wall -Wextra -Werror -I"$src/include" -I"$build/include" \
    "$tmp/example.c" "$build/libmemregion.a" -o "$tmp/example" || die "the README example does not compile"
"$tmp/example" >"$tmp/out" || die "the README example exited with $?"
# Every "/* <text> */" comment on a printf line names the output expected.
sed -n 's|.*printf.*/\* \(.*\) \*/$|\1|p' "$tmp/example.c" >"$tmp/want"
test -s "$tmp/want" || die "the README example states no expected output"
diff -u "$tmp/want" "$tmp/out" || die "the README example prints something else than it says"
