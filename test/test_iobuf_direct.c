/* SPDX-License-Identifier: MIT */
/* test/test_iobuf_direct.c: stages and iobufs with O_DIRECT reads and writes
 * of a real file. Writes go through a staged, unaligned user buffer and come
 * back through another; an aligned iobuf goes straight to the kernel with no
 * copy and no allocation; a read at the end of the file comes back short; an
 * array of u32 goes out big-endian and comes back in host order.
 *
 * The file is created in the first of $TMPDIR, /var/tmp and this program's
 * own directory (the build tree) whose filesystem accepts O_DIRECT (tmpfs,
 * often on /tmp, refuses it); with none, the test is skipped (77). Its name
 * holds the pid, and it is removed at exit, also when an assertion fails. */
#include "helpers.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[PATH_MAX];
static int fd = -1;
static size_t blk; /* the alignment O_DIRECT needs here */

static void cleanup(void)
{
    if (fd >= 0)
        close(fd);
    if (path[0])
        unlink(path);
}

/* An aligned write of n bytes at offset 0 from a buffer aligned to n. */
static bool direct_write_works(size_t n)
{
    struct mr_region b;
    ASSERT_OK(mr_iobuf_alloc(NULL, n, n, MR_IOBUF_ZERO, &b));
    ssize_t w = pwrite(fd, b.ptr, n, 0);
    mr_iobuf_free(b);
    return w == (ssize_t)n;
}

/* Open the file with O_DIRECT in the first directory that allows it, and find
 * the smallest block (512 or 4096 bytes) it accepts. */
static void open_direct(void)
{
    char self[PATH_MAX];
    const char *dirs[3];
    size_t nd = 0;
    const char *tmpdir = getenv("TMPDIR");
    if (tmpdir && *tmpdir)
        dirs[nd++] = tmpdir;
    dirs[nd++] = "/var/tmp";
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k > 0) {
        self[k] = '\0';
        dirs[nd++] = dirname(self);
    }

    atexit(cleanup);
    for (size_t i = 0; i < nd; i++) {
        snprintf(path, sizeof path, "%s/mr-iobuf-%ld-direct", dirs[i], (long)getpid());
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0600);
        if (fd < 0) {
            fprintf(stderr, "%s: cannot open with O_DIRECT (%s)\n", dirs[i], mr_strerror(-errno));
            path[0] = '\0'; /* not ours to remove, even if it exists */
            continue;
        }
        /* Some filesystems accept the open and refuse the I/O. */
        for (blk = 512; blk <= 4096; blk *= 8)
            if (direct_write_works(blk))
                break;
        if (blk <= 4096) {
            fprintf(stderr, "O_DIRECT file %s, block %zu\n", path, blk);
            ASSERT_EQ(ftruncate(fd, 0), 0);
            return;
        }
        fprintf(stderr, "%s: O_DIRECT I/O refused\n", dirs[i]);
        cleanup();
        fd = -1;
        path[0] = '\0';
    }
    mr_test_skip("no candidate directory accepts O_DIRECT (set TMPDIR to a directory on a disk "
                 "filesystem such as ext4 or xfs, not tmpfs)");
}

static off_t file_size(void)
{
    struct stat st;
    ASSERT_EQ(fstat(fd, &st), 0);
    return st.st_size;
}

/* len bytes of a pattern at an odd address inside a heap block. */
static unsigned char *pattern_block(size_t len, unsigned seed, struct mr_region *r)
{
    unsigned char *b = malloc(len + 8);
    ASSERT_TRUE(b != NULL);
    memset(b, 0xee, len + 8);
    *r = mr_region_make(b + 3, len);
    for (size_t i = 0; i < len; i++)
        b[3 + i] = (unsigned char)(i * 131 + seed);
    return b;
}

/* Write through a staged unaligned buffer, read back through another. */
static void test_staged_round_trip(void)
{
    size_t len = 3 * blk + 100; /* unaligned length, unaligned address */
    struct mr_region out, in;
    unsigned char *ob = pattern_block(len, 7, &out);
    unsigned char *ib = pattern_block(len, 99, &in);
    struct mr_io_stage s;

    ASSERT_OK(mr_io_stage_prepare(&s, mr_region_ro(out), blk, MR_IO_OUT, NULL));
    ASSERT_TRUE(mr_io_stage_is_staged(&s));
    ASSERT_EQ(s.io.len, 4 * blk);
    ssize_t n = pwrite(fd, s.io.ptr, s.io.len, 0);
    if (n < 0) {
        mr_io_stage_abort(&s);
        mr_test_fail(__FILE__, __LINE__, "pwrite: %s", mr_strerror(-errno));
    }
    ASSERT_EQ(n, (ssize_t)(4 * blk));
    ASSERT_EQ(mr_io_stage_commit(&s, (size_t)n), (ssize_t)len);
    /* O_DIRECT wrote whole blocks: the round-up tail reached the file. */
    ASSERT_EQ(file_size(), (off_t)(4 * blk));

    ASSERT_OK(mr_io_stage_prepare(&s, in, blk, MR_IO_IN, NULL));
    ASSERT_TRUE(mr_io_stage_is_staged(&s));
    n = pread(fd, s.io.ptr, s.io.len, 0);
    if (n < 0) {
        mr_io_stage_abort(&s);
        mr_test_fail(__FILE__, __LINE__, "pread: %s", mr_strerror(-errno));
    }
    ASSERT_EQ(n, (ssize_t)(4 * blk));
    /* The tail of the block holds the zeros the write padded with. */
    ASSERT_ALL_BYTES((const unsigned char *)s.io.ptr + len, s.io.len - len, 0);
    ASSERT_EQ(mr_io_stage_commit(&s, (size_t)n), (ssize_t)len);
    ASSERT_MEM_EQ(in.ptr, out.ptr, len);
    /* Nothing around the caller's buffer was touched. */
    ASSERT_EQ(ib[2], 0xee);
    ASSERT_EQ(ib[3 + len], 0xee);
    free(ob);
    free(ib);
}

/* An aligned iobuf goes to the kernel as it is: no copy, no allocation (the
 * allocator given would refuse one). */
static void test_aligned_no_copy(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, 0);
    struct mr_region buf, back;
    struct mr_io_stage s;
    ASSERT_OK(mr_iobuf_alloc(NULL, 2 * blk, blk, 0, &buf));
    ASSERT_OK(mr_iobuf_alloc(NULL, 2 * blk, blk, MR_IOBUF_ZERO, &back));
    for (size_t i = 0; i < buf.len; i++)
        ((unsigned char *)buf.ptr)[i] = (unsigned char)(i * 3);

    ASSERT_OK(mr_io_stage_prepare(&s, buf, blk, MR_IO_OUT, mr_failing_allocator(&f)));
    ASSERT_FALSE(mr_io_stage_is_staged(&s));
    ASSERT_PTR_EQ(s.io.ptr, buf.ptr);
    ASSERT_EQ(pwrite(fd, s.io.ptr, s.io.len, (off_t)(4 * blk)), (ssize_t)(2 * blk));
    ASSERT_EQ(mr_io_stage_commit(&s, 2 * blk), (ssize_t)(2 * blk));

    ASSERT_OK(mr_io_stage_prepare(&s, back, blk, MR_IO_IN, mr_failing_allocator(&f)));
    ASSERT_PTR_EQ(s.io.ptr, back.ptr);
    ASSERT_EQ(pread(fd, s.io.ptr, s.io.len, (off_t)(4 * blk)), (ssize_t)(2 * blk));
    ASSERT_EQ(mr_io_stage_commit(&s, 2 * blk), (ssize_t)(2 * blk));
    ASSERT_MEM_EQ(back.ptr, buf.ptr, 2 * blk);
    ASSERT_EQ(f.attempts, (size_t)0);

    /* An unaligned buffer is refused by the kernel itself: the reason for
     * stages. (Some filesystems fall back to buffered I/O instead.) */
    ssize_t n = pread(fd, (char *)back.ptr + 1, blk, 0);
    ASSERT_TRUE(n == -1 ? errno == EINVAL : n == (ssize_t)blk);
    mr_iobuf_free(buf);
    mr_iobuf_free(back);
}

/* INOUT: the caller's bytes go out and the file's come back in one stage. */
static void test_inout(void)
{
    size_t len = blk + 1;
    struct mr_region r;
    unsigned char *b = pattern_block(len, 5, &r);
    unsigned char *saved = malloc(len);
    ASSERT_TRUE(saved != NULL);
    memcpy(saved, r.ptr, len);
    struct mr_io_stage s;

    ASSERT_OK(mr_io_stage_prepare(&s, r, blk, MR_IO_INOUT, NULL));
    ASSERT_EQ(s.io.len, 2 * blk);
    ASSERT_EQ(pwrite(fd, s.io.ptr, s.io.len, (off_t)(6 * blk)), (ssize_t)(2 * blk));
    /* The same block is read back from the first blocks of the file, which
     * hold the pattern of test_staged_round_trip. */
    ASSERT_EQ(pread(fd, s.io.ptr, s.io.len, 0), (ssize_t)(2 * blk));
    ASSERT_EQ(mr_io_stage_commit(&s, 2 * blk), (ssize_t)len);
    for (size_t i = 0; i < len; i++)
        ASSERT_EQ(((unsigned char *)r.ptr)[i], (unsigned char)(i * 131 + 7));

    /* And the file's blocks 6 and 7 hold what went out. */
    struct mr_region check;
    unsigned char *cb = pattern_block(len, 0, &check);
    ASSERT_OK(mr_io_stage_prepare(&s, check, blk, MR_IO_IN, NULL));
    ASSERT_EQ(pread(fd, s.io.ptr, s.io.len, (off_t)(6 * blk)), (ssize_t)(2 * blk));
    ASSERT_EQ(mr_io_stage_commit(&s, 2 * blk), (ssize_t)len);
    ASSERT_MEM_EQ(check.ptr, saved, len);
    free(cb);
    free(saved);
    free(b);
}

/* Reading across the end of the file: the kernel returns what there is, and
 * only that reaches the caller. */
static void test_short_read(void)
{
    off_t end = file_size();
    ASSERT_EQ(end % (off_t)blk, 0);
    size_t len = 2 * blk + 10;
    struct mr_region r;
    unsigned char *b = pattern_block(len, 1, &r);
    struct mr_io_stage s;

    ASSERT_OK(mr_io_stage_prepare(&s, r, blk, MR_IO_IN, NULL));
    ssize_t n = pread(fd, s.io.ptr, s.io.len, end - (off_t)blk);
    ASSERT_EQ(n, (ssize_t)blk);
    ASSERT_EQ(mr_io_stage_commit(&s, (size_t)n), (ssize_t)blk);
    /* Past what was read, the caller's bytes are as they were. */
    for (size_t i = blk; i < len; i++)
        ASSERT_EQ(((unsigned char *)r.ptr)[i], (unsigned char)(i * 131 + 1));

    /* At the end itself: nothing. */
    ASSERT_OK(mr_io_stage_prepare(&s, r, blk, MR_IO_IN, NULL));
    n = pread(fd, s.io.ptr, s.io.len, end);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(mr_io_stage_commit(&s, 0), (ssize_t)0);
    free(b);
}

/* u32 values out big-endian through an iobuf, back in host order. */
static void test_convert(void)
{
    size_t n = 3 * blk / 4 + 5; /* not a whole number of blocks */
    uint32_t *vals = malloc(n * 4), *back = malloc(n * 4);
    ASSERT_TRUE(vals && back);
    for (size_t i = 0; i < n; i++)
        vals[i] = (uint32_t)(i * 0x01010101u + 0x00010203u);
    size_t bytes = ((n * 4 + blk - 1) / blk) * blk;
    struct mr_region wire;
    ASSERT_OK(mr_iobuf_alloc(NULL, bytes, blk, MR_IOBUF_ZERO, &wire));
    ASSERT_EQ(mr_iobuf_encode_u32(wire, vals, n, MR_ORDER_BE), (ssize_t)(n * 4));
    ASSERT_EQ(pwrite(fd, wire.ptr, wire.len, (off_t)(8 * blk)), (ssize_t)bytes);

    struct mr_io_stage s;
    struct mr_region into = mr_region_make(back, n * 4);
    ASSERT_OK(mr_io_stage_prepare(&s, into, blk, MR_IO_IN, NULL));
    ssize_t got = pread(fd, s.io.ptr, s.io.len, (off_t)(8 * blk));
    ASSERT_EQ(got, (ssize_t)bytes);
    /* Decode in place in the staging block, then let commit copy it back. */
    ASSERT_EQ(mr_iobuf_decode_u32(s.io.ptr, s.io, n, MR_ORDER_BE), (ssize_t)(n * 4));
    ASSERT_EQ(mr_io_stage_commit(&s, (size_t)got), (ssize_t)(n * 4));
    ASSERT_MEM_EQ(back, vals, n * 4);
    ASSERT_EQ(mr_load_u32be(wire.ptr, 4), vals[1]);
    mr_iobuf_free(wire);
    free(vals);
    free(back);
}

int main(void)
{
    open_direct();
    test_staged_round_trip();
    test_aligned_no_copy();
    test_inout();
    test_short_read();
    test_convert();
    return 0;
}
