#!/bin/sh
# SPDX-License-Identifier: MIT
# test_cli_share: `memregion share` hands a file and a shm object to
# `memregion attach` over a Unix socket (paths and names carry this test's
# pid, removed on exit); wrong arguments (exit 2), a missing target or socket
# and a timeout (exit 1, named), and permission denied as user nobody.
# Arguments: the source tree and the build tree.
. "$1/test/lib/cli.sh"
n=mr-cli-share-$$
test_tmpdir cli-share
# shellcheck disable=SC2016 # expanded at exit
at_exit='rm -f "/dev/shm/$n"'
chmod 0755 "$tmp"
sock=$tmp/s.sock
# start_share ARGS...: run share in the background and wait (bounded) for its socket
start_share() {
    "$M" share "$@" --socket "$sock" --timeout 10 >"$tmp/share.out" 2>"$tmp/share.err" &
    share_pid=$!
    i=0
    while [ ! -S "$sock" ] && [ $i -lt 200 ] && kill -0 "$share_pid" 2>/dev/null; do
        sleep 0.02; i=$((i + 1))
    done
    [ -S "$sock" ] || fail "share did not listen on $sock: $(cat "$tmp/share.err")"
}

printf 'shared bytes\n' >"$tmp/f"
start_share "$tmp/f"
run "$M" attach "$sock" --dump
expect 0 "^received $tmp/f: 13 bytes, mode 0644, seals none, from pid $share_pid (uid 0)" "" "attach --dump"
grep -q '^00000000: 7368 6172 6564 2062 7974 6573 0a  *shared bytes\.$' "$tmp/out" || fail "attach --dump: $(cat "$tmp/out")"
wait "$share_pid"; [ $? = 0 ] || fail "share exited $?"
grep -q "^shared $tmp/f (13 bytes) with pid [0-9]" "$tmp/share.out" || fail "share output: $(cat "$tmp/share.out")"
[ -e "$sock" ] && fail "share left its socket behind"

"$M" shm create "$n" --size 8K >/dev/null || fail "shm create"
start_share "shm:/$n"
run "$M" attach "$sock" --json; expect 0 "\"size\": 8192" "" "attach --json"
grep -q '"seals": "SEAL"' "$tmp/out" || fail "attach --json: seals of a named object: $(cat "$tmp/out")"
command -v python3 >/dev/null 2>&1 && { python3 -m json.tool "$tmp/out" >/dev/null || fail "attach --json: invalid JSON"; }
wait "$share_pid"

# --keep serves several, until the timeout passes with nobody coming
"$M" share "$tmp/f" --socket "$sock" --keep --timeout 1 >"$tmp/share.out" 2>/dev/null &
share_pid=$!
i=0; while [ ! -S "$sock" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
"$M" attach "$sock" >/dev/null || fail "attach 1 of 2"
"$M" attach "$sock" >/dev/null || fail "attach 2 of 2"
wait "$share_pid"; [ $? = 0 ] || fail "share --keep exited $?"
[ "$(grep -c '^shared' "$tmp/share.out")" = 2 ] || fail "share --keep: $(cat "$tmp/share.out")"

# wrong arguments
run "$M" share "$tmp/f";                  expect 2 "" "share: missing --socket PATH" "share without --socket"
run "$M" share --socket "$sock";          expect 2 "" "share: missing TARGET" "share without target"
run "$M" share "$tmp/f" --socket "$sock" --timeout x; expect 2 "" "invalid timeout 'x'" "share --timeout x"
run "$M" attach;                          expect 2 "" "attach: missing PATH" "attach without path"
run "$M" attach "$sock" --json --dump;    expect 2 "" "exclude each other" "attach --json --dump"

# missing objects, nobody connecting, a socket path taken
run "$M" share "$tmp/none" --socket "$sock"; expect 1 "" "share: $tmp/none: no such file" "share missing target"
run "$M" share "shm:/$n-none" --socket "$sock"; expect 1 "" "share: shm:/$n-none: no such file" "share missing shm"
run "$M" share "$tmp" --socket "$sock";   expect 1 "" "share: $tmp: " "share a directory"

# A failed fstat of the target is reported with its own error. The C
# library's fstat is wrapped (LD_PRELOAD) to fail once, with EIO, on the
# target's fd and then work again, so a second call would hide the error.
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null)
if command -v "${cc:-cc}" >/dev/null 2>&1; then
    cat >"$tmp/fstat_once.c" <<'C'
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fstat(int fd, struct stat *st)
{
    static int failed;
    int (*real)(int, struct stat *) = (int (*)(int, struct stat *))dlsym(RTLD_NEXT, "fstat");
    const char *target = getenv("MR_FSTAT_FAIL");
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = target && !failed ? readlink(link, path, sizeof path - 1) : -1;
    if (n > 0 && (path[n] = 0, strcmp(path, target) == 0)) {
        failed = 1;
        errno = EIO;
        return -1;
    }
    return real(fd, st);
}
C
    "${cc:-cc}" -shared -fPIC -o "$tmp/fstat_once.so" "$tmp/fstat_once.c" -ldl || fail "building the fstat wrapper"
    run env LD_PRELOAD="$tmp/fstat_once.so" MR_FSTAT_FAIL="$(cd "$tmp" && pwd -P)/f" "$M" share "$tmp/f" --socket "$sock" --timeout 1
    expect 1 "" "share: $tmp/f: Input/output error" "share when fstat fails"
    rm -f "$sock"
else
    skip_case "share when fstat fails" "no C compiler (install gcc or clang)"
fi
run "$M" attach "$sock" --timeout 1;      expect 1 "" "attach: $sock: no such socket" "attach missing socket"
run "$M" share "$tmp/f" --socket "$sock" --timeout 1; expect 1 "" "share: $sock: nobody connected within 1 s" "share timeout"
[ -e "$sock" ] && fail "share left its socket behind after a timeout"
: >"$sock"
run "$M" share "$tmp/f" --socket "$sock" --timeout 1; expect 1 "" "share: $sock: exists already" "share on a taken path"
rm -f "$sock"

# permission denied
if nobody_can "permission denied"; then
    chmod 0600 "$tmp/f"
    run $nobody "$M" share "$tmp/f" --socket "$tmp/n.sock"; expect 1 "" "share: $tmp/f: Permission denied" "share as nobody"
    run $nobody "$M" share "shm:/$n" --socket "$tmp/n.sock"; expect 1 "" "share: shm:/$n: Permission denied" "share shm as nobody"
    mkdir "$tmp/ro" && chmod 0755 "$tmp/ro"
    run $nobody "$M" share /bin/sh --socket "$tmp/ro/x.sock"; expect 1 "" "share: $tmp/ro/x.sock: Permission denied" "socket in a read-only dir"
    # A socket anyone may connect to (umask 0, in a directory nobody can
    # enter): share refuses a peer of another user, names it, keeps waiting,
    # and with --any-user hands the object over.
    chmod 0755 "$tmp"
    (umask 0; exec "$M" share "$tmp/f" --socket "$tmp/open.sock" --timeout 1 >"$tmp/share.out" 2>"$tmp/share.err") &
    share_pid=$!
    i=0; while [ ! -S "$tmp/open.sock" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
    run $nobody "$M" attach "$tmp/open.sock" --timeout 2
    [ "$rc" = 1 ] || fail "attach as nobody to another user's share: exit $rc, expected 1"
    wait "$share_pid"; [ $? = 1 ] || fail "share after refusing nobody: expected exit 1 (nobody else came)"
    grep -q "refused pid [0-9]* (uid 65534): not this user" "$tmp/share.err" || fail "share did not name the refused peer: $(cat "$tmp/share.err")"
    grep -q '^shared' "$tmp/share.out" && fail "share handed the object to another user"
    (umask 0; exec "$M" share "$tmp/f" --socket "$tmp/open.sock" --timeout 5 --any-user >"$tmp/share.out" 2>"$tmp/share.err") &
    share_pid=$!
    i=0; while [ ! -S "$tmp/open.sock" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
    run $nobody "$M" attach "$tmp/open.sock" --timeout 2; expect 0 "^received $tmp/f" "" "attach as nobody with --any-user"
    wait "$share_pid"; [ $? = 0 ] || fail "share --any-user exited $?"
    chmod 0700 "$tmp"
fi

# Through a relay that carries bytes but not descriptors (socat): attach
# says no descriptor arrived, and share does not count a handover.
if command -v socat >/dev/null 2>&1; then
    start_share "$tmp/f"
    socat UNIX-LISTEN:"$tmp/relay.sock" UNIX-CONNECT:"$sock" 2>/dev/null &
    relay_pid=$!
    i=0; while [ ! -S "$tmp/relay.sock" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
    run "$M" attach "$tmp/relay.sock" --timeout 5
    expect 1 "" "arrived without its file descriptor" "attach through socat"
    wait "$share_pid"; st=$?
    [ "$st" = 1 ] || fail "share through socat: exit $st, expected 1"
    grep -q "refused the object\|did not confirm" "$tmp/share.err" || fail "share through socat: $(cat "$tmp/share.err")"
    grep -q '^shared' "$tmp/share.out" && fail "share reported a handover through socat"
    kill "$relay_pid" 2>/dev/null; wait "$relay_pid" 2>/dev/null
else
    skip_case "share through a relay" "socat is missing (make deps installs it)"
fi

[ "$failures" = 0 ] || exit 1
echo "memregion share, attach: as specified"
