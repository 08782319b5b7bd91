#!/bin/sh
# SPDX-License-Identifier: MIT
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

run() { # BENCH [pinned]: run one benchmark program from the build tree
    exe=$build/bench/$1
    if [ ! -x "$exe" ]; then
        echo "run.sh: $exe not found (build first)" >&2
        exit 1
    fi
    if [ "${2:-}" = pinned ]; then $pin "$exe"; else "$exe"; fi
    echo
}

# Single-process benchmarks, pinned to one CPU: region and allocator costs,
# cursor parsing, byte-order conversion, guarded copies, and 1 GiB of shm
# (bench_shm is kernel-bound, needs 1 GiB free in /dev/shm and skips itself
# otherwise; about 45 s).
for bench in bench_region bench_alloc bench_cursor bench_iobuf bench_map bench_shm; do
    run "$bench" pinned
done

# Two-process benchmarks pin their processes themselves, to one CPU and then
# to two, and report both placements: sockets against raw system calls, the
# shared-memory channel against a socket pair and a hand-written ring (its
# calls, _inline forms, batches and fenced channels; about 2 minutes, ending
# with issue 14's speed lines), `memregion pipe` against a kernel pipe
# (needs tools/memregion built), and a consumer waiting in a waitset or an
# epoll loop against one blocking in mr_chan_peek (about 20 s), a server
# answering 64 (then 1) blocking clients over services and a waitset against
# Unix sockets and an epoll server (about 40 s), and a topic against one
# channel per subscriber (about 10 s).
for bench in bench_sock bench_chan bench_pipe bench_waitset bench_reqresp bench_topic; do
    run "$bench"
done

# The net layer (libmemregion-net, over UCX) against TCP loopback: remote
# channels with 64 KiB and 64-byte messages, 64 MiB get/put, UCX's tcp and
# shared-memory transports, same CPU and two CPUs (about 50 s). Built only
# when UCX was found.
if [ -x "$build/bench/bench_net" ]; then
    run bench_net
else
    echo "run.sh: bench_net not built (memregion built without UCX: make deps)"
    echo
fi

# The topic against ZeroMQ PUB/SUB and iceoryx (started with its iox-roudi
# daemon), 1 and 4 subscribers, 64 B and 64 KiB, both placements (about
# 1-2 minutes); a peer not installed (make bench-deps) is named and skipped.
run bench_topic_peers

# `memregion pipe` between two dd, against dd | dd, 1 GiB from the page
# cache: unpinned, on two CPUs and on one (about 30 s; BENCH_QUICK=1: 256 MiB).
sh "$here/pipe_dd.sh" "$build"
echo

# Instruction counts, which do not drift with the machine.
sh "$here/callgrind.sh" "$build"
