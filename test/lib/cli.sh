# test/lib/cli.sh: the start that the test/test_cli_*.sh tests share, sourced
# first thing as
#     . "$1/test/lib/cli.sh"
# while $1 and $2 are still the test's arguments (the source tree and the
# build tree). It sets src, build, M (the memregion program: the test fails
# if it is not built) and failures=0, and defines fail, run, expect and json.
# `cli_tmpdir NAME` then makes $tmp, a fresh "mr-cli-NAME-<pid>-*" directory
# under $TMPDIR (or /tmp), removed at exit after the commands in $cli_at_exit.
# (Not a test/*.sh itself: every one of those is registered as a test.)
set -u
# shellcheck disable=SC2034 # for the tests that read the source tree
src=$1
build=$2
M=$build/tools/memregion
[ -x "$M" ] || { echo "FAIL: $M not built" >&2; exit 1; }

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# run CMD...: stdout in $tmp/out, stderr in $tmp/err, status in $rc
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
# expect RC PATTERN_IN_STDOUT_OR_EMPTY PATTERN_IN_STDERR_OR_EMPTY DESCRIPTION
expect() {
    [ "$rc" = "$1" ] || fail "$4: exit $rc, expected $1 (stderr: $(head -c 300 "$tmp/err"))"
    [ -z "$2" ] || grep -q -- "$2" "$tmp/out" || fail "$4: stdout lacks '$2' (got: $(head -c 300 "$tmp/out"))"
    [ -z "$3" ] || grep -q -- "$3" "$tmp/err" || fail "$4: stderr lacks '$3' (got: $(head -c 300 "$tmp/err"))"
}
# json DESCRIPTION: the last stdout is valid JSON (checked when python3 is here)
json() {
    command -v python3 >/dev/null 2>&1 || return 0
    python3 -m json.tool "$tmp/out" >/dev/null 2>&1 || fail "$1: not valid JSON: $(head -c 300 "$tmp/out")"
}

cli_at_exit=
cli_exit() {
    eval "$cli_at_exit"
    rm -rf "$tmp"
}
cli_tmpdir() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/mr-cli-$1-$$-XXXXXX")
    trap cli_exit EXIT
    trap 'exit 1' INT TERM
}
