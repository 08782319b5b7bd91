/* SPDX-License-Identifier: MIT */
/* bench/bench_shm.c: mapping and touching 1 GiB of POSIX shared memory
 * through memregion against raw shm_open + ftruncate + mmap (issue 4's
 * speed goal: at most 1.02x the raw time, with and without populate).
 *
 * One repetition is a whole life: create a named object (pid in the name),
 * size it to 1 GiB, map it shared, write one byte in every page, unmap,
 * close, unlink. The kernel's work (a page fault per page, zeroing, freeing
 * the pages at unlink) is almost all of it; what memregion adds is its checks
 * and a few system calls (fstat before mmap, fchmod for the exact mode). With
 * populate, mmap faults the pages in (raw: MAP_POPULATE; memregion:
 * MR_SHM_MAP_POPULATE, which is madvise(MADV_POPULATE_READ)) and the writes
 * then take no fault. Both sides share the touching loop.
 *
 * Only one object exists at a time, so the run needs 1 GiB free in /dev/shm
 * (it checks first and skips if not); every name is unlinked at exit.
 */
#define _GNU_SOURCE 1
#include <memregion.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "bench.h"

#define SIZE ((size_t)1 << 30)
#define ROUNDS 11

struct ctx {
    char name[64];
    size_t page;
};

static struct ctx ctx;

static void die(const char *what, int err)
{
    fprintf(stderr, "bench_shm: %s: %s\n", what, mr_strerror(err));
    exit(1);
}

/* One byte per page, as a first touch anywhere would. */
static BENCH_NOINLINE void touch_pages(unsigned char *p, size_t len, size_t page)
{
    for (size_t off = 0; off < len; off += page)
        p[off] = (unsigned char)off;
    bench_clobber();
}

static BENCH_NOINLINE void raw_life(const struct ctx *c, int populate)
{
    int fd = shm_open(c->name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        die("shm_open", errno);
    if (ftruncate(fd, (off_t)SIZE) < 0)
        die("ftruncate", errno);
    void *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | (populate ? MAP_POPULATE : 0),
                   fd, 0);
    if (p == MAP_FAILED)
        die("mmap", errno);
    touch_pages(p, SIZE, c->page);
    munmap(p, SIZE);
    close(fd);
    if (shm_unlink(c->name) < 0)
        die("shm_unlink", errno);
}

static BENCH_NOINLINE void mr_life(const struct ctx *c, int populate)
{
    struct mr_shm shm;
    struct mr_map m;
    int rc = mr_shm_open(&shm, c->name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0600);
    if (rc < 0)
        die("mr_shm_open", rc);
    if ((rc = mr_shm_resize(&shm, SIZE)) < 0)
        die("mr_shm_resize", rc);
    if ((rc = mr_shm_map(&shm, 0, MR_SHM_TO_END, populate ? MR_SHM_MAP_POPULATE : 0, &m)) < 0)
        die("mr_shm_map", rc);
    if (m.region.len != SIZE || mr_region_is_ro(m.region))
        die("mr_shm_map", -EPROTO);
    touch_pages(m.region.ptr, m.region.len, c->page);
    mr_shm_unmap(&m);
    mr_shm_close(&shm);
    if ((rc = mr_shm_unlink(c->name)) < 0)
        die("mr_shm_unlink", rc);
}

static void run_raw(void *p) { raw_life(p, 0); }
static void run_mr(void *p) { mr_life(p, 0); }
static void run_raw_populate(void *p) { raw_life(p, 1); }
static void run_mr_populate(void *p) { mr_life(p, 1); }

static const struct bench_variant variants[] = {
    { "raw", "raw_life", "shm_open, ftruncate, mmap, touch, munmap, close, shm_unlink", run_raw,
      "raw" },
    { "mr", "mr_life", "mr_shm_open, resize, map, touch, unmap, close, unlink", run_mr, "raw" },
    { "raw_populate", "raw_life", "as raw, mmap with MAP_POPULATE", run_raw_populate,
      "raw_populate" },
    { "mr_populate", "mr_life", "as mr, MR_SHM_MAP_POPULATE", run_mr_populate, "raw_populate" },
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

static void unlink_at_exit(void)
{
    shm_unlink(ctx.name);
}

int main(int argc, char **argv)
{
    ctx.page = (size_t)sysconf(_SC_PAGESIZE);
    snprintf(ctx.name, sizeof ctx.name, "/mr-bench-%ld", (long)getpid());
    struct bench_suite s = {
        .title = "bench_shm: create, map, touch and remove 1 GiB of POSIX shared memory",
        .unit = "page", .count = SIZE / ctx.page, .rounds = ROUNDS, .v = variants,
        .nv = NVARIANTS, .ctx = &ctx,
    };
    if (argc > 1 && strcmp(argv[1], "--list") == 0)
        return bench_dispatch(&s, argc, argv);

    struct statvfs vfs;
    if (statvfs("/dev/shm", &vfs) < 0) {
        printf("bench_shm: skipped: no /dev/shm\n\n");
        return 0;
    }
    unsigned long long avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
    if (avail < SIZE + SIZE / 8) {
        printf("bench_shm: skipped: %llu MiB free in /dev/shm, 1152 MiB needed\n\n", avail >> 20);
        return 0;
    }
    atexit(unlink_at_exit);
    int rc = bench_dispatch(&s, argc, argv);
    if (rc >= 0)
        return rc;
    bench_time_suite(&s);
    return 0;
}
