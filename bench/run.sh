#!/bin/sh
# bench/run.sh BUILD_DIR: every benchmark, as `make bench` runs them.
#
# First the wall-clock runs, pinned to one CPU so that the scheduler does not
# move them between cores mid-measurement; then the instruction counts
# (bench/callgrind.sh). Figures are ratios to baselines measured in the same
# run: on a machine whose clock drifts, only those mean anything.
set -eu

build=${1:?usage: sh bench/run.sh BUILD_DIR}
here=$(dirname "$0")

pin=
if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
    pin="taskset -c 0"
else
    echo "run.sh: taskset unavailable; running unpinned"
fi

echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -m), $(nproc) CPUs, Linux $(uname -r)"
if [ -r /proc/loadavg ]; then
    echo "== load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)" \
         "(other work on the machine shares its CPUs with the wall-clock runs)"
fi
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null)
echo "== compiler: $("${cc:-cc}" --version 2>/dev/null | head -n 1)," \
     "build type $(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null)"
echo
for bench in bench_region bench_alloc; do
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "run.sh: $exe not found (build first)" >&2
        exit 1
    fi
    $pin "$exe"
done
sh "$here/callgrind.sh" "$build"

# bench_cursor (cursor issue: a cursor parser beats fread on fmemopen in wall
# time): the same steps as the loop above; its instruction counts come from
# callgrind.sh with the others.
for bench in bench_cursor; do
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "run.sh: $exe not found (build first)" >&2
        exit 1
    fi
    $pin "$exe"
done

# bench_iobuf (issue 3: u32be to host order at >= 0.5x memcpy's bandwidth, in
# wall time): the same steps as the loop above; its instruction counts come
# from callgrind.sh with the others.
for bench in bench_iobuf; do
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "run.sh: $exe not found (build first)" >&2
        exit 1
    fi
    $pin "$exe"
done

# bench_shm (issue 4: map and touch 1 GiB of shm at <= 1.02x raw shm_open +
# mmap, with and without populate, in wall time). Kernel-bound (page faults,
# zeroing), so it has no callgrind counts; it needs 1 GiB free in /dev/shm and
# skips itself otherwise; about 45 s.
for bench in bench_shm; do
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "run.sh: $exe not found (build first)" >&2
        exit 1
    fi
    $pin "$exe"
done

# bench_map (issue 4: a guarded copy out of a mapping at >= 0.9x memcpy's
# bandwidth for 64 KiB copies, in wall time): the same steps as the loop
# above; its instruction counts come from callgrind.sh with the others.
for bench in bench_map; do
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "run.sh: $exe not found (build first)" >&2
        exit 1
    fi
    $pin "$exe"
done

# bench_sock (issue 5: send-all/receive-exactly >= 0.97x raw write/read
# throughput in 64 KiB chunks, a 64-byte ping-pong within 3% of the raw
# round trip, fd passing within 5% of raw sendmsg/recvmsg; in wall time):
# it forks its own peer and pins both processes itself (same CPU, then CPUs
# 0 and 1), so it runs without $pin. Then the user-space instructions of the
# parent's side of each variant (the peer runs under callgrind too, but only
# the measured function is counted), which do not drift with the machine.
for bench in bench_sock; do
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "run.sh: $exe not found (build first)" >&2
        exit 1
    fi
    "$exe"
    if command -v valgrind >/dev/null 2>&1; then
        cgdir=$(mktemp -d "${TMPDIR:-/tmp}/mr-sock-cg.XXXXXX")
        echo "$bench: callgrind, instructions inside each variant's function (this process's side)"
        printf '  %-20s %-14s %12s %9s %-20s %9s\n' variant function instructions "Ir/unit" baseline \
            "added/unit"
        "$exe" --list >"$cgdir/list"
        while read -r name func count unit base; do
            rm -f "$cgdir"/cg.*
            valgrind --tool=callgrind --callgrind-out-file="$cgdir/cg.%p" --collect-atstart=no \
                --toggle-collect="$func" "$exe" "$name" </dev/null >/dev/null 2>&1 ||
                { echo "run.sh: $bench $name failed under callgrind" >&2; exit 1; }
            ir=$(for f in "$cgdir"/cg.*; do
                     awk '$1 == "summary:" || $1 == "totals:" { print $2; exit }' "$f"
                 done | sort -n | tail -n 1)
            echo "$name $func $count $unit $base $ir"
        done <"$cgdir/list" >"$cgdir/counts"
        # Added instructions per unit, not a ratio: the raw side is a libc
        # wrapper of a few instructions, the system call itself is not counted.
        awk '{ ir[$1] = $6; line[NR] = $0 }
             END { for (i = 1; i <= NR; i++) { split(line[i], f, " ")
                   printf "  %-20s %-14s %12.0f %9.1f %-20s %9.1f\n", f[1], f[2], f[6],
                          f[6] / f[3], f[5], (f[6] - ir[f[5]]) / f[3] } }' "$cgdir/counts"
        rm -rf "$cgdir"
    fi
done

# bench_chan (issue 6: the shared-memory channel between two processes, in
# wall time: 64 KiB messages at >= 5x a Unix socket pair and >= 0.8x a
# hand-written shared-memory ring; >= 10M 64-byte messages/s one way; a
# busy-waiting 64-byte round trip under 0.5 us, a blocking one no slower
# than a socket pair's). It pins its two processes itself, to one CPU and
# then to two, so it runs without $pin; about 30 s. Kernel- and
# cache-bound: no callgrind counts.
for bench in bench_chan; do
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "run.sh: $exe not found (build first)" >&2
        exit 1
    fi
    "$exe"
done

# bench_pipe (issue 7: `memregion pipe` moves 1 GiB byte-exact faster than a
# kernel pipe, in wall time): gen | cons against gen | memregion pipe send X
# and memregion pipe recv X | cons, checksums compared, on one CPU and on two
# (it pins its processes itself, so it runs without $pin). It needs
# tools/memregion built next to it; about 20 s.
for bench in bench_pipe; do
    exe=$build/bench/$bench
    if [ ! -x "$exe" ]; then
        echo "run.sh: $exe not found (build first)" >&2
        exit 1
    fi
    "$exe"
done
