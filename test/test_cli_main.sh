#!/bin/sh
# SPDX-License-Identifier: MIT
# test_cli_main: the memregion program's frame: --help and --version at the
# top level, "help CMD", unknown commands and options (exit 2, usage on
# stderr), and --help (exit 0, on stdout) for every command.
# Arguments: the source tree and the build tree.
. "$1/test/lib/cli.sh"
test_tmpdir cli-main

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
