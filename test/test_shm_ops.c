/* SPDX-License-Identifier: MIT */
/* test_shm_ops: resize (EINTR retried; also under a storm of signals),
 * chmod, chown with -1, stat, unlink, adopting an fd (also by its deprecated
 * old name), the /dev/shm listing (and its out-of-memory walk), and mapping
 * ranges: unaligned offsets, read-only objects, and ranges past the end
 * refused before mmap. */
#include "shm_test.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>

static size_t ps;

/* ftruncate as the C library's, except that while eintr_left > 0 it fails
 * with EINTR without doing anything, as an interrupted call does. The
 * library's calls reach this definition before the C library's. (ftruncate
 * on tmpfs never sleeps interruptibly, so no real signal can do this.) */
static int eintr_left, eintr_given;

int ftruncate(int fd, off_t len)
{
    if (eintr_left > 0) {
        eintr_left--;
        eintr_given++;
        errno = EINTR;
        return -1;
    }
    return (int)syscall(SYS_ftruncate, fd, len);
}

static void open_new(struct mr_shm *shm, char *name, const char *tag)
{
    mr_test_shm_name(name, tag);
    ASSERT_OK(mr_shm_open(shm, name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0));
}

static void finish(struct mr_shm *shm)
{
    char name[MR_SHM_NAME_MAX + 2];
    strcpy(name, shm->name);
    ASSERT_OK(mr_shm_close(shm));
    ASSERT_OK(mr_shm_unlink(name));
}

static uint64_t size_of(const struct mr_shm *shm)
{
    struct mr_shm_stat st;
    ASSERT_OK(mr_shm_stat(shm, &st));
    return st.size;
}

static void test_resize(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm, ro;
    open_new(&shm, name, "resize");
    ASSERT_EQ(size_of(&shm), (uint64_t)0);
    ASSERT_OK(mr_shm_resize(&shm, 1 << 20));
    ASSERT_EQ(size_of(&shm), (uint64_t)1 << 20);
    ASSERT_EQ(pwrite(shm.fd, "abc", 3, 1000), 3);
    ASSERT_OK(mr_shm_resize(&shm, 1001));
    ASSERT_EQ(size_of(&shm), (uint64_t)1001);
    ASSERT_OK(mr_shm_resize(&shm, 5000));
    char buf[4] = { 9, 9, 9, 9 };
    ASSERT_EQ(pread(shm.fd, buf, 4, 1000), 4);
    ASSERT_MEM_EQ(buf, "a\0\0\0", 4); /* cut bytes come back as zeros */
    ASSERT_OK(mr_shm_resize(&shm, 0));
    ASSERT_EQ(size_of(&shm), (uint64_t)0);
    ASSERT_ERR(mr_shm_resize(&shm, (uint64_t)INT64_MAX + 1), -EFBIG);
    ASSERT_ERR(mr_shm_resize(&shm, UINT64_MAX), -EFBIG);
    /* A size off_t cannot hold is refused, never cut to one it can (with a
     * 32-bit off_t, 2^32 would become 0). */
    if (sizeof(off_t) < sizeof(uint64_t)) {
        ASSERT_OK(mr_shm_resize(&shm, 10));
        ASSERT_ERR(mr_shm_resize(&shm, (uint64_t)1 << 32), -EFBIG);
        ASSERT_EQ(size_of(&shm), (uint64_t)10);
        ASSERT_OK(mr_shm_resize(&shm, 0));
    }

    ASSERT_OK(mr_shm_open(&ro, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0));
    ASSERT_ERR(mr_shm_resize(&ro, 10), -EACCES);
    ASSERT_OK(mr_shm_close(&ro));
    ASSERT_ERR(mr_shm_resize(&ro, 10), -EBADF);
    finish(&shm);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* EINTR from ftruncate is retried: the caller never sees it, and the size
 * is set once. */
static void test_resize_retries(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    open_new(&shm, name, "retry");
    eintr_given = 0;
    eintr_left = 3;
    ASSERT_OK(mr_shm_resize(&shm, 3 * ps));
    ASSERT_EQ(eintr_given, 3);
    ASSERT_EQ(eintr_left, 0);
    ASSERT_EQ(size_of(&shm), (uint64_t)3 * ps);
    finish(&shm);
}

/* A handler installed without SA_RESTART makes every interruptible system
 * call return EINTR: none may reach the caller. (On tmpfs, ftruncate and
 * open are not interruptible, so this storm provokes no EINTR there:
 * test_resize_retries does.) */
static void test_resize_eintr(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    open_new(&shm, name, "eintr");
    /* valgrind queues signals in its own scheduler and, at this rate,
     * occasionally delivers one with the default action: the property is
     * the kernel's and the library's, checked by the plain and ASan runs. */
    if (mr_test_under_valgrind()) {
        mr_test_skip_case("resize under signals", "valgrind delivers some signals wrongly at this rate "
                          "(the plain and ASan runs cover it)");
        finish(&shm);
        return;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ASSERT_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval it = { { 0, 50 }, { 0, 50 } };
    ASSERT_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);

    int rounds = 50000;
    for (int i = 0; i < rounds; i++) {
        /* Shrinking a populated object frees pages: real work to interrupt. */
        ASSERT_OK(mr_shm_resize(&shm, (uint64_t)(i % 7 + 1) * 65536));
        if (i % 7 == 0)
            ASSERT_EQ(pwrite(shm.fd, "x", 1, 65536 - 1), 1);
        if (i % 1000 == 0) {
            struct mr_shm again;
            ASSERT_OK(mr_shm_open(&again, name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0));
            ASSERT_OK(mr_shm_close(&again));
        }
    }
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    ASSERT_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
    /* The handler stays: a signal still pending would otherwise meet
     * SIGALRM's default action and end the test. */
    fprintf(stderr, "resize under signals: %d resizes, %d signals\n", rounds, (int)alarms);
    ASSERT_GT(alarms, 0);
    finish(&shm);
}

static void test_chmod_chown_stat(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    struct mr_shm_stat st, st2;
    struct timespec before;
    ASSERT_EQ(clock_gettime(CLOCK_REALTIME, &before), 0);
    open_new(&shm, name, "attrs");

    ASSERT_OK(mr_shm_stat(&shm, &st));
    ASSERT_EQ(st.size, (uint64_t)0);
    ASSERT_EQ(st.mode, (mode_t)0600);
    ASSERT_EQ(st.uid, geteuid());
    ASSERT_EQ(st.gid, getegid());
    /* Times are those of the creation, give or take a clock tick. */
    ASSERT_GE(st.mtime.tv_sec, before.tv_sec - 1);
    ASSERT_GE(st.ctime.tv_sec, before.tv_sec - 1);
    ASSERT_GE(st.atime.tv_sec, before.tv_sec - 1);
    struct stat raw;
    ASSERT_EQ(fstat(shm.fd, &raw), 0);
    ASSERT_EQ(st.mtime.tv_sec, raw.st_mtim.tv_sec);
    ASSERT_EQ(st.mtime.tv_nsec, raw.st_mtim.tv_nsec);
    ASSERT_EQ(st.ctime.tv_nsec, raw.st_ctim.tv_nsec);
    ASSERT_EQ(st.atime.tv_nsec, raw.st_atim.tv_nsec);

    ASSERT_OK(mr_shm_resize(&shm, 12345));
    ASSERT_OK(mr_shm_stat(&shm, &st2));
    ASSERT_EQ(st2.size, (uint64_t)12345);
    ASSERT_TRUE(st2.mtime.tv_sec > st.mtime.tv_sec ||
                (st2.mtime.tv_sec == st.mtime.tv_sec && st2.mtime.tv_nsec >= st.mtime.tv_nsec));

    const mode_t modes[] = { 0640, 0604, 0, 0777, 0400, 0600 };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        ASSERT_OK(mr_shm_chmod(&shm, modes[i]));
        ASSERT_OK(mr_shm_stat(&shm, &st));
        ASSERT_EQ(st.mode, modes[i]);
    }
    ASSERT_ERR(mr_shm_chmod(&shm, 01600), -EINVAL);
    ASSERT_ERR(mr_shm_chmod(&shm, 04600), -EINVAL);
    ASSERT_ERR(mr_shm_chmod(&shm, 010600), -EINVAL);
    ASSERT_OK(mr_shm_stat(&shm, &st));
    ASSERT_EQ(st.mode, (mode_t)0600);

    /* -1 leaves a field as it is; our own ids are always allowed. */
    ASSERT_OK(mr_shm_chown(&shm, (uid_t)-1, (gid_t)-1));
    ASSERT_OK(mr_shm_stat(&shm, &st));
    ASSERT_EQ(st.uid, geteuid());
    ASSERT_EQ(st.gid, getegid());
    ASSERT_OK(mr_shm_chown(&shm, geteuid(), getegid()));
    ASSERT_OK(mr_shm_chown(&shm, (uid_t)-1, getegid()));
    ASSERT_OK(mr_shm_chown(&shm, geteuid(), (gid_t)-1));
    ASSERT_OK(mr_shm_stat(&shm, &st));
    ASSERT_EQ(st.uid, geteuid());
    ASSERT_EQ(st.gid, getegid());
    if (geteuid() == 0) {
        /* Root may give it away: each id changes alone. */
        ASSERT_OK(mr_shm_chown(&shm, 65534, (gid_t)-1));
        ASSERT_OK(mr_shm_stat(&shm, &st));
        ASSERT_EQ(st.uid, (uid_t)65534);
        ASSERT_EQ(st.gid, getegid());
        ASSERT_OK(mr_shm_chown(&shm, (uid_t)-1, 65534));
        ASSERT_OK(mr_shm_stat(&shm, &st));
        ASSERT_EQ(st.uid, (uid_t)65534);
        ASSERT_EQ(st.gid, (gid_t)65534);
        ASSERT_OK(mr_shm_chown(&shm, 0, 0));
    } else {
        ASSERT_ERR(mr_shm_chown(&shm, 0, (gid_t)-1), -EPERM);
    }
    finish(&shm);
}

/* Root passes DAC checks, so refusals of chmod and chown are tested as nobody. */
static void attrs_as_nobody(void *arg)
{
    struct mr_shm *shm = arg;
    if (setgid(65534) < 0 || setuid(65534) < 0)
        _exit(3);
    if (mr_shm_chmod(shm, 0666) != -EPERM)
        _exit(4);
    if (mr_shm_chown(shm, 65534, (gid_t)-1) != -EPERM)
        _exit(5);
    if (mr_shm_chown(shm, (uid_t)-1, (gid_t)-1) != 0) /* no change: allowed for anyone */
        _exit(6);
    _exit(0);
}

static void test_attrs_refused(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    if (geteuid() != 0)
        return; /* covered by the non-root branch of test_chmod_chown_stat */
    open_new(&shm, name, "refused");
    ASSERT_EQ(mr_test_in_child(attrs_as_nobody, &shm, 0), 0);
    finish(&shm);
}

static void test_unlink(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    struct mr_map m;
    open_new(&shm, name, "unlink");
    ASSERT_OK(mr_shm_resize(&shm, 100));
    ASSERT_OK(mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &m));
    ASSERT_OK(mr_region_set_u32(m.region, 0, 0xabcdef));
    ASSERT_OK(mr_shm_unlink(name));
    ASSERT_FALSE(mr_test_shm_exists(name));
    ASSERT_ERR(mr_shm_unlink(name), -ENOENT);
    struct mr_shm again;
    ASSERT_ERR(mr_shm_open(&again, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0), -ENOENT);
    /* The object lives on in its fd and mapping. */
    uint32_t v;
    ASSERT_OK(mr_region_get_u32(m.region, 0, &v));
    ASSERT_EQ(v, 0xabcdefu);
    ASSERT_EQ(size_of(&shm), (uint64_t)100);
    ASSERT_OK(mr_shm_close(&shm));
    ASSERT_OK(mr_region_get_u32(m.region, 0, &v)); /* and after close, in the mapping */
    ASSERT_EQ(v, 0xabcdefu);
    mr_shm_unmap(&m);
    mr_shm_unmap(&m); /* empty: a no-op */
}

static void test_adopt_fd(void)
{
    char name[MR_SHM_NAME_MAX + 2], path[300];
    struct mr_shm shm, adopted;
    open_new(&shm, name, "openfd");
    ASSERT_OK(mr_shm_resize(&shm, 64));

    int fd = open(mr_test_shm_path(path, sizeof path, name), O_RDWR); /* no O_CLOEXEC */
    ASSERT_GE(fd, 0);
    ASSERT_OK(mr_shm_adopt_fd(&adopted, fd));
    ASSERT_EQ(adopted.fd, fd);
    ASSERT_EQ(adopted.flags, MR_SHM_RDWR);
    ASSERT_STR_EQ(adopted.name, "");
    ASSERT_TRUE(mr_test_is_cloexec(fd));
    ASSERT_EQ(size_of(&adopted), (uint64_t)64);
    ASSERT_OK(mr_shm_close(&adopted));
    ASSERT_EQ(fcntl(fd, F_GETFD), -1); /* closed by the object */

    fd = open(path, O_RDONLY | O_CLOEXEC);
    ASSERT_OK(mr_shm_adopt_fd(&adopted, fd));
    ASSERT_EQ(adopted.flags, MR_SHM_READ);
    ASSERT_ERR(mr_shm_resize(&adopted, 1), -EACCES);
    ASSERT_OK(mr_shm_close(&adopted));

    /* Refused: the caller keeps the fd. */
    fd = open(path, O_WRONLY | O_CLOEXEC);
    ASSERT_ERR(mr_shm_adopt_fd(&adopted, fd), -EACCES);
    ASSERT_EQ(adopted.fd, -1);
    ASSERT_EQ(close(fd), 0);
    fd = open(path, O_PATH | O_CLOEXEC);
    ASSERT_ERR(mr_shm_adopt_fd(&adopted, fd), -EBADF);
    ASSERT_EQ(close(fd), 0);
    int p[2];
    ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
    ASSERT_ERR(mr_shm_adopt_fd(&adopted, p[0]), -EINVAL);
    ASSERT_EQ(close(p[0]), 0);
    ASSERT_EQ(close(p[1]), 0);
    ASSERT_ERR(mr_shm_adopt_fd(&adopted, -1), -EBADF);
    ASSERT_ERR(mr_shm_adopt_fd(&adopted, 1000000), -EBADF);
    finish(&shm);
}

/* The old name still works, with the same contract: it adopts the fd. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void test_open_fd_deprecated(void)
{
    char name[MR_SHM_NAME_MAX + 2], path[300];
    struct mr_shm shm, adopted;
    open_new(&shm, name, "openfd-old");

    int fd = open(mr_test_shm_path(path, sizeof path, name), O_RDWR); /* no O_CLOEXEC */
    ASSERT_GE(fd, 0);
    ASSERT_OK(mr_shm_open_fd(&adopted, fd));
    ASSERT_EQ(adopted.fd, fd);
    ASSERT_EQ(adopted.flags, MR_SHM_RDWR);
    ASSERT_TRUE(mr_test_is_cloexec(fd));
    ASSERT_OK(mr_shm_close(&adopted));
    ASSERT_EQ(fcntl(fd, F_GETFD), -1); /* closed by the object */
    fd = open(path, O_WRONLY | O_CLOEXEC);
    ASSERT_ERR(mr_shm_open_fd(&adopted, fd), -EACCES);
    ASSERT_EQ(adopted.fd, -1);
    ASSERT_EQ(close(fd), 0); /* refused: still the caller's */
    finish(&shm);
}
#pragma GCC diagnostic pop

/* ---- mapping -------------------------------------------------------------- */

static void fill_pattern(int fd, size_t n)
{
    unsigned char *buf = malloc(n);
    ASSERT_TRUE(buf != NULL);
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    ASSERT_EQ(pwrite(fd, buf, n, 0), (ssize_t)n);
    free(buf);
}

static void check_pattern(struct mr_region r, uint64_t off)
{
    const unsigned char *p = r.ptr;
    for (size_t i = 0; i < r.len; i++)
        if (p[i] != (unsigned char)((off + i) * 7 + 3))
            mr_test_fail(__FILE__, __LINE__, "byte %zu of a mapping at %llu is wrong", i,
                         (unsigned long long)off);
}

static void test_map_ranges(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    struct mr_map m;
    open_new(&shm, name, "map");
    const size_t size = 3 * ps + 100;
    ASSERT_OK(mr_shm_resize(&shm, size));
    fill_pattern(shm.fd, size);

    ASSERT_OK(mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &m));
    ASSERT_EQ(m.region.len, size);
    ASSERT_PTR_EQ(m.region.ptr, m.base);
    ASSERT_EQ((uintptr_t)m.base % ps, (uintptr_t)0);
    ASSERT_FALSE(mr_region_is_ro(m.region));
    check_pattern(m.region, 0);
    mr_shm_unmap(&m);
    ASSERT_PTR_EQ(m.base, NULL);
    ASSERT_EQ(m.region.len, (size_t)0);

    /* Ranges that start anywhere inside the object. */
    const uint64_t offs[] = { 1, 7, ps - 1, ps, ps + 7, 2 * ps + 5, size - 1 };
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        uint64_t off = offs[i];
        size_t lens[] = { 1, (size_t)(size - off), (size_t)(size - off) / 2 + 1 };
        for (size_t j = 0; j < 3; j++) {
            ASSERT_OK(mr_shm_map(&shm, off, lens[j], 0, &m));
            ASSERT_EQ(m.region.len, lens[j]);
            ASSERT_EQ((uintptr_t)m.region.ptr - (uintptr_t)m.base, (uintptr_t)(off % ps));
            ASSERT_EQ((uintptr_t)m.base % ps, (uintptr_t)0);
            check_pattern(m.region, off);
            mr_shm_unmap(&m);
        }
        ASSERT_OK(mr_shm_map(&shm, off, MR_SHM_TO_END, MR_SHM_MAP_POPULATE, &m));
        ASSERT_EQ(m.region.len, (size_t)(size - off));
        check_pattern(m.region, off);
        mr_shm_unmap(&m);
    }

    /* Writes through a mapping reach the object. */
    ASSERT_OK(mr_shm_map(&shm, ps + 3, 8, 0, &m));
    ASSERT_OK(mr_region_set_u64le(m.region, 0, 0x0102030405060708ull));
    ASSERT_ERR(mr_region_set_u8(m.region, 8, 0), -ERANGE);
    unsigned char back[8];
    ASSERT_EQ(pread(shm.fd, back, 8, (off_t)ps + 3), 8);
    ASSERT_MEM_EQ(back, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    mr_shm_unmap(&m);
    fill_pattern(shm.fd, size);

    /* Empty ranges map nothing, anywhere up to the end. */
    ASSERT_OK(mr_shm_map(&shm, size, MR_SHM_TO_END, 0, &m));
    ASSERT_EQ(m.region.len, (size_t)0);
    ASSERT_PTR_EQ(m.base, NULL);
    mr_shm_unmap(&m);
    ASSERT_OK(mr_shm_map(&shm, 5, 0, 0, &m));
    ASSERT_EQ(m.region.len, (size_t)0);
    ASSERT_PTR_EQ(m.base, NULL);
    ASSERT_OK(mr_shm_map(&shm, size, 0, 0, &m));

    /* Past the end: refused before mmap, whatever the overflow. */
    struct { uint64_t off; size_t len; } bad[] = {
        { size + 1, 0 }, { size + 1, MR_SHM_TO_END }, { size, 1 }, { 0, size + 1 },
        { size - 10, 11 }, { ps, size }, { 1, size }, { UINT64_MAX, 1 },
        { UINT64_MAX, MR_SHM_TO_END }, { 1, SIZE_MAX - 1 }, { (uint64_t)1 << 63, 1 },
        { 4 * ps, 1 }, /* a whole page past the end: this would be SIGBUS */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m.base = (void *)1;
        ASSERT_ERR(mr_shm_map(&shm, bad[i].off, bad[i].len, 0, &m), -ERANGE);
        ASSERT_PTR_EQ(m.base, NULL);
        ASSERT_EQ(m.region.len, (size_t)0);
    }
    ASSERT_ERR(mr_shm_map(&shm, 0, 1, 0x4, &m), -EINVAL);
    ASSERT_ERR(mr_shm_map(&shm, 0, 1, ~0u, &m), -EINVAL);

    /* The check follows the object's size as it is now. */
    ASSERT_OK(mr_shm_resize(&shm, ps));
    ASSERT_ERR(mr_shm_map(&shm, 0, ps + 1, 0, &m), -ERANGE);
    ASSERT_ERR(mr_shm_map(&shm, ps + 1, MR_SHM_TO_END, 0, &m), -ERANGE);
    ASSERT_OK(mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &m));
    ASSERT_EQ(m.region.len, ps);
    mr_shm_unmap(&m);

    /* An empty object maps as an empty region. */
    ASSERT_OK(mr_shm_resize(&shm, 0));
    ASSERT_OK(mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &m));
    ASSERT_EQ(m.region.len, (size_t)0);
    ASSERT_ERR(mr_shm_map(&shm, 0, 1, 0, &m), -ERANGE);

    struct mr_shm closed = MR_SHM_INIT;
    ASSERT_ERR(mr_shm_map(&closed, 0, 1, 0, &m), -EBADF);
    finish(&shm);
}

static void test_map_readonly(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm, ro;
    struct mr_map m, w;
    open_new(&shm, name, "mapro");
    ASSERT_OK(mr_shm_resize(&shm, 2 * ps));
    fill_pattern(shm.fd, 2 * ps);

    ASSERT_OK(mr_shm_open(&ro, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0));
    ASSERT_OK(mr_shm_map(&ro, 10, 100, 0, &m));
    ASSERT_TRUE(mr_region_is_ro(m.region));
    check_pattern(m.region, 10);
    ASSERT_ERR(mr_region_set_u8(m.region, 0, 1), -EACCES);
    /* The pages themselves are read-only too, not just the flag. */
    ASSERT_EQ(mprotect(m.base, m.map_len, PROT_READ | PROT_WRITE), -1);
    ASSERT_EQ(errno, EACCES);
    mr_shm_unmap(&m);

    /* A read-write object mapped read-only on request, seeing others' writes. */
    ASSERT_OK(mr_shm_map(&shm, 0, MR_SHM_TO_END, MR_SHM_MAP_RDONLY, &m));
    ASSERT_TRUE(mr_region_is_ro(m.region));
    ASSERT_OK(mr_shm_map(&shm, ps, 4, 0, &w));
    ASSERT_OK(mr_region_set_u32(w.region, 0, 77));
    uint32_t v;
    ASSERT_OK(mr_region_get_u32(m.region, ps, &v));
    ASSERT_EQ(v, 77u);
    mr_shm_unmap(&w);
    mr_shm_unmap(&m);
    ASSERT_OK(mr_shm_close(&ro));
    finish(&shm);
}

/* ---- listing -------------------------------------------------------------- */

static const struct mr_shm_entry *find(const struct mr_shm_list *l, const char *name)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->entries[i].name, name) == 0)
            return &l->entries[i];
    return NULL;
}

#define NLISTED 40

/* The listing over a's allocations, for the out-of-memory walk: no fd
 * left open either way; on success it finds list_first, on failure it
 * holds nothing. */
static int list_fds;
static const char *list_first;

static int list_scenario(struct mr_allocator *a)
{
    struct mr_shm_list l;
    int rc = mr_shm_list_init(&l, a);
    ASSERT_EQ(mr_test_count_fds(), list_fds);
    if (rc == 0)
        ASSERT_TRUE(find(&l, list_first) != NULL);
    else
        ASSERT_PTR_EQ(l.entries, NULL);
    mr_shm_list_fini(&l);
    return rc;
}

static void test_list(void)
{
    char names[NLISTED][MR_SHM_NAME_MAX + 2], tag[32], path[300];
    char odd[3][MR_SHM_NAME_MAX + 2];
    struct mr_shm shm[NLISTED];
    for (int i = 0; i < NLISTED; i++) {
        snprintf(tag, sizeof tag, "list%02d", i);
        open_new(&shm[i], names[i], tag);
        ASSERT_OK(mr_shm_resize(&shm[i], (uint64_t)i * 1000 + 1));
        ASSERT_OK(mr_shm_chmod(&shm[i], i % 2 ? 0640 : 0604));
    }
    /* Entries that are not regular files are left out. */
    ASSERT_EQ(mkdir(mr_test_shm_path(path, sizeof path, mr_test_shm_name(odd[0], "list-dir")), 0700), 0);
    mr_test_shm_name(odd[1], "list-fifo");
    ASSERT_EQ(mkfifo(mr_test_shm_path(path, sizeof path, odd[1]), 0600), 0);
    char target[300];
    ASSERT_EQ(symlink(mr_test_shm_path(target, sizeof target, names[0]),
                      mr_test_shm_path(path, sizeof path, mr_test_shm_name(odd[2], "list-link"))), 0);

    struct mr_shm_list l;
    int fds = mr_test_count_fds();
    ASSERT_OK(mr_shm_list_init(&l, NULL));
    ASSERT_EQ(mr_test_count_fds(), fds);
    ASSERT_GE(l.count, (size_t)NLISTED);
    for (int i = 0; i < NLISTED; i++) {
        const struct mr_shm_entry *e = find(&l, names[i]);
        ASSERT_TRUE(e != NULL);
        ASSERT_EQ(e->st.size, (uint64_t)i * 1000 + 1);
        ASSERT_EQ(e->st.mode, (mode_t)(i % 2 ? 0640 : 0604));
        ASSERT_EQ(e->st.uid, geteuid());
        ASSERT_EQ(e->st.gid, getegid());
        struct stat raw;
        ASSERT_EQ(fstat(shm[i].fd, &raw), 0);
        ASSERT_EQ(e->st.mtime.tv_sec, raw.st_mtim.tv_sec);
        ASSERT_EQ(e->st.mtime.tv_nsec, raw.st_mtim.tv_nsec);
    }
    for (int i = 0; i < 3; i++)
        ASSERT_TRUE(find(&l, odd[i]) == NULL);
    for (size_t i = 1; i < l.count; i++)
        ASSERT_LT(strcmp(l.entries[i - 1].name, l.entries[i].name), 0);
    for (size_t i = 0; i < l.count; i++)
        ASSERT_OK(mr_shm_name_check(l.entries[i].name));
    mr_shm_list_fini(&l);
    ASSERT_PTR_EQ(l.entries, NULL);
    ASSERT_EQ(l.count, (size_t)0);
    mr_shm_list_fini(&l); /* empty: a no-op */

    /* From an arena: the list's memory is the arena's. */
    struct mr_arena *a;
    ASSERT_OK(mr_arena_create(NULL, &a));
    ASSERT_OK(mr_shm_list_init(&l, mr_arena_allocator(a)));
    ASSERT_TRUE(find(&l, names[NLISTED - 1]) != NULL);
    mr_shm_list_fini(&l);
    mr_arena_destroy(a);

    /* The out-of-memory walk: every failure is -ENOMEM and leaves no block
     * and no fd behind. With 40+ entries, the array grows at least twice
     * after the directory buffer. */
    list_fds = fds;
    list_first = names[0];
    mr_test_oom_walk("list", list_scenario, 0, 3, 1000);

    ASSERT_EQ(unlink(mr_test_shm_path(path, sizeof path, odd[2])), 0);
    ASSERT_EQ(unlink(mr_test_shm_path(path, sizeof path, odd[1])), 0);
    ASSERT_EQ(rmdir(mr_test_shm_path(path, sizeof path, odd[0])), 0);
    for (int i = 0; i < NLISTED; i++)
        finish(&shm[i]);
    ASSERT_OK(mr_shm_list_init(&l, NULL));
    for (int i = 0; i < NLISTED; i++)
        ASSERT_TRUE(find(&l, names[i]) == NULL);
    mr_shm_list_fini(&l);
}

int main(void)
{
    ps = (size_t)sysconf(_SC_PAGESIZE);
    mr_test_shm_begin();
    test_resize();
    test_resize_retries();
    test_resize_eintr();
    test_chmod_chown_stat();
    test_attrs_refused();
    test_unlink();
    test_adopt_fd();
    test_open_fd_deprecated();
    test_map_ranges();
    test_map_readonly();
    test_list();
    mr_test_shm_end();
    return 0;
}
