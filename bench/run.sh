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
