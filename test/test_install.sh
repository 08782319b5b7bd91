#!/bin/sh
# SPDX-License-Identifier: MIT
# test_install: `make install` into a temporary PREFIX, and into a DESTDIR,
# then build a separate program against the installed library with
# pkg-config and with CMake's find_package(memregion), linked to the shared
# and to the static library, and run each one. Then `make uninstall` leaves
# nothing behind but the directories that were there before.
# Arguments: the source tree and the build tree. Exit 0 pass, 1 fail, 77 skip.
set -e
. "$1/test/lib/test.sh"
test_tmpdir install

prefix=$tmp/prefix
make -s -C "$src" install BUILD="$build" PREFIX="$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; die "make install PREFIX=$prefix"; }

for f in include/memregion.h include/memregion/version.h include/memregion/sap.h \
         include/memregion/region.h include/memregion/alloc.h; do
    test -f "$prefix/$f" || die "missing $f"
done
pc=$(find "$prefix" -name memregion.pc)
test -n "$pc" || die "no memregion.pc installed"
libdir=$(dirname "$(dirname "$pc")")
for f in libmemregion.a libmemregion.so; do
    test -e "$libdir/$f" || die "missing $libdir/$f"
done
test -f "$libdir/cmake/memregion/memregionConfig.cmake" || die "no CMake package"
test -f "$prefix/share/bash-completion/completions/memregion" || die "no bash completion installed"

# The shared library exports the mr_ API and nothing else.
others=$(nm -D --defined-only "$libdir/libmemregion.so" | awk '$2 != "A" {print $3}' | grep -v '^mr_' || true)
# (A: the version node MEMREGION_0.1, an absolute symbol, not an export; test_abi checks the set.)
test -z "$others" || die "symbols outside the mr_ namespace are exported: $others"

# DESTDIR: files land under it, while memregion.pc names the real prefix.
make -s -C "$src" install BUILD="$build" PREFIX=/opt/memregion DESTDIR="$tmp/dest" \
    >"$tmp/install2.log" 2>&1 || { cat "$tmp/install2.log" >&2; die "make install DESTDIR"; }
test -f "$tmp/dest/opt/memregion/include/memregion.h" || die "DESTDIR not honoured"
dpc=$(find "$tmp/dest" -name memregion.pc)
grep -q '^prefix=/opt/memregion$' "$dpc" || die "memregion.pc under DESTDIR does not name /opt/memregion"

cat >"$tmp/consumer.c" <<'C'
#include <memregion.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    unsigned char buf[8] = { 0 };
    struct mr_region r = MR_REGION_OF_ARRAY(buf);
    struct mr_arena *a;
    struct mr_region block;
    uint32_t v = 0;
    if (strcmp(mr_version(), MR_VERSION_STRING) != 0)
        return 2;
    if (mr_region_set_u32be(r, 4, 0x01020304) != 0 || buf[4] != 1 || buf[7] != 4)
        return 3;
    if (mr_region_get_u32le(r, 6, &v) != -ERANGE)
        return 4;
    if (mr_arena_create(NULL, &a) != 0)
        return 5;
    if (mr_arena_alloc(a, 100, 64, &block) != 0 || (uintptr_t)block.ptr % 64)
        return 6;
    mr_arena_destroy(a);
    puts("consumer ok");
    return 0;
}
C

check_run() { # program, "shared"|"static"
    out=$("$1") || die "$1 exited with $?"
    test "$out" = "consumer ok" || die "$1 printed: $out"
    if ldd "$1" | grep -q libmemregion; then linked=shared; else linked=static; fi
    test "$linked" = "$2" || die "$1 is linked $linked, expected $2"
}

cc=${CC:-cc}
# CMake's find_package, both targets and the default one.
mkdir "$tmp/cmake"
cat >"$tmp/cmake/CMakeLists.txt" <<EOF2
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(memregion 0.1 REQUIRED)
add_executable(consumer_shared "$tmp/consumer.c")
target_link_libraries(consumer_shared PRIVATE memregion::shared)
add_executable(consumer_static "$tmp/consumer.c")
target_link_libraries(consumer_static PRIVATE memregion::static)
add_executable(consumer_default "$tmp/consumer.c")
target_link_libraries(consumer_default PRIVATE memregion::memregion)
EOF2
cmake -S "$tmp/cmake" -B "$tmp/cmake/build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log" >&2; die "find_package(memregion)"; }
cmake --build "$tmp/cmake/build" >"$tmp/cmake-build.log" 2>&1 || { cat "$tmp/cmake-build.log" >&2; die "building against the CMake package"; }
check_run "$tmp/cmake/build/consumer_shared" shared
check_run "$tmp/cmake/build/consumer_static" static
check_run "$tmp/cmake/build/consumer_default" shared
echo "find_package: shared, static and default targets build and run"

have_pc=yes
command -v pkg-config >/dev/null 2>&1 || have_pc=no
if [ $have_pc = yes ]; then
    export PKG_CONFIG_PATH="$libdir/pkgconfig"
    test "$(pkg-config --modversion memregion)" = "$(sed -n 's/^#define MR_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/memregion/version.h")" ||
        die "pkg-config --modversion disagrees with version.h"
    # shellcheck disable=SC2046
    "$cc" -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags memregion) "$tmp/consumer.c" \
        -o "$tmp/pc_shared" $(pkg-config --libs memregion) -Wl,-rpath,"$libdir" || die "pkg-config shared build"
    check_run "$tmp/pc_shared" shared
    # shellcheck disable=SC2046
    "$cc" -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags memregion) "$tmp/consumer.c" \
        -o "$tmp/pc_static" -L"$libdir" -Wl,-Bstatic -lmemregion -Wl,-Bdynamic || die "pkg-config static build"
    check_run "$tmp/pc_static" static
    echo "pkg-config: shared and static builds run"
fi

# make install builds only what it installs: the libraries and the program.
make -n -C "$src" install BUILD="$build" PREFIX="$prefix" | grep -q -- '--target memregion memregion_static memregion_cli' ||
    die "make install does not build just the library and program targets"

# make uninstall: every installed file goes, with the directories the install
# created (here the whole DESTDIR), while one that was there before stays.
make -s -C "$src" uninstall BUILD="$build" >"$tmp/uninstall.log" 2>&1 ||
    { cat "$tmp/uninstall.log" >&2; die "make uninstall after the DESTDIR install"; }
test ! -e "$tmp/dest" || die "make uninstall left $(find "$tmp/dest" | head -5)"
kept=$tmp/u/prefix
mkdir -p "$kept/share"
make -s -C "$src" install BUILD="$build" PREFIX="$kept" >"$tmp/install3.log" 2>&1 ||
    { cat "$tmp/install3.log" >&2; die "make install PREFIX=$kept"; }
test -x "$kept/bin/memregion" || die "the program is not installed"
"$kept/bin/memregion" --version >/dev/null || die "the installed program does not run"
make -s -C "$src" uninstall BUILD="$build" >"$tmp/uninstall2.log" 2>&1 ||
    { cat "$tmp/uninstall2.log" >&2; die "make uninstall PREFIX=$kept"; }
left=$(cd "$tmp/u" && find . | sort | tr '\n' ' ')
test "$left" = ". ./prefix ./prefix/share " || die "after make uninstall, $tmp/u holds: $left"
test ! -e "$build/install_manifest.txt" || die "make uninstall left install_manifest.txt"
echo "make uninstall: removes every installed file and the directories install created"

if [ $have_pc = no ]; then
    skip_case "pkg-config builds" "pkg-config is not installed (make deps installs it)"
fi
