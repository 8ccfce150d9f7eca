/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state file: original values of every cgroup file the agent changed,
 * so that `cgwarden --restore` can undo everything after a crash.  Pure C,
 * no libbpf.
 */
#ifndef CGW_STATE_H
#define CGW_STATE_H

#include <limits.h>
#include <stddef.h>

#define CGW_STATE_DEFAULT "/run/cgwarden/state"
#define CGW_STATE_VALUE_MAX 128

struct cgw_state_entry {
	char path[PATH_MAX]; /* cgroup, relative to root */
	char file[64]; /* e.g. "cpu.weight" */
	char value[CGW_STATE_VALUE_MAX]; /* original, as read */
};

struct cgw_state {
	char root[PATH_MAX]; /* hierarchy root the paths are relative to */
	char mode[16]; /* "cgroup-v1" / "cgroup-v2" */
	size_t n;
	struct cgw_state_entry *e; /* malloc'ed, n entries */
};

/*
 * Writes @st to @file atomically: a temporary file in the same directory
 * (created 0600, O_CLOEXEC), fsync, rename over @file, fsync of the
 * directory.  The directory is created (0700) if missing.  n == 0 removes
 * @file instead.  Returns 0 or -errno with a message in @err.
 */
int cgw_state_write(const char *file, const struct cgw_state *st, char *err,
		    size_t errlen);

/*
 * Reads and validates @file.  Any malformed, truncated or corrupt file
 * (bad header, bad line, count or checksum mismatch, field too long) is
 * refused with -EBADMSG and a message naming the file and line; nothing is
 * returned then.  A missing file is -ENOENT.  Free with cgw_state_free().
 */
int cgw_state_read(const char *file, struct cgw_state *st, char *err,
		   size_t errlen);

void cgw_state_free(struct cgw_state *st);

#endif
