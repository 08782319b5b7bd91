#!/bin/sh
# SPDX-License-Identifier: MIT
# test_cli_demo: `memregion demo` (what `make run` runs) finishes in under 10
# seconds, shows all five steps with their checks passed, leaves nothing
# behind in its temporary directory, and refuses arguments.
# Arguments: the source tree and the build tree.
. "$1/test/lib/cli.sh"
test_tmpdir cli-demo

start=$(date +%s)
TMPDIR=$tmp timeout 60 "$M" demo >"$tmp/out" 2>"$tmp/err"
rc=$?
end=$(date +%s)
[ $rc = 0 ] || fail "demo exited $rc: $(cat "$tmp/err")"
[ $((end - start)) -lt 10 ] || fail "demo took $((end - start)) s"
[ -s "$tmp/err" ] && fail "demo wrote to stderr: $(cat "$tmp/err")"
for want in '^1\. map + view' '     magic = "MRGN"$' '     name = "demo record"$' \
    'read-only mapping: Permission denied (refused' '^2\. shm: a sealed memfd' \
    'sealed SEAL|SHRINK|GROW; shrinking it now fails' '^3\. sock:' \
    'the parent now reads there: "hello from the child"' \
    '^4\. chan: 200000 messages' 'counted 200000 messages and the same checksum' \
    '^5\. TCP: a 64 MiB region' "the child's checksum matches" '^done in [0-9.]* s'; do
    grep -q -- "$want" "$tmp/out" || fail "demo output lacks '$want'"
done
[ -z "$(ls -A "$tmp" | grep -v '^out$\|^err$')" ] || fail "demo left behind: $(ls -A "$tmp")"

"$M" demo extra >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || fail "demo extra: exit $rc"
grep -q "memregion: demo: unexpected argument 'extra'" "$tmp/err" || fail "demo extra: $(cat "$tmp/err")"

[ "$failures" = 0 ] || { cat "$tmp/out" >&2; exit 1; }
echo "memregion demo: all steps, in $((end - start)) s"
