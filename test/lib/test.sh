# SPDX-License-Identifier: MIT
# test/lib/test.sh: what every test/*.sh shares, sourced first thing as
#     . "$1/test/lib/test.sh"
# while $1 and $2 are still the test's arguments (the source tree and the
# build tree). It sets src, build and failures=0, and defines:
#   fail MSG            a check failed: counted, and the test goes on
#                       (it ends with [ "$failures" = 0 ] || exit 1)
#   die MSG             a failure after which the test cannot go on: exit 1
#   skip MSG            nothing can be tested here: exit 77, MSG saying what
#                       is missing and how to get it
#   skip_case CASE MSG  one case cannot run here: said on stderr, and the
#                       test goes on and passes on the others
#   test_tmpdir NAME    $tmp, a fresh "mr-NAME-<pid>-*" directory under
#                       $TMPDIR (or /tmp), removed at exit after the
#                       commands in $at_exit
# (Not a test/*.sh itself: every one of those is registered as a test.)
set -u
# shellcheck disable=SC2034 # src and build are for the tests that source this
src=$1
# shellcheck disable=SC2034
build=$2

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
die() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
skip_case() { skip_what=$1; shift; echo "SKIP case $skip_what: $*" >&2; }

at_exit=
test_exit() {
    eval "$at_exit"
    rm -rf "$tmp"
}
test_tmpdir() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/mr-$1-$$-XXXXXX") || die "cannot make a temporary directory"
    trap test_exit EXIT
    trap 'exit 1' INT TERM
}
