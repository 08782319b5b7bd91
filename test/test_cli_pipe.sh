#!/bin/sh
# SPDX-License-Identifier: MIT
# test_cli_pipe: `memregion pipe send NAME` and `memregion pipe recv NAME`
# move a few MiB of random bytes exactly (cmp), with either side started
# first, and an empty input; stderr stays empty when it is not a terminal;
# wrong arguments exit 2; a missing peer times out (exit 1); a side killed
# with SIGKILL mid-stream makes the other exit 1 within seconds; a reader
# that quits makes recv exit 0 and send 1; a socket left by a killed sender
# is cleared; the kernel pipes on either side are grown to 1 MiB; nothing
# is left in the socket directory or in /dev/shm. On the services layer:
# a waiting sender is listed by `memregion services` as pipe-NAME; a killed
# side is told from one that stopped (its input failed: an orderly close
# before the end); a service of another shape under pipe-NAME is refused;
# NAME is at most 59 bytes (pipe-NAME, 64).
# The socket directory is this test's own ($XDG_RUNTIME_DIR), names carry
# the pid. Arguments: the source tree and the build tree.
. "$1/test/lib/cli.sh"
bg=
test_tmpdir cli-pipe
# shellcheck disable=SC2016 # expanded at exit
at_exit='for p in $bg; do kill -9 "$p" 2>/dev/null; done'
mkdir -m 0700 "$tmp/xdg"
export XDG_RUNTIME_DIR=$tmp/xdg
sockdir=$tmp/xdg/memregion-$(id -u)
n=mrp$$
ls /dev/shm >"$tmp/shm.before" 2>/dev/null
now() { date +%s; }
# wait_for PID SECONDS: wait for a background process, killing it if it
# takes longer; its exit status in $rc (137 when killed).
wait_for() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 20)) ]; do sleep 0.05; i=$((i + 1)); done
    kill -9 "$1" 2>/dev/null
    wait "$1"; rc=$?
}

# help and wrong arguments
run "$M" pipe --help;            expect 0 "pipe send NAME" "" "pipe --help"
run "$M" pipe send --help;       expect 0 "usage: memregion pipe send NAME" "" "pipe send --help"
run "$M" pipe recv --help;       expect 0 "usage: memregion pipe recv NAME" "" "pipe recv --help"
run "$M" help pipe;              expect 0 "pipe recv NAME" "" "help pipe"
run "$M" pipe;                   expect 2 "" "pipe: missing subcommand" "pipe without subcommand"
run "$M" pipe frob;              expect 2 "" "unknown subcommand 'frob'" "pipe frob"
run "$M" pipe send </dev/null;   expect 2 "" "pipe send: missing NAME" "send without NAME"
run "$M" pipe recv;              expect 2 "" "pipe recv: missing NAME" "recv without NAME"
run "$M" pipe send a/b </dev/null; expect 2 "" "invalid NAME 'a/b'" "send a/b"
run "$M" pipe recv .x;           expect 2 "" "invalid NAME '.x'" "recv .x"
run "$M" pipe send x y </dev/null; expect 2 "" "unexpected argument 'y'" "send x y"
run "$M" pipe send x --capacity 3000 </dev/null; expect 2 "" "invalid capacity '3000'" "send --capacity 3000"
run "$M" pipe send x --capacity 2G </dev/null; expect 2 "" "invalid capacity '2G'" "send --capacity 2G"
run "$M" pipe send x --timeout x </dev/null; expect 2 "" "invalid timeout 'x'" "send --timeout x"
run "$M" pipe recv x --size 1Q;  expect 2 "" "invalid size '1Q'" "recv --size 1Q"
run "$M" pipe recv x --capacity 1M; expect 2 "" "is an option of 'pipe send'" "recv --capacity"
run "$M" pipe send x --frob </dev/null; expect 2 "" "unknown option '--frob'" "send --frob"
n59=$(printf '%059d' 0); n60=$(printf '%060d' 0)
run "$M" pipe recv "$n60";       expect 2 "" "invalid NAME '$n60': 1 to 59 letters" "recv, a NAME of 60"
run "$M" pipe send "$n60" </dev/null; expect 2 "" "invalid NAME '$n60'" "send, a NAME of 60"
# a NAME of 59 fits a short directory, not this test's long one
short=$(mktemp -d /tmp/mrp.XXXXXX) || die "cannot make a directory under /tmp"
at_exit="$at_exit; rm -rf '$short'"
run env XDG_RUNTIME_DIR="$short" "$M" pipe recv "$n59" --timeout 1
expect 1 "" "no 'memregion pipe send $n59' came within 1 s" "recv, a NAME of 59"
run "$M" pipe send "$n59" --timeout 1 </dev/null
expect 1 "" "set XDG_RUNTIME_DIR to a shorter directory" "send, a socket path too long"

# byte-exact, send started first (an odd size: not a multiple of 8)
head -c 3145731 /dev/urandom >"$tmp/in"
"$M" pipe send "$n" --timeout 10 <"$tmp/in" >"$tmp/send.out" 2>"$tmp/send.err" &
sp=$!; bg="$bg $sp"
i=0; while [ ! -S "$sockdir/pipe-$n.svc" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
# while it waits: services lists it as pipe-NAME, live, with its pid
run "$M" services;               expect 0 "^pipe-$n  *live  *$sp  *$(id -u)  *pipe$" "" "services with a waiting sender"
run "$M" pipe recv "$n" --timeout 10; expect 0 "" "" "recv after send"
cmp -s "$tmp/in" "$tmp/out" || fail "send first: the bytes differ ($(wc -c <"$tmp/out") received)"
[ -s "$tmp/err" ] && fail "recv wrote to stderr: $(head -c 300 "$tmp/err")"
wait_for "$sp" 10; [ "$rc" = 0 ] || fail "send first: send exited $rc: $(cat "$tmp/send.err")"
[ -s "$tmp/send.err" ] && fail "send wrote to stderr: $(head -c 300 "$tmp/send.err")"
[ -s "$tmp/send.out" ] && fail "send wrote to stdout"

# byte-exact, recv started first, through shell pipes on both sides
"$M" pipe recv "$n" --timeout 10 >"$tmp/out2" 2>"$tmp/recv.err" &
rp=$!; bg="$bg $rp"
sleep 0.3
cat "$tmp/in" | "$M" pipe send "$n" --timeout 10 2>"$tmp/send.err"; src=$?
[ "$src" = 0 ] || fail "recv first: send exited $src: $(cat "$tmp/send.err")"
wait_for "$rp" 10; [ "$rc" = 0 ] || fail "recv first: recv exited $rc: $(cat "$tmp/recv.err")"
cmp -s "$tmp/in" "$tmp/out2" || fail "recv first: the bytes differ ($(wc -c <"$tmp/out2") received)"
[ -s "$tmp/send.err" ] || [ -s "$tmp/recv.err" ] && fail "stderr not empty: $(cat "$tmp/send.err" "$tmp/recv.err")"

# a small ring (4 KiB) and --size: still exact
"$M" pipe send "$n" --capacity 4K --size 3145731 --timeout 10 <"$tmp/in" 2>"$tmp/send.err" &
sp=$!; bg="$bg $sp"
run "$M" pipe recv "$n" --timeout 10; expect 0 "" "" "recv from a 4 KiB ring"
cmp -s "$tmp/in" "$tmp/out" || fail "4 KiB ring: the bytes differ"
wait_for "$sp" 10; [ "$rc" = 0 ] || fail "4 KiB ring: send exited $rc: $(cat "$tmp/send.err")"

# the kernel pipes on either side grown to 1 MiB (F_GETPIPE_SZ, asked by
# python3 at the far end of each pipe). The writer's 200000 bytes do not fit
# a pipe of the default 64 KiB, so its write returns only after send has
# read some, which it does after growing the pipe; the reader asks after the
# end of its input, when recv, which grows its pipe first, is done.
if ! command -v python3 >/dev/null 2>&1; then
    skip_case "grown pipes" "python3 not found (install python3)"
elif [ "$(cat /proc/sys/fs/pipe-max-size 2>/dev/null || echo 0)" -lt 1048576 ] && [ "$(id -u)" != 0 ]; then
    skip_case "grown pipes" "/proc/sys/fs/pipe-max-size is below 1 MiB"
else
    python3 -c 'import fcntl, sys
sys.stdout.buffer.write(b"x" * 200000); sys.stdout.buffer.flush()
sys.stderr.write("%d\n" % fcntl.fcntl(1, 1032))' 2>"$tmp/wsize" |
        "$M" pipe send "$n" --timeout 10 2>"$tmp/send.err" &
    sp=$!; bg="$bg $sp"
    "$M" pipe recv "$n" --timeout 10 2>"$tmp/err" | python3 -c 'import fcntl, sys
n = len(sys.stdin.buffer.read()); print(n, fcntl.fcntl(0, 1032))' >"$tmp/rsize"
    wait_for "$sp" 10; [ "$rc" = 0 ] || fail "grown pipes: send exited $rc: $(cat "$tmp/send.err")"
    [ "$(cat "$tmp/wsize")" = 1048576 ] || fail "send's stdin pipe: $(cat "$tmp/wsize") bytes, expected 1048576"
    [ "$(cat "$tmp/rsize")" = "200000 1048576" ] ||
        fail "recv's stdout pipe: '$(cat "$tmp/rsize")', expected 200000 bytes and 1048576 (stderr: $(cat "$tmp/err"))"
fi

# empty input
"$M" pipe send "$n" --timeout 10 </dev/null 2>"$tmp/send.err" &
sp=$!; bg="$bg $sp"
run "$M" pipe recv "$n" --timeout 10; expect 0 "" "" "recv of an empty input"
[ -s "$tmp/out" ] && fail "empty input: recv wrote $(wc -c <"$tmp/out") bytes"
wait_for "$sp" 10; [ "$rc" = 0 ] || fail "empty input: send exited $rc"

# a missing peer times out
t0=$(now)
run "$M" pipe send "$n" --timeout 1 </dev/null
expect 1 "" "memregion: pipe send: $n: nobody ran 'memregion pipe recv $n' within 1 s" "send alone"
run "$M" pipe recv "$n" --timeout 1
expect 1 "" "memregion: pipe recv: $n: no 'memregion pipe send $n' came within 1 s" "recv alone"
[ $(($(now) - t0)) -le 6 ] || fail "the two timeouts of 1 s took $(($(now) - t0)) s"
[ -e "$sockdir/pipe-$n.svc" ] && fail "send left its socket behind after a timeout"

# the sender killed mid-stream: recv exits 1, quickly. (out is emptied
# first: recv's own redirection truncates it only once its shell runs, and
# an earlier run's megabyte would end the wait below at once.)
mkfifo "$tmp/fifo"
: >"$tmp/out"
sh -c 'head -c 1048576 /dev/urandom; exec sleep 60' >"$tmp/fifo" &
pp=$!; bg="$bg $pp"
"$M" pipe send "$n" --timeout 10 <"$tmp/fifo" 2>/dev/null &
sp=$!; bg="$bg $sp"
"$M" pipe recv "$n" --timeout 10 >"$tmp/out" 2>"$tmp/err" &
rp=$!; bg="$bg $rp"
i=0; while [ "$(wc -c <"$tmp/out")" -lt 1048576 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ "$(wc -c <"$tmp/out")" = 1048576 ] || fail "sender killed: only $(wc -c <"$tmp/out") bytes before the kill"
kill -9 "$sp"
t0=$(now)
wait_for "$rp" 5
expect 1 "" "pipe recv: $n: the sender went away before the end of its input (it died or was killed)" "recv after send was killed"
[ $(($(now) - t0)) -le 3 ] || fail "recv took $(($(now) - t0)) s to notice the dead sender"
kill -9 "$pp" 2>/dev/null; wait "$pp" 2>/dev/null

# the receiver killed mid-stream: send exits 1 when its input ends (it
# notices at its next chunk, as a pipe's writer does at its next write)
: >"$tmp/out"
sh -c 'head -c 1048576 /dev/urandom; exec sleep 60' >"$tmp/fifo" &
pp=$!; bg="$bg $pp"
"$M" pipe send "$n" --timeout 10 <"$tmp/fifo" >/dev/null 2>"$tmp/err" &
sp=$!; bg="$bg $sp"
"$M" pipe recv "$n" --timeout 10 >"$tmp/out" 2>/dev/null &
rp=$!; bg="$bg $rp"
i=0; while [ "$(wc -c <"$tmp/out")" -lt 1048576 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ "$(wc -c <"$tmp/out")" = 1048576 ] || fail "receiver killed: only $(wc -c <"$tmp/out") bytes before the kill"
kill -9 "$rp"; wait "$rp" 2>/dev/null
kill -9 "$pp"; wait "$pp" 2>/dev/null
t0=$(now)
wait_for "$sp" 5
[ "$rc" = 1 ] || fail "send after recv was killed: exit $rc, expected 1"
grep -q "pipe send: $n: the receiver went away before the end of the input (it died or was killed)" "$tmp/err" ||
    fail "send after recv was killed: $(cat "$tmp/err")"
[ $(($(now) - t0)) -le 3 ] || fail "send took $(($(now) - t0)) s to notice the dead receiver"

# the reader of recv quits: recv exits 0, send 1 (its input was not all delivered)
head -c 8388608 /dev/zero >"$tmp/big"
"$M" pipe send "$n" --timeout 10 <"$tmp/big" 2>"$tmp/send.err" &
sp=$!; bg="$bg $sp"
{ "$M" pipe recv "$n" --timeout 10 2>"$tmp/recv.err"; echo $? >"$tmp/recv.rc"; } | head -c 10 >/dev/null
[ "$(cat "$tmp/recv.rc")" = 0 ] || fail "recv whose reader quit: exit $(cat "$tmp/recv.rc"): $(cat "$tmp/recv.err")"
[ -s "$tmp/recv.err" ] && fail "recv whose reader quit wrote: $(cat "$tmp/recv.err")"
wait_for "$sp" 5
[ "$rc" = 1 ] || fail "send whose receiver's reader quit: exit $rc, expected 1"
grep -q "pipe send: $n: the receiver's reader quit" "$tmp/send.err" || fail "send: $(cat "$tmp/send.err")"

# the sender's input fails (a directory: read says EISDIR): it closes the
# channel without the end marker; recv exits 1 saying it stopped, not died
mkdir "$tmp/dir"
"$M" pipe send "$n" --timeout 10 <"$tmp/dir" 2>"$tmp/send.err" &
sp=$!; bg="$bg $sp"
run "$M" pipe recv "$n" --timeout 10
expect 1 "" "pipe recv: $n: the sender stopped before the end of its input (it failed" "recv after send's input failed"
wait_for "$sp" 5
[ "$rc" = 1 ] || fail "send whose input failed: exit $rc, expected 1"
grep -q "pipe send: stdin: Is a directory" "$tmp/send.err" || fail "send whose input failed: $(cat "$tmp/send.err")"

# a service of another shape under the pipe's name (serve's duplex one) is
# not a sender: recv says so and exits 1
"$M" serve "pipe-$n" --timeout 10 </dev/null >/dev/null 2>&1 &
sp=$!; bg="$bg $sp"
run "$M" pipe recv "$n" --timeout 10
expect 1 "" "pipe recv: $n: pipe-$n is not 'memregion pipe send' of this version" "recv from a duplex service"
wait_for "$sp" 5

# a sender killed while waiting leaves its socket; the next sender clears it
"$M" pipe send "$n" --timeout 10 </dev/null 2>/dev/null &
sp=$!; bg="$bg $sp"
i=0; while [ ! -S "$sockdir/pipe-$n.svc" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
kill -9 "$sp"; wait "$sp" 2>/dev/null
[ -S "$sockdir/pipe-$n.svc" ] || fail "a killed sender should have left its socket (test premise)"
"$M" pipe send "$n" --timeout 10 <"$tmp/in" 2>"$tmp/send.err" &
sp=$!; bg="$bg $sp"
run "$M" pipe recv "$n" --timeout 10; expect 0 "" "" "recv after a stale socket"
cmp -s "$tmp/in" "$tmp/out" || fail "stale socket: the bytes differ"
wait_for "$sp" 10; [ "$rc" = 0 ] || fail "stale socket: send exited $rc: $(cat "$tmp/send.err")"

# a second sender on a name in use is refused; SIGTERM removes the socket
"$M" pipe send "$n" --timeout 10 </dev/null 2>/dev/null &
sp=$!; bg="$bg $sp"
i=0; while [ ! -S "$sockdir/pipe-$n.svc" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
run "$M" pipe send "$n" --timeout 1 </dev/null; expect 1 "" "another 'memregion pipe send $n' is waiting" "second sender"
kill -TERM "$sp"; wait "$sp" 2>/dev/null
[ -e "$sockdir/pipe-$n.svc" ] && fail "SIGTERM left the sender's socket behind"

# nothing left behind
[ -z "$(ls -A "$sockdir" 2>/dev/null)" ] || fail "left in $sockdir: $(ls -A "$sockdir")"
[ "$(stat -c %a "$sockdir")" = 700 ] || fail "$sockdir has mode $(stat -c %a "$sockdir")"
ls /dev/shm >"$tmp/shm.after" 2>/dev/null
left=$(comm -13 "$tmp/shm.before" "$tmp/shm.after" | grep -i -e pipe -e chan -e "$n")
[ -z "$left" ] || fail "left in /dev/shm: $left"

[ "$failures" = 0 ] || exit 1
echo "memregion pipe send, recv: as specified"
