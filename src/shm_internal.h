/* SPDX-License-Identifier: MIT */
/* src/shm_internal.h: what the shm layer keeps to itself and its tests: the
 * system-call wrappers only it uses (src/shm_sys.c), and its test hook. */
#ifndef MEMREGION_SHM_INTERNAL_H
#define MEMREGION_SHM_INTERNAL_H

#include <memregion/base.h>
#include <sys/types.h>

/* System-call wrappers, as those of src/internal.h: -errno on failure, the
 * only places that read errno. mr__sys_memfd_create returns the new fd;
 * mr__sys_getrandom fills all len bytes or fails. (mr__sys_getdents64,
 * which the svc layer uses too, is in src/internal.h.) */
int mr__sys_fchmod(int fd, mode_t mode);
int mr__sys_fchown(int fd, uid_t uid, gid_t gid);
int mr__sys_rename(const char *from, const char *to);
int mr__sys_memfd_create(const char *name, unsigned flags);
int mr__sys_getrandom(void *buf, size_t len, unsigned flags);

/* For tests: on, mr_shm_open_anon takes its fallback path as if
 * memfd_create were missing. With first_name nonzero, the fallback draws the
 * names "/mr-anon-%016x" of first_name, first_name + 1, ... instead of random
 * ones (so a test can occupy them and provoke collisions). Thread-safe. */
void mr__shm_force_fallback(bool on, uint64_t first_name);

#endif
