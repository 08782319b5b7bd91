#!/bin/sh
# test_cli_main: the memregion program's frame: --help and --version at the
# top level, "help CMD", unknown commands and options (exit 2, usage on
# stderr), and --help (exit 0, on stdout) for every command.
# Arguments: the source tree and the build tree.
set -u
src=$1
build=$2
M=$build/tools/memregion
[ -x "$M" ] || { echo "FAIL: $M not built" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mr-cli-main-$$-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# run CMD...: stdout in $tmp/out, stderr in $tmp/err, status in $rc
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
expect() { # expect RC PATTERN_IN_STDOUT_OR_EMPTY PATTERN_IN_STDERR_OR_EMPTY -- description
    [ "$rc" = "$1" ] || fail "$4: exit $rc, expected $1 (stderr: $(head -c 300 "$tmp/err"))"
    [ -z "$2" ] || grep -q -- "$2" "$tmp/out" || fail "$4: stdout lacks '$2'"
    [ -z "$3" ] || grep -q -- "$3" "$tmp/err" || fail "$4: stderr lacks '$3'"
}

version=$(sed -n 's/^project(memregion VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
run "$M" --version;        expect 0 "^memregion $version\$" "" "--version"
run "$M" --help;           expect 0 "usage: memregion <command>" "" "--help"
run "$M" -h;               expect 0 "commands:" "" "-h"
[ -s "$tmp/err" ] && fail "-h wrote to stderr"
run "$M";                  expect 2 "" "usage: memregion" "no command"
[ -s "$tmp/out" ] && fail "no command: usage must go to stderr, not stdout"
run "$M" frobnicate;       expect 2 "" "unknown command 'frobnicate'" "unknown command"
run "$M" --frobnicate;     expect 2 "" "unknown option '--frobnicate'" "unknown option"
run "$M" help shm;         expect 0 "usage: memregion shm" "" "help shm"
run "$M" help nosuch;      expect 2 "" "unknown command 'nosuch'" "help nosuch"

# Every command listed in the top-level help has a --help of its own.
cmds=$("$M" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
[ -n "$cmds" ] || fail "no commands listed in --help"
for c in $cmds; do
    run "$M" "$c" --help;  expect 0 "usage: memregion $c" "" "$c --help"
    run "$M" "$c" -h;      expect 0 "usage: memregion $c" "" "$c -h"
    run "$M" "$c" --no-such-option; expect 2 "" "memregion: $c" "$c --no-such-option"
done

[ "$failures" = 0 ] || exit 1
echo "memregion: frame, help and usage errors as specified ($(echo $cmds | wc -w) commands)"
