#!/bin/sh
# SPDX-License-Identifier: MIT
# test_musl: the library builds with musl (musl-gcc, from Debian's
# musl-tools) as the build compiles it, warning-free, and a few test
# programs that need only the C library pass when linked against it. This
# keeps glibc-only calls (strerrordesc_np) behind their guards.
# Arguments: the source tree and the build tree. Exit 0 pass, 1 fail, 77 skip.
set -e
. "$1/test/lib/test.sh"
if ! command -v musl-gcc >/dev/null 2>&1; then
    echo "SKIP: musl-gcc is not installed (make deps installs musl-tools)" >&2
    exit 77
fi
test_tmpdir musl

# The library includes Linux's own headers (linux/futex.h), which a musl
# system ships apart from libc (Alpine's linux-headers) and Debian's
# musl-gcc leaves out of its search path: these links give it them, and
# nothing of glibc's.
kh=$tmp/kernel-headers
mkdir "$kh"
ln -s /usr/include/linux "$kh/linux"
ln -s /usr/include/asm-generic "$kh/asm-generic"
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
if [ -n "$multiarch" ] && [ -d "/usr/include/$multiarch/asm" ]; then
    ln -s "/usr/include/$multiarch/asm" "$kh/asm"
else
    ln -s /usr/include/asm "$kh/asm"
fi

# The flags of the CMake build (RelWithDebInfo, less -g; MR_WARNINGS, MR_WERROR).
flags="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
       -Wpointer-arith -Wformat=2 -Wundef -Werror"
inc="-I$src/include -I$build/include -I$src/src -isystem $kh"
mkdir "$tmp/obj"
for f in "$src"/src/*.c; do
    # The optional network layer (libmemregion-net) needs UCX, which is
    # built for glibc: not part of the libc-only core this test is about.
    case $(basename "$f") in net.c | net_*.c) continue ;; esac
    o=$tmp/obj/$(basename "$f" .c).o
    # shellcheck disable=SC2086
    musl-gcc $flags -DMR_BUILDING=1 $inc -c "$f" -o "$o" 2>"$tmp/cc.log" ||
        { cat "$tmp/cc.log" >&2; die "musl-gcc does not build $f"; }
done
ar rcs "$tmp/libmemregion.a" "$tmp"/obj/*.o
set -- "$tmp"/obj/*.o
echo "musl: the library builds ($# sources)"

# mr_strerror without strerrordesc_np: musl's own text, and "Unknown error"
# for a code it does not know. (test_base expects glibc's wording.)
cat >"$tmp/test_strerror_musl.c" <<'C'
#include <memregion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    if (strcmp(mr_strerror(-EBADF), strerror(EBADF)) != 0)
        return 2;
    if (strcmp(mr_strerror(ENOENT), strerror(ENOENT)) != 0)
        return 3;
    if (strcmp(mr_strerror(9999), "Unknown error") != 0)
        return 4;
    if (strcmp(mr_strerror(0), "Success") != 0 || strncmp(mr_strerror(-ERANGE), "Out of bounds", 13) != 0)
        return 5;
    return 0;
}
C
for t in test_strerror_musl test_region test_cursor test_alloc test_arena test_copy; do
    c=$src/test/$t.c
    test -f "$c" || c=$tmp/$t.c
    # shellcheck disable=SC2086
    musl-gcc $flags $inc "$c" "$src/test/helpers.c" -o "$tmp/$t" \
        "$tmp/libmemregion.a" -lpthread 2>"$tmp/cc.log" ||
        { cat "$tmp/cc.log" >&2; die "musl-gcc does not build $t"; }
    rc=0
    "$tmp/$t" >"$tmp/$t.log" 2>&1 || rc=$?
    test $rc = 0 || { cat "$tmp/$t.log" >&2; die "$t linked with musl exited $rc"; }
    file "$tmp/$t" 2>/dev/null | grep -q 'statically linked\|musl' || ldd "$tmp/$t" 2>&1 | grep -q musl ||
        die "$t is not linked against musl"
    echo "musl: $t passes"
done
