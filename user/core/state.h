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
	/* From the record file (below), never from the state file itself:
	 * the last written and the pending value as of the agent's last
	 * in-place record, "" if none.  Restore treats all four as ours. */
	char rwritten[CGW_STATE_VALUE_MAX];
	char rnext[CGW_STATE_VALUE_MAX];
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
 * The record file, "<state file>.rec": what the agent last wrote to each
 * entry's cgroup file and what it is about to write, updated in place with
 * one pwrite() before every write to a cgroup file, so that no write of an
 * episode waits for a rename or an fsync (issue 12).  The state file
 * itself is rewritten (atomically, durably) only when its set of entries
 * changes: at start, when a cgroup joins or leaves, at exit.
 *
 * Entry i of the state file owns two fixed slots of CGW_STATE_REC_SIZE
 * bytes at offset (2 i + seq % 2) * CGW_STATE_REC_SIZE; successive records
 * alternate between them, so a record torn by a crash mid-pwrite leaves the
 * previous one intact.  A slot is
 *	"rec" TAB i TAB seq TAB cgid TAB file TAB written TAB next TAB
 * padded with spaces, then the crc32 of everything before it as 8 hex
 * digits and '\n' (the slot's last byte).  cgw_state_read() takes, for
 * each entry, the valid slot with the higher seq whose i, cgid and file
 * match, into rwritten/rnext; slots that do not match (stale, torn, or
 * written for another state file) are ignored.  The record file follows
 * the state file's trust rules.  cgw_state_write() and cgw_state_remove()
 * remove it once the state file on disk holds the latest values.
 */
#define CGW_STATE_REC_SIZE 256
#define CGW_STATE_REC_VALUE_MAX 64 /* longer values: rewrite the state file */

/* "<file>.rec" into @buf; -ENAMETOOLONG if it does not fit. */
int cgw_state_rec_name(const char *file, char *buf, size_t len);

/*
 * Creates (or empties) @file's record file, 0600, O_CLOEXEC, refusing a
 * symlink; returns the fd or -errno with a message in @err.
 */
int cgw_state_rec_create(const char *file, char *err, size_t errlen);

/*
 * Writes the record of entry @idx (cgroup @cgid, file @name) with
 * sequence @seq into its slot (@seq % 2): one pwrite().  @written/@next
 * may be "".  -E2BIG when a value is longer than CGW_STATE_REC_VALUE_MAX
 * or a name does not fit a slot (the caller then rewrites the state file),
 * -errno on a failed write.
 */
int cgw_state_rec_put(int fd, size_t idx, uint32_t seq, uint64_t cgid,
		      const char *name, const char *written, const char *next);

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
