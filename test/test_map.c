/* SPDX-License-Identifier: MIT */
/* test/test_map.c: files as regions. Every mode (read-only refuses writes,
 * shared writes reach the file, private ones do not), empty files, offsets
 * and lengths that are not page-aligned, ranges past the end refused before
 * anything is mapped, the errors of open (missing file, directory, FIFO,
 * device, permissions, bad arguments), mapping a caller's fd, creating a
 * file (exclusive, permissions, a failure that removes what it created),
 * sync, every advice, populate, resize up and down, close (and its error),
 * MR_MAP_INIT as a closed map, the guarded copies' bounds; and after every
 * test, no descriptor and no mapping left. */
#include "helpers.h"
#include "map_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t ps;          /* the page size */

/* ---- files --------------------------------------------------------------- */


/* The byte at offset i of every test file. */
static uint8_t pat(uint64_t i)
{
    return (uint8_t)((i * 131) ^ (i >> 9) ^ 0x5a);
}

/* A file of size bytes of the pattern, with permissions perm. */
static const char *make_file(const char *name, size_t size, mode_t perm)
{
    const char *p = mr_test_tmp(name);
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, perm);
    ASSERT_GE(fd, 0);
    unsigned char buf[4096];
    for (size_t done = 0; done < size;) {
        size_t n = size - done < sizeof buf ? size - done : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = pat(done + i);
        ASSERT_EQ(write(fd, buf, n), (ssize_t)n);
        done += n;
    }
    ASSERT_EQ(close(fd), 0);
    return p;
}

static off_t file_size(const char *p)
{
    struct stat st;
    ASSERT_EQ(stat(p, &st), 0);
    return st.st_size;
}

static uint8_t file_byte(const char *p, off_t off)
{
    uint8_t b = 0;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pread(fd, &b, 1, off), 1);
    close(fd);
    return b;
}

/* The region holds the pattern of the file from offset off. */
static void assert_pattern(struct mr_region r, uint64_t off)
{
    const uint8_t *p = r.ptr;
    for (size_t i = 0; i < r.len; i++)
        if (p[i] != pat(off + i))
            mr_test_fail(__FILE__, __LINE__,
                         "byte %zu of the region (file offset %llu) is %u, not %u", i,
                         (unsigned long long)(off + i), p[i], pat(off + i));
}

/* ---- leaks --------------------------------------------------------------- */

/* Lines of /proc/self/maps that map a file of this run's directory. */
static int count_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (f == NULL)
        return 0;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, mr_test_tmpdir()) != NULL)
            n++;
    fclose(f);
    return n;
}

/* A test leaves no fd open (MR_TEST_RUN) and nothing of the temporary directory mapped. */
#define RUN(test)                                                               \
    do {                                                                        \
        MR_TEST_RUN(test);                                                      \
        ASSERT_EQ(count_maps(), 0);                                             \
    } while (0)

/* A closed map: what every failed open must leave. */
static void assert_closed(const struct mr_map *m)
{
    ASSERT_PTR_EQ(m->region.ptr, NULL);
    ASSERT_EQ(m->region.len, (size_t)0);
    ASSERT_PTR_EQ(m->base, NULL);
    ASSERT_EQ(m->mode, 0u);
}

/* ---- modes --------------------------------------------------------------- */

static void test_read(void)
{
    size_t size = 3 * ps + 100;
    const char *p = make_file("read", size, 0600);
    struct mr_map m;

    ASSERT_OK(mr_map_open(&m, p, MR_MAP_READ, 0));
    ASSERT_EQ(m.region.len, size);
    ASSERT_TRUE(mr_region_is_ro(m.region));
    assert_pattern(m.region, 0);
    ASSERT_ERR(mr_region_set_u8(m.region, 0, 1), -EACCES);
    ASSERT_ERR(mr_region_fill(m.region, 0), -EACCES);
    ASSERT_ERR(mr_map_copy_in(&m, 0, "x", 1), -EACCES);
    uint8_t buf[200];
    ASSERT_OK(mr_map_copy_out(&m, size - 200, buf, 200));
    for (size_t i = 0; i < 200; i++)
        ASSERT_EQ(buf[i], pat(size - 200 + i));
    ASSERT_OK(mr_map_sync(&m, MR_MAP_SYNC)); /* nothing to write */
    mr_map_close(&m);
    assert_closed(&m);
    mr_map_close(&m);
}

static void test_shared(void)
{
    size_t size = 2 * ps + 10;
    const char *p = make_file("shared", size, 0600);
    struct mr_map m, other;

    ASSERT_OK(mr_map_open(&m, p, MR_MAP_SHARED, 0));
    ASSERT_FALSE(mr_region_is_ro(m.region));
    assert_pattern(m.region, 0);
    ASSERT_OK(mr_region_set_u8(m.region, 5, 0xa1));
    ASSERT_OK(mr_region_set_u32be(m.region, ps + 3, 0xdeadbeef));
    ASSERT_OK(mr_map_copy_in(&m, size - 2, "zz", 2));
    /* A write through the map is in the file at once (one page cache). */
    ASSERT_EQ(file_byte(p, 5), 0xa1);
    ASSERT_EQ(file_byte(p, (off_t)ps + 3), 0xde);
    ASSERT_EQ(file_byte(p, (off_t)ps + 6), 0xef);
    ASSERT_EQ(file_byte(p, (off_t)size - 1), 'z');
    /* And in every other mapping of it. */
    ASSERT_OK(mr_map_open(&other, p, MR_MAP_READ, 0));
    ASSERT_EQ(((uint8_t *)other.region.ptr)[5], 0xa1);
    mr_map_close(&other);
    ASSERT_OK(mr_map_sync(&m, MR_MAP_SYNC));
    ASSERT_OK(mr_map_sync(&m, MR_MAP_ASYNC));
    mr_map_close(&m);
    ASSERT_EQ(file_byte(p, 5), 0xa1);
    ASSERT_EQ(file_size(p), (off_t)size);
}

static void test_private(void)
{
    size_t size = 2 * ps;
    const char *p = make_file("private", size, 0600);
    struct mr_map m, other;

    ASSERT_OK(mr_map_open(&m, p, MR_MAP_PRIVATE, 0));
    ASSERT_FALSE(mr_region_is_ro(m.region));
    assert_pattern(m.region, 0);
    ASSERT_OK(mr_region_set_u8(m.region, 7, (uint8_t)~pat(7)));
    ASSERT_OK(mr_map_copy_in(&m, ps, "copy", 4));
    ASSERT_EQ(((uint8_t *)m.region.ptr)[7], (uint8_t)~pat(7));
    ASSERT_MEM_EQ((uint8_t *)m.region.ptr + ps, "copy", 4);
    /* Neither the file nor another mapping sees the writes. */
    ASSERT_EQ(file_byte(p, 7), pat(7));
    ASSERT_EQ(file_byte(p, (off_t)ps), pat(ps));
    ASSERT_OK(mr_map_open(&other, p, MR_MAP_READ, 0));
    assert_pattern(other.region, 0);
    mr_map_close(&other);
    ASSERT_OK(mr_map_sync(&m, MR_MAP_SYNC));
    mr_map_close(&m);
    ASSERT_EQ(file_byte(p, 7), pat(7));
    /* A private map needs only read access. */
    ASSERT_EQ(chmod(p, 0400), 0);
    ASSERT_OK(mr_map_open(&m, p, MR_MAP_PRIVATE, 0));
    ASSERT_OK(mr_region_set_u8(m.region, 0, 1));
    mr_map_close(&m);
}

static void test_empty(void)
{
    const char *p = make_file("empty", 0, 0600);
    const char *q = make_file("notempty", 100, 0600);
    static const enum mr_map_mode modes[] = { MR_MAP_READ, MR_MAP_SHARED, MR_MAP_PRIVATE };
    struct mr_map m;
    uint8_t b;

    for (size_t k = 0; k < 3; k++) {
        ASSERT_OK(mr_map_open(&m, p, modes[k], 0));
        ASSERT_PTR_EQ(m.region.ptr, NULL);
        ASSERT_EQ(m.region.len, (size_t)0);
        ASSERT_PTR_EQ(m.base, NULL);
        ASSERT_EQ(mr_region_is_ro(m.region), modes[k] == MR_MAP_READ);
        ASSERT_OK(mr_map_copy_out(&m, 0, &b, 0));
        ASSERT_ERR(mr_map_copy_out(&m, 0, &b, 1), -ERANGE);
        ASSERT_OK(mr_map_sync(&m, MR_MAP_SYNC));
        ASSERT_OK(mr_map_advise(&m, MR_MAP_WILLNEED));
        ASSERT_OK(mr_map_populate(&m));
        mr_map_close(&m);
    }
    /* An empty range of a file that is not empty: at its end, or of length 0. */
    ASSERT_OK(mr_map_open_range(&m, q, MR_MAP_READ, 100, MR_MAP_TO_END, 0));
    ASSERT_EQ(m.region.len, (size_t)0);
    ASSERT_PTR_EQ(m.base, NULL);
    mr_map_close(&m);
    ASSERT_OK(mr_map_open_range(&m, q, MR_MAP_SHARED, 3, 0, 0));
    ASSERT_EQ(m.region.len, (size_t)0);
    mr_map_close(&m);
}

/* ---- offsets and ranges -------------------------------------------------- */

static void test_offsets(void)
{
    size_t size = 5 * ps + 123;
    const char *p = make_file("offsets", size, 0600);
    uint64_t offs[] = { 0, 1, 4095, 4096, 4097, ps - 1, ps, ps + 1, 3 * ps + 5, size - 1 };
    size_t lens[] = { 1, 100, ps - 1, ps, ps + 1, 2 * ps + 7, MR_MAP_TO_END };
    int fd = open(p, O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);

    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
            uint64_t off = offs[i];
            size_t len = lens[j];
            if (len != MR_MAP_TO_END && off + len > size)
                continue;
            size_t want = len == MR_MAP_TO_END ? (size_t)(size - off) : len;
            struct mr_map m;

            ASSERT_OK(mr_map_open_range(&m, p, MR_MAP_READ, off, len, 0));
            ASSERT_EQ(m.region.len, want);
            ASSERT_EQ((uintptr_t)m.base % ps, (uintptr_t)0);
            ASSERT_EQ((uintptr_t)m.region.ptr - (uintptr_t)m.base, (uintptr_t)(off % ps));
            assert_pattern(m.region, off);
            mr_map_close(&m);

            ASSERT_OK(mr_map_open_fd(&m, fd, MR_MAP_PRIVATE, off, len, 0));
            ASSERT_EQ(m.region.len, want);
            assert_pattern(m.region, off);
            mr_map_close(&m);

            /* A shared write at the region's first and last byte lands at
             * the right file offsets; written back as it was. */
            ASSERT_OK(mr_map_open_range(&m, p, MR_MAP_SHARED, off, len, 0));
            uint8_t *r = m.region.ptr;
            r[0] = (uint8_t)~pat(off);
            r[want - 1] = (uint8_t)~pat(off + want - 1);
            ASSERT_EQ(file_byte(p, (off_t)off), (uint8_t)~pat(off));
            ASSERT_EQ(file_byte(p, (off_t)(off + want - 1)), (uint8_t)~pat(off + want - 1));
            r[0] = pat(off);
            r[want - 1] = pat(off + want - 1);
            mr_map_close(&m);
        }
    }
    close(fd);
}

static void test_range_refused(void)
{
    size_t size = 2 * ps + 1;
    const char *p = make_file("range", size, 0600);
    struct mr_map m;
    int fd = open(p, O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);

    struct { uint64_t off; size_t len; } bad[] = {
        { 0, size + 1 },
        { 1, size },
        { size, 1 },
        { size + 1, 0 },
        { size + 1, MR_MAP_TO_END },
        { 3 * ps, 1 },
        { ps + 1, SIZE_MAX - 1 },      /* off + len overflows */
        { UINT64_MAX, 2 },
        { UINT64_MAX - 1, MR_MAP_TO_END },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_ERR(mr_map_open_range(&m, p, MR_MAP_READ, bad[i].off, bad[i].len, 0), -ERANGE);
        assert_closed(&m);
        mr_map_close(&m); /* a no-op on the failed map */
        ASSERT_ERR(mr_map_open_range(&m, p, MR_MAP_SHARED, bad[i].off, bad[i].len, 0), -ERANGE);
        assert_closed(&m);
        ASSERT_ERR(mr_map_open_fd(&m, fd, MR_MAP_PRIVATE, bad[i].off, bad[i].len, 0), -ERANGE);
        assert_closed(&m);
        ASSERT_EQ(count_maps(), 0);
    }
    /* The last byte exactly fits. */
    ASSERT_OK(mr_map_open_range(&m, p, MR_MAP_READ, size - 1, 1, 0));
    ASSERT_EQ(((uint8_t *)m.region.ptr)[0], pat(size - 1));
    mr_map_close(&m);
    /* The caller's fd survives every failure. */
    ASSERT_GE(fcntl(fd, F_GETFD), 0);
    close(fd);
}

/* ---- errors -------------------------------------------------------------- */

static void test_errors(void)
{
    const char *p = make_file("errors", 100, 0600);
    const char *d = mr_test_tmp("adir");
    const char *fifo = mr_test_tmp("fifo");
    struct mr_map m;

    ASSERT_ERR(mr_map_open(&m, mr_test_tmp("missing"), MR_MAP_READ, 0), -ENOENT);
    assert_closed(&m);
    ASSERT_EQ(mkdir(d, 0700), 0);
    ASSERT_ERR(mr_map_open(&m, d, MR_MAP_READ, 0), -EISDIR);    /* opened, then refused */
    ASSERT_ERR(mr_map_open(&m, d, MR_MAP_PRIVATE, 0), -EISDIR);
    ASSERT_ERR(mr_map_open(&m, d, MR_MAP_SHARED, 0), -EISDIR);  /* open(2) refuses O_RDWR */
    ASSERT_ERR(mr_map_open_new(&m, d, 10, 0, 0), -EISDIR);
    /* A FIFO (opened without waiting for a writer) and a device have no
     * size to check a range against. */
    ASSERT_EQ(mkfifo(fifo, 0600), 0);
    ASSERT_ERR(mr_map_open(&m, fifo, MR_MAP_READ, 0), -ENODEV);
    ASSERT_ERR(mr_map_open(&m, fifo, MR_MAP_SHARED, 0), -ENODEV);
    ASSERT_ERR(mr_map_open(&m, "/dev/null", MR_MAP_READ, 0), -ENODEV);
    ASSERT_ERR(mr_map_open_new(&m, "/dev/null", 10, 0, 0), -ENODEV);
    assert_closed(&m);

    /* Arguments. */
    ASSERT_ERR(mr_map_open(NULL, p, MR_MAP_READ, 0), -EINVAL);
    ASSERT_ERR(mr_map_open(&m, NULL, MR_MAP_READ, 0), -EINVAL);
    ASSERT_ERR(mr_map_open(&m, p, (enum mr_map_mode)0, 0), -EINVAL);
    ASSERT_ERR(mr_map_open(&m, p, (enum mr_map_mode)4, 0), -EINVAL);
    ASSERT_ERR(mr_map_open(&m, p, MR_MAP_READ, 0x100), -EINVAL);
    ASSERT_ERR(mr_map_open(&m, p, MR_MAP_READ, MR_MAP_EXCL), -EINVAL);
    ASSERT_ERR(mr_map_open_fd(&m, -1, MR_MAP_READ, 0, MR_MAP_TO_END, 0), -EBADF);
    ASSERT_ERR(mr_map_open_fd(&m, -1, MR_MAP_READ, 0, MR_MAP_TO_END, MR_MAP_NO_FD), -EBADF);
    ASSERT_ERR(mr_map_open_fd(&m, 0, (enum mr_map_mode)9, 0, MR_MAP_TO_END, 0), -EINVAL);
    ASSERT_ERR(mr_map_open_new(NULL, p, 10, 0, 0), -EINVAL);
    ASSERT_ERR(mr_map_open_new(&m, p, 10, 010000, 0), -EINVAL);
    ASSERT_ERR(mr_map_open_new(&m, p, 10, 0, 0x100), -EINVAL);
    ASSERT_ERR(mr_map_open_new(&m, p, (size_t)PTRDIFF_MAX + 1, 0, 0), -ERANGE);
    /* A descriptor number nobody holds. */
    int spare = dup(0);
    ASSERT_GE(spare, 0);
    close(spare);
    ASSERT_ERR(mr_map_open_fd(&m, spare, MR_MAP_READ, 0, MR_MAP_TO_END, MR_MAP_NO_FD), -EBADF);
    ASSERT_ERR(mr_map_open_fd(&m, spare, MR_MAP_READ, 0, MR_MAP_TO_END, 0), -EBADF);
    assert_closed(&m);

    /* Permissions. Root passes open(2)'s permission checks, so the file
     * checks run only for others; mmap's check of the descriptor's access
     * mode holds for root too. */
    const char *wo = make_file("writeonly", 100, 0200);
    const char *ro = make_file("readonly", 100, 0400);
    if (geteuid() != 0) {
        ASSERT_ERR(mr_map_open(&m, wo, MR_MAP_READ, 0), -EACCES);
        ASSERT_ERR(mr_map_open(&m, ro, MR_MAP_SHARED, 0), -EACCES);
        ASSERT_ERR(mr_map_open_new(&m, ro, 100, 0, 0), -EACCES);
    } else {
        mr_test_skip_case("file permissions refused", "root passes open(2)'s permission checks "
                          "(run the test as a normal user)");
    }
    int fd = open(ro, O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_ERR(mr_map_open_fd(&m, fd, MR_MAP_SHARED, 0, MR_MAP_TO_END, 0), -EACCES);
    assert_closed(&m);
    ASSERT_OK(mr_map_open_fd(&m, fd, MR_MAP_READ, 0, MR_MAP_TO_END, 0));
    mr_map_close(&m);
    close(fd);
    fd = open(wo, O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_ERR(mr_map_open_fd(&m, fd, MR_MAP_READ, 0, MR_MAP_TO_END, MR_MAP_NO_FD), -EACCES);
    ASSERT_ERR(mr_map_open_fd(&m, fd, MR_MAP_PRIVATE, 0, MR_MAP_TO_END, 0), -EACCES);
    close(fd);
}

/* ---- a caller's descriptor ----------------------------------------------- */

static void test_open_fd(void)
{
    const char *p = make_file("fd", ps + 50, 0600);
    struct mr_map m;
    int fd = open(p, O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    int fds = mr_test_count_fds();

    /* The map keeps a duplicate, close-on-exec; the caller's fd may go. */
    ASSERT_OK(mr_map_open_fd(&m, fd, MR_MAP_SHARED, 10, MR_MAP_TO_END, 0));
    ASSERT_EQ(mr_test_count_fds(), fds + 1);
    ASSERT_NE(m.fd, fd);
    ASSERT_TRUE(fcntl(m.fd, F_GETFD) & FD_CLOEXEC);
    ASSERT_EQ(close(fd), 0);
    assert_pattern(m.region, 10);
    ASSERT_OK(mr_map_resize(&m, 2 * ps)); /* through its own fd */
    ASSERT_EQ(file_size(p), (off_t)(10 + 2 * ps));
    mr_map_close(&m);
    ASSERT_EQ(mr_test_count_fds(), fds - 1);

    /* MR_MAP_NO_FD: no descriptor held, so no resize; the caller's fd is
     * left alone. */
    fd = open(p, O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_OK(mr_map_open_fd(&m, fd, MR_MAP_SHARED, 0, MR_MAP_TO_END, MR_MAP_NO_FD));
    ASSERT_EQ(mr_test_count_fds(), fds);
    ASSERT_ERR(mr_map_resize(&m, ps), -EBADF);
    mr_map_close(&m);
    ASSERT_GE(fcntl(fd, F_GETFD), 0);
    close(fd);

    /* From a path, too. */
    ASSERT_OK(mr_map_open(&m, p, MR_MAP_SHARED, MR_MAP_NO_FD));
    ASSERT_EQ(mr_test_count_fds(), fds - 1);
    ASSERT_EQ(m.region.len, 10 + 2 * ps);
    struct mr_region head;
    ASSERT_OK(mr_region_sub(m.region, 0, ps + 50, &head));
    assert_pattern(head, 0);
    ASSERT_ERR(mr_map_resize(&m, ps), -EBADF);
    mr_map_close(&m);
    ASSERT_OK(mr_map_open(&m, p, MR_MAP_READ, 0));
    ASSERT_EQ(mr_test_count_fds(), fds);
    ASSERT_TRUE(fcntl(m.fd, F_GETFD) & FD_CLOEXEC);
    mr_map_close(&m);
}

/* ---- create -------------------------------------------------------------- */

/* In a child: a file size limit makes ftruncate fail (EFBIG) after the file
 * was created and mapped; the file must be gone and nothing left open. */
static void create_fails_child(void *arg)
{
    const char *p = arg;
    struct rlimit rl = { 4096, 4096 };
    struct mr_map m;
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
        _exit(3);
    int fds = mr_test_count_fds();
    if (mr_map_open_new(&m, p, 1 << 20, 0, 0) != -EFBIG)
        _exit(4);
    if (access(p, F_OK) == 0 || errno != ENOENT)
        _exit(5);
    if (mr_test_count_fds() != fds || count_maps() != 0)
        _exit(6);
    _exit(0);
}

static void test_create(void)
{
    const char *p = mr_test_tmp("new");
    struct mr_map m;
    struct stat st;

    umask(022);
    unlink(p);
    ASSERT_OK(mr_map_open_new(&m, p, 3 * ps + 1, 0, MR_MAP_EXCL));
    ASSERT_EQ(m.region.len, 3 * ps + 1);
    ASSERT_FALSE(mr_region_is_ro(m.region));
    ASSERT_EQ(m.mode, (unsigned)MR_MAP_SHARED);
    ASSERT_EQ(stat(p, &st), 0);
    ASSERT_EQ(st.st_mode & 07777, (mode_t)0600);
    ASSERT_EQ(st.st_size, (off_t)(3 * ps + 1));
    ASSERT_ALL_BYTES(m.region.ptr, m.region.len, 0);
    ASSERT_OK(mr_map_copy_in(&m, 3 * ps, "!", 1));
    ASSERT_EQ(file_byte(p, (off_t)(3 * ps)), '!');
    ASSERT_TRUE(fcntl(m.fd, F_GETFD) & FD_CLOEXEC);
    mr_map_close(&m);

    /* Exclusive: the file exists, and is left as it was. */
    ASSERT_ERR(mr_map_open_new(&m, p, 10, 0, MR_MAP_EXCL), -EEXIST);
    assert_closed(&m);
    ASSERT_EQ(file_size(p), (off_t)(3 * ps + 1));

    /* Not exclusive: the existing file is set to the size, keeping its head. */
    const char *q = make_file("existing", 1000, 0644);
    ASSERT_OK(mr_map_open_new(&m, q, 10, 0, 0));
    ASSERT_EQ(file_size(q), (off_t)10);
    assert_pattern(m.region, 0);
    mr_map_close(&m);
    ASSERT_EQ(stat(q, &st), 0);
    ASSERT_EQ(st.st_mode & 07777, (mode_t)0644); /* an existing file keeps its mode */
    ASSERT_OK(mr_map_open_new(&m, q, 2 * ps, 0, MR_MAP_POPULATE));
    ASSERT_EQ(file_size(q), (off_t)(2 * ps));
    struct mr_region head;
    ASSERT_OK(mr_region_sub(m.region, 0, 10, &head));
    assert_pattern(head, 0);
    ASSERT_ALL_BYTES((const unsigned char *)m.region.ptr + 10, 2 * ps - 10, 0);
    mr_map_close(&m);

    /* Permissions asked for, filtered by the umask. */
    const char *r = mr_test_tmp("perm");
    unlink(r);
    ASSERT_OK(mr_map_open_new(&m, r, 1, 0640, MR_MAP_EXCL | MR_MAP_NO_FD));
    mr_map_close(&m);
    ASSERT_EQ(stat(r, &st), 0);
    ASSERT_EQ(st.st_mode & 07777, (mode_t)0640);
    unlink(r);
    ASSERT_OK(mr_map_open_new(&m, r, 1, 0666, MR_MAP_EXCL));
    mr_map_close(&m);
    ASSERT_EQ(stat(r, &st), 0);
    ASSERT_EQ(st.st_mode & 07777, (mode_t)0644);

    /* Size 0: an empty file, an empty region. */
    const char *e = mr_test_tmp("newempty");
    unlink(e);
    ASSERT_OK(mr_map_open_new(&m, e, 0, 0, MR_MAP_EXCL));
    ASSERT_EQ(m.region.len, (size_t)0);
    ASSERT_PTR_EQ(m.base, NULL);
    ASSERT_EQ(file_size(e), (off_t)0);
    mr_map_close(&m);

    /* Failures leave nothing: no directory to create in, and a failure
     * after the file was made (which removes it). */
    ASSERT_ERR(mr_map_open_new(&m, mr_test_tmp("nodir/x"), 10, 0, 0), -ENOENT);
    assert_closed(&m);
    const char *f = mr_test_tmp("toobig");
    unlink(f);
    ASSERT_EQ(mr_test_in_child(create_fails_child, (void *)f, 0), 0);
    ASSERT_TRUE(access(f, F_OK) < 0);
}

/* ---- sync, advice, populate ---------------------------------------------- */

static void test_sync(void)
{
    const char *p = make_file("sync", 4 * ps, 0600);
    struct mr_map m;

    ASSERT_OK(mr_map_open(&m, p, MR_MAP_SHARED, 0));
    memset(m.region.ptr, 0x77, m.region.len);
    ASSERT_OK(mr_map_sync(&m, MR_MAP_SYNC));
    ASSERT_OK(mr_map_sync(&m, MR_MAP_ASYNC));
    ASSERT_OK(mr_map_sync_range(&m, 1, 10, MR_MAP_SYNC));
    ASSERT_OK(mr_map_sync_range(&m, ps - 1, 2, MR_MAP_ASYNC)); /* two pages */
    ASSERT_OK(mr_map_sync_range(&m, 4 * ps, 0, MR_MAP_SYNC));
    ASSERT_ERR(mr_map_sync_range(&m, 4 * ps, 1, MR_MAP_SYNC), -ERANGE);
    ASSERT_ERR(mr_map_sync_range(&m, 1, SIZE_MAX, MR_MAP_SYNC), -ERANGE);
    ASSERT_ERR(mr_map_sync(&m, 0), -EINVAL);
    ASSERT_ERR(mr_map_sync(&m, 3), -EINVAL);
    ASSERT_ERR(mr_map_sync(NULL, MR_MAP_SYNC), -EINVAL);
    ASSERT_EQ(file_byte(p, (off_t)(4 * ps - 1)), 0x77);
    mr_map_close(&m);

    /* Offset maps sync the pages under their region. */
    ASSERT_OK(mr_map_open_range(&m, p, MR_MAP_SHARED, ps + 3, 2 * ps, 0));
    ((uint8_t *)m.region.ptr)[2 * ps - 1] = 0x12;
    ASSERT_OK(mr_map_sync_range(&m, 2 * ps - 1, 1, MR_MAP_SYNC));
    ASSERT_EQ(file_byte(p, (off_t)(3 * ps + 2)), 0x12);
    mr_map_close(&m);
}

static void test_advise(void)
{
    const char *p = make_file("advise", 8 * ps, 0600);
    static const enum mr_map_advice all[] = { MR_MAP_NORMAL, MR_MAP_SEQUENTIAL, MR_MAP_RANDOM,
                                              MR_MAP_WILLNEED, MR_MAP_DONTNEED, MR_MAP_HUGEPAGE };
    static const enum mr_map_mode modes[] = { MR_MAP_READ, MR_MAP_SHARED, MR_MAP_PRIVATE };
    struct mr_map m;

    for (size_t k = 0; k < 3; k++) {
        ASSERT_OK(mr_map_open_range(&m, p, modes[k], 5, 7 * ps, 0));
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
            int rc = mr_map_advise(&m, all[i]);
            /* Huge pages for files depend on the kernel's configuration. */
            if (all[i] == MR_MAP_HUGEPAGE && rc == -EINVAL)
                continue;
            ASSERT_OK(rc);
            ASSERT_OK(mr_map_advise_range(&m, ps, 10, all[i]));
        }
        ASSERT_ERR(mr_map_advise(&m, (enum mr_map_advice)99), -EINVAL);
        ASSERT_ERR(mr_map_advise(&m, (enum mr_map_advice)-1), -EINVAL);
        ASSERT_ERR(mr_map_advise_range(&m, 7 * ps, 1, MR_MAP_NORMAL), -ERANGE);
        ASSERT_ERR(mr_map_advise(NULL, MR_MAP_NORMAL), -EINVAL);
        assert_pattern(m.region, 5);
        mr_map_close(&m);
    }

    /* DONTNEED loses nothing of a shared map... */
    ASSERT_OK(mr_map_open(&m, p, MR_MAP_SHARED, 0));
    ((uint8_t *)m.region.ptr)[3] = (uint8_t)~pat(3);
    ASSERT_OK(mr_map_advise(&m, MR_MAP_DONTNEED));
    ASSERT_EQ(((uint8_t *)m.region.ptr)[3], (uint8_t)~pat(3));
    ((uint8_t *)m.region.ptr)[3] = pat(3);
    mr_map_close(&m);
    /* ...and throws away the changes of a private one. */
    ASSERT_OK(mr_map_open(&m, p, MR_MAP_PRIVATE, 0));
    ((uint8_t *)m.region.ptr)[3] = (uint8_t)~pat(3);
    ASSERT_OK(mr_map_advise_range(&m, 0, 1, MR_MAP_DONTNEED));
    ASSERT_EQ(((uint8_t *)m.region.ptr)[3], pat(3));
    mr_map_close(&m);
}

static void test_populate(void)
{
    const char *p = make_file("populate", 6 * ps + 9, 0600);
    static const enum mr_map_mode modes[] = { MR_MAP_READ, MR_MAP_SHARED, MR_MAP_PRIVATE };
    struct mr_map m;

    for (size_t k = 0; k < 3; k++) {
        ASSERT_OK(mr_map_open_range(&m, p, modes[k], 1, MR_MAP_TO_END, 0));
        ASSERT_OK(mr_map_populate(&m));
        ASSERT_OK(mr__map_touch(m.region.ptr, m.region.len)); /* the old kernels' way */
        assert_pattern(m.region, 1);
        mr_map_close(&m);
        ASSERT_OK(mr_map_open(&m, p, modes[k], MR_MAP_POPULATE));
        assert_pattern(m.region, 0);
        mr_map_close(&m);
    }
    ASSERT_ERR(mr_map_populate(NULL), -EINVAL);
    ASSERT_EQ(file_byte(p, 0), pat(0));
}

/* ---- resize -------------------------------------------------------------- */

static void test_resize(void)
{
    const char *p = mr_test_tmp("resize");
    struct mr_map m;

    unlink(p);
    ASSERT_OK(mr_map_open_new(&m, p, 100, 0, MR_MAP_EXCL));
    for (size_t i = 0; i < 100; i++)
        ((uint8_t *)m.region.ptr)[i] = pat(i);

    /* Grow: data kept, new bytes zero, the file as long as the region. */
    ASSERT_OK(mr_map_resize(&m, 3 * ps + 7));
    ASSERT_EQ(m.region.len, 3 * ps + 7);
    ASSERT_EQ(file_size(p), (off_t)(3 * ps + 7));
    struct mr_region head;
    ASSERT_OK(mr_region_sub(m.region, 0, 100, &head));
    assert_pattern(head, 0);
    ASSERT_ALL_BYTES((const unsigned char *)m.region.ptr + 100, m.region.len - 100, 0);
    ASSERT_OK(mr_map_copy_in(&m, 3 * ps + 6, "e", 1));
    ASSERT_EQ(file_byte(p, (off_t)(3 * ps + 6)), 'e');
    ASSERT_OK(mr_map_resize(&m, 3 * ps + 7)); /* the same size: nothing to do */

    /* Much larger, so that the mapping likely moves. */
    ASSERT_OK(mr_map_resize(&m, 64 * ps));
    ASSERT_EQ(file_size(p), (off_t)(64 * ps));
    ASSERT_OK(mr_region_sub(m.region, 0, 100, &head));
    assert_pattern(head, 0);
    ASSERT_EQ(((uint8_t *)m.region.ptr)[3 * ps + 6], 'e');
    ((uint8_t *)m.region.ptr)[64 * ps - 1] = 'z';
    ASSERT_EQ(file_byte(p, (off_t)(64 * ps - 1)), 'z');

    /* Shrink. */
    ASSERT_OK(mr_map_resize(&m, 10));
    ASSERT_EQ(m.region.len, (size_t)10);
    ASSERT_EQ(file_size(p), (off_t)10);
    ASSERT_OK(mr_region_sub(m.region, 0, 10, &head));
    assert_pattern(head, 0);
    ASSERT_ERR(mr_map_copy_out(&m, 10, head.ptr, 1), -ERANGE);

    /* To nothing and back. */
    ASSERT_OK(mr_map_resize(&m, 0));
    ASSERT_EQ(m.region.len, (size_t)0);
    ASSERT_PTR_EQ(m.region.ptr, NULL);
    ASSERT_EQ(file_size(p), (off_t)0);
    ASSERT_OK(mr_map_resize(&m, ps));
    ASSERT_EQ(file_size(p), (off_t)ps);
    ASSERT_EQ(((uint8_t *)m.region.ptr)[ps - 1], 0);
    ((uint8_t *)m.region.ptr)[0] = 'a';
    ASSERT_EQ(file_byte(p, 0), 'a');

    /* Someone else changed the file's length: the map no longer ends at its
     * end, and resizing it would cut or hole the file. */
    ASSERT_EQ(truncate(p, (off_t)(2 * ps)), 0);
    ASSERT_ERR(mr_map_resize(&m, 3 * ps), -EINVAL);
    ASSERT_EQ(file_size(p), (off_t)(2 * ps));
    mr_map_close(&m);

    /* A range at a non-aligned offset that ends at the end of the file. */
    const char *q = make_file("resize2", 2 * ps, 0600);
    ASSERT_OK(mr_map_open_range(&m, q, MR_MAP_SHARED, ps + 5, MR_MAP_TO_END, 0));
    ASSERT_EQ(m.region.len, ps - 5);
    ASSERT_OK(mr_map_resize(&m, 3 * ps));
    ASSERT_EQ(file_size(q), (off_t)(4 * ps + 5));
    ASSERT_OK(mr_region_sub(m.region, 0, ps - 5, &head));
    assert_pattern(head, ps + 5);
    ASSERT_EQ((uintptr_t)m.region.ptr % ps, (uintptr_t)5);
    ((uint8_t *)m.region.ptr)[3 * ps - 1] = 'q';
    ASSERT_EQ(file_byte(q, (off_t)(4 * ps + 4)), 'q');
    ASSERT_OK(mr_map_resize(&m, 1));
    ASSERT_EQ(file_size(q), (off_t)(ps + 6));
    ASSERT_EQ(((uint8_t *)m.region.ptr)[0], pat(ps + 5));
    ASSERT_OK(mr_map_resize(&m, 0));
    ASSERT_EQ(file_size(q), (off_t)(ps + 5));
    ASSERT_OK(mr_map_resize(&m, 2));
    ASSERT_EQ(((uint8_t *)m.region.ptr)[0], 0);
    ASSERT_EQ((uintptr_t)m.region.ptr % ps, (uintptr_t)5);
    mr_map_close(&m);

    /* Refusals, each leaving file and map as they were. */
    const char *r = make_file("resize3", 3 * ps, 0600);
    ASSERT_OK(mr_map_open_range(&m, r, MR_MAP_SHARED, 0, ps, 0)); /* not to the end */
    ASSERT_ERR(mr_map_resize(&m, 2 * ps), -EINVAL);
    ASSERT_ERR(mr_map_resize(&m, (size_t)PTRDIFF_MAX + 1), -ERANGE);
    ASSERT_EQ(file_size(r), (off_t)(3 * ps));
    ASSERT_EQ(m.region.len, ps);
    mr_map_close(&m);
    ASSERT_OK(mr_map_open(&m, r, MR_MAP_READ, 0));
    ASSERT_ERR(mr_map_resize(&m, ps), -EACCES);
    mr_map_close(&m);
    ASSERT_OK(mr_map_open(&m, r, MR_MAP_PRIVATE, 0));
    ASSERT_ERR(mr_map_resize(&m, ps), -EACCES);
    mr_map_close(&m);
    ASSERT_ERR(mr_map_resize(&m, ps), -EBADF); /* closed */
    ASSERT_ERR(mr_map_resize(NULL, ps), -EINVAL);
    ASSERT_EQ(file_size(r), (off_t)(3 * ps));
}

static off_t fd_size(int fd)
{
    struct stat st;
    ASSERT_EQ(fstat(fd, &st), 0);
    return st.st_size;
}

static void assert_unchanged(const struct mr_map *m, int fd, const void *ptr, size_t len)
{
    ASSERT_EQ(fd_size(fd), (off_t)len);
    ASSERT_EQ((const void *)m->region.ptr, ptr);
    ASSERT_EQ(m->region.len, len);
    ASSERT_ALL_BYTES(m->region.ptr, len, 0xa5);
}

/* A grow that fails leaves the file and the map as they were, even where
 * the file could not be shrunk back: a memfd sealed against shrinking. */
static void test_resize_failures(void)
{
    int fd = memfd_create("test_resize", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, (off_t)ps), 0);
    ASSERT_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
    struct mr_map m;
    ASSERT_OK(mr_map_open_fd(&m, fd, MR_MAP_SHARED, 0, MR_MAP_TO_END, 0));
    memset(m.region.ptr, 0xa5, ps);
    void *was = m.region.ptr;

    /* Larger than the address space: no mapping can be made. (The file
     * could have grown: a memfd takes 256 TiB of holes.) */
    int rc = mr_map_resize(&m, (size_t)1 << 48);
    ASSERT_TRUE(rc == -ENOMEM || rc == -EINVAL); /* mmap's word, or mremap's */
    assert_unchanged(&m, fd, was, ps);

    /* A file that may not grow: the mapping made for it is undone. */
    ASSERT_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0);
    ASSERT_ERR(mr_map_resize(&m, 4 * ps), -EPERM);
    assert_unchanged(&m, fd, was, ps);
    ASSERT_ERR(mr_map_resize(&m, 64 * ps), -EPERM); /* too far to grow in place, perhaps */
    assert_unchanged(&m, fd, was, ps);
    mr_map_close(&m);
    ASSERT_EQ(close(fd), 0);
}

/* ---- close, MR_MAP_INIT and the guarded copies' checks -------------------- */

static void test_close(void)
{
    struct mr_map m;
    memset(&m, 0, sizeof m);
    ASSERT_OK(mr_map_close(&m)); /* a zeroed struct is closed */
    ASSERT_OK(mr_map_close(NULL));
    const char *p = make_file("close", 10, 0600);
    ASSERT_OK(mr_map_open(&m, p, MR_MAP_SHARED, 0));
    ASSERT_OK(mr_map_close(&m));
    assert_closed(&m);
    ASSERT_OK(mr_map_close(&m));
    ASSERT_OK(mr_map_close(&m));

    /* close(2) fails (the descriptor was closed behind the map's back): its
     * error, and the map is closed anyway. */
    ASSERT_OK(mr_map_open(&m, p, MR_MAP_SHARED, 0));
    ASSERT_EQ(close(m.fd), 0);
    ASSERT_ERR(mr_map_close(&m), -EBADF);
    assert_closed(&m);
    ASSERT_EQ(m.fd, -1);
    ASSERT_OK(mr_map_close(&m));
}

/* MR_MAP_INIT is a closed map: every call on it returns what map.h says of
 * a closed map, and closing it is a no-op, twice. A closed map equals it. */
static void test_init(void)
{
    struct mr_map m = MR_MAP_INIT;
    uint8_t b = 7;

    assert_closed(&m);
    ASSERT_EQ(m.fd, -1);
    ASSERT_EQ(m.flags, 0u);
    ASSERT_OK(mr_map_sync(&m, MR_MAP_SYNC));
    ASSERT_OK(mr_map_sync_range(&m, 0, 0, MR_MAP_ASYNC));
    ASSERT_ERR(mr_map_sync_range(&m, 0, 1, MR_MAP_SYNC), -ERANGE);
    ASSERT_ERR(mr_map_sync(&m, 3), -EINVAL);
    ASSERT_OK(mr_map_advise(&m, MR_MAP_WILLNEED));
    ASSERT_ERR(mr_map_advise_range(&m, 0, 1, MR_MAP_NORMAL), -ERANGE);
    ASSERT_OK(mr_map_populate(&m));
    ASSERT_ERR(mr_map_resize(&m, 4096), -EBADF);
    ASSERT_ERR(mr_map_resize(&m, 0), -EBADF);
    ASSERT_OK(mr_map_copy_out(&m, 0, &b, 0));
    ASSERT_ERR(mr_map_copy_out(&m, 0, &b, 1), -ERANGE);
    ASSERT_ERR(mr_map_copy_in(&m, 0, &b, 1), -ERANGE);
    ASSERT_EQ(b, 7);
    ASSERT_OK(mr_map_close(&m));
    ASSERT_OK(mr_map_close(&m));
    assert_closed(&m);
    ASSERT_EQ(m.fd, -1);

    const char *p = make_file("init", 10, 0600);
    ASSERT_OK(mr_map_open(&m, p, MR_MAP_READ, 0));
    ASSERT_OK(mr_map_close(&m));
    const struct mr_map init = MR_MAP_INIT;
    ASSERT_PTR_EQ(m.region.ptr, init.region.ptr);
    ASSERT_EQ(m.region.len, init.region.len);
    ASSERT_EQ(m.region.flags, init.region.flags);
    ASSERT_PTR_EQ(m.base, init.base);
    ASSERT_EQ(m.map_len, init.map_len);
    ASSERT_EQ(m.offset, init.offset);
    ASSERT_EQ(m.fd, init.fd);
    ASSERT_EQ(m.mode, init.mode);
    ASSERT_EQ(m.flags, init.flags);
}

/* The bounds of the map's guarded copies (the guard's own checks are in
 * test_guard.c). */
static void test_copy_checks(void)
{
    const char *p = make_file("guard", ps + 1, 0600);
    struct mr_map m;
    uint8_t buf[64];

    ASSERT_OK(mr_map_open(&m, p, MR_MAP_SHARED, 0));
    ASSERT_OK(mr_map_copy_out(&m, ps - 31, buf, 32));
    for (size_t i = 0; i < 32; i++)
        ASSERT_EQ(buf[i], pat(ps - 31 + i));
    ASSERT_ERR(mr_map_copy_out(&m, ps - 30, buf, 32), -ERANGE);
    ASSERT_ERR(mr_map_copy_out(&m, SIZE_MAX, buf, 2), -ERANGE);
    ASSERT_ERR(mr_map_copy_in(&m, 2, buf, SIZE_MAX), -ERANGE);
    ASSERT_OK(mr_map_copy_out(&m, ps + 1, buf, 0));
    ASSERT_ERR(mr_map_copy_out(&m, ps + 2, buf, 0), -ERANGE);
    ASSERT_ERR(mr_map_copy_out(NULL, 0, buf, 1), -EINVAL);
    ASSERT_ERR(mr_map_copy_in(NULL, 0, buf, 1), -EINVAL);
    memset(buf, 0xee, sizeof buf);
    ASSERT_OK(mr_map_copy_in(&m, ps - 20, buf, 21));
    ASSERT_EQ(file_byte(p, (off_t)ps), 0xee);
    mr_map_close(&m);
}

int main(void)
{
    mr_test_tmpdir(); /* before any fork: the directory is this process's */
    ps = (size_t)sysconf(_SC_PAGESIZE);
    RUN(test_read);
    RUN(test_shared);
    RUN(test_private);
    RUN(test_empty);
    RUN(test_offsets);
    RUN(test_range_refused);
    RUN(test_errors);
    RUN(test_open_fd);
    RUN(test_create);
    RUN(test_sync);
    RUN(test_advise);
    RUN(test_populate);
    RUN(test_resize);
    RUN(test_resize_failures);
    RUN(test_close);
    RUN(test_init);
    RUN(test_copy_checks);
    return 0;
}
