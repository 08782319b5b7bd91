#!/bin/sh
# SPDX-License-Identifier: MIT
# test_cli_serve: `memregion serve NAME` and `memregion connect NAME` carry
# a file each way at once, byte for byte (cmp), with either side started
# first, through files and through shell pipes; a 10 MiB stream; an empty
# input; bytes arrive before the input ends; an idle connection costs no CPU
# (no busy loop); a server or client killed makes the other exit 1 with a
# message; a reader that quits ends its side with 0 and the other side too;
# a missing peer times out; wrong arguments exit 2; `memregion services`
# lists a live server with its pid (--json parses) and a stale one, which
# the next serve replaces; SIGTERM while waiting removes the socket file;
# another user (as uid 65534) is refused, or carried with --any-user;
# standard output is blocking again after the end;
# nothing is left in the directory or /dev/shm. The directory is this
# test's own ($XDG_RUNTIME_DIR). Arguments: the source tree and the build tree.
. "$1/test/lib/cli.sh"
bg=
test_tmpdir cli-serve
# shellcheck disable=SC2016 # expanded at exit
at_exit='for p in $bg; do kill -9 "$p" 2>/dev/null; done'
mkdir -m 0700 "$tmp/xdg"
export XDG_RUNTIME_DIR=$tmp/xdg
sockdir=$tmp/xdg/memregion-$(id -u)
n=mrs$$
ls /dev/shm >"$tmp/shm.before" 2>/dev/null
# wait_sock NAME: until the service's socket file is there (up to 4 s)
wait_sock() {
    i=0; while [ ! -S "$sockdir/$1.svc" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
}
# wait_live NAME: until services lists NAME as live (up to 4 s)
wait_live() {
    i=0; while ! "$M" services 2>/dev/null | grep -q "^$1  *live" && [ $i -lt 200 ]; do
        sleep 0.02; i=$((i + 1)); done
}
# wait_size FILE BYTES: until FILE holds at least BYTES (up to 10 s)
wait_size() {
    i=0; while [ "$(wc -c <"$1")" -lt "$2" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}

# help and wrong arguments
run "$M" serve --help;        expect 0 "usage: memregion serve NAME" "" "serve --help"
run "$M" connect --help;      expect 0 "usage: memregion connect NAME" "" "connect --help"
run "$M" services --help;     expect 0 "usage: memregion services" "" "services --help"
run "$M" help serve;          expect 0 "One client" "" "help serve"
run "$M" serve </dev/null;    expect 2 "" "serve: missing NAME" "serve without NAME"
run "$M" connect </dev/null;  expect 2 "" "connect: missing NAME" "connect without NAME"
run "$M" serve a/b </dev/null; expect 2 "" "invalid NAME 'a/b'" "serve a/b"
run "$M" connect .x </dev/null; expect 2 "" "invalid NAME '.x'" "connect .x"
run "$M" serve @ </dev/null;  expect 2 "" "invalid NAME '@'" "serve @"
run "$M" serve x y </dev/null; expect 2 "" "unexpected argument 'y'" "serve x y"
run "$M" serve x --capacity 3000 </dev/null; expect 2 "" "invalid capacity '3000'" "serve --capacity 3000"
run "$M" serve x --timeout x </dev/null; expect 2 "" "invalid timeout 'x'" "serve --timeout x"
run "$M" connect x --capacity 1M </dev/null; expect 2 "" "is an option of 'serve'" "connect --capacity"
run "$M" connect x --frob </dev/null; expect 2 "" "unknown option '--frob'" "connect --frob"
run "$M" services x;          expect 2 "" "unexpected argument 'x'" "services x"
run "$M" services --frob;     expect 2 "" "unknown option '--frob'" "services --frob"

# no services yet: the header alone, and an empty JSON array
run "$M" services;            expect 0 "^NAME *STATE *PID *UID" "" "services, none"
[ "$(wc -l <"$tmp/out")" = 1 ] || fail "services, none: $(cat "$tmp/out")"
run "$M" services --json;     expect 0 "^\[\]$" "" "services --json, none"

# a file each way at once, serve started first (odd sizes)
head -c 3145731 /dev/urandom >"$tmp/a"
head -c 2097157 /dev/urandom >"$tmp/b"
"$M" serve "$n" --timeout 10 <"$tmp/a" >"$tmp/b.out" 2>"$tmp/serve.err" &
sp=$!; bg="$bg $sp"
wait_sock "$n"
# while it waits: services lists it, live, with its pid
run "$M" services;            expect 0 "^$n  *live  *$sp  *$(id -u)  *service$" "" "services with a live server"
run "$M" services --json;     expect 0 "\"pid\": $sp" "" "services --json with a live server"
json "services --json"
run "$M" connect "$n" --timeout 10 <"$tmp/b"; expect 0 "" "" "connect after serve"
cmp -s "$tmp/a" "$tmp/out" || fail "serve first: serve -> connect differs ($(wc -c <"$tmp/out") bytes)"
wait_for "$sp" 10; [ "$rc" = 0 ] || fail "serve first: serve exited $rc: $(cat "$tmp/serve.err")"
cmp -s "$tmp/b" "$tmp/b.out" || fail "serve first: connect -> serve differs ($(wc -c <"$tmp/b.out") bytes)"
[ -s "$tmp/err" ] || [ -s "$tmp/serve.err" ] && fail "stderr not empty: $(cat "$tmp/err" "$tmp/serve.err")"
[ -e "$sockdir/$n.svc" ] && fail "serve left its socket file"

# connect started first, through shell pipes on both sides, a 4 KiB ring
"$M" connect "$n" --timeout 10 <"$tmp/b" 2>"$tmp/conn.err" | cat >"$tmp/a.out" &
cp=$!; bg="$bg $cp"
sleep 0.3
cat "$tmp/a" | "$M" serve "$n" --timeout 10 --capacity 4K 2>"$tmp/serve.err" | cat >"$tmp/b.out"
wait_for "$cp" 10
cmp -s "$tmp/a" "$tmp/a.out" || fail "connect first: serve -> connect differs ($(wc -c <"$tmp/a.out") bytes)"
cmp -s "$tmp/b" "$tmp/b.out" || fail "connect first: connect -> serve differs ($(wc -c <"$tmp/b.out") bytes)"
[ -s "$tmp/conn.err" ] || [ -s "$tmp/serve.err" ] && fail "stderr not empty: $(cat "$tmp/conn.err" "$tmp/serve.err")"

# a 10 MiB stream one way, empty input the other
head -c 10485760 /dev/urandom >"$tmp/big"
"$M" serve "$n" --timeout 10 <"$tmp/big" >"$tmp/b.out" 2>"$tmp/serve.err" &
sp=$!; bg="$bg $sp"
run "$M" connect "$n" --timeout 10 </dev/null; expect 0 "" "" "connect of 10 MiB"
cmp -s "$tmp/big" "$tmp/out" || fail "10 MiB: the bytes differ ($(wc -c <"$tmp/out") bytes)"
wait_for "$sp" 10; [ "$rc" = 0 ] || fail "10 MiB: serve exited $rc: $(cat "$tmp/serve.err")"
[ -s "$tmp/b.out" ] && fail "empty input: serve wrote $(wc -c <"$tmp/b.out") bytes"

# a reader slower than the stream: connect's stdout fills and it waits
# for room in poll, and serve for room in the ring
"$M" serve "$n" --timeout 10 <"$tmp/big" >/dev/null 2>"$tmp/serve.err" &
sp=$!; bg="$bg $sp"
"$M" connect "$n" --timeout 10 </dev/null 2>"$tmp/conn.err" | { sleep 1; cat; } >"$tmp/out"
cmp -s "$tmp/big" "$tmp/out" || fail "slow reader: the bytes differ ($(wc -c <"$tmp/out") bytes)"
[ -s "$tmp/conn.err" ] && fail "slow reader: connect said $(cat "$tmp/conn.err")"
wait_for "$sp" 10; [ "$rc" = 0 ] || fail "slow reader: serve exited $rc: $(cat "$tmp/serve.err")"

# Inputs that stay open: two fifos this shell holds open for writing
# (fds 7 and 8), so that no sleeping writer outlives the test.
mkfifo "$tmp/in1" "$tmp/in2"
exec 7<>"$tmp/in1" 8<>"$tmp/in2"
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# bytes arrive while the input is still open, and an idle connection
# sleeps: neither side uses CPU while nothing moves (no busy loop); then
# the server killed: connect exits 1 at once, with a message
: >"$tmp/out"
"$M" serve "$n" --timeout 10 <"$tmp/in1" >/dev/null 2>&1 &
sp=$!; bg="$bg $sp"
"$M" connect "$n" --timeout 10 <"$tmp/in2" >"$tmp/out" 2>"$tmp/conn.err" &
cp=$!; bg="$bg $cp"
echo hello >&7
wait_size "$tmp/out" 6
[ "$(cat "$tmp/out")" = hello ] || fail "bytes before the end of the input: got '$(cat "$tmp/out")'"
s0=$(ticks "$sp"); c0=$(ticks "$cp")
sleep 1
s1=$(ticks "$sp"); c1=$(ticks "$cp")
[ $((s1 - s0)) -le 5 ] || fail "idle serve used $((s1 - s0)) ticks of CPU in 1 s"
[ $((c1 - c0)) -le 5 ] || fail "idle connect used $((c1 - c0)) ticks of CPU in 1 s"
kill -9 "$sp"; wait "$sp" 2>/dev/null
t0=$(now)
wait_for "$cp" 5
[ "$rc" = 1 ] || fail "connect after the server was killed: exit $rc, expected 1"
grep -q "memregion: connect: $n: the server went away without closing (it died or was killed)" \
    "$tmp/conn.err" || fail "connect after the server was killed said: $(cat "$tmp/conn.err")"
[ $(($(now) - t0)) -le 3 ] || fail "connect took $(($(now) - t0)) s to notice the dead server"

# the client killed: serve exits 1 at once, with a message
"$M" serve "$n" --timeout 10 <"$tmp/in1" >/dev/null 2>"$tmp/serve.err" &
sp=$!; bg="$bg $sp"
wait_sock "$n"
"$M" connect "$n" --timeout 10 <"$tmp/in2" >/dev/null 2>&1 &
cp=$!; bg="$bg $cp"
i=0; while [ -S "$sockdir/$n.svc" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
sleep 0.1
kill -9 "$cp"; wait "$cp" 2>/dev/null
t0=$(now)
wait_for "$sp" 5
[ "$rc" = 1 ] || fail "serve after the client was killed: exit $rc, expected 1"
grep -q "memregion: serve: $n: the client went away without closing (it died or was killed)" \
    "$tmp/serve.err" || fail "serve after the client was killed said: $(cat "$tmp/serve.err")"
[ $(($(now) - t0)) -le 3 ] || fail "serve took $(($(now) - t0)) s to notice the dead client"

# the client's reader quits while nothing more comes (`connect x | head -c 1`
# with serve waiting for its own input): connect sees its stdout's reader
# gone without writing, closes and exits 0; serve hears of the close and
# exits 0 too, its input still open
mkfifo "$tmp/o"
"$M" serve "$n" --timeout 10 <"$tmp/in1" >/dev/null 2>"$tmp/serve.err" &
sp=$!; bg="$bg $sp"
echo x >&7
"$M" connect "$n" --timeout 10 </dev/null >"$tmp/o" 2>"$tmp/conn.err" &
cp=$!; bg="$bg $cp"
[ "$(head -c 1 "$tmp/o")" = x ] || fail "connect | head -c 1: not the first byte"
t0=$(now)
wait_for "$cp" 5
[ "$rc" = 0 ] || fail "connect whose reader quit: exit $rc: $(cat "$tmp/conn.err")"
wait_for "$sp" 5
[ "$rc" = 0 ] || fail "serve after its client closed: exit $rc: $(cat "$tmp/serve.err")"
[ $(($(now) - t0)) -le 3 ] || fail "connect and serve took $(($(now) - t0)) s to end after the reader quit"
exec 7>&- 8>&-

# standard output is made non-blocking only while the loop runs: the pipe
# it writes into is blocking again after the end (its reader, and a shell
# sharing it, would otherwise see EAGAIN)
if command -v python3 >/dev/null 2>&1; then
    "$M" serve "$n" --timeout 10 <"$tmp/a" >/dev/null 2>"$tmp/serve.err" &
    sp=$!; bg="$bg $sp"
    python3 -c '
import fcntl, os, select, subprocess, sys
r, w = os.pipe()
p = subprocess.Popen([sys.argv[1], "connect", sys.argv[2], "--timeout", "10"],
                     stdin=subprocess.DEVNULL, stdout=w)
got = 0
while True:
    if select.select([r], [], [], 0.1)[0]:
        got += len(os.read(r, 1 << 20))
    elif p.poll() is not None:
        break
print(p.returncode, bool(fcntl.fcntl(w, fcntl.F_GETFL) & os.O_NONBLOCK), got)
' "$M" "$n" >"$tmp/flags" 2>&1
    wait_for "$sp" 10
    [ "$(cat "$tmp/flags")" = "0 False $(wc -c <"$tmp/a")" ] ||
        fail "stdout's flags after connect (exit, O_NONBLOCK left, bytes): $(cat "$tmp/flags")"
else
    skip_case "stdout's flags restored" "python3 not found (install python3)"
fi

# the reader of connect quits: connect exits 0 and closes, serve sees the
# close and exits 0 (its input is not wanted any more)
"$M" serve "$n" --timeout 10 <"$tmp/big" >/dev/null 2>"$tmp/serve.err" &
sp=$!; bg="$bg $sp"
{ "$M" connect "$n" --timeout 10 </dev/null 2>"$tmp/conn.err"; echo $? >"$tmp/conn.rc"; } | head -c 10 >/dev/null
[ "$(cat "$tmp/conn.rc")" = 0 ] || fail "connect whose reader quit: exit $(cat "$tmp/conn.rc"): $(cat "$tmp/conn.err")"
wait_for "$sp" 5
[ "$rc" = 0 ] || fail "serve whose client's reader quit: exit $rc: $(cat "$tmp/serve.err")"

# a missing peer times out
t0=$(now)
run "$M" serve "$n" --timeout 1 </dev/null
expect 1 "" "memregion: serve: $n: nobody ran 'memregion connect $n' within 1 s" "serve alone"
run "$M" connect "$n" --timeout 1 </dev/null
expect 1 "" "memregion: connect: $n: no 'memregion serve $n' came within 1 s" "connect alone"
[ $(($(now) - t0)) -le 6 ] || fail "the two timeouts of 1 s took $(($(now) - t0)) s"

# a server killed while it waits leaves a stale socket: listed as stale,
# replaced by the next serve; a second serve on a live name is refused;
# SIGTERM removes the socket file
"$M" serve "$n" --timeout 10 </dev/null >/dev/null 2>&1 &
sp=$!; bg="$bg $sp"
wait_sock "$n"
kill -9 "$sp"; wait "$sp" 2>/dev/null
[ -S "$sockdir/$n.svc" ] || fail "a killed server should have left its socket (test premise)"
run "$M" services;            expect 0 "^$n  *stale  *-  *-$" "" "services with a stale socket"
run "$M" services --json;     expect 0 "\"live\": false, \"pid\": null" "" "services --json, stale"
json "services --json, stale"
"$M" serve "$n" --timeout 10 <"$tmp/a" 2>"$tmp/serve.err" >/dev/null &
sp=$!; bg="$bg $sp"
wait_live "$n"
run "$M" serve "$n" --timeout 1 </dev/null; expect 1 "" "another server offers $n" "second server"
run "$M" connect "$n" --timeout 10 </dev/null; expect 0 "" "" "connect after a stale socket"
cmp -s "$tmp/a" "$tmp/out" || fail "stale socket: the bytes differ"
wait_for "$sp" 10; [ "$rc" = 0 ] || fail "stale socket: serve exited $rc: $(cat "$tmp/serve.err")"
"$M" serve "$n" --timeout 10 </dev/null >/dev/null 2>&1 &
sp=$!; bg="$bg $sp"
wait_sock "$n"
kill -TERM "$sp"; wait "$sp" 2>/dev/null
[ -e "$sockdir/$n.svc" ] && fail "SIGTERM left the server's socket file behind"

# another user: refused by default, carried with --any-user on both sides
# (an abstract name: the other user cannot enter this test's directory)
if nobody_can "another user"; then
    "$M" serve "@$n" --timeout 10 </dev/null >/dev/null 2>"$tmp/serve.err" &
    sp=$!; bg="$bg $sp"
    sleep 0.3
    run $nobody "$M" connect "@$n" --timeout 2 </dev/null
    expect 1 "" "connect: @$n: the server runs as another user" "connect as nobody"
    kill "$sp"; wait "$sp" 2>/dev/null
    "$M" serve "@$n" --any-user --timeout 10 <"$tmp/a" >/dev/null 2>"$tmp/serve.err" &
    sp=$!; bg="$bg $sp"
    sleep 0.3
    run $nobody "$M" connect "@$n" --any-user --timeout 10 </dev/null
    expect 0 "" "" "connect --any-user as nobody"
    cmp -s "$tmp/a" "$tmp/out" || fail "another user: the bytes differ"
    wait_for "$sp" 10; [ "$rc" = 0 ] || fail "another user: serve exited $rc: $(cat "$tmp/serve.err")"
fi

# nothing left behind
[ -z "$(ls -A "$sockdir" 2>/dev/null)" ] || fail "left in $sockdir: $(ls -A "$sockdir")"
ls /dev/shm >"$tmp/shm.after" 2>/dev/null
left=$(comm -13 "$tmp/shm.before" "$tmp/shm.after" | grep -i -e svc -e chan -e "$n")
[ -z "$left" ] || fail "left in /dev/shm: $left"

[ "$failures" = 0 ] || exit 1
echo "memregion serve, connect, services: as specified"
