#!/bin/sh
# SPDX-License-Identifier: MIT
# test_cli_net: the memregion program across hosts, on loopback over UCX's
# tcp transport. `net export` of a 64 MiB file, fetched with `net get` and
# stored back with `net put` byte for byte (cmp), a part by --offset and
# --length, over shm: too; `pipe send --to` / `pipe recv --listen` carry
# 10 MiB exactly with either side started first; a sender killed mid-stream
# makes recv exit 1 with the crash message within MR_NET_DEATH_MS; a wrong
# token, an offset past the end, a put to a read-only export, a refused
# address, a pipe of another NAME: clear errors, exit 1, and the exporter
# serves on; a file truncated under the export stops it (exit 1, not a
# signal); usage errors exit 2. Without the net layer (UCX) the network
# commands say how to get it and exit 2: then this test checks that and
# skips (77). Arguments: the source tree and the build tree.
. "$1/test/lib/cli.sh"
bg=
test_tmpdir cli-net
# shellcheck disable=SC2016 # expanded at exit
at_exit='for p in $bg; do kill -9 "$p" 2>/dev/null; done; rm -f /dev/shm/mrnet$$'
# This VM's other interfaces would be advertised otherwise (docs/net.md).
export UCX_NET_DEVICES=lo

# help and usage errors work with or without the net layer
run "$M" net --help;             expect 0 "net export FILE" "" "net --help"
run "$M" net export --help;      expect 0 "usage: memregion net export" "" "net export --help"
run "$M" net get --help;         expect 0 "usage: memregion net get" "" "net get --help"
run "$M" net put --help;         expect 0 "usage: memregion net put" "" "net put --help"
run "$M" help net;               expect 0 "net get ADDR" "" "help net"
run "$M" net;                    expect 2 "" "missing subcommand" "net alone"
run "$M" net frob;               expect 2 "" "unknown subcommand 'frob'" "net frob"
run "$M" net export;             expect 2 "" "missing" "export without FILE"
run "$M" net get 127.0.0.1:1 00; expect 2 "" "missing" "get without OUT"
run "$M" net get a b c d;        expect 2 "" "unexpected argument 'd'" "get, four operands"
run "$M" net export f --transport x; expect 2 "" "invalid transport 'x'" "export --transport x"
run "$M" net get a b c --offset 1Q; expect 2 "" "invalid offset '1Q'" "get --offset 1Q"
run "$M" net put a b c --timeout x; expect 2 "" "invalid timeout 'x'" "put --timeout x"
run "$M" pipe send x --listen 127.0.0.1:0 </dev/null; expect 2 "" "options of 'pipe recv'" "send --listen"
run "$M" pipe recv x --to 127.0.0.1:1; expect 2 "" "option of 'pipe send'" "recv --to"
run "$M" pipe recv x --allow 10.0.0.0/8; expect 2 "" "go with --listen" "recv --allow alone"

missing="memregion was built without the network layer (UCX): make deps, or apt-get install libucx-dev, and rebuild"
run "$M" net get 127.0.0.1:1 "$(printf '%080d' 0)" "$tmp/none"
if grep -q "built without the network layer" "$tmp/err"; then
    expect 2 "" "$missing" "net get without UCX"
    run "$M" pipe send x --to 127.0.0.1:1 </dev/null; expect 2 "" "$missing" "pipe send --to without UCX"
    run "$M" pipe recv x --listen 127.0.0.1:0; expect 2 "" "$missing" "pipe recv --listen without UCX"
    [ "$failures" = 0 ] || exit 1
    skip "memregion built without UCX (make deps, or apt-get install libucx-dev)"
fi
run "$M" net get 127.0.0.1:1 zz "$tmp/none"; expect 2 "" "invalid TOKEN 'zz'" "get, a TOKEN not hex"

# start_export ARGS...: `net export` in the background on a free port; sets
# $xpid, $port and $tok (its token file); the stderr is $tmp/x.err.
start_export() {
    tok=$tmp/tok.$$.$#
    "$M" net export "$@" --listen 127.0.0.1:0 --token-file "$tok" 2>"$tmp/x.err" &
    xpid=$!
    bg="$bg $xpid"
    i=0
    while ! grep -q " on 127.0.0.1:" "$tmp/x.err" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    port=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/x.err")
    [ -n "$port" ] || die "net export did not start: $(cat "$tmp/x.err")"
}

# 64 MiB fetched and put back byte for byte
head -c 64M /dev/urandom >"$tmp/a" || die "no /dev/urandom"
cp "$tmp/a" "$tmp/served"
start_export "$tmp/served" --write
run "$M" net get "127.0.0.1:$port" "@$tok" "$tmp/got"; expect 0 "" "" "get 64 MiB"
[ ! -s "$tmp/err" ] || fail "get: stderr not empty when not a terminal: $(head -c 200 "$tmp/err")"
cmp -s "$tmp/a" "$tmp/got" || fail "get: 64 MiB differ"
head -c 64M /dev/urandom >"$tmp/b"
run "$M" net put "127.0.0.1:$port" "$(cat "$tok")" "$tmp/b"; expect 0 "" "" "put 64 MiB"
cmp -s "$tmp/b" "$tmp/served" || fail "put: the served file differs from what was put"
run "$M" net get "127.0.0.1:$port" "@$tok" - --offset 1M --length 4096
expect 0 "" "" "get --offset 1M --length 4096 to stdout"
tail -c +1048577 "$tmp/b" | head -c 4096 | cmp -s - "$tmp/out" || fail "get --offset: wrong bytes"
printf 'hello' | "$M" net put "127.0.0.1:$port" "@$tok" - --offset 10 2>"$tmp/err"
rc=$?; expect 0 "" "" "put from stdin at offset 10"
[ "$(dd if="$tmp/served" bs=1 skip=10 count=5 2>/dev/null)" = hello ] || fail "put from stdin: not in the file"

# refusals: clear, exit 1, the exporter serves on
good=$(cat "$tok")
bad=$(printf '%s' "$good" | cut -c1-40)$(printf '%s' "$good" | cut -c41-80 | tr '0-9a-f' '1-9a-f0')
run "$M" net get "127.0.0.1:$port" "$bad" "$tmp/x"; expect 1 "" "does not know this token" "a wrong token"
run "$M" net get "127.0.0.1:$port" "@$tok" "$tmp/x" --offset 65M; expect 1 "" "past the end" "offset past the end"
run "$M" net get "127.0.0.1:$port" "@$tok" "$tmp/x" --offset 64M --length 1; expect 1 "" "reach past the end" "one byte past the end"
run "$M" net put "127.0.0.1:$port" "@$tok" "$tmp/a" --offset 1; expect 1 "" "reach past the end" "put past the end"
kill -0 "$xpid" 2>/dev/null || fail "the exporter died of a refusal"
run "$M" net get "127.0.0.1:$port" "@$tok" "$tmp/got2" --length 1M; expect 0 "" "" "get after the refusals"
t0=$(now)
run "$M" net get 127.0.0.1:1 "@$tok" "$tmp/x"; expect 1 "" "connection refused" "a refused address"
[ $(($(now) - t0)) -le 5 ] || fail "a refused address took $(($(now) - t0)) s"
kill -TERM "$xpid"; wait_for "$xpid" 10
[ "$rc" = 0 ] || fail "export after SIGTERM: exit $rc ($(cat "$tmp/x.err"))"

# --once, shm:, base64 on stdout
name=mrnet$$
"$M" shm create "$name" --size 1M >/dev/null || die "shm create"
head -c 1M "$tmp/a" | "$M" shm write "$name" >/dev/null || die "shm write"
"$M" net export "shm:$name" --listen 127.0.0.1:0 --base64 --once >"$tmp/x.out" 2>"$tmp/x.err" &
xpid=$!; bg="$bg $xpid"
i=0; while ! grep -q " on 127.0.0.1:" "$tmp/x.err" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
port=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/x.err")
b64=$(cat "$tmp/x.out")
[ ${#b64} = 56 ] || fail "--base64: a token of ${#b64} characters: $b64"
run "$M" net get "127.0.0.1:$port" "$b64" "$tmp/got"; expect 0 "" "" "get of shm: in base64"
head -c 1M "$tmp/a" | cmp -s - "$tmp/got" || fail "get of shm: differs"
wait_for "$xpid" 10
[ "$rc" = 0 ] || fail "export --once: exit $rc after its first client left"

# a read-only export refuses put; a file truncated under the export
# stops it (exit 1, not a signal)
cp "$tmp/a" "$tmp/t"
start_export "$tmp/t"
run "$M" net put "127.0.0.1:$port" "@$tok" "$tmp/b" --length 10; expect 1 "" "read-only" "put to a read-only export"
truncate -s 1M "$tmp/t"
"$M" net get "127.0.0.1:$port" "@$tok" "$tmp/x" 2>/dev/null
wait_for "$xpid" 10
[ "$rc" = 1 ] || fail "export of a truncated file: exit $rc, expected 1"
grep -q "shrank while served" "$tmp/x.err" || fail "export of a truncated file: $(cat "$tmp/x.err")"

# pipe across hosts: either side first, 10 MiB exactly
head -c 10M "$tmp/a" >"$tmp/p"
"$M" pipe recv n$$ --listen 127.0.0.1:0 >"$tmp/r1" 2>"$tmp/r.err" &
rpid=$!; bg="$bg $rpid"
i=0; while ! grep -q "listening on" "$tmp/r.err" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/r.err")
run "$M" pipe send n$$ --to "127.0.0.1:$port" <"$tmp/p"; expect 0 "" "" "send --to, recv first"
wait_for "$rpid" 20
[ "$rc" = 0 ] || fail "recv --listen, recv first: exit $rc ($(cat "$tmp/r.err"))"
cmp -s "$tmp/p" "$tmp/r1" || fail "pipe, recv first: the bytes differ"

# send first: a free port found by a listener that goes away first
"$M" pipe recv probe$$ --listen 127.0.0.1:0 --timeout 1 >/dev/null 2>"$tmp/r.err"
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/r.err")
"$M" pipe send n$$ --to "127.0.0.1:$port" <"$tmp/p" 2>"$tmp/s.err" &
spid=$!; bg="$bg $spid"
sleep 1
run "$M" pipe recv n$$ --listen "127.0.0.1:$port"; expect 0 "" "" "recv --listen, send first"
cmp -s "$tmp/p" "$tmp/out" || fail "pipe, send first: the bytes differ"
wait_for "$spid" 20
[ "$rc" = 0 ] || fail "send --to, send first: exit $rc ($(cat "$tmp/s.err"))"

# another NAME is refused
"$M" pipe recv a$$ --listen 127.0.0.1:0 >/dev/null 2>"$tmp/r.err" &
rpid=$!; bg="$bg $rpid"
i=0; while ! grep -q "listening on" "$tmp/r.err" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/r.err")
run "$M" pipe send b$$ --to "127.0.0.1:$port" </dev/null; expect 1 "" "" "send to a recv of another NAME"
wait_for "$rpid" 10
[ "$rc" = 1 ] || fail "recv of another NAME: exit $rc"
grep -q "sends the pipe 'b$$', not 'a$$'" "$tmp/r.err" || fail "recv of another NAME: $(cat "$tmp/r.err")"

# a sender killed mid-stream: recv exits 1 with the crash message, in time
"$M" pipe recv k$$ --listen 127.0.0.1:0 >/dev/null 2>"$tmp/r.err" &
rpid=$!; bg="$bg $rpid"
i=0; while ! grep -q "listening on" "$tmp/r.err" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/r.err")
(cat "$tmp/p"; sleep 30) | "$M" pipe send k$$ --to "127.0.0.1:$port" 2>/dev/null &
spid=$!; bg="$bg $spid"
sleep 1
t0=$(now)
kill -9 "$spid"
wait_for "$rpid" 10
[ "$rc" = 1 ] || fail "recv after its sender was killed: exit $rc"
[ $(($(now) - t0)) -le 6 ] || fail "recv took $(($(now) - t0)) s to see its sender killed"
grep -q "the sender went away before the end of its input (it died or was killed)" "$tmp/r.err" ||
    fail "recv after its sender was killed: $(cat "$tmp/r.err")"

# no receiver: send gives up at --timeout
t0=$(now)
run "$M" pipe send z$$ --to 127.0.0.1:1 --timeout 1 </dev/null; expect 1 "" "connection refused" "send --to nobody"
[ $(($(now) - t0)) -le 4 ] || fail "send --timeout 1 took $(($(now) - t0)) s"

[ "$failures" = 0 ] || exit 1
echo "ok"
