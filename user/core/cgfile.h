/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One cgroup file the agent manages (cpu.weight, cpu.max, cpu.shares,
 * cpu.cfs_quota_us): kept open, read before every write, written only when
 * different, checked, read back, original remembered, and let go if
 * someone else changes it.  Pure C, no libbpf.
 */
#ifndef CGW_CGFILE_H
#define CGW_CGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroupfs.h"
#include "state.h"

struct cgw_file {
	int fd; /* O_RDWR beneath the hierarchy root, -1: closed */
	char rel[PATH_MAX]; /* cgroup, relative to the root */
	char name[64]; /* e.g. "cpu.weight" */
	char original[CGW_STATE_VALUE_MAX]; /* before our first write */
	char written[CGW_STATE_VALUE_MAX]; /* read back after our last write */
	bool changed; /* original is saved: we wrote at least once */
	bool released; /* changed by someone else: hands off */
	long rec; /* its entry in the state's record file, -1: none */
	uint32_t rec_seq; /* sequence of its last record */
	char foreign[CGW_STATE_VALUE_MAX]; /* what was found on release */
	uint64_t released_ns; /* when (CLOCK_MONOTONIC, set by the caller) */
};

enum cgw_set {
	CGW_SET_WRITTEN, /* value written */
	CGW_SET_SAME, /* already the wanted value: nothing written */
	CGW_SET_FOREIGN, /* someone else changed it since our last write */
	CGW_SET_DRY, /* dry run: would have written */
};

void cgw_file_init(struct cgw_file *f);
int cgw_file_open(struct cgw_file *f, const struct cgw_hier *h, const char *rel,
		  const char *name);
void cgw_file_close(struct cgw_file *f);

/* Current value (trailing newline removed).  Returns length or -errno. */
int cgw_file_read(struct cgw_file *f, char *buf, size_t len);

/*
 * Makes the file hold @want.  @old gets the value found before.  Returns 0
 * with *@res set, or -errno (the write or the read-back failed; nothing is
 * recorded then).  A file released once stays released: CGW_SET_FOREIGN.
 */
int cgw_file_set(struct cgw_file *f, const char *want, bool dry_run, char *old,
		 size_t oldlen, enum cgw_set *res);

/*
 * cgw_file_set() in two halves, so that the caller can record the value
 * about to be written in between.  cgw_file_check() reads the file once
 * (into @cur) and decides: CGW_SET_WRITTEN means a write is due and
 * nothing was written yet; the other results are final, as from
 * cgw_file_set().  cgw_file_commit() then writes @want, reads it back
 * (the kernel may normalise it) and, on a first change, keeps @cur as the
 * original.
 */
int cgw_file_check(struct cgw_file *f, const char *want, bool dry_run,
		   char *cur, size_t len, enum cgw_set *res);
int cgw_file_commit(struct cgw_file *f, const char *want, const char *cur);

/*
 * Takes over a file a crashed agent changed: @original is what to put
 * back, @written what that agent wrote (the value the file must still
 * hold for cgw_file_restore() to write).  The file counts as changed.
 */
/*
 * A file released @after_ns ago or more (@after_ns 0: never) is managed
 * again: what it holds now is its new original, nothing is changed.
 * Returns true when it was taken back.
 */
bool cgw_file_retake(struct cgw_file *f, uint64_t now_ns, uint64_t after_ns);

/* When cgw_file_retake() takes @f back (0: never). */
uint64_t cgw_file_retake_at(const struct cgw_file *f, uint64_t after_ns);

void cgw_file_adopt(struct cgw_file *f, const char *original,
		    const char *written);

/*
 * Puts the original back if we changed the file and it still holds what
 * we wrote (else CGW_SET_FOREIGN: someone else owns it now).  @cur gets
 * the value found.  After a restore the file is no longer "changed".
 */
int cgw_file_restore(struct cgw_file *f, bool dry_run, char *cur, size_t len,
		     enum cgw_set *res);

#endif
