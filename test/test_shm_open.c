/* SPDX-License-Identifier: MIT */
/* test_shm_open: mr_shm_open in all 2 x 4 x 2 combinations of access, policy
 * when the object exists and policy when it is missing, each against an
 * existing and a missing object; the name rules; the mode of new objects;
 * refusal of symlinks, FIFOs and directories planted under a name; access
 * refused to another user; reopening by the name a closed struct keeps; no
 * fd left open by any failure. */
#include "shm_test.h"

#include <dirent.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define OLD_SIZE 100

/* An existing object, made with glibc's shm_open (so names agree with it),
 * OLD_SIZE bytes long, mode 0644. Its inode is returned. */
static ino_t make_old(const char *name)
{
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, OLD_SIZE), 0);
    struct stat st;
    ASSERT_EQ(fstat(fd, &st), 0);
    close(fd);
    return st.st_ino;
}

static void remove_name(const char *name)
{
    if (shm_unlink(name) < 0)
        ASSERT_EQ(errno, ENOENT);
}

/* What one combination must do. */
enum outcome {
    OPENS,     /* opens the existing object unchanged */
    TRUNCATES, /* opens the existing object, cut to size 0 */
    CREATES,   /* creates a new, empty object */
    FAILS,     /* fails with err; the name is as it was */
};

struct expect {
    enum outcome what;
    int err;
};

static struct expect expected(unsigned acc, enum mr_shm_exists ex, enum mr_shm_missing mi,
                              bool exists)
{
    struct expect invalid = { FAILS, -EINVAL };
    if (acc == MR_SHM_READ && ex == MR_SHM_TRUNCATE)
        return invalid;
    if (ex == MR_SHM_EXISTS_FAIL && mi == MR_SHM_MISSING_FAIL)
        return invalid;
    if (!exists) {
        if (mi == MR_SHM_MISSING_FAIL)
            return (struct expect){ FAILS, -ENOENT };
        return (struct expect){ CREATES, 0 };
    }
    switch (ex) {
    case MR_SHM_USE:
        return (struct expect){ OPENS, 0 };
    case MR_SHM_TRUNCATE:
        return (struct expect){ TRUNCATES, 0 };
    case MR_SHM_EXISTS_FAIL:
        return (struct expect){ FAILS, -EEXIST };
    case MR_SHM_SUPERSEDE:
        return (struct expect){ CREATES, 0 };
    }
    return invalid;
}

static const char *const exists_names[] = { "USE", "TRUNCATE", "EXISTS_FAIL", "SUPERSEDE" };
static const char *const missing_names[] = { "MISSING_FAIL", "CREATE" };

static void test_combinations(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    mr_test_shm_name(name, "combo");
    int opened = 0;

    for (int a = 0; a < 2; a++) {
        unsigned acc = a ? MR_SHM_RDWR : MR_SHM_READ;
        for (int ex = 0; ex < 4; ex++) {
            for (int mi = 0; mi < 2; mi++) {
                for (int exists = 0; exists < 2; exists++) {
                    remove_name(name);
                    ino_t old = exists ? make_old(name) : 0;
                    struct expect want = expected(acc, (enum mr_shm_exists)ex,
                                                  (enum mr_shm_missing)mi, exists);
                    int fds = mr_test_count_fds();
                    struct mr_shm shm;
                    int rc = mr_shm_open(&shm, name, acc, (enum mr_shm_exists)ex,
                                         (enum mr_shm_missing)mi, 0);
                    fprintf(stderr, "%-4s %-11s %-12s object %-7s -> %d\n",
                            a ? "RDWR" : "READ", exists_names[ex], missing_names[mi],
                            exists ? "exists" : "missing", rc);
                    if (want.what == FAILS) {
                        ASSERT_ERR(rc, want.err);
                        ASSERT_EQ(shm.fd, -1);
                        ASSERT_EQ(mr_test_count_fds(), fds);
                        ASSERT_EQ(mr_test_shm_exists(name), (bool)exists);
                        ASSERT_EQ(mr_shm_close(&shm), 0); /* closed: a no-op */
                        continue;
                    }
                    ASSERT_OK(rc);
                    opened++;
                    ASSERT_GE(shm.fd, 0);
                    ASSERT_STR_EQ(shm.name, name);
                    ASSERT_TRUE(mr_test_is_cloexec(shm.fd));
                    ASSERT_EQ(fcntl(shm.fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK),
                              a ? O_RDWR : O_RDONLY);
                    ASSERT_EQ(shm.flags & (MR_SHM_READ | MR_SHM_RDWR), acc);
                    ASSERT_EQ(!!(shm.flags & MR_SHM_CREATED), want.what == CREATES);
                    ASSERT_EQ(shm.flags & (MR_SHM_ANON | MR_SHM_MEMFD), 0u);
                    struct mr_shm_stat st;
                    ASSERT_OK(mr_shm_stat(&shm, &st));
                    struct stat raw;
                    ASSERT_EQ(fstat(shm.fd, &raw), 0);
                    if (want.what == OPENS) {
                        ASSERT_EQ(st.size, (uint64_t)OLD_SIZE);
                        ASSERT_EQ(raw.st_ino, old);
                        ASSERT_EQ(st.mode, (mode_t)0644);
                    } else if (want.what == TRUNCATES) {
                        ASSERT_EQ(st.size, (uint64_t)0);
                        ASSERT_EQ(raw.st_ino, old);
                        ASSERT_EQ(st.mode, (mode_t)0644);
                    } else {
                        ASSERT_EQ(st.size, (uint64_t)0);
                        ASSERT_NE(raw.st_ino, old);
                        ASSERT_EQ(st.mode, (mode_t)0600);
                    }
                    ASSERT_EQ(mr_shm_close(&shm), 0);
                    ASSERT_EQ(shm.fd, -1);
                    ASSERT_STR_EQ(shm.name, name); /* kept for a later unlink */
                    ASSERT_EQ(mr_shm_close(&shm), 0);
                    ASSERT_EQ(mr_test_count_fds(), fds);
                }
            }
        }
    }
    /* Of the 32 combinations, 8 are invalid (READ with TRUNCATE, EXISTS_FAIL
     * with MISSING_FAIL), 5 find no object and 2 find one they must not
     * use: 17 open. */
    ASSERT_EQ(opened, 17);
    remove_name(name);
}

/* The access of the fd is what was asked: a read-only object refuses writes. */
static void test_access(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm ro, rw;
    mr_test_shm_name(name, "access");
    ASSERT_OK(mr_shm_open(&rw, name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0));
    ASSERT_OK(mr_shm_resize(&rw, 10));
    ASSERT_OK(mr_shm_open(&ro, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0));
    ASSERT_EQ(write(ro.fd, "x", 1), -1);
    ASSERT_EQ(errno, EBADF);
    ASSERT_EQ(write(rw.fd, "x", 1), 1);
    ASSERT_ERR(mr_shm_resize(&ro, 20), -EACCES);
    ASSERT_OK(mr_shm_close(&ro));
    ASSERT_OK(mr_shm_close(&rw));
    ASSERT_OK(mr_shm_unlink(name));
}

static void test_bad_arguments(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    mr_test_shm_name(name, "args");
    const unsigned bad_flags[] = { 0, MR_SHM_READ | MR_SHM_RDWR, MR_SHM_RDWR | MR_SHM_CREATED,
                                   MR_SHM_READ | MR_SHM_ANON, 0x8000u };
    for (size_t i = 0; i < sizeof bad_flags / sizeof bad_flags[0]; i++)
        ASSERT_ERR(mr_shm_open(&shm, name, bad_flags[i], MR_SHM_USE, MR_SHM_CREATE, 0), -EINVAL);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, (enum mr_shm_exists)4, MR_SHM_CREATE, 0),
               -EINVAL);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, (enum mr_shm_exists)-1, MR_SHM_CREATE, 0),
               -EINVAL);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_USE, (enum mr_shm_missing)2, 0),
               -EINVAL);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_CREATE, 01777), -EINVAL);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_CREATE, 04600), -EINVAL);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_CREATE, 01000), -EINVAL);
    ASSERT_EQ(shm.fd, -1);
    ASSERT_FALSE(mr_test_shm_exists(name)); /* nothing was created by a refused call */
}

/* A new object gets exactly the mode asked (0: 0600), whatever the umask;
 * an existing one keeps its own. */
static void test_modes(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    struct mr_shm_stat st;
    mr_test_shm_name(name, "mode");
    mode_t old_umask = umask(022);

    const mode_t modes[][2] = { { 0, 0600 }, { 0600, 0600 }, { 0640, 0640 }, { 0666, 0666 },
                                { 0400, 0400 }, { 0777, 0777 }, { 0004, 0004 } };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        ASSERT_OK(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_SUPERSEDE, MR_SHM_CREATE,
                              modes[i][0]));
        ASSERT_OK(mr_shm_stat(&shm, &st));
        ASSERT_EQ(st.mode, modes[i][1]);
        ASSERT_OK(mr_shm_close(&shm));
    }
    /* A umask that would take everything away does not give mode 0. */
    umask(0777);
    ASSERT_OK(mr_shm_open(&shm, name, MR_SHM_READ, MR_SHM_SUPERSEDE, MR_SHM_CREATE, 0));
    ASSERT_OK(mr_shm_stat(&shm, &st));
    ASSERT_EQ(st.mode, (mode_t)0600);
    ASSERT_OK(mr_shm_close(&shm));
    umask(022);
    /* Opening an existing object with a mode leaves its mode alone. */
    ASSERT_OK(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_CREATE, 0666));
    ASSERT_EQ(shm.flags & MR_SHM_CREATED, 0u);
    ASSERT_OK(mr_shm_stat(&shm, &st));
    ASSERT_EQ(st.mode, (mode_t)0600);
    ASSERT_OK(mr_shm_close(&shm));
    ASSERT_OK(mr_shm_unlink(name));
    umask(old_umask);
}

struct name_case {
    const char *name;
    int err;
    const char *reason;
};

static void test_names(void)
{
    char longest[MR_SHM_NAME_MAX + 2], too_long[MR_SHM_NAME_MAX + 3];
    /* "/mr-test-<pid>-xxx...": exactly NAME_MAX bytes after the '/'. */
    int n = snprintf(longest, sizeof longest, "/mr-test-%ld-", (long)getpid());
    memset(longest + n, 'x', sizeof longest - 1 - (size_t)n);
    longest[sizeof longest - 1] = '\0';
    /* As long as the kernel allows a name in /dev/shm to be. */
    ASSERT_EQ((long)strlen(longest + 1), pathconf("/dev/shm", _PC_NAME_MAX));
    memcpy(too_long, longest, sizeof longest - 1);
    too_long[sizeof too_long - 2] = 'y';
    too_long[sizeof too_long - 1] = '\0';
    mr_test_shm_keep(longest);

    const struct name_case cases[] = {
        { NULL, -EINVAL, "name is NULL" },
        { "", -EINVAL, "name is empty" },
        { "noslash", -EINVAL, "name must start with '/'" },
        { "x/y", -EINVAL, "name must start with '/'" },
        { "/", -EINVAL, "name has nothing after the '/'" },
        { "//", -EINVAL, "name must not contain a '/' after the first character" },
        { "/a/b", -EINVAL, "name must not contain a '/' after the first character" },
        { "/a/", -EINVAL, "name must not contain a '/' after the first character" },
        { "/.", -EINVAL, "name must not be \"/.\" or \"/..\"" },
        { "/..", -EINVAL, "name must not be \"/.\" or \"/..\"" },
        { too_long, -ENAMETOOLONG, "name is longer than NAME_MAX (255) bytes after the '/'" },
        { "/a", 0, NULL },
        { "/...", 0, NULL },
        { "/.hidden", 0, NULL },
        { "/with space", 0, NULL },
        { longest, 0, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct name_case *c = &cases[i];
        ASSERT_ERR(mr_shm_name_check(c->name), c->err);
        const char *why = mr_shm_name_error(c->name);
        if (c->reason == NULL)
            ASSERT_PTR_EQ(why, NULL);
        else
            ASSERT_STR_EQ(why, c->reason);
        if (c->err != 0) {
            struct mr_shm shm;
            int fds = mr_test_count_fds();
            ASSERT_ERR(mr_shm_open(&shm, c->name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_CREATE, 0),
                       c->err);
            ASSERT_EQ(shm.fd, -1);
            ASSERT_ERR(mr_shm_unlink(c->name), c->err);
            ASSERT_EQ(mr_test_count_fds(), fds);
        }
    }

    /* The longest name works end to end, and glibc agrees it is that name. */
    struct mr_shm shm;
    ASSERT_OK(mr_shm_open(&shm, longest, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0));
    ASSERT_STR_EQ(shm.name, longest);
    ASSERT_OK(mr_shm_close(&shm));
    int fd = shm_open(longest, O_RDONLY, 0);
    ASSERT_GE(fd, 0);
    close(fd);
    ASSERT_OK(mr_shm_unlink(longest));
    ASSERT_ERR(mr_shm_unlink(longest), -ENOENT);
}

/* Things planted under a name in /dev/shm by someone else. */
static void test_planted(void)
{
    char name[MR_SHM_NAME_MAX + 2], path[300], target[300];
    struct mr_shm shm;
    int fds = mr_test_count_fds();

    /* A symlink to a file that does not exist yet: no combination follows
     * it, and none creates its target. */
    mr_test_shm_name(name, "symlink");
    snprintf(target, sizeof target, "/tmp/mr-test-%ld-symlink-target", (long)getpid());
    unlink(target);
    ASSERT_EQ(symlink(target, mr_test_shm_path(path, sizeof path, name)), 0);
    for (int a = 0; a < 2; a++) {
        unsigned acc = a ? MR_SHM_RDWR : MR_SHM_READ;
        ASSERT_ERR(mr_shm_open(&shm, name, acc, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0), -ELOOP);
        ASSERT_ERR(mr_shm_open(&shm, name, acc, MR_SHM_USE, MR_SHM_CREATE, 0), -ELOOP);
        ASSERT_ERR(mr_shm_open(&shm, name, acc, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0), -EEXIST);
    }
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_TRUNCATE, MR_SHM_CREATE, 0), -ELOOP);
    ASSERT_EQ(access(target, F_OK), -1);
    /* Supersede refuses it too, as the header says of every planted link,
     * and leaves it where it is (the user may want to see who planted it). */
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_SUPERSEDE, MR_SHM_MISSING_FAIL, 0), -ELOOP);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_SUPERSEDE, MR_SHM_CREATE, 0), -ELOOP);
    struct stat st;
    ASSERT_EQ(lstat(path, &st), 0);
    ASSERT_TRUE(S_ISLNK(st.st_mode));
    ASSERT_EQ(access(target, F_OK), -1);
    ASSERT_EQ(unlink(path), 0);

    /* A FIFO: refused, and a read-only open does not hang waiting for a writer. */
    mr_test_shm_name(name, "fifo");
    ASSERT_EQ(mkfifo(mr_test_shm_path(path, sizeof path, name), 0600), 0);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0), -EINVAL);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_CREATE, 0), -EINVAL);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_SUPERSEDE, MR_SHM_CREATE, 0), -EINVAL);
    ASSERT_EQ(lstat(path, &st), 0);
    ASSERT_TRUE(S_ISFIFO(st.st_mode));
    ASSERT_EQ(unlink(path), 0);

    /* A directory. */
    mr_test_shm_name(name, "dir");
    ASSERT_EQ(mkdir(mr_test_shm_path(path, sizeof path, name), 0700), 0);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0), -EINVAL);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0), -EISDIR);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_SUPERSEDE, MR_SHM_CREATE, 0), -EISDIR);
    ASSERT_EQ(rmdir(path), 0);
    ASSERT_EQ(mr_test_count_fds(), fds);
}

/* Permission checks, honestly: root passes every DAC check, so the refusal
 * is tested in a child that has become another user (nobody). */
static void as_nobody(void *arg)
{
    const char *name = arg;
    struct mr_shm shm;
    if (setgid(65534) < 0 || setuid(65534) < 0)
        _exit(3);
    if (mr_shm_open(&shm, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0) != -EACCES)
        _exit(4);
    /* /dev/shm is sticky: only the owner may remove an object. */
    if (mr_shm_unlink(name) != -EPERM)
        _exit(5);
    _exit(0);
}

static void as_nobody_world_readable(void *arg)
{
    const char *name = arg;
    struct mr_shm shm;
    if (setgid(65534) < 0 || setuid(65534) < 0)
        _exit(3);
    if (mr_shm_open(&shm, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0) != 0)
        _exit(4);
    if (mr_shm_close(&shm) != 0)
        _exit(5);
    if (mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0) != -EACCES)
        _exit(6);
    _exit(0);
}

static void test_permissions(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    mr_test_shm_name(name, "perm");
    ASSERT_OK(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0600));
    if (geteuid() == 0) {
        ASSERT_EQ(mr_test_in_child(as_nobody, name, 0), 0);
        ASSERT_OK(mr_shm_chmod(&shm, 0604));
        ASSERT_EQ(mr_test_in_child(as_nobody_world_readable, name, 0), 0);
    } else {
        /* Not root: our own permission bits bind us. */
        ASSERT_OK(mr_shm_chmod(&shm, 0400));
        struct mr_shm other;
        ASSERT_ERR(mr_shm_open(&other, name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0),
                   -EACCES);
        ASSERT_OK(mr_shm_open(&other, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0));
        ASSERT_OK(mr_shm_close(&other));
    }
    ASSERT_OK(mr_shm_close(&shm));
    ASSERT_OK(mr_shm_unlink(name));
}

/* A closed object keeps its name (shm.h), and that name may open it again,
 * into the same struct: the name is read before the struct is cleared. */
static void test_reopen_by_own_name(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    mr_test_shm_name(name, "reopen");
    ASSERT_OK(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0));
    ASSERT_OK(mr_shm_resize(&shm, 123));
    ASSERT_OK(mr_shm_close(&shm));
    ASSERT_OK(mr_shm_open(&shm, shm.name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0));
    ASSERT_STR_EQ(shm.name, name);
    struct mr_shm_stat st;
    ASSERT_OK(mr_shm_stat(&shm, &st));
    ASSERT_EQ(st.size, (uint64_t)123);
    ASSERT_OK(mr_shm_close(&shm));
    /* A failure with its own name still leaves the struct closed. */
    ASSERT_ERR(mr_shm_open(&shm, shm.name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0),
               -EEXIST);
    ASSERT_EQ(shm.fd, -1);
    ASSERT_OK(mr_shm_unlink(name));
}

/* Objects from mr_shm_open and from glibc's shm_open are the same objects. */
static void test_glibc_agrees(void)
{
    char name[MR_SHM_NAME_MAX + 2];
    struct mr_shm shm;
    mr_test_shm_name(name, "glibc");
    ASSERT_OK(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0));
    ASSERT_EQ(pwrite(shm.fd, "hello", 5, 0), 5);
    int fd = shm_open(name, O_RDWR, 0);
    ASSERT_GE(fd, 0);
    char buf[5];
    ASSERT_EQ(pread(fd, buf, 5, 0), 5);
    ASSERT_MEM_EQ(buf, "hello", 5);
    close(fd);
    ASSERT_OK(mr_shm_close(&shm));
    ASSERT_EQ(shm_unlink(name), 0);
    ASSERT_ERR(mr_shm_open(&shm, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0), -ENOENT);
}

/* Superseding is atomic: when the replacement cannot be made (here: no fd
 * may be opened), the old object is still there, content and all; and when
 * it can, it takes the name in one step. */
static void supersede_without_fds(void *arg)
{
    const char *name = arg;
    struct mr_shm shm;
    struct rlimit none = { 0, 0 };
    if (setrlimit(RLIMIT_NOFILE, &none) != 0)
        _exit(3);
    int rc = mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_SUPERSEDE, MR_SHM_CREATE, 0);
    _exit(rc == -EMFILE ? 0 : 2);
}

static void test_supersede_atomic(void)
{
    char name[MR_SHM_NAME_MAX + 2], path[MR_SHM_NAME_MAX + 16];
    struct mr_shm shm;
    struct stat st;
    mr_test_shm_name(name, "supersede-atomic");
    mr_test_shm_path(path, sizeof path, name);
    ASSERT_OK(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0));
    ASSERT_EQ(pwrite(shm.fd, "keep", 4, 0), 4);
    ASSERT_OK(mr_shm_close(&shm));
    ASSERT_EQ(stat(path, &st), 0);
    ino_t old_ino = st.st_ino;

    if (!mr_test_under_valgrind()) { /* valgrind keeps RLIMIT_NOFILE to itself */
        ASSERT_EQ(mr_test_in_child(supersede_without_fds, name, 0), 0);
        char buf[4] = { 0 };
        ASSERT_OK(mr_shm_open(&shm, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0));
        ASSERT_EQ(pread(shm.fd, buf, 4, 0), 4);
        ASSERT_MEM_EQ(buf, "keep", 4);
        ASSERT_OK(mr_shm_close(&shm));
    } else {
        mr_test_skip_case("supersede without fds", "valgrind keeps RLIMIT_NOFILE to itself "
                          "(the plain run covers it)");
    }

    /* The working case: a new, empty object under the name, created by us,
     * and no temporary name left behind. */
    ASSERT_OK(mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_SUPERSEDE, MR_SHM_MISSING_FAIL, 0));
    ASSERT_TRUE(shm.flags & MR_SHM_CREATED);
    ASSERT_EQ(fstat(shm.fd, &st), 0);
    ASSERT_EQ(st.st_size, 0);
    ASSERT_NE(st.st_ino, old_ino);
    ASSERT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_OK(mr_shm_close(&shm));
    ASSERT_OK(mr_shm_unlink(name));
    DIR *d = opendir("/dev/shm");
    ASSERT_TRUE(d != NULL);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, ".mr-new-", 8) == 0)
            mr_test_fail(__FILE__, __LINE__, "temporary name left: %s", e->d_name);
    closedir(d);
}

int main(void)
{
    mr_test_shm_begin();
    test_combinations();
    test_access();
    test_bad_arguments();
    test_modes();
    test_names();
    test_planted();
    test_permissions();
    test_glibc_agrees();
    test_reopen_by_own_name();
    test_supersede_atomic();
    mr_test_shm_end();
    return 0;
}
