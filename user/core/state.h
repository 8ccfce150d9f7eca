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
#include <stdint.h>

#include "cgroupfs.h"

#define CGW_STATE_DEFAULT "/run/cgwarden/state"
#define CGW_STATE_VALUE_MAX 128

/*
 * One file the agent changed.  @cgid ties it to one cgroup: a cgroup
 * removed and recreated at the same path has another id.  A crash restore
 * writes @value back only where the file still holds @written or @next
 * (the agent records @next before it writes it, so a crash between the two
 * leaves either value, both "ours"); anything else was written by someone
 * else and is left as it is.
 */
struct cgw_state_entry {
	char path[PATH_MAX]; /* cgroup, relative to root */
	char file[64]; /* e.g. "cpu.weight" */
	uint64_t cgid; /* cgw_hier_cgid() of the cgroup directory */
	char value[CGW_STATE_VALUE_MAX]; /* original, as read */
	char written[CGW_STATE_VALUE_MAX]; /* last written, "" if none yet */
	char next[CGW_STATE_VALUE_MAX]; /* being written now, or "" */
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

/* Removes @file (durably: its directory is fsync'ed); none is fine. */
int cgw_state_remove(const char *file, char *err, size_t errlen);

/*
 * Reads and validates @file.  It is opened with cgw_trust_open(): a
 * symlink, a FIFO, a file or directory others could write is refused with
 * -EPERM before a byte is read.  Any malformed, truncated or corrupt file
 * (bad header, bad line, count or checksum mismatch, field too long) is
 * refused with -EBADMSG and a message naming the file and line; nothing is
 * returned then.  A missing file is -ENOENT.  Free with cgw_state_free().
 */
int cgw_state_read(const char *file, struct cgw_state *st, char *err,
		   size_t errlen);

void cgw_state_free(struct cgw_state *st);

/*
 * Checks that @st only asks for what the agent itself would write on
 * hierarchy @mode rooted at @root: the same root and mode, relative paths
 * without "." or ".." components, files of the managed set
 * (core/cpuctl.c) and values within the kernel's ranges.  Every entry is
 * checked; the first problem is returned (-EINVAL or -EPERM) with
 * "FILE: entry N: reason" in @err.
 */
int cgw_state_check(const char *file, const struct cgw_state *st,
		    enum cgw_mode mode, const char *root, char *err,
		    size_t errlen);

#endif
