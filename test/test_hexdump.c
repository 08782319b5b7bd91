/* SPDX-License-Identifier: MIT */
/* test/test_hexdump.c: mr_region_hexdump writes exactly what xxd writes:
 * fixed expected texts, offsets shifted by base (also past 32 bits, as
 * `xxd -o` prints them), a comparison with the real xxd when it is installed,
 * and -EIO on a stream that cannot be written. */
#include "helpers.h"

#include <sys/wait.h>
#include <unistd.h>

#define XXD "/usr/bin/xxd"

/* 40 bytes: text, a newline, NUL, 0x01, DEL, 0xff, then letters. */
static const char sample[] = "Hello, world!\n\0\1\x7f\xff"
                             "abcdefghijklmnopqrstuv";
#define SAMPLE_LEN 40
_Static_assert(sizeof sample - 1 == SAMPLE_LEN, "sample is 40 bytes");

/* What `head -c N sample | xxd` prints, as the real xxd printed it. */
static const char want_1[] =
    "00000000: 48                                       H\n";
static const char want_15[] =
    "00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a 00    Hello, world!..\n";
static const char want_16[] =
    "00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a 0001  Hello, world!...\n";
static const char want_17[] =
    "00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a 0001  Hello, world!...\n"
    "00000010: 7f                                       .\n";
static const char want_40[] =
    "00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a 0001  Hello, world!...\n"
    "00000010: 7fff 6162 6364 6566 6768 696a 6b6c 6d6e  ..abcdefghijklmn\n"
    "00000020: 6f70 7172 7374 7576                      opqrstuv\n";
/* xxd -o 0x10 */
static const char want_17_at_0x10[] =
    "00000010: 4865 6c6c 6f2c 2077 6f72 6c64 210a 0001  Hello, world!...\n"
    "00000020: 7f                                       .\n";
/* xxd -o 0xfffffff8: the second line's offset needs a ninth digit */
static const char want_20_at_fffffff8[] =
    "fffffff8: 4865 6c6c 6f2c 2077 6f72 6c64 210a 0001  Hello, world!...\n"
    "100000008: 7fff 6162                                ..ab\n";
/* xxd -o 0x123456789ab */
static const char want_17_at_123456789ab[] =
    "123456789ab: 4865 6c6c 6f2c 2077 6f72 6c64 210a 0001  Hello, world!...\n"
    "123456789bb: 7f                                       .\n";

/* Dump r into a memory stream; returns the text (caller frees) and sets *rc. */
static char *dump(struct mr_region r, size_t base, int *rc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        mr_test_fail(__FILE__, __LINE__, "open_memstream failed");
    *rc = mr_region_hexdump(r, f, base);
    if (fclose(f) != 0)
        mr_test_fail(__FILE__, __LINE__, "fclose of the memory stream failed");
    if (strlen(text) != len)
        mr_test_fail(__FILE__, __LINE__, "the dump contains a NUL byte");
    return text;
}

/* The first n bytes of sample in a heap block of exactly n bytes, so that
 * AddressSanitizer and valgrind catch a read past the region. */
static void check_sample(int line, size_t n, size_t base, const char *want)
{
    unsigned char *p = malloc(n);
    if (!p)
        mr_test_fail(__FILE__, line, "malloc failed");
    memcpy(p, sample, n);
    int rc;
    char *got = dump(mr_region_make_ro(p, n), base, &rc);
    if (rc != 0 || strcmp(got, want) != 0) {
        fprintf(stderr, "want:\n%shave:\n%s", want, got);
        mr_test_fail(__FILE__, line, "hexdump of %zu bytes at base 0x%zx: rc %d, text %s", n, base, rc,
                     strcmp(got, want) ? "differs" : "ok");
    }
    free(got);
    free(p);
}

static void test_fixed_layouts(void)
{
    check_sample(__LINE__, 1, 0, want_1);
    check_sample(__LINE__, 15, 0, want_15);
    check_sample(__LINE__, 16, 0, want_16);
    check_sample(__LINE__, 17, 0, want_17);
    check_sample(__LINE__, 40, 0, want_40);
}

static void test_base_offsets(void)
{
    check_sample(__LINE__, 17, 0x10, want_17_at_0x10);
    if (sizeof(size_t) >= 8) {
        check_sample(__LINE__, 20, (size_t)0xfffffff8u, want_20_at_fffffff8);
        check_sample(__LINE__, 17, (size_t)0x123456789abull, want_17_at_123456789ab);
    }
    /* The offsets come from base, not from where the bytes sit in memory. */
    struct mr_region whole = mr_region_make_ro(sample, SAMPLE_LEN), tail;
    ASSERT_EQ(mr_region_tail(whole, 21, &tail), 0);
    int rc;
    char *got = dump(tail, 0, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT_STR_EQ(got, "00000000: 6465 6667 6869 6a6b 6c6d 6e6f 7071 7273  defghijklmnopqrs\n"
                       "00000010: 7475 76                                  tuv\n");
    free(got);
    got = dump(tail, 21, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT_STR_EQ(got, "00000015: 6465 6667 6869 6a6b 6c6d 6e6f 7071 7273  defghijklmnopqrs\n"
                       "00000025: 7475 76                                  tuv\n");
    free(got);
}

static void test_empty(void)
{
    unsigned char b[1] = { 0x41 };
    const struct mr_region empties[] = { mr_region_make(NULL, 0), mr_region_make(b, 0), mr_region_make_ro(b, 0) };
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        int rc;
        char *got = dump(empties[i], 0, &rc);
        ASSERT_EQ(rc, 0);
        ASSERT_STR_EQ(got, "");
        free(got);
        got = dump(empties[i], 0xfffffff0u, &rc);
        ASSERT_EQ(rc, 0);
        ASSERT_STR_EQ(got, "");
        free(got);
    }
}

/* The dump is appended at the stream's position, and the stream stays open;
 * also through tmpfile(), a real file. */
static void test_stream_position(void)
{
    FILE *f = tmpfile();
    if (!f)
        mr_test_fail(__FILE__, __LINE__, "tmpfile failed");
    fputs("before\n", f);
    ASSERT_EQ(mr_region_hexdump(mr_region_make_ro(sample, 16), f, 0), 0);
    ASSERT_EQ(mr_region_hexdump(mr_region_make_ro(sample, 1), f, 0), 0);
    fputs("after\n", f);
    ASSERT_EQ(fflush(f), 0);
    rewind(f);
    char text[512];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    char want[512];
    snprintf(want, sizeof want, "before\n%s%safter\n", want_16, want_1);
    ASSERT_STR_EQ(text, want);
}

/* An independent formatter, written from xxd's documented layout, for every
 * length from 0 to 70 and a few bases. */
static void reference_dump(const unsigned char *p, size_t n, size_t base, char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t line = 0; line < n; line += 16) {
        o += (size_t)snprintf(out + o, size - o, "%08zx:", base + line);
        for (size_t i = 0; i < 16; i++) {
            if (i % 2 == 0)
                o += (size_t)snprintf(out + o, size - o, " ");
            if (line + i < n)
                o += (size_t)snprintf(out + o, size - o, "%02x", p[line + i]);
            else
                o += (size_t)snprintf(out + o, size - o, "  ");
        }
        o += (size_t)snprintf(out + o, size - o, "  ");
        for (size_t i = 0; i < 16 && line + i < n; i++) {
            unsigned char c = p[line + i];
            o += (size_t)snprintf(out + o, size - o, "%c", c >= 0x20 && c <= 0x7e ? c : '.');
        }
        o += (size_t)snprintf(out + o, size - o, "\n");
    }
}

static void test_against_reference(void)
{
    unsigned char bytes[70];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(i * 29 + 3);
    const size_t bases[] = { 0, 5, 0xfff0, (size_t)0xfffffff0u };
    static char want[8192];
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
        for (size_t n = 0; n <= sizeof bytes; n++) {
            reference_dump(bytes, n, bases[b], want, sizeof want);
            int rc;
            char *got = dump(mr_region_make(bytes, n), bases[b], &rc);
            if (rc != 0 || strcmp(got, want) != 0) {
                fprintf(stderr, "want:\n%shave:\n%s", want, got);
                mr_test_fail(__FILE__, __LINE__, "%zu bytes at base 0x%zx: rc %d", n, bases[b], rc);
            }
            free(got);
        }
    }
}

/* ---- against the real xxd ------------------------------------------------- */

static char tmp_path[256];

static void remove_tmp(void)
{
    if (tmp_path[0])
        unlink(tmp_path);
}

static char *run_xxd(const char *args, size_t *len)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, XXD " %s '%s'", args, tmp_path);
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    if (!p)
        mr_test_fail(__FILE__, __LINE__, "popen(%s) failed", cmd);
    size_t cap = 4096, n = 0;
    char *out = malloc(cap);
    if (!out)
        mr_test_fail(__FILE__, __LINE__, "malloc failed");
    size_t got;
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *bigger = realloc(out, cap *= 2);
            if (!bigger)
                mr_test_fail(__FILE__, __LINE__, "realloc failed");
            out = bigger;
        }
    }
    out[n] = '\0';
    int status = pclose(p);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        mr_test_fail(__FILE__, __LINE__, "%s: exit status 0x%x", cmd, (unsigned)status);
    *len = n;
    return out;
}

static void compare_with_xxd(const unsigned char *bytes, size_t n, size_t base)
{
    FILE *f = fopen(tmp_path, "wb");
    if (!f)
        mr_test_fail(__FILE__, __LINE__, "cannot create %s", tmp_path);
    if (n && fwrite(bytes, 1, n, f) != n)
        mr_test_fail(__FILE__, __LINE__, "cannot write %s", tmp_path);
    if (fclose(f) != 0)
        mr_test_fail(__FILE__, __LINE__, "cannot write %s", tmp_path);

    char args[64];
    snprintf(args, sizeof args, "-o 0x%zx", base);
    size_t xlen;
    char *x = run_xxd(args, &xlen);
    int rc;
    char *ours = dump(mr_region_make_ro(bytes, n), base, &rc);
    ASSERT_EQ(rc, 0);
    if (strcmp(ours, x) != 0) {
        size_t i = 0;
        while (ours[i] && ours[i] == x[i])
            i++;
        fprintf(stderr, "xxd:\n%s\nours:\n%s\n", x, ours);
        mr_test_fail(__FILE__, __LINE__, "%zu bytes at base 0x%zx differ from xxd at character %zu", n, base, i);
    }
    ASSERT_GT(xlen, (size_t)0);
    free(ours);
    free(x);
}

static void test_against_xxd(void)
{
    if (access(XXD, X_OK) != 0) {
        mr_test_skip_case("test_against_xxd", XXD " not found (install xxd, or vim-common)");
        return;
    }
    mr_test_tmp_path(tmp_path, sizeof tmp_path, "bytes");
    atexit(remove_tmp); /* also when an assertion fails */

    unsigned char all[300];
    for (size_t i = 0; i < sizeof all; i++)
        all[i] = (unsigned char)i;
    compare_with_xxd(all, sizeof all, 0);
    compare_with_xxd(all, sizeof all, 0x10);
    compare_with_xxd(all, sizeof all, 0x7);
    if (sizeof(size_t) >= 8) {
        compare_with_xxd(all, sizeof all, (size_t)0xffffffc0u); /* crosses 2^32 */
        compare_with_xxd(all, sizeof all, (size_t)0x123456789ull);
    }
    compare_with_xxd(all + 200, 1, 0);
    compare_with_xxd(all + 100, 31, 0);
    compare_with_xxd(all + 20, 33, 0);

    remove_tmp();
    tmp_path[0] = '\0';
}

/* ---- write errors ------------------------------------------------------------------ */

static void test_write_errors(void)
{
    struct mr_region r = mr_region_make_ro(sample, SAMPLE_LEN);

    FILE *full = fopen("/dev/full", "w");
    if (full) {
        /* Unbuffered, so the first write reaches the device and fails. */
        ASSERT_EQ(setvbuf(full, NULL, _IONBF, 0), 0);
        ASSERT_ERR(mr_region_hexdump(r, full, 0), -EIO);
        ASSERT_ERR(mr_region_hexdump(mr_region_make_ro(sample, 1), full, 0), -EIO);
        fclose(full);

        /* Fully buffered: the writes land in the buffer, but the stream
         * already reports a write error (a failed flush), so the caller is
         * told the output is incomplete. */
        full = fopen("/dev/full", "w");
        if (!full)
            mr_test_fail(__FILE__, __LINE__, "cannot reopen /dev/full");
        fputs("x", full);
        ASSERT_NE(fflush(full), 0);
        ASSERT_TRUE(ferror(full));
        ASSERT_ERR(mr_region_hexdump(mr_region_make_ro(sample, 1), full, 0), -EIO);
        fclose(full);
    } else {
        mr_test_skip_case("write to /dev/full", "no /dev/full here (mknod /dev/full c 1 7)");
    }

    /* A stream opened for reading only refuses every write. */
    FILE *ro = fopen("/dev/null", "r");
    if (!ro)
        mr_test_fail(__FILE__, __LINE__, "cannot open /dev/null");
    ASSERT_ERR(mr_region_hexdump(r, ro, 0), -EIO);
    fclose(ro);
}

int main(void)
{
    test_fixed_layouts();
    test_base_offsets();
    test_empty();
    test_stream_position();
    test_against_reference();
    test_against_xxd();
    test_write_errors();
    return 0;
}
