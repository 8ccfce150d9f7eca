/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who may have written an input.  The config and the state file steer a
 * root process, so, like bpftune and systemd, cgwarden reads them only
 * when nobody but root (or the agent's own user) could have written them:
 * a regular file (not a symlink, FIFO or device), owned by root or the
 * effective uid, not writable by group or others, in a directory chain
 * whose every directory is owned by root/euid and is not writable by group
 * or others unless it is sticky (like /tmp, where nobody can replace
 * another user's file).  Pure C, no libbpf.
 *
 * The one escape hatch, for tests on files they cannot own: the
 * environment variable CGWARDEN_INSECURE_PATHS=1 turns the owner and mode
 * checks off (a regular file is still required).  Never set by default.
 */
#ifndef CGW_TRUST_H
#define CGW_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#define CGW_TRUST_ENV "CGWARDEN_INSECURE_PATHS"

/* CGWARDEN_INSECURE_PATHS=1 is set. */
bool cgw_trust_insecure(void);

/*
 * Opens @path read-only (O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, so a symlink
 * or a FIFO cannot make it hang or wander) and checks it and its directory
 * chain.  Returns the fd, or -errno with "PATH: reason" in @err (-ENOENT
 * when it does not exist, -EPERM when it is not trusted).
 */
int cgw_trust_open(const char *path, char *err, size_t errlen);

/*
 * Checks the directory chain @path is (or would be) created in: its
 * deepest existing ancestor directory and everything above.  Returns 0 or
 * -EPERM (-errno) with the reason in @err.
 */
int cgw_trust_dir_of(const char *path, char *err, size_t errlen);

#endif
