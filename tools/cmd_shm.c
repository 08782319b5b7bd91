/* SPDX-License-Identifier: MIT */
/* tools/cmd_shm.c: `memregion shm <subcommand>`: POSIX shared-memory objects. */
#include "cli.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char shm_help[] =
    "usage: memregion shm <subcommand> [options] [NAME ...]\n"
    "\n"
    "Manage POSIX shared-memory objects: the named blocks of memory that\n"
    "shm_open(3) creates, which live in /dev/shm until removed. Any program on\n"
    "this machine can open one by name and map it (Python's\n"
    "multiprocessing.shared_memory, another C program, memregion itself;\n"
    "Python before 3.13 removes an object it attached to when it exits,\n"
    "unless the script unregisters it from its resource tracker).\n"
    "NAME may be written 'name' or '/name'.\n"
    "\n"
    "subcommands:\n"
    "  ls                      list the objects: name, size, mode, owner, age\n"
    "  create NAME             create an object (--size, --mode, --exclusive)\n"
    "  stat NAME               show size, mode, owner, group and times\n"
    "  resize NAME SIZE        set the size (new bytes read as zero)\n"
    "  chmod NAME MODE         set the permission bits (octal, e.g. 0640)\n"
    "  chown NAME OWNER[:GROUP] set owner and/or group (names or numbers)\n"
    "  seal NAME SEALS         explain why named objects cannot be sealed\n"
    "  rm NAME...              remove names (open mappings live on)\n"
    "  cat NAME                copy the object's bytes to standard output\n"
    "  write NAME              replace the object's bytes with standard input\n"
    "\n"
    "Run 'memregion shm <subcommand> --help' for the options of each.\n";

struct shm_opts {
    bool json;
    bool exclusive;
    bool force;
    bool size_set;
    uint64_t size;
    mode_t mode;
};

enum { OPT_JSON = 1000 };

static int shm_opt(int c, const char *arg, void *ctx)
{
    struct shm_opts *o = ctx;
    switch (c) {
    case OPT_JSON:
        o->json = true;
        return 0;
    case 'x':
        o->exclusive = true;
        return 0;
    case 'f':
        o->force = true;
        return 0;
    case 's':
        o->size_set = true;
        return cli_opt_u64("size", arg, true, &o->size);
    case 'm':
        if (cli_parse_mode(arg, &o->mode) < 0)
            return cli_usage_error("invalid mode '%s': expected octal permission bits such as 0600",
                                   arg);
        return 0;
    }
    return CLI_USAGE;
}

/* Parse options, and demand between min and max operands; the operands
 * are named by the words of `names` ("NAME SIZE") in messages. */
static int shm_args(int argc, char **argv, const char *shorts, const struct option *longs,
                    const char *help, struct shm_opts *o, int min, int max, int *first)
{
    int rc = cli_getopt(argc, argv, shorts, longs, help, shm_opt, o, first);
    if (rc >= 0)
        return rc;
    int n = argc - *first;
    if (n < min) {
        /* The usage line of the help text names the operands in order. */
        const char *u = strstr(help, argv[0]);
        char word[32] = "NAME";
        for (int k = 0; u && k <= n; k++) {
            u = strchr(u, ' ');
            while (u && (u[1] == '[' || u[1] == '-'))
                u = strchr(u + 1, ' ');
            if (u && k == n)
                sscanf(u + 1, "%31[A-Z]", word);
            if (u)
                u++;
        }
        return cli_usage_error("missing %s", word);
    }
    if (max >= 0 && n > max)
        return cli_usage_error("unexpected argument '%s'", argv[*first + max]);
    return -1;
}

/* Open the object called name read-write, creating it when it is missing,
 * as create and write both do; an existing one is treated as if_exists says
 * (MR_SHM_EXISTS_FAIL with --exclusive). A new object gets exactly the mode
 * asked for, whatever the umask: 0600 without --mode, and no access at all
 * for an explicit --mode 0. CLI_OK with *shm open, or the status of the
 * message printed, with nothing left open and nothing left created. */
static int open_or_create(struct mr_shm *shm, const char *name, enum mr_shm_exists if_exists,
                          const struct shm_opts *o)
{
    int rc = mr_shm_open(shm, name, MR_SHM_RDWR, o->exclusive ? MR_SHM_EXISTS_FAIL : if_exists,
                         MR_SHM_CREATE, o->mode);
    if (rc < 0)
        return cli_fail(name, rc, rc == -EEXIST ? "exists already (--exclusive)" : NULL);
    /* mr_shm_open reads mode 0 as its default, 0600 (the commands' default
     * too, set in their options); on the command line it is the caller
     * asking for no access. */
    if (o->mode == 0 && (shm->flags & MR_SHM_CREATED) && (rc = mr_shm_chmod(shm, 0)) < 0) {
        mr_shm_close(shm);
        mr_shm_unlink(name);
        return cli_fail(name, rc, NULL);
    }
    return CLI_OK;
}

static int open_named(struct mr_shm *shm, const char *arg, unsigned flags)
{
    char name[MR_SHM_NAME_MAX + 2];
    int rc = cli_shm_name_arg(arg, name, sizeof name);
    if (rc != 0)
        return rc;
    rc = mr_shm_open(shm, name, flags, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0);
    if (rc < 0)
        return cli_fail(name, rc, rc == -ENOENT ? "no such shared-memory object" : NULL);
    return 0;
}

static const char *user_name(uid_t uid, char *buf, size_t size)
{
    struct passwd *pw = getpwuid(uid);
    if (pw)
        snprintf(buf, size, "%s", pw->pw_name);
    else
        snprintf(buf, size, "%lu", (unsigned long)uid);
    return buf;
}

static const char *group_name(gid_t gid, char *buf, size_t size)
{
    struct group *gr = getgrgid(gid);
    if (gr)
        snprintf(buf, size, "%s", gr->gr_name);
    else
        snprintf(buf, size, "%lu", (unsigned long)gid);
    return buf;
}

static const char *age_text(const struct timespec *t, time_t now, char *buf, size_t size)
{
    long long s = (long long)(now - t->tv_sec);
    if (s < 0)
        s = 0;
    if (s < 120)
        snprintf(buf, size, "%llds", s);
    else if (s < 7200)
        snprintf(buf, size, "%lldm", s / 60);
    else if (s < 172800)
        snprintf(buf, size, "%lldh", s / 3600);
    else
        snprintf(buf, size, "%lldd", s / 86400);
    return buf;
}

static void json_stat(struct cli_json *j, const char *name, const struct mr_shm_stat *st)
{
    char buf[64], mode[8];
    cli_json_begin_object(j);
    cli_json_key(j, "name");
    cli_json_str(j, name);
    cli_json_key(j, "size");
    cli_json_u64(j, st->size);
    cli_json_key(j, "mode");
    snprintf(mode, sizeof mode, "%04o", (unsigned)st->mode);
    cli_json_str(j, mode);
    cli_json_key(j, "uid");
    cli_json_u64(j, st->uid);
    cli_json_key(j, "user");
    cli_json_str(j, user_name(st->uid, buf, sizeof buf));
    cli_json_key(j, "gid");
    cli_json_u64(j, st->gid);
    cli_json_key(j, "group");
    cli_json_str(j, group_name(st->gid, buf, sizeof buf));
    cli_json_key(j, "mtime");
    cli_json_i64(j, (int64_t)st->mtime.tv_sec);
    cli_json_key(j, "age_s");
    cli_json_i64(j, (int64_t)(time(NULL) - st->mtime.tv_sec));
    cli_json_end_object(j);
}

/* ---- ls ---------------------------------------------------------------------- */

static const char ls_help[] =
    "usage: memregion shm ls [--json]\n"
    "\n"
    "List the shared-memory objects in /dev/shm, sorted by name: NAME, SIZE in\n"
    "bytes, MODE (permission bits, octal), OWNER and AGE (time since the object\n"
    "was last written: s, m, h, d). POSIX semaphores appear as 'sem.NAME'.\n"
    "\n"
    "options:\n"
    "  --json     one JSON array of objects with name, size, mode, uid, user,\n"
    "             gid, group, mtime (seconds since 1970) and age_s\n"
    "  -h, --help show this help\n";

static int shm_ls(int argc, char **argv)
{
    static const struct option longs[] = { { "json", no_argument, NULL, OPT_JSON }, { 0 } };
    struct shm_opts o = { 0 };
    int first, rc;
    if ((rc = shm_args(argc, argv, "", longs, ls_help, &o, 0, 0, &first)) >= 0)
        return rc;

    struct mr_shm_list l;
    if ((rc = mr_shm_list_init(&l, NULL)) < 0)
        return cli_fail("/dev/shm", rc, NULL);
    time_t now = time(NULL);
    if (o.json) {
        struct cli_json j;
        cli_json_init(&j, stdout);
        cli_json_begin_array(&j);
        for (size_t i = 0; i < l.count; i++)
            json_stat(&j, l.entries[i].name, &l.entries[i].st);
        cli_json_end_array(&j);
        cli_json_end(&j);
    } else {
        size_t w = 4;
        for (size_t i = 0; i < l.count; i++)
            if (strlen(l.entries[i].name) > w)
                w = strlen(l.entries[i].name);
        if (w > 40)
            w = 40;
        printf("%-*s %12s %5s %-10s %s\n", (int)w, "NAME", "SIZE", "MODE", "OWNER", "AGE");
        for (size_t i = 0; i < l.count; i++) {
            const struct mr_shm_stat *st = &l.entries[i].st;
            char user[64], age[32];
            printf("%-*s %12llu  %04o %-10s %s\n", (int)w, l.entries[i].name,
                   (unsigned long long)st->size, (unsigned)st->mode,
                   user_name(st->uid, user, sizeof user), age_text(&st->mtime, now, age, sizeof age));
        }
    }
    mr_shm_list_fini(&l);
    return CLI_OK;
}

/* ---- create ---------------------------------------------------------------------- */

static const char create_help[] =
    "usage: memregion shm create NAME [--size SIZE] [--mode MODE] [--exclusive]\n"
    "\n"
    "Create the shared-memory object NAME ('name' or '/name'). An object that\n"
    "exists already is left as it is (only resized when --size is given),\n"
    "unless --exclusive is given, which then fails.\n"
    "\n"
    "options:\n"
    "  -s, --size SIZE   size in bytes: decimal or 0x hex, with an optional\n"
    "                    K, M, G or T suffix (powers of 1024); default 0\n"
    "  -m, --mode MODE   permission bits of a new object, octal; default 0600\n"
    "                    (exactly these: the umask does not apply)\n"
    "  -x, --exclusive   fail if the object exists already\n"
    "  -h, --help        show this help\n";

static int shm_create(int argc, char **argv)
{
    static const struct option longs[] = { { "size", required_argument, NULL, 's' },
                                           { "mode", required_argument, NULL, 'm' },
                                           { "exclusive", no_argument, NULL, 'x' },
                                           { 0 } };
    struct shm_opts o = { .mode = 0600 };
    int first, rc;
    if ((rc = shm_args(argc, argv, "s:m:x", longs, create_help, &o, 1, 1, &first)) >= 0)
        return rc;
    char name[MR_SHM_NAME_MAX + 2];
    if ((rc = cli_shm_name_arg(argv[first], name, sizeof name)) != 0)
        return rc;
    struct mr_shm shm = MR_SHM_INIT;
    if ((rc = open_or_create(&shm, name, MR_SHM_USE, &o)) != CLI_OK)
        return rc;
    if (o.size_set && (rc = mr_shm_resize(&shm, o.size)) < 0) {
        bool created = shm.flags & MR_SHM_CREATED;
        mr_shm_close(&shm);
        if (created)
            mr_shm_unlink(name);
        return cli_fail(name, rc, NULL);
    }
    struct mr_shm_stat st;
    if (mr_shm_stat(&shm, &st) == 0)
        printf("%s %s: %llu bytes, mode %04o\n", shm.flags & MR_SHM_CREATED ? "created" : "exists",
               name, (unsigned long long)st.size, (unsigned)st.mode);
    mr_shm_close(&shm);
    return CLI_OK;
}

/* ---- stat ------------------------------------------------------------------------ */

static const char stat_help[] =
    "usage: memregion shm stat NAME [--json]\n"
    "\n"
    "Show the object's size, permission bits, owner, group, and the times it\n"
    "was last read (atime), written (mtime) and changed (ctime).\n"
    "\n"
    "options:\n"
    "  --json     one JSON object: name, size, mode, uid, user, gid, group,\n"
    "             mtime, age_s\n"
    "  -h, --help show this help\n";

static void print_time(const char *label, const struct timespec *t)
{
    char buf[64];
    struct tm tm;
    time_t s = t->tv_sec;
    localtime_r(&s, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z", &tm);
    printf("%-6s %s\n", label, buf);
}

static int shm_stat(int argc, char **argv)
{
    static const struct option longs[] = { { "json", no_argument, NULL, OPT_JSON }, { 0 } };
    struct shm_opts o = { 0 };
    int first, rc;
    if ((rc = shm_args(argc, argv, "", longs, stat_help, &o, 1, 1, &first)) >= 0)
        return rc;
    struct mr_shm shm = MR_SHM_INIT;
    if (open_named(&shm, argv[first], MR_SHM_READ) != 0)
        return CLI_FAIL;
    struct mr_shm_stat st;
    rc = mr_shm_stat(&shm, &st);
    if (rc < 0) {
        mr_shm_close(&shm);
        return cli_fail(shm.name, rc, NULL);
    }
    if (o.json) {
        struct cli_json j;
        cli_json_init(&j, stdout);
        json_stat(&j, shm.name, &st);
        cli_json_end(&j);
    } else {
        char u[64], g[64], h[32];
        printf("name   %s\n", shm.name);
        printf("size   %llu (%s)\n", (unsigned long long)st.size,
               cli_human_bytes(st.size, h, sizeof h));
        printf("mode   %04o\n", (unsigned)st.mode);
        printf("owner  %s (%lu)\n", user_name(st.uid, u, sizeof u), (unsigned long)st.uid);
        printf("group  %s (%lu)\n", group_name(st.gid, g, sizeof g), (unsigned long)st.gid);
        print_time("atime", &st.atime);
        print_time("mtime", &st.mtime);
        print_time("ctime", &st.ctime);
    }
    mr_shm_close(&shm);
    return CLI_OK;
}

/* ---- resize, chmod, chown ----------------------------------------------------------- */

static const char resize_help[] =
    "usage: memregion shm resize NAME SIZE\n"
    "\n"
    "Set the object's size to SIZE bytes (decimal or 0x hex, optional K, M, G,\n"
    "T suffix). Bytes added read as zero; bytes cut off are gone, and a process\n"
    "that still maps them gets SIGBUS when it touches them.\n"
    "\n"
    "options:\n"
    "  -h, --help show this help\n";

static int shm_resize(int argc, char **argv)
{
    struct shm_opts o = { 0 };
    int first, rc;
    uint64_t size;
    if ((rc = shm_args(argc, argv, "", NULL, resize_help, &o, 2, 2, &first)) >= 0)
        return rc;
    if ((rc = cli_opt_u64("size", argv[first + 1], true, &size)) != 0)
        return rc;
    struct mr_shm shm = MR_SHM_INIT;
    if (open_named(&shm, argv[first], MR_SHM_RDWR) != 0)
        return CLI_FAIL;
    rc = mr_shm_resize(&shm, size);
    mr_shm_close(&shm);
    return rc < 0 ? cli_fail(shm.name, rc, NULL) : CLI_OK;
}

static const char chmod_help[] =
    "usage: memregion shm chmod NAME MODE\n"
    "\n"
    "Set the object's permission bits to MODE, in octal (0600: only the\n"
    "owner reads and writes; 0644: everyone reads). Only the owner (or root)\n"
    "may do this.\n"
    "\n"
    "options:\n"
    "  -h, --help show this help\n";

static int shm_chmod(int argc, char **argv)
{
    struct shm_opts o = { 0 };
    int first, rc;
    mode_t mode;
    if ((rc = shm_args(argc, argv, "", NULL, chmod_help, &o, 2, 2, &first)) >= 0)
        return rc;
    if (cli_parse_mode(argv[first + 1], &mode) < 0)
        return cli_usage_error("invalid mode '%s': expected octal permission bits such as 0600",
                               argv[first + 1]);
    struct mr_shm shm = MR_SHM_INIT;
    if (open_named(&shm, argv[first], MR_SHM_READ) != 0)
        return CLI_FAIL;
    rc = mr_shm_chmod(&shm, mode);
    mr_shm_close(&shm);
    return rc < 0 ? cli_fail(shm.name, rc, NULL) : CLI_OK;
}

static const char chown_help[] =
    "usage: memregion shm chown NAME OWNER[:GROUP]\n"
    "       memregion shm chown NAME :GROUP\n"
    "\n"
    "Change the object's owner and/or group, each given as a name or a number.\n"
    "An empty part, or -1, leaves that one unchanged. Changing the owner needs\n"
    "root (CAP_CHOWN).\n"
    "\n"
    "options:\n"
    "  -h, --help show this help\n";

static int parse_id(const char *s, bool group, unsigned long *out)
{
    uint64_t v;
    if (!*s || strcmp(s, "-1") == 0) {
        *out = (unsigned long)-1;
        return 0;
    }
    if (cli_parse_u64(s, false, &v) == 0) {
        if (v >= UINT32_MAX)
            return -ERANGE;
        *out = (unsigned long)v;
        return 0;
    }
    if (group) {
        struct group *gr = getgrnam(s);
        if (!gr)
            return -ENOENT;
        *out = gr->gr_gid;
    } else {
        struct passwd *pw = getpwnam(s);
        if (!pw)
            return -ENOENT;
        *out = pw->pw_uid;
    }
    return 0;
}

static int shm_chown(int argc, char **argv)
{
    struct shm_opts o = { 0 };
    int first, rc;
    if ((rc = shm_args(argc, argv, "", NULL, chown_help, &o, 2, 2, &first)) >= 0)
        return rc;
    char spec[256];
    snprintf(spec, sizeof spec, "%s", argv[first + 1]);
    char *colon = strchr(spec, ':');
    const char *gpart = "";
    if (colon) {
        *colon = '\0';
        gpart = colon + 1;
    }
    unsigned long uid, gid;
    if (parse_id(spec, false, &uid) < 0)
        return cli_usage_error("no such user '%s'", spec);
    if (parse_id(gpart, true, &gid) < 0)
        return cli_usage_error("no such group '%s'", gpart);
    struct mr_shm shm = MR_SHM_INIT;
    if (open_named(&shm, argv[first], MR_SHM_READ) != 0)
        return CLI_FAIL;
    rc = mr_shm_chown(&shm, (uid_t)uid, (gid_t)gid);
    mr_shm_close(&shm);
    return rc < 0 ? cli_fail(shm.name, rc, NULL) : CLI_OK;
}

/* ---- seal ---------------------------------------------------------------------------- */

static const char seal_help[] =
    "usage: memregion shm seal NAME SEALS\n"
    "\n"
    "Seals forbid, for good and for every process, shrinking, growing or\n"
    "writing an object. Only anonymous memfds can carry seals; a named object\n"
    "in /dev/shm cannot, because anyone who can open the name for writing could\n"
    "truncate it. This command therefore always fails on a named object, with\n"
    "an explanation. To hand another process memory it can trust, use a sealed\n"
    "memfd: 'memregion share' sends one, and 'memregion demo' shows it.\n"
    "\n"
    "SEALS is a comma-separated list of: shrink, grow, write, future-write,\n"
    "seal, all.\n"
    "\n"
    "options:\n"
    "  -h, --help show this help\n";

static int parse_seals(const char *s, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = { { "shrink", MR_SEAL_SHRINK }, { "grow", MR_SEAL_GROW },
                  { "write", MR_SEAL_WRITE },   { "future-write", MR_SEAL_FUTURE_WRITE },
                  { "seal", MR_SEAL_SEAL },     { "all", MR_SEAL_ALL } };
    unsigned v = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t i;
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(tok, names[i].name) == 0)
                break;
        if (i == sizeof names / sizeof names[0])
            return -EINVAL;
        v |= names[i].bit;
    }
    if (!v)
        return -EINVAL;
    *out = v;
    return 0;
}

static int shm_seal(int argc, char **argv)
{
    struct shm_opts o = { 0 };
    int first, rc;
    unsigned seals;
    if ((rc = shm_args(argc, argv, "", NULL, seal_help, &o, 2, 2, &first)) >= 0)
        return rc;
    if (parse_seals(argv[first + 1], &seals) < 0)
        return cli_usage_error("invalid seals '%s': expected a list of shrink, grow, write, "
                               "future-write, seal, all",
                               argv[first + 1]);
    struct mr_shm shm = MR_SHM_INIT;
    if (open_named(&shm, argv[first], MR_SHM_RDWR) != 0)
        return CLI_FAIL;
    rc = mr_shm_seal_add(&shm, seals);
    mr_shm_close(&shm);
    if (rc == -EPERM)
        return cli_fail(shm.name, rc,
                        "named shared-memory objects cannot be sealed (only memfds can; "
                        "see 'memregion shm seal --help')");
    return rc < 0 ? cli_fail(shm.name, rc, NULL) : CLI_OK;
}

/* ---- rm ------------------------------------------------------------------------------- */

static const char rm_help[] =
    "usage: memregion shm rm [--force] NAME...\n"
    "\n"
    "Remove each NAME from /dev/shm. Processes that have the object open or\n"
    "mapped keep it until they let go; the name is free at once.\n"
    "\n"
    "options:\n"
    "  -f, --force  a missing object is not an error\n"
    "  -h, --help   show this help\n";

static int shm_rm(int argc, char **argv)
{
    static const struct option longs[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
    struct shm_opts o = { 0 };
    int first, rc, status = CLI_OK;
    if ((rc = shm_args(argc, argv, "f", longs, rm_help, &o, 1, -1, &first)) >= 0)
        return rc;
    for (int i = first; i < argc; i++) {
        char name[MR_SHM_NAME_MAX + 2];
        if ((rc = cli_shm_name_arg(argv[i], name, sizeof name)) != 0) {
            status = rc;
            continue;
        }
        rc = mr_shm_unlink(name);
        if (rc == -ENOENT && o.force)
            continue;
        if (rc < 0)
            status = cli_fail(name, rc, rc == -ENOENT ? "no such shared-memory object" : NULL);
    }
    return status;
}

/* ---- cat, write ------------------------------------------------------------------------ */

static const char cat_help[] =
    "usage: memregion shm cat NAME\n"
    "\n"
    "Write the object's bytes to standard output, exactly. The object is read\n"
    "through a mapping with guarded copies: if another process shrinks it\n"
    "meanwhile, cat fails with an error instead of crashing.\n"
    "\n"
    "options:\n"
    "  -h, --help show this help\n";

#define CHUNK ((size_t)1 << 20)

static int shm_cat(int argc, char **argv)
{
    struct shm_opts o = { 0 };
    int first, rc;
    if ((rc = shm_args(argc, argv, "", NULL, cat_help, &o, 1, 1, &first)) >= 0)
        return rc;
    struct mr_shm shm = MR_SHM_INIT;
    struct mr_map m = MR_MAP_INIT;
    if (open_named(&shm, argv[first], MR_SHM_READ) != 0)
        return CLI_FAIL;
    rc = mr_shm_map(&shm, 0, MR_SHM_TO_END, MR_SHM_MAP_RDONLY, &m);
    mr_shm_close(&shm);
    if (rc < 0)
        return cli_fail(shm.name, rc, NULL);
    char *buf = malloc(CHUNK);
    if (!buf) {
        mr_shm_unmap(&m);
        return cli_fail(shm.name, -ENOMEM, NULL);
    }
    int status = CLI_OK;
    for (size_t off = 0; off < m.region.len; off += CHUNK) {
        size_t n = m.region.len - off < CHUNK ? m.region.len - off : CHUNK;
        if ((rc = mr_map_copy_out(&m, off, buf, n)) < 0) {
            status = cli_fail(shm.name, rc, rc == -EFAULT ? "the object shrank while being read"
                                                          : NULL);
            break;
        }
        if (fwrite(buf, 1, n, stdout) != n) {
            status = cli_fail("stdout", -errno, NULL);
            break;
        }
    }
    free(buf);
    mr_shm_unmap(&m);
    return status;
}

static const char write_help[] =
    "usage: memregion shm write NAME [--mode MODE] [--exclusive]\n"
    "\n"
    "Replace the object's bytes with everything read from standard input; its\n"
    "size becomes the number of bytes read. The object is created if it does\n"
    "not exist.\n"
    "\n"
    "options:\n"
    "  -m, --mode MODE   permission bits if it is created, octal; default 0600\n"
    "                    (exactly these: the umask does not apply)\n"
    "  -x, --exclusive   fail if the object exists already\n"
    "  -h, --help        show this help\n";

static int shm_write(int argc, char **argv)
{
    static const struct option longs[] = { { "mode", required_argument, NULL, 'm' },
                                           { "exclusive", no_argument, NULL, 'x' },
                                           { 0 } };
    struct shm_opts o = { .mode = 0600 };
    int first, rc;
    if ((rc = shm_args(argc, argv, "m:x", longs, write_help, &o, 1, 1, &first)) >= 0)
        return rc;
    char name[MR_SHM_NAME_MAX + 2];
    if ((rc = cli_shm_name_arg(argv[first], name, sizeof name)) != 0)
        return rc;
    struct mr_shm shm = MR_SHM_INIT;
    if ((rc = open_or_create(&shm, name, MR_SHM_TRUNCATE, &o)) != CLI_OK)
        return rc;
    char *buf = malloc(CHUNK);
    if (!buf) {
        mr_shm_close(&shm);
        return cli_fail(name, -ENOMEM, NULL);
    }
    /* The object grows by writes to its fd as input arrives, so input of any
     * length needs no more memory than one chunk. */
    uint64_t total = 0;
    int status = CLI_OK;
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            status = cli_fail("stdin", -errno, NULL);
            break;
        }
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = pwrite(shm.fd, buf + done, (size_t)(n - done), (off_t)(total + (uint64_t)done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                status = cli_fail(name, -errno, NULL);
                goto out;
            }
            done += w;
        }
        total += (uint64_t)n;
    }
    if (status == CLI_OK && (rc = mr_shm_resize(&shm, total)) < 0)
        status = cli_fail(name, rc, NULL);
out:
    free(buf);
    mr_shm_close(&shm);
    return status;
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static const struct cli_cmd subs[] = {
    { "ls", NULL, shm_ls },         { "create", NULL, shm_create }, { "stat", NULL, shm_stat },
    { "resize", NULL, shm_resize }, { "chmod", NULL, shm_chmod },   { "chown", NULL, shm_chown },
    { "seal", NULL, shm_seal },     { "rm", NULL, shm_rm },         { "cat", NULL, shm_cat },
    { "write", NULL, shm_write },
};

int cmd_shm(int argc, char **argv)
{
    return cli_dispatch("shm", subs, sizeof subs / sizeof subs[0], shm_help,
                        "missing subcommand (ls, create, stat, resize, chmod, chown, seal, rm, "
                        "cat, write)", argc, argv);
}
