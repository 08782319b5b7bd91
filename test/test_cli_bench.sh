#!/bin/sh
# SPDX-License-Identifier: MIT
# test_cli_bench: `memregion bench`: --help, wrong arguments (exit 2),
# --quick over every layer within a bounded time with a table that has a
# ratio column, and --json (valid JSON, checked by python3 when present) and
# --svg (valid XML; rendered by rsvg-convert when present) on a subset.
# Arguments: the source tree and the build tree.
. "$1/test/lib/cli.sh"
[ -x "$build/bench/bench_region" ] || skip "the bench programs are not built (configure with -DMR_BUILD_BENCH=ON)"
test_tmpdir cli-bench
mkdir -m 0700 "$tmp/xdg"
export XDG_RUNTIME_DIR=$tmp/xdg # for bench_pipe's `memregion pipe` runs

run "$M" bench --help;         expect 0 "usage: memregion bench" "" "bench --help"
run "$M" help bench;           expect 0 "--quick" "" "help bench"
run "$M" bench extra;          expect 2 "" "bench: unexpected argument 'extra'" "bench extra"
run "$M" bench --frob;         expect 2 "" "unknown option '--frob'" "bench --frob"
run "$M" bench --svg;          expect 2 "" "option '--svg' needs a value" "bench --svg"
run "$M" bench --only frob;    expect 2 "" "invalid --only 'frob'" "bench --only frob"

# every layer --quick does, bounded: about 25 s on a quiet 2-CPU machine
t0=$(date +%s)
run "$M" bench --quick
t=$(($(date +%s) - t0))
expect 0 "^layer  *benchmark  *variant  *figure  *unit  *baseline  *ratio" "" "bench --quick"
[ -s "$tmp/err" ] && fail "bench --quick wrote to stderr (not a terminal): $(head -c 300 "$tmp/err")"
[ "$t" -le 150 ] || fail "bench --quick took $t s"
for layer in region alloc cursor iobuf map sock chan pipe; do
    grep -q "^$layer " "$tmp/out" || fail "bench --quick: no $layer rows"
done
grep -q "bench_shm: not run by --quick" "$tmp/out" || fail "bench --quick does not say it left bench_shm out"
grep -Eq ' chan  *[0-9.]+ s  *pipe  *[0-9]+\.[0-9]{3}$' "$tmp/out" || fail "bench --quick: no pipe ratio row"
echo "bench --quick: $t s" >&2

# --json and --svg, on a quick subset
run "$M" bench --quick --only map,pipe --json --svg "$tmp/b&<.svg"
expect 0 '"results": \[' "" "bench --json --svg"
if command -v python3 >/dev/null 2>&1; then
    python3 -m json.tool "$tmp/out" >/dev/null 2>&1 || fail "bench --json: not valid JSON: $(head -c 300 "$tmp/out")"
    python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$tmp/b&<.svg" ||
        fail "bench --svg: not valid XML"
else
    skip_case "bench --json and --svg validity" "python3 not found (install python3)"
fi
grep -q '"layer": "pipe"' "$tmp/out" || fail "bench --json: no pipe results"
grep -q '"variant": "checked_fits"' "$tmp/out" && fail "bench --only map,pipe ran region"
if command -v rsvg-convert >/dev/null 2>&1; then
    rsvg-convert "$tmp/b&<.svg" -o "$tmp/b.png" || fail "bench --svg: rsvg-convert cannot render it"
else
    skip_case "bench --svg rendering" "rsvg-convert not found (install librsvg2-bin)"
fi
run "$M" bench --only map --svg "$tmp/none/b.svg"; expect 1 "" "bench: $tmp/none/b.svg: " "bench --svg into a missing dir"

[ "$failures" = 0 ] || exit 1
echo "memregion bench: as specified"
