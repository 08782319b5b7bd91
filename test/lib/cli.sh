# SPDX-License-Identifier: MIT
# test/lib/cli.sh: what the test/test_cli_*.sh tests share, on top of
# test/lib/test.sh (sourced from here), sourced first thing as
#     . "$1/test/lib/cli.sh"
# It sets M (the memregion program: the test fails if it is not built) and
# defines run, expect, json, nobody_can, now and wait_for.
. "$1/test/lib/test.sh"
M=$build/tools/memregion
[ -x "$M" ] || die "$M not built"

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
    if ! command -v python3 >/dev/null 2>&1; then
        [ -n "${json_skipped:-}" ] || skip_case "JSON validity" "python3 not found (install python3)"
        json_skipped=1
        return 0
    fi
    python3 -m json.tool "$tmp/out" >/dev/null 2>&1 || fail "$1: not valid JSON: $(head -c 300 "$tmp/out")"
}
# nobody_can CASE: sets $nobody to a command prefix that runs what follows as
# user nobody and succeeds; or says that CASE is skipped and fails.
nobody_can() {
    if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
        return 0
    fi
    skip_case "$1" "acting as user nobody needs root and setpriv (util-linux)"
    return 1
}


# now: the time in whole seconds.
now() { date +%s; }
# wait_for PID SECONDS: wait for a background process, killing it if it
# takes longer; its exit status in $rc (137 when killed).
wait_for() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 20)) ]; do sleep 0.05; i=$((i + 1)); done
    kill -9 "$1" 2>/dev/null
    wait "$1"; rc=$?
}
