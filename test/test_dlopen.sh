#!/bin/sh
# SPDX-License-Identifier: MIT
# test_dlopen: the shared library works when loaded late with dlopen (as
# Python's ctypes or a plugin host loads it): the SIGBUS guard's thread-local
# record is initial-exec TLS, which needs room in the static TLS block that
# glibc keeps for libraries loaded after start-up. A program that does not
# link the library dlopens it, maps a file, truncates it under the mapping,
# and asks for a guarded copy of the vanished page, in the main thread and
# in a second one: -EFAULT both times, not a crash.
# Arguments: the source tree and the build tree.
. "$1/test/lib/test.sh"
lib=$build/libmemregion.so
test_tmpdir dlopen

test -e "$lib" || skip "$lib is not built (build the tree first: make)"
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
command -v "${cc:-cc}" >/dev/null 2>&1 || skip "no C compiler (install gcc or clang)"

cat >"$tmp/late.c" <<'C'
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static int (*guard_copy)(void *, const void *, size_t);
static const unsigned char *gone;

static void *copy_gone(void *out)
{
    unsigned char buf[64];
    *(int *)out = guard_copy(buf, gone, sizeof buf);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    *(void **)&guard_copy = dlsym(h, "mr_guard_copy");
    if (guard_copy == NULL) {
        fprintf(stderr, "dlsym: %s\n", dlerror());
        return 1;
    }
    long ps = sysconf(_SC_PAGESIZE);
    int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, ps) < 0)
        return 1;
    gone = mmap(NULL, (size_t)ps, PROT_READ, MAP_SHARED, fd, 0);
    if (gone == MAP_FAILED || ftruncate(fd, 0) < 0)
        return 1;
    unsigned char buf[64];
    int main_rc = guard_copy(buf, gone, sizeof buf), thread_rc = 0;
    pthread_t t;
    if (pthread_create(&t, NULL, copy_gone, &thread_rc) != 0 || pthread_join(t, NULL) != 0)
        return 1;
    printf("%d %d\n", main_rc, thread_rc);
    return main_rc == -EFAULT && thread_rc == -EFAULT ? 0 : 1;
}
C
"${cc:-cc}" -std=c11 -Wall -Wextra -Werror -o "$tmp/late" "$tmp/late.c" -ldl -pthread ||
    die "cannot build the test program"
# Not linked against the library: it is only ever dlopened.
if command -v readelf >/dev/null 2>&1; then
    readelf -d "$tmp/late" | grep -q 'libmemregion' && die "the test program links the library"
fi
out=$("$tmp/late" "$lib" "$tmp/file") || die "guarded copies after dlopen: exit $?, said '$out'"
[ "$out" = "-14 -14" ] || die "expected -EFAULT twice, got '$out'"
echo "dlopen: guarded copies of a truncated mapping gave $out" >&2
