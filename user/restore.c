// SPDX-License-Identifier: GPL-2.0
/*
 * Crash restore.  A state file is input that steers a root process, so it
 * is trusted only as far as core/trust.c and cgw_state_check() allow: a
 * root-owned file in a root-owned directory chain, naming nothing but the
 * managed files of the hierarchy the agent itself detects, with values in
 * the kernel's ranges.  Every entry is checked before the first write.
 *
 * Identity: each entry carries the cgroup id the agent saw and the values
 * it wrote.  A cgroup removed (a container gone) or recreated at the same
 * path (another id) is not ours any more; a file holding neither the
 * original nor a value we wrote was changed by someone else.  Those
 * entries are reported and dropped, never retried: after a crash followed
 * by `docker rm`, `--restore` succeeds and the next agent starts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgfile.h"
#include "cgroupfs.h"
#include "cpuctl.h"
#include "json.h"
#include "log.h"
#include "restore.h"
#include "state.h"
#include "units.h"
#include "warden.h"

enum verdict {
	V_RESTORE, /* ours: put the original back */
	V_SAME, /* already holds its original */
	V_GONE, /* cgroup removed */
	V_RECREATED, /* a cgroup with another id at that path */
	V_FOREIGN, /* someone else changed the file */
	V_ERROR, /* cannot tell: kept for a later try */
};

static const char *const verdict_text[] = {
	[V_RESTORE] = "restored",
	[V_SAME] = "already at its original",
	[V_GONE] = "cgroup gone, entry dropped",
	[V_RECREATED] =
		"cgroup gone/recreated (another cgroup id), left as is, entry dropped",
	[V_FOREIGN] = "changed by someone else, left as is, entry dropped",
	[V_ERROR] = "cannot be checked, kept",
};

struct item {
	struct cgw_file f;
	enum verdict v;
	char cur[CGW_STATE_VALUE_MAX];
	int err;
};

/*
 * Is @cur one of the values the crashed agent wrote to @e's file?  The
 * state file names the last values as of its last rewrite, the record
 * file (core/state.h) the last ones before the crash.
 */
static bool ours(const struct cgw_cpuctl *c, const struct cgw_state_entry *e,
		 const char *cur)
{
	const char *vals[] = { e->written, e->next, e->rwritten, e->rnext };

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		if (vals[i][0] && cgw_cpuctl_same(c, cur, vals[i]))
			return true;
	return false;
}

/* Is @e's cgroup still there with the same id?  V_RESTORE means yes. */
static enum verdict same_cgroup(const struct cgw_hier *h,
				const struct cgw_state_entry *e, int *err)
{
	uint64_t id = 0;
	int ret = cgw_hier_cgid(h, e->path, &id);

	if (ret == -ENOENT || ret == -ENODEV)
		return V_GONE;
	if (ret) {
		*err = ret;
		return V_ERROR;
	}
	return id == e->cgid ? V_RESTORE : V_RECREATED;
}

static enum verdict classify(const struct cgw_hier *h,
			     const struct cgw_state_entry *e, struct item *it)
{
	const struct cgw_cpuctl *c = cgw_cpuctl_find(h->mode, e->file);
	enum verdict v;
	int ret;

	v = same_cgroup(h, e, &it->err);
	if (v != V_RESTORE)
		return v;
	ret = cgw_file_open(&it->f, h, e->path, e->file);
	if (ret == -ENOENT || ret == -ENODEV)
		return V_GONE;
	/* the file is open: still the same cgroup, not one recreated since? */
	v = ret ? V_ERROR : same_cgroup(h, e, &it->err);
	if (v != V_RESTORE)
		return v;
	ret = cgw_file_read(&it->f, it->cur, sizeof(it->cur));
	if (ret < 0) {
		it->err = ret;
		return V_ERROR;
	}
	if (cgw_cpuctl_same(c, it->cur, e->value))
		return V_SAME;
	if (!ours(c, e, it->cur))
		return V_FOREIGN;
	cgw_file_adopt(&it->f, e->value, it->cur);
	return V_RESTORE;
}

static void report(const struct cgw_state_entry *e, const struct item *it,
		   bool json)
{
	const char *why = verdict_text[it->v];

	if (it->v == V_RESTORE)
		cgw_log(CGW_LOG_NOTICE,
			"restore %s %s: %s -> %s (--restore after a crash)",
			e->path, e->file, it->cur, e->value);
	else if (it->v == V_ERROR)
		cgw_log(CGW_LOG_ERR, "cannot restore %s/%s to '%s': %s",
			e->path, e->file, e->value, strerror(-it->err));
	else
		cgw_log(it->v == V_SAME ? CGW_LOG_INFO : CGW_LOG_WARNING,
			"%s/%s: %s%s%s%s", e->path, e->file, why,
			it->cur[0] ? " (holds " : "", it->cur,
			it->cur[0] ? ")" : "");
	if (!json)
		return;
	printf("{\"type\":\"%s\",\"name\":\"-\",\"path\":",
	       it->v == V_RESTORE ? "restore" : "restore_skipped");
	cgw_json_str(stdout, e->path);
	printf(",\"file\":");
	cgw_json_str(stdout, e->file);
	printf(",\"old\":");
	cgw_json_str(stdout, it->cur);
	printf(",\"new\":");
	cgw_json_str(stdout, e->value);
	printf(",\"reason\":");
	cgw_json_str(stdout,
		     it->v == V_RESTORE ? "--restore after a crash" : why);
	printf(",\"cgid\":%" PRIu64 ",\"t_written_ns\":%" PRIu64 "}\n", e->cgid,
	       it->v == V_RESTORE ? cgw_now_ns() : 0);
	fflush(stdout);
}

struct run {
	struct cgw_state st;
	struct cgw_hier h;
	struct item *items;
};

/* Is @e a cpu.idle entry?  Those are classified and restored first. */
static bool idle_entry(const struct run *r, const struct cgw_state_entry *e)
{
	const char *idle = cgw_cpuctl_idle_name(r->h.mode);

	return idle && !strcmp(e->file, idle);
}

/*
 * Classifies the cpu.idle entries (@idle) or the others.  cpu.idle goes
 * first: while it is 1 the kernel refuses weight writes, and clearing it
 * resets the weight to the default, the value the agent put on file as
 * its own for that weight (actuate.c, idle_set()).
 */
static void classify_pass(struct run *r, bool idle)
{
	for (size_t i = 0; i < r->st.n; i++)
		if (idle_entry(r, &r->st.e[i]) == idle)
			r->items[i].v =
				classify(&r->h, &r->st.e[i], &r->items[i]);
}

/* Reads and validates; 0, -ENOENT (no file) or 1 (refused). */
static int prepare(struct run *r, const char *state_file,
		   const char *cgroup_root)
{
	char err[PATH_MAX + 512];
	int ret;

	ret = cgw_state_read(state_file, &r->st, err, sizeof(err));
	if (ret == -ENOENT)
		return ret;
	if (!ret) {
		ret = cgw_hier_open(cgroup_root, &r->h, err, sizeof(err));
		if (!ret)
			ret = cgw_state_check(state_file, &r->st, r->h.mode,
					      r->h.root, err, sizeof(err));
	}
	if (!ret) {
		r->items = calloc(r->st.n ? r->st.n : 1, sizeof(*r->items));
		if (!r->items) {
			snprintf(err, sizeof(err), "%s: out of memory",
				 state_file);
			ret = -ENOMEM;
		}
	}
	if (ret) {
		cgw_log(CGW_LOG_ERR, "%s; nothing restored", err);
		return 1;
	}
	for (size_t i = 0; i < r->st.n; i++)
		cgw_file_init(&r->items[i].f);
	return 0;
}

static void run_free(struct run *r)
{
	for (size_t i = 0; r->items && i < r->st.n; i++)
		cgw_file_close(&r->items[i].f);
	free(r->items);
	cgw_state_free(&r->st);
	cgw_hier_close(&r->h);
}

/* Keeps only the entries that failed (V_ERROR), or removes the file. */
static int rewrite(struct run *r, const char *state_file)
{
	char err[PATH_MAX + 256];
	size_t kept = 0;
	int ret;

	for (size_t i = 0; i < r->st.n; i++) {
		struct cgw_state_entry *e = &r->st.e[i];

		if (r->items[i].v != V_ERROR)
			continue;
		/* the record file goes with the rewrite: keep the newest
		 * values its record named in the state file itself */
		if (e->rwritten[0])
			memcpy(e->written, e->rwritten, sizeof(e->written));
		if (e->rnext[0])
			memcpy(e->next, e->rnext, sizeof(e->next));
		r->st.e[kept++] = *e;
	}
	r->st.n = kept;
	ret = kept ? cgw_state_write(state_file, &r->st, err, sizeof(err)) :
		     cgw_state_remove(state_file, err, sizeof(err));
	if (ret)
		cgw_log(CGW_LOG_ERR, "%s", err);
	return ret;
}

int restore_from_state(const char *state_file, const char *cgroup_root,
		       bool json)
{
	struct run r = { .h.root_fd = -1 };
	size_t restored = 0, dropped = 0, failed = 0;
	int ret;

	ret = prepare(&r, state_file, cgroup_root);
	if (ret == -ENOENT) {
		cgw_log(CGW_LOG_INFO, "%s: no state file: nothing to restore",
			state_file);
		return 0;
	}
	if (ret)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		classify_pass(&r, pass == 0);
		for (size_t i = 0; i < r.st.n; i++) {
			struct item *it = &r.items[i];
			enum cgw_set res;

			if (idle_entry(&r, &r.st.e[i]) != (pass == 0))
				continue;
			if (it->v == V_RESTORE) {
				ret = cgw_file_restore(&it->f, false, it->cur,
						       sizeof(it->cur), &res);
				if (ret) {
					it->v = V_ERROR;
					it->err = ret;
				} else if (res == CGW_SET_FOREIGN) {
					it->v = V_FOREIGN; /* changed meanwhile */
				}
			}
			report(&r.st.e[i], it, json);
			restored += it->v == V_RESTORE || it->v == V_SAME;
			failed += it->v == V_ERROR;
			dropped += it->v != V_RESTORE && it->v != V_SAME &&
				   it->v != V_ERROR;
		}
	}
	cgw_log(CGW_LOG_NOTICE,
		"%s: %zu restored, %zu dropped (gone or not ours), %zu failed",
		state_file, restored, dropped, failed);
	ret = rewrite(&r, state_file) || failed ? 1 : 0;
out:
	run_free(&r);
	return ret;
}

int restore_check_leftover(const char *state_file, const char *cgroup_root,
			   bool json)
{
	struct run r = { .h.root_fd = -1 };
	size_t pending = 0;
	int ret;

	ret = prepare(&r, state_file, cgroup_root);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		goto out;
	classify_pass(&r, true);
	classify_pass(&r, false);
	for (size_t i = 0; i < r.st.n; i++)
		pending += r.items[i].v == V_RESTORE || r.items[i].v == V_ERROR;
	if (pending) {
		cgw_log(CGW_LOG_ERR,
			"%s: a previous run left %zu value%s to restore; run 'cgwarden --restore' first",
			state_file, pending, pending == 1 ? "" : "s");
		ret = 1;
		goto out;
	}
	for (size_t i = 0; i < r.st.n; i++)
		report(&r.st.e[i], &r.items[i], json);
	cgw_log(CGW_LOG_NOTICE,
		"%s: nothing left to restore (%zu entries dropped); starting",
		state_file, r.st.n);
	ret = rewrite(&r, state_file) ? 1 : 0;
out:
	run_free(&r);
	return ret;
}
