/* SPDX-License-Identifier: MIT */
/* test/test_cursor_stream.c: FILE * streams over regions (mr_fopen) and over
 * growable buffers (mr_fopen_growable): every mode and the bad ones, stdio
 * reads (fread to end of file, fgets, fscanf), writes that reach the region
 * at once and stop at its end, seeks inside and outside (over regions larger
 * than stdio's buffer too), rewind; a growable stream written, flushed,
 * overwritten and read back; the out-of-memory walk over a failing allocator;
 * and no file descriptor left behind. */
#include "helpers.h"

static FILE *const NOT_SET = (FILE *)(uintptr_t)0x5c5c5c5c;

/* ---- modes ------------------------------------------------------------------- */

static void test_modes(void)
{
    char buf[16];
    FILE *f;

    memcpy(buf, "0123456789abcdef", 16);
    static const char *const good[] = { "r", "rb", "r+", "w", "w+", "r+b", "rb+", "wb", "w+b", "wb+" };
    for (size_t i = 0; i < MR_TEST_COUNT(good); i++) {
        f = NOT_SET;
        ASSERT_OK(mr_fopen(mr_region_make(buf, sizeof buf), good[i], &f));
        ASSERT_TRUE(f != NOT_SET && f != NULL);
        /* Every mode reads, and "w" does not clear the region. */
        ASSERT_EQ(fgetc(f), '0');
        ASSERT_EQ(fclose(f), 0);
        ASSERT_MEM_EQ(buf, "0123456789abcdef", 16);
    }

    /* On a read-only region, only the reading modes. */
    static const char *const reading[] = { "r", "rb" };
    for (size_t i = 0; i < MR_TEST_COUNT(reading); i++) {
        ASSERT_OK(mr_fopen(mr_region_make_ro(buf, sizeof buf), reading[i], &f));
        ASSERT_EQ(fgetc(f), '0');
        ASSERT_EQ(fclose(f), 0);
    }
    static const char *const writing[] = { "r+", "w", "w+", "rb+", "wb" };
    for (size_t i = 0; i < MR_TEST_COUNT(writing); i++) {
        f = NOT_SET;
        ASSERT_ERR(mr_fopen(mr_region_make_ro(buf, sizeof buf), writing[i], &f), -EACCES);
        ASSERT_PTR_EQ(f, NOT_SET);
    }

    static const char *const bad[] = { "a", "a+", "x", "", "rw", "wx", "r+x", "rt", "+", "b", "ab" };
    for (size_t i = 0; i < MR_TEST_COUNT(bad); i++) {
        f = NOT_SET;
        ASSERT_ERR(mr_fopen(mr_region_make(buf, sizeof buf), bad[i], &f), -EINVAL);
        ASSERT_PTR_EQ(f, NOT_SET);
        ASSERT_ERR(mr_fopen(mr_region_make_ro(buf, sizeof buf), bad[i], &f), -EINVAL);
        ASSERT_PTR_EQ(f, NOT_SET);
    }
    f = NOT_SET;
    ASSERT_ERR(mr_fopen(mr_region_make(buf, sizeof buf), NULL, &f), -EINVAL);
    ASSERT_PTR_EQ(f, NOT_SET);
    ASSERT_ERR(mr_fopen(mr_region_make(buf, sizeof buf), "r", NULL), -EINVAL);

    /* An empty region opens, and reads end of file at once. */
    ASSERT_OK(mr_fopen(mr_region_make(NULL, 0), "r+", &f));
    ASSERT_EQ(fgetc(f), EOF);
    ASSERT_TRUE(feof(f));
    ASSERT_EQ(fputc('x', f), EOF);
    ASSERT_TRUE(ferror(f));
    ASSERT_EQ(fclose(f), 0);
}

/* ---- reads ------------------------------------------------------------------- */

static void test_read(void)
{
    unsigned char data[300], got[128];
    FILE *f;

    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    for (int rw = 0; rw <= 1; rw++) {
        ASSERT_OK(mr_fopen(rw ? mr_region_make(data, sizeof data) : mr_region_make_ro(data, sizeof data),
                           rw ? "r+" : "r", &f));
        ASSERT_EQ(fread(got, 1, 128, f), (size_t)128);
        ASSERT_MEM_EQ(got, data, 128);
        ASSERT_EQ(fread(got, 1, 128, f), (size_t)128);
        ASSERT_MEM_EQ(got, data + 128, 128);
        ASSERT_FALSE(feof(f));
        memset(got, 0, sizeof got);
        ASSERT_EQ(fread(got, 1, 128, f), (size_t)44); /* short at the end */
        ASSERT_MEM_EQ(got, data + 256, 44);
        ASSERT_TRUE(feof(f));
        ASSERT_FALSE(ferror(f));
        ASSERT_EQ(fread(got, 1, 128, f), (size_t)0);
        ASSERT_EQ(fgetc(f), EOF);
        ASSERT_EQ(ftell(f), 300L);
        rewind(f);
        ASSERT_FALSE(feof(f));
        ASSERT_EQ(ftell(f), 0L);
        ASSERT_EQ(fgetc(f), data[0]);
        /* Whole records: fread counts items, not bytes. */
        unsigned char items[700];
        ASSERT_EQ(fread(items, 7, 100, f), (size_t)42); /* 294 of the 299 left */
        ASSERT_MEM_EQ(items, data + 1, 294);
        ASSERT_EQ(fclose(f), 0);
    }

    /* fgets, lines of every shape. */
    static const char text[] = "line one\nline two\n\nlast";
    char line[64];
    ASSERT_OK(mr_fopen(mr_region_make_ro(text, sizeof text - 1), "r", &f));
    ASSERT_PTR_EQ(fgets(line, sizeof line, f), line);
    ASSERT_STR_EQ(line, "line one\n");
    ASSERT_PTR_EQ(fgets(line, 5, f), line); /* a buffer shorter than the line */
    ASSERT_STR_EQ(line, "line");
    ASSERT_PTR_EQ(fgets(line, sizeof line, f), line);
    ASSERT_STR_EQ(line, " two\n");
    ASSERT_PTR_EQ(fgets(line, sizeof line, f), line);
    ASSERT_STR_EQ(line, "\n");
    ASSERT_PTR_EQ(fgets(line, sizeof line, f), line);
    ASSERT_STR_EQ(line, "last"); /* no newline at the end of the region */
    ASSERT_TRUE(fgets(line, sizeof line, f) == NULL);
    ASSERT_TRUE(feof(f));
    ASSERT_EQ(fclose(f), 0);

    /* fscanf parses numbers straight from memory. */
    static const char nums[] = "42 -17 3.25 0x1f word 1e3\n-9000000000";
    int a, b, h;
    double d, e;
    long long big;
    char word[16];
    ASSERT_OK(mr_fopen(mr_region_make_ro(nums, sizeof nums - 1), "rb", &f));
    ASSERT_EQ(fscanf(f, "%d %d %lf %i %15s %lf %lld", &a, &b, &d, &h, word, &e, &big), 7);
    ASSERT_EQ(a, 42);
    ASSERT_EQ(b, -17);
    ASSERT_FEQ(d, 3.25);
    ASSERT_EQ(h, 31);
    ASSERT_STR_EQ(word, "word");
    ASSERT_FEQ(e, 1000.0);
    ASSERT_EQ(big, -9000000000LL);
    ASSERT_EQ(fscanf(f, "%d", &a), EOF);
    ASSERT_EQ(fclose(f), 0);
}

/* ---- writes ------------------------------------------------------------------ */

static void test_write(void)
{
    char buf[32];
    FILE *f;

    memset(buf, 'z', sizeof buf);
    ASSERT_OK(mr_fopen(mr_region_make(buf, 16), "r+", &f));
    /* No fflush anywhere below: the region must hold each byte at once. */
    ASSERT_EQ(fwrite("abc", 1, 3, f), (size_t)3);
    ASSERT_MEM_EQ(buf, "abcz", 4);
    ASSERT_EQ(fprintf(f, "%d-%s", 12345, "x"), 7);
    ASSERT_MEM_EQ(buf, "abc12345-xz", 11);
    ASSERT_EQ(ftell(f), 10L);
    ASSERT_EQ(fputc('!', f), '!');
    ASSERT_EQ(buf[10], '!');
    ASSERT_TRUE(fputs("AB", f) >= 0);
    ASSERT_MEM_EQ(buf, "abc12345-x!AB", 13);

    /* A write past the end writes what fits and sets the error indicator. */
    ASSERT_FALSE(ferror(f));
    ASSERT_EQ(fwrite("0123456789", 1, 10, f), (size_t)3);
    ASSERT_TRUE(ferror(f));
    ASSERT_MEM_EQ(buf, "abc12345-x!AB012", 16);
    ASSERT_TRUE(memcmp(buf + 16, "zzzzzzzzzzzzzzzz", 16) == 0);
    ASSERT_EQ(ftell(f), 16L);
    clearerr(f);
    ASSERT_EQ(fputc('x', f), EOF);
    ASSERT_TRUE(ferror(f));
    clearerr(f);
    ASSERT_TRUE(fprintf(f, "%d", 5) < 0);
    ASSERT_TRUE(ferror(f));
    ASSERT_EQ(buf[16], 'z');

    /* Back to the start: the bytes read back, and overwrite in place. */
    clearerr(f);
    ASSERT_EQ(fseek(f, 3, SEEK_SET), 0);
    ASSERT_TRUE(fputs("-----", f) >= 0);
    ASSERT_MEM_EQ(buf, "abc------x!AB012", 16);
    rewind(f);
    char got[20];
    ASSERT_EQ(fread(got, 1, sizeof got, f), (size_t)16);
    ASSERT_MEM_EQ(got, buf, 16);
    ASSERT_EQ(fclose(f), 0);
    ASSERT_MEM_EQ(buf, "abc------x!AB012zzzz", 20);

    /* "w" and "w+" are read-write from the start and keep the contents. */
    memcpy(buf, "hello world", 12);
    ASSERT_OK(mr_fopen(mr_region_make(buf, 11), "w", &f));
    ASSERT_TRUE(fputs("J", f) >= 0);
    ASSERT_EQ(buf[0], 'J');
    ASSERT_EQ(fread(got, 1, sizeof got, f), (size_t)10);
    ASSERT_MEM_EQ(got, "ello world", 10);
    ASSERT_EQ(fclose(f), 0);
    ASSERT_OK(mr_fopen(mr_region_make(buf, 11), "w+", &f));
    ASSERT_EQ(fseek(f, 0, SEEK_END), 0);
    ASSERT_EQ(ftell(f), 11L);
    ASSERT_EQ(fclose(f), 0);
    ASSERT_STR_EQ(buf, "Jello world");
}

/* ---- seeks ------------------------------------------------------------------- */

/* Inside, at both ends, and outside in every way, over a region of len bytes,
 * from a position reached by reading (so stdio has state to get wrong). */
static void check_seeks(unsigned char *data, long len, const char *mode)
{
    FILE *f;
    unsigned char got[16];
    struct mr_region r = strchr(mode, '+') ? mr_region_make(data, (size_t)len)
                                           : mr_region_make_ro(data, (size_t)len);

    ASSERT_OK(mr_fopen(r, mode, &f));
    ASSERT_EQ(fseek(f, 10, SEEK_SET), 0);
    ASSERT_EQ(ftell(f), 10L);
    ASSERT_EQ(fgetc(f), data[10]);
    ASSERT_EQ(fseek(f, -5, SEEK_CUR), 0);
    ASSERT_EQ(ftell(f), 6L);
    ASSERT_EQ(fgetc(f), data[6]);
    ASSERT_EQ(fseek(f, 0, SEEK_END), 0);
    ASSERT_EQ(ftell(f), len);
    ASSERT_EQ(fgetc(f), EOF);
    ASSERT_TRUE(feof(f));
    ASSERT_EQ(fseek(f, -len, SEEK_END), 0); /* clears end of file */
    ASSERT_FALSE(feof(f));
    ASSERT_EQ(ftell(f), 0L);
    ASSERT_EQ(fgetc(f), data[0]);
    ASSERT_EQ(fseek(f, len, SEEK_SET), 0);
    ASSERT_EQ(ftell(f), len);
    ASSERT_EQ(fseek(f, -1, SEEK_END), 0);
    ASSERT_EQ(fgetc(f), data[len - 1]);

    /* Outside: fails with EINVAL, and the position stays where it was. */
    static const struct {
        long off; /* added to len for SEEK_SET */
        int whence;
        bool rel_len;
    } bad[] = {
        { 1, SEEK_SET, true },   { 1000, SEEK_SET, true }, { 100000, SEEK_SET, true },
        { -1, SEEK_SET, false }, { 1, SEEK_END, false },   { 9000, SEEK_END, false },
        { 0, SEEK_CUR, true },   { -10000000, SEEK_CUR, false },
    };
    for (size_t i = 0; i < MR_TEST_COUNT(bad); i++) {
        long at = 5 + (long)i;
        ASSERT_EQ(fseek(f, at, SEEK_SET), 0);
        ASSERT_EQ(fread(got, 1, 10, f), (size_t)10);
        ASSERT_MEM_EQ(got, data + at, 10);
        long off = bad[i].off + (bad[i].rel_len ? len : 0);
        errno = 0;
        ASSERT_EQ(fseek(f, off, bad[i].whence), -1);
        ASSERT_EQ(errno, EINVAL);
        ASSERT_EQ(ftell(f), at + 10);
        ASSERT_EQ(fgetc(f), data[at + 10]);
        ASSERT_EQ(fread(got, 1, 3, f), (size_t)3);
        ASSERT_MEM_EQ(got, data + at + 11, 3);
    }

    rewind(f);
    ASSERT_EQ(ftell(f), 0L);
    ASSERT_EQ(fgetc(f), data[0]);
    ASSERT_EQ(fclose(f), 0);
}

static void test_seek(void)
{
    static unsigned char data[40000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i % 251);
    /* Small regions, and ones larger than stdio's buffer (whose seeks stdio
     * may split into a block-aligned seek, a read and a relative seek). */
    static const long lens[] = { 100, 8191, 8192, 9000, 20000, 40000 };
    static const char *const modes[] = { "r", "r+", "w+" };
    for (size_t i = 0; i < MR_TEST_COUNT(lens); i++)
        for (size_t m = 0; m < MR_TEST_COUNT(modes); m++)
            check_seeks(data, lens[i], modes[m]);
}

/* ---- growable streams ------------------------------------------------------- */

static void test_growable(void)
{
    static char expect[200000];
    struct mr_region block;
    size_t len = 777, n = 0;
    FILE *f;

    memset(&block, 0x5c, sizeof block);
    ASSERT_OK(mr_fopen_growable(mr_heap(), &block, &len, &f));
    ASSERT_EQ(len, (size_t)0);
    ASSERT_EQ(block.len, (size_t)0);
    for (int i = 0; i < 5000; i++) {
        int k = fprintf(f, "line %d: %s %x\n", i, "payload", (unsigned)i * 2654435761u);
        ASSERT_GT(k, 0);
        int w = snprintf(expect + n, sizeof expect - n, "line %d: %s %x\n", i, "payload",
                         (unsigned)i * 2654435761u);
        ASSERT_EQ(k, w);
        n += (size_t)w;
        if (i == 10) {
            ASSERT_EQ(fflush(f), 0);
            ASSERT_EQ(len, n);
            ASSERT_GE(block.len, len);
            ASSERT_MEM_EQ(block.ptr, expect, n);
        }
    }
    ASSERT_EQ(fflush(f), 0);
    ASSERT_EQ(len, n);
    ASSERT_GE(block.len, n);
    ASSERT_MEM_EQ(block.ptr, expect, n);
    ASSERT_EQ(ftell(f), (long)n);

    /* Seek back and overwrite: the length stays. */
    ASSERT_EQ(fseek(f, 5, SEEK_SET), 0);
    ASSERT_TRUE(fputs("HEAD", f) >= 0);
    memcpy(expect + 5, "HEAD", 4);
    ASSERT_EQ(fflush(f), 0);
    ASSERT_EQ(len, n);
    ASSERT_MEM_EQ(block.ptr, expect, n);
    /* Overwrite across the end: the length grows by what passed it. */
    ASSERT_EQ(fseek(f, -2, SEEK_END), 0);
    ASSERT_EQ(fwrite("TAIL", 1, 4, f), (size_t)4);
    memcpy(expect + n - 2, "TAIL", 4);
    n += 2;
    ASSERT_EQ(fflush(f), 0);
    ASSERT_EQ(len, n);
    /* Beyond the written bytes: refused, the position kept. */
    errno = 0;
    ASSERT_EQ(fseek(f, (long)n + 1, SEEK_SET), -1);
    ASSERT_EQ(errno, EINVAL);
    ASSERT_EQ(ftell(f), (long)n);

    /* Read everything back through the stream. */
    static char got[200000];
    rewind(f);
    ASSERT_EQ(fread(got, 1, sizeof got, f), n);
    ASSERT_TRUE(feof(f));
    ASSERT_MEM_EQ(got, expect, n);
    ASSERT_EQ(fclose(f), 0);
    ASSERT_EQ(len, n);
    ASSERT_MEM_EQ(block.ptr, expect, n);
    mr_free(mr_heap(), block);

    /* A stream closed without a write leaves an empty block (freeing it is a no-op). */
    len = 777;
    ASSERT_OK(mr_fopen_growable(NULL, &block, &len, &f));
    ASSERT_EQ(fclose(f), 0);
    ASSERT_EQ(len, (size_t)0);
    ASSERT_EQ(block.len, (size_t)0);
    mr_free(mr_heap(), block);

    /* Bad arguments. */
    ASSERT_ERR(mr_fopen_growable(NULL, NULL, &len, &f), -EINVAL);
    ASSERT_ERR(mr_fopen_growable(NULL, &block, NULL, &f), -EINVAL);
    ASSERT_ERR(mr_fopen_growable(NULL, &block, &len, NULL), -EINVAL);
}

/* Every block comes from the allocator given, and freeing *block after fclose
 * returns all of it; an allocation refused during growth makes that fwrite
 * fail (count 0, error indicator set) with the data before it intact. */
static void test_growable_oom(void)
{
    static char chunk[1000];
    struct mr_failing fl;
    long walked;

    for (size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = (char)('a' + i % 26);
    for (walked = 0;; walked++) {
        struct mr_region block;
        size_t len, written = 0;
        FILE *f;
        bool failed = false;

        mr_failing_init(&fl, NULL, walked);
        struct mr_allocator *a = mr_failing_allocator(&fl);
        ASSERT_OK(mr_fopen_growable(a, &block, &len, &f));
        for (size_t i = 0; i < 100 && !failed; i++) {
            size_t sz = 1 + (i * 37) % sizeof chunk;
            size_t k = fwrite(chunk, 1, sz, f);
            if (k != sz) {
                ASSERT_EQ(k, (size_t)0);
                ASSERT_TRUE(ferror(f));
                ASSERT_EQ(fl.failures, (size_t)1);
                failed = true;
            } else {
                ASSERT_FALSE(ferror(f));
                written += sz;
            }
        }
        ASSERT_EQ(fflush(f), 0);
        ASSERT_EQ(len, written);
        ASSERT_EQ(ftell(f), (long)written);
        /* What was written before the failure is all there. */
        size_t off = 0;
        for (size_t i = 0; off < written; i++) {
            size_t sz = 1 + (i * 37) % sizeof chunk;
            ASSERT_MEM_EQ((char *)block.ptr + off, chunk, sz);
            off += sz;
        }
        ASSERT_EQ(fclose(f), 0);
        ASSERT_EQ(len, written);
        ASSERT_EQ(fl.live_blocks, block.len ? (size_t)1 : 0);
        ASSERT_EQ(fl.live_bytes, block.len);
        mr_free(a, block);
        ASSERT_EQ(fl.live_blocks, (size_t)0);
        ASSERT_EQ(fl.live_bytes, (size_t)0);
        if (!failed) {
            ASSERT_EQ(fl.failures, (size_t)0);
            break;
        }
        ASSERT_EQ(fl.attempts, (size_t)walked + 1);
        ASSERT_LT(walked, 1000);
    }
    /* About 50 KB from 64 bytes up, doubling: ten allocations or so. */
    fprintf(stderr, "growable stream: %ld allocation failures walked\n", walked);
    ASSERT_GE(walked, 8);
    ASSERT_LE(walked, 16);
}

int main(void)
{
    test_modes();
    test_read();
    test_write();
    test_seek();
    test_growable();
    test_growable_oom();
    return 0;
}
