/* SPDX-License-Identifier: MIT */
/* test_shm_seal: anonymous objects (memfd, and the getrandom fallback with
 * its collision retries; memfds are 0600), each seal's effect, querying
 * seals, a receiver demanding seals (present, each one missing, an object
 * that takes none, a peer in another process, a peer that shrinks and seals
 * while the receiver checks), and seal names. */
#include "shm_test.h"
#include "shm_internal.h"

#include <inttypes.h>
#include <sys/mman.h>

static size_t ps;

/* ---- a peer that acts between two system calls -------------------------------
 * A receiver's checks are system calls on an object its peer also holds, so
 * the peer may change the object between any two of them. To make it do so
 * at an exact point, this program defines fstat, which the library's calls
 * reach before the C library's: once armed, the next fstat of peer_watch
 * reads the object and then, before returning what it read, lets the peer
 * (peer_fd) shrink the object to nothing and seal it against shrinking. */
static int peer_watch = -1; /* the receiver's fd */
static int peer_fd = -1;    /* the peer's fd of the same object; -1: disarmed */

int fstat(int fd, struct stat *st)
{
    int rc = fstatat(fd, "", st, AT_EMPTY_PATH);
    if (rc == 0 && fd == peer_watch && peer_fd >= 0) {
        int p = peer_fd;
        peer_fd = -1;
        if (ftruncate(p, 0) < 0 || fcntl(p, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
            abort();
    }
    return rc;
}

static void anon(struct mr_shm *shm, uint64_t size)
{
    ASSERT_OK(mr_shm_open_anon(shm, "test", 0));
    ASSERT_OK(mr_shm_resize(shm, size));
}

static uint64_t size_of(const struct mr_shm *shm)
{
    struct mr_shm_stat st;
    ASSERT_OK(mr_shm_stat(shm, &st));
    return st.size;
}

/* The path an fd was opened by, as /proc shows it ("... (deleted)" once
 * unlinked). */
static void fd_path(int fd, char *buf, size_t size)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, size - 1);
    ASSERT_GT(n, 0);
    buf[n] = '\0';
}

/* A peer of another user that holds only a read-only fd of a memfd must not
 * be able to reopen it for writing through /proc/self/fd. */
static void reopen_as_nobody(void *arg)
{
    const int *fds = arg; /* the read-write fd, then a read-only one */
    char path[64];
    close(fds[0]);
    if (setgid(65534) < 0 || setuid(65534) < 0)
        _exit(3);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fds[1]);
    int w = open(path, O_RDWR | O_CLOEXEC);
    _exit(w < 0 && errno == EACCES ? 0 : 4);
}

static void test_memfd(void)
{
    struct mr_shm shm;
    ASSERT_OK(mr_shm_open_anon(&shm, "my-label", 0));
    ASSERT_EQ(shm.flags, MR_SHM_RDWR | MR_SHM_CREATED | MR_SHM_ANON | MR_SHM_MEMFD);
    ASSERT_STR_EQ(shm.name, "");
    ASSERT_TRUE(mr_test_is_cloexec(shm.fd));
    char target[300];
    fd_path(shm.fd, target, sizeof target);
    ASSERT_STR_EQ(target, "/memfd:my-label (deleted)");
    struct mr_shm_stat st;
    ASSERT_OK(mr_shm_stat(&shm, &st));
    ASSERT_EQ(st.size, (uint64_t)0);
    /* 0600 like every object the library makes (memfd_create gives 0777,
     * which would let a peer of another user reopen a read-only fd of it
     * for writing through /proc/<pid>/fd). */
    ASSERT_EQ(st.mode, (mode_t)0600);
    if (geteuid() == 0) {
        char self[64];
        snprintf(self, sizeof self, "/proc/self/fd/%d", shm.fd);
        int fds[2] = { shm.fd, open(self, O_RDONLY | O_CLOEXEC) };
        ASSERT_GE(fds[1], 0);
        ASSERT_EQ(mr_test_in_child(reopen_as_nobody, fds, 0), 0);
        close(fds[1]);
    } else {
        mr_test_skip_case("reopen as another user", "only root can become another user (run the test as root)");
    }
    ASSERT_EQ(mr_shm_seal_get(&shm), 0);
    ASSERT_OK(mr_shm_resize(&shm, 3 * ps));
    struct mr_map m;
    ASSERT_OK(mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &m));
    ASSERT_OK(mr_region_fill(m.region, 0x5a));
    mr_shm_unmap(&m);
    ASSERT_OK(mr_shm_close(&shm));
    ASSERT_EQ(shm.fd, -1);

    ASSERT_OK(mr_shm_open_anon(&shm, NULL, 0));
    ASSERT_OK(mr_shm_close(&shm));
    char label[300];
    memset(label, 'l', sizeof label);
    label[249] = '\0';
    ASSERT_OK(mr_shm_open_anon(&shm, label, 0));
    ASSERT_OK(mr_shm_close(&shm));
    label[249] = 'l';
    label[250] = '\0';
    ASSERT_ERR(mr_shm_open_anon(&shm, label, 0), -EINVAL);
    ASSERT_EQ(shm.fd, -1);
    ASSERT_ERR(mr_shm_open_anon(&shm, NULL, MR_SHM_RDWR), -EINVAL);
    ASSERT_ERR(mr_shm_open_anon(&shm, NULL, 0x80000000u), -EINVAL);
}

static void test_seal_shrink_grow(void)
{
    struct mr_shm shm;
    anon(&shm, 2 * ps);
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_SHRINK));
    ASSERT_EQ(mr_shm_seal_get(&shm), (int)MR_SEAL_SHRINK);
    ASSERT_ERR(mr_shm_resize(&shm, ps), -EPERM);
    ASSERT_ERR(mr_shm_resize(&shm, 0), -EPERM);
    ASSERT_OK(mr_shm_resize(&shm, 4 * ps));
    ASSERT_OK(mr_shm_resize(&shm, 4 * ps));
    ASSERT_EQ(size_of(&shm), (uint64_t)4 * ps);
    ASSERT_OK(mr_shm_close(&shm));

    anon(&shm, 2 * ps);
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_GROW));
    ASSERT_EQ(mr_shm_seal_get(&shm), (int)MR_SEAL_GROW);
    ASSERT_ERR(mr_shm_resize(&shm, 2 * ps + 1), -EPERM);
    ASSERT_EQ(pwrite(shm.fd, "x", 1, (off_t)(2 * ps)), -1); /* a write past the end grows too */
    ASSERT_EQ(errno, EPERM);
    ASSERT_OK(mr_shm_resize(&shm, ps));
    ASSERT_EQ(size_of(&shm), (uint64_t)ps);
    ASSERT_OK(mr_shm_close(&shm));
}

static void test_seal_write(void)
{
    struct mr_shm shm;
    struct mr_map w, r;
    anon(&shm, ps);
    ASSERT_EQ(pwrite(shm.fd, "sealed", 6, 0), 6);
    /* WRITE cannot be added while a writable shared mapping exists. */
    ASSERT_OK(mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &w));
    ASSERT_ERR(mr_shm_seal_add(&shm, MR_SEAL_WRITE), -EBUSY);
    ASSERT_EQ(mr_shm_seal_get(&shm), 0);
    mr_shm_unmap(&w);
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_WRITE));
    ASSERT_EQ(mr_shm_seal_get(&shm), (int)MR_SEAL_WRITE);
    ASSERT_EQ(pwrite(shm.fd, "x", 1, 0), -1);
    ASSERT_EQ(errno, EPERM);
    ASSERT_ERR(mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &w), -EPERM);
    ASSERT_PTR_EQ(w.base, NULL);
    ASSERT_OK(mr_shm_map(&shm, 0, MR_SHM_TO_END, MR_SHM_MAP_RDONLY, &r));
    ASSERT_MEM_EQ(r.region.ptr, "sealed", 6);
    mr_shm_unmap(&r);
    ASSERT_OK(mr_shm_close(&shm));
}

static void test_seal_future_write(void)
{
    struct mr_shm shm;
    struct mr_map w, w2, r;
    anon(&shm, ps);
    ASSERT_OK(mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &w));
    /* Unlike WRITE, FUTURE_WRITE goes on over a writable mapping... */
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_FUTURE_WRITE));
    ASSERT_EQ(mr_shm_seal_get(&shm), (int)MR_SEAL_FUTURE_WRITE);
    /* ...which keeps writing, while new writers are refused. */
    ASSERT_OK(mr_region_set_u32(w.region, 0, 0xfeedu));
    ASSERT_ERR(mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &w2), -EPERM);
    ASSERT_EQ(pwrite(shm.fd, "x", 1, 0), -1);
    ASSERT_EQ(errno, EPERM);
    ASSERT_OK(mr_shm_map(&shm, 0, MR_SHM_TO_END, MR_SHM_MAP_RDONLY, &r));
    uint32_t v;
    ASSERT_OK(mr_region_get_u32(r.region, 0, &v));
    ASSERT_EQ(v, 0xfeedu);
    ASSERT_OK(mr_region_set_u32(w.region, 0, 0xbeefu));
    ASSERT_OK(mr_region_get_u32(r.region, 0, &v));
    ASSERT_EQ(v, 0xbeefu);
    mr_shm_unmap(&r);
    mr_shm_unmap(&w);
    ASSERT_OK(mr_shm_close(&shm));
}

static void test_seal_seal(void)
{
    struct mr_shm shm;
    anon(&shm, ps);
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_SHRINK | MR_SEAL_SEAL));
    ASSERT_EQ(mr_shm_seal_get(&shm), (int)(MR_SEAL_SHRINK | MR_SEAL_SEAL));
    ASSERT_ERR(mr_shm_seal_add(&shm, MR_SEAL_GROW), -EPERM);
    ASSERT_ERR(mr_shm_seal_add(&shm, MR_SEAL_SHRINK), -EPERM);
    ASSERT_EQ(mr_shm_seal_get(&shm), (int)(MR_SEAL_SHRINK | MR_SEAL_SEAL));
    ASSERT_OK(mr_shm_resize(&shm, 2 * ps)); /* GROW was never sealed */
    ASSERT_OK(mr_shm_close(&shm));

    /* Seals add up; adding one twice is harmless; unknown bits are refused. */
    anon(&shm, ps);
    ASSERT_ERR(mr_shm_seal_add(&shm, 0x20), -EINVAL);
    ASSERT_ERR(mr_shm_seal_add(&shm, MR_SEAL_GROW | 0x100), -EINVAL);
    ASSERT_EQ(mr_shm_seal_get(&shm), 0);
    ASSERT_OK(mr_shm_seal_add(&shm, 0));
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_GROW));
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_GROW));
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_SHRINK | MR_SEAL_WRITE));
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_FUTURE_WRITE));
    ASSERT_EQ(mr_shm_seal_get(&shm),
              (int)(MR_SEAL_GROW | MR_SEAL_SHRINK | MR_SEAL_WRITE | MR_SEAL_FUTURE_WRITE));
    ASSERT_OK(mr_shm_close(&shm));
}

/* A read-only fd of a memfd cannot add seals (the kernel wants write access). */
static void test_seal_readonly_fd(void)
{
    struct mr_shm shm, ro;
    char path[64];
    anon(&shm, ps);
    snprintf(path, sizeof path, "/proc/self/fd/%d", shm.fd);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_OK(mr_shm_adopt_fd(&ro, fd));
    ASSERT_ERR(mr_shm_seal_add(&ro, MR_SEAL_SHRINK), -EPERM);
    ASSERT_EQ(mr_shm_seal_get(&ro), 0);
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_SHRINK));
    ASSERT_EQ(mr_shm_seal_get(&ro), (int)MR_SEAL_SHRINK); /* seals are the object's */
    ASSERT_OK(mr_shm_close(&ro));
    ASSERT_OK(mr_shm_close(&shm));
}

/* Named objects take no seals, and say so. */
static void test_seal_named(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    unsigned missing = 0;
    mr_test_shm_name(name, "named");
    ASSERT_OK(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0));
    ASSERT_OK(mr_shm_resize(&shm, ps));
    ASSERT_EQ(mr_shm_seal_get(&shm), (int)MR_SEAL_SEAL);
    ASSERT_ERR(mr_shm_seal_add(&shm, MR_SEAL_SHRINK), -EPERM);
    ASSERT_ERR(mr_shm_require_seals(&shm, MR_SEAL_SHRINK | MR_SEAL_GROW, 0, &missing), -EPROTO);
    ASSERT_EQ(missing, MR_SEAL_SHRINK | MR_SEAL_GROW);
    ASSERT_OK(mr_shm_require_seals(&shm, 0, ps, &missing));
    ASSERT_EQ(missing, 0u);
    ASSERT_OK(mr_shm_close(&shm));
    ASSERT_OK(mr_shm_unlink(name));
}

static const unsigned each_seal[] = { MR_SEAL_SEAL, MR_SEAL_SHRINK, MR_SEAL_GROW, MR_SEAL_WRITE,
                                      MR_SEAL_FUTURE_WRITE };

static void test_require(void)
{
    struct mr_shm shm;
    unsigned missing = 12345;
    char text[64];

    anon(&shm, 2 * ps);
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_SHRINK | MR_SEAL_GROW));
    ASSERT_OK(mr_shm_require_seals(&shm, MR_SEAL_SHRINK | MR_SEAL_GROW, 2 * ps, &missing));
    ASSERT_EQ(missing, 0u);
    ASSERT_OK(mr_shm_require_seals(&shm, MR_SEAL_SHRINK, 0, NULL));
    ASSERT_OK(mr_shm_require_seals(&shm, 0, 1, NULL));
    ASSERT_ERR(mr_shm_require_seals(&shm, MR_SEAL_SHRINK | MR_SEAL_GROW, 2 * ps + 1, &missing),
               -ERANGE);
    ASSERT_EQ(missing, 0u);
    ASSERT_ERR(mr_shm_require_seals(&shm, MR_SEAL_SHRINK | MR_SEAL_GROW | MR_SEAL_WRITE, 0,
                                    &missing), -EPROTO);
    ASSERT_EQ(missing, MR_SEAL_WRITE);
    mr_shm_seal_names(missing, text, sizeof text);
    ASSERT_STR_EQ(text, "WRITE");
    ASSERT_ERR(mr_shm_require_seals(&shm, MR_SEAL_SHRINK | MR_SEAL_GROW | MR_SEAL_WRITE, 0, NULL),
               -EPROTO);
    ASSERT_ERR(mr_shm_require_seals(&shm, 0x40, 0, &missing), -EINVAL);
    ASSERT_OK(mr_shm_close(&shm));

    /* Every seal, missing alone from an object that has all the others. */
    for (size_t i = 0; i < sizeof each_seal / sizeof each_seal[0]; i++) {
        unsigned lack = each_seal[i];
        anon(&shm, ps);
        ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_ALL & ~lack & ~MR_SEAL_SEAL));
        if (lack != MR_SEAL_SEAL)
            ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_SEAL));
        ASSERT_EQ(mr_shm_seal_get(&shm), (int)(MR_SEAL_ALL & ~lack));
        ASSERT_ERR(mr_shm_require_seals(&shm, MR_SEAL_ALL, ps, &missing), -EPROTO);
        ASSERT_EQ(missing, lack);
        ASSERT_OK(mr_shm_require_seals(&shm, MR_SEAL_ALL & ~lack, ps, &missing));
        ASSERT_OK(mr_shm_close(&shm));
    }

    /* Not a shared-memory object: a pipe, and a regular file on a
     * filesystem without seals. */
    int p[2];
    ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
    struct mr_shm fake = MR_SHM_INIT;
    fake.fd = p[0];
    fake.flags = MR_SHM_READ;
    ASSERT_ERR(mr_shm_require_seals(&fake, MR_SEAL_SHRINK, 0, &missing), -EINVAL);
    close(p[0]);
    close(p[1]);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/mr-test-%ld-XXXXXX", (long)getpid());
    int fd = mkostemp(tmp, O_CLOEXEC);
    ASSERT_GE(fd, 0);
    unlink(tmp);
    struct mr_shm file;
    ASSERT_OK(mr_shm_adopt_fd(&file, fd));
    int seals = mr_shm_seal_get(&file);
    if (seals == -EINVAL) {
        ASSERT_ERR(mr_shm_require_seals(&file, MR_SEAL_SHRINK, 0, &missing), -EPROTO);
        ASSERT_EQ(missing, MR_SEAL_SHRINK);
    } else {
        mr_test_skip_case("require_seals on a file without seals",
                          "/tmp is tmpfs here (seals read as %d); it needs /tmp on a disk filesystem",
                          seals);
    }
    ASSERT_OK(mr_shm_require_seals(&file, 0, 0, NULL));
    ASSERT_OK(mr_shm_close(&file));
}

/* The peer shrinks the object and then seals it against shrinking, while
 * the receiver checks it: SHRINK is there by the time the seals are read, so
 * the size the receiver goes by must be one read after that (it can no longer
 * go down), not one from before the shrink. */
static void test_require_race(void)
{
    struct mr_shm shm;
    unsigned missing = 0;
    anon(&shm, 2 * ps);
    int peer = fcntl(shm.fd, F_DUPFD_CLOEXEC, 0);
    ASSERT_GE(peer, 0);
    peer_watch = shm.fd;
    peer_fd = peer;
    int rc = mr_shm_require_seals(&shm, MR_SEAL_SHRINK, 2 * ps, &missing);
    ASSERT_EQ(peer_fd, -1); /* the peer did act */
    peer_watch = -1;
    ASSERT_EQ(size_of(&shm), (uint64_t)0);
    ASSERT_EQ(mr_shm_seal_get(&shm), (int)MR_SEAL_SHRINK);
    /* Refused: the 2 pages it asks for are not there, and will never be
     * unless someone grows the object. (-EPROTO would be right too, for a
     * receiver that read the seals before the peer added SHRINK.) */
    if (rc != -EPROTO)
        ASSERT_ERR(rc, -ERANGE);
    ASSERT_OK(mr_shm_require_seals(&shm, MR_SEAL_SHRINK, 0, &missing));
    ASSERT_EQ(close(peer), 0);
    ASSERT_OK(mr_shm_close(&shm));
}

/* A receiver in another process gets the fd (here by fork, as it would by
 * SCM_RIGHTS), adopts it, demands its seals and only then maps it. */
struct receiver_arg {
    int fd;
    unsigned demand;
    uint64_t size;
};

static void receiver(void *p)
{
    struct receiver_arg *a = p;
    struct mr_shm shm;
    struct mr_map m;
    unsigned missing = 0;
    if (mr_shm_adopt_fd(&shm, a->fd) < 0)
        _exit(10);
    int rc = mr_shm_require_seals(&shm, a->demand, a->size, &missing);
    if (rc == -EPROTO) {
        char text[64];
        mr_shm_seal_names(missing, text, sizeof text);
        fprintf(stderr, "receiver: missing seals %s\n", text);
        _exit(20 + (int)missing);
    }
    if (rc < 0)
        _exit(11);
    if (mr_shm_map(&shm, 0, a->size, MR_SHM_MAP_RDONLY, &m) < 0)
        _exit(12);
    if (memcmp(m.region.ptr, "payload", 8) != 0)
        _exit(13);
    mr_shm_unmap(&m);
    mr_shm_close(&shm);
    _exit(0);
}

static void test_receiver(void)
{
    struct mr_shm shm;
    anon(&shm, ps);
    ASSERT_EQ(pwrite(shm.fd, "payload", 8, 0), 8);
    struct receiver_arg a = { shm.fd, MR_SEAL_SHRINK | MR_SEAL_GROW, ps };
    ASSERT_EQ(mr_test_in_child(receiver, &a, 0), 20 + (int)(MR_SEAL_SHRINK | MR_SEAL_GROW));
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_SHRINK));
    ASSERT_EQ(mr_test_in_child(receiver, &a, 0), 20 + (int)MR_SEAL_GROW);
    ASSERT_OK(mr_shm_seal_add(&shm, MR_SEAL_GROW | MR_SEAL_SEAL));
    ASSERT_EQ(mr_test_in_child(receiver, &a, 0), 0);
    ASSERT_OK(mr_shm_close(&shm));
}

static void test_seal_names(void)
{
    char buf[80];
    ASSERT_EQ(mr_shm_seal_names(0, buf, sizeof buf), (size_t)4);
    ASSERT_STR_EQ(buf, "none");
    ASSERT_EQ(mr_shm_seal_names(MR_SEAL_SHRINK | MR_SEAL_GROW, buf, sizeof buf), (size_t)11);
    ASSERT_STR_EQ(buf, "SHRINK|GROW");
    mr_shm_seal_names(MR_SEAL_ALL, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "SEAL|SHRINK|GROW|WRITE|FUTURE_WRITE");
    mr_shm_seal_names(MR_SEAL_FUTURE_WRITE | 0x40, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "FUTURE_WRITE|0x40");
    mr_shm_seal_names(0x80000000u, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "0x80000000");
    ASSERT_EQ(mr_shm_seal_names(MR_SEAL_SHRINK, buf, 4), (size_t)6);
    ASSERT_STR_EQ(buf, "SHR");
    buf[0] = 'x';
    ASSERT_EQ(mr_shm_seal_names(MR_SEAL_SHRINK, buf, 0), (size_t)6);
    ASSERT_EQ(buf[0], 'x');
    ASSERT_EQ(mr_shm_seal_names(MR_SEAL_SHRINK, NULL, 0), (size_t)6);
}

/* ---- the fallback ------------------------------------------------------------ */

static void anon_path(char *buf, size_t size, uint64_t v)
{
    snprintf(buf, size, "/dev/shm/mr-anon-%016" PRIx64, v);
}

static void occupy(uint64_t v)
{
    char path[64];
    anon_path(path, sizeof path, v);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "taken", 5), 5);
    close(fd);
}

static void release(uint64_t v)
{
    char path[64];
    anon_path(path, sizeof path, v);
    struct stat st;
    ASSERT_EQ(stat(path, &st), 0);
    ASSERT_EQ(st.st_size, 5); /* untouched by the fallback */
    ASSERT_EQ(unlink(path), 0);
}

static uint64_t occupied_base;
static int occupied_count;

static void release_at_exit(void)
{
    for (int i = 0; i < occupied_count; i++) {
        char path[64];
        anon_path(path, sizeof path, occupied_base + (uint64_t)i);
        unlink(path);
    }
}

static void test_fallback(void)
{
    struct mr_shm shm;
    struct mr_map m;

    mr__shm_force_fallback(true, 0);
    ASSERT_OK(mr_shm_open_anon(&shm, "ignored", 0));
    ASSERT_EQ(shm.flags, MR_SHM_RDWR | MR_SHM_CREATED | MR_SHM_ANON);
    ASSERT_STR_EQ(shm.name, "");
    ASSERT_TRUE(mr_test_is_cloexec(shm.fd));
    /* Unlinked at once: its name is gone from /dev/shm. */
    char where[300];
    fd_path(shm.fd, where, sizeof where);
    ASSERT_EQ(strncmp(where, "/dev/shm/mr-anon-", 17), 0);
    char *deleted = strstr(where, " (deleted)");
    ASSERT_TRUE(deleted != NULL);
    *deleted = '\0';
    ASSERT_EQ(access(where, F_OK), -1);
    struct mr_shm_stat st;
    ASSERT_OK(mr_shm_stat(&shm, &st));
    ASSERT_EQ(st.mode, (mode_t)0600);
    ASSERT_OK(mr_shm_resize(&shm, 2 * ps));
    ASSERT_OK(mr_shm_map(&shm, 10, 100, 0, &m));
    ASSERT_OK(mr_region_fill(m.region, 7));
    mr_shm_unmap(&m);
    char c;
    ASSERT_EQ(pread(shm.fd, &c, 1, 50), 1);
    ASSERT_EQ(c, 7);
    ASSERT_EQ(mr_shm_seal_get(&shm), (int)MR_SEAL_SEAL);
    ASSERT_ERR(mr_shm_seal_add(&shm, MR_SEAL_SHRINK), -EPERM);
    ASSERT_OK(mr_shm_close(&shm));

    /* Collisions: the first three names are taken, the fourth is used. */
    occupied_base = ((uint64_t)getpid() << 24) | 0x100;
    atexit(release_at_exit);
    occupied_count = 3;
    for (int i = 0; i < 3; i++)
        occupy(occupied_base + (uint64_t)i);
    mr__shm_force_fallback(true, occupied_base);
    ASSERT_OK(mr_shm_open_anon(&shm, NULL, 0));
    ASSERT_EQ(shm.flags & MR_SHM_MEMFD, 0u);
    char path[64], target[300];
    anon_path(path, sizeof path, occupied_base + 3);
    fd_path(shm.fd, target, sizeof target);
    char want[80];
    snprintf(want, sizeof want, "%s (deleted)", path);
    ASSERT_STR_EQ(target, want);
    ASSERT_EQ(access(path, F_OK), -1);
    ASSERT_OK(mr_shm_close(&shm));
    for (int i = 0; i < 3; i++)
        release(occupied_base + (uint64_t)i);

    /* Every name it would try is taken: -EEXIST, and nothing left behind. */
    occupied_base += 0x100;
    occupied_count = 16;
    for (int i = 0; i < 16; i++)
        occupy(occupied_base + (uint64_t)i);
    mr__shm_force_fallback(true, occupied_base);
    int fds = mr_test_count_fds();
    ASSERT_ERR(mr_shm_open_anon(&shm, NULL, 0), -EEXIST);
    ASSERT_EQ(shm.fd, -1);
    ASSERT_EQ(mr_test_count_fds(), fds);
    for (int i = 0; i < 16; i++)
        release(occupied_base + (uint64_t)i);
    anon_path(path, sizeof path, occupied_base + 16);
    ASSERT_EQ(access(path, F_OK), -1);
    occupied_count = 0;

    mr__shm_force_fallback(false, 0);
    ASSERT_OK(mr_shm_open_anon(&shm, NULL, 0));
    ASSERT_TRUE(shm.flags & MR_SHM_MEMFD);
    ASSERT_OK(mr_shm_close(&shm));
}

int main(void)
{
    ps = (size_t)sysconf(_SC_PAGESIZE);
    mr_test_shm_begin();
    struct mr_shm probe;
    int rc = mr_shm_open_anon(&probe, NULL, 0);
    if (rc == 0 && !(probe.flags & MR_SHM_MEMFD)) {
        mr_shm_close(&probe);
        mr_test_skip("memfd_create is unavailable here: seals cannot be tested (needs Linux 3.17+)");
    }
    ASSERT_OK(rc);
    mr_shm_close(&probe);
    test_memfd();
    test_seal_shrink_grow();
    test_seal_write();
    test_seal_future_write();
    test_seal_seal();
    test_seal_readonly_fd();
    test_seal_named();
    test_require();
    test_require_race();
    test_receiver();
    test_seal_names();
    test_fallback();
    mr_test_shm_end();
    return 0;
}
