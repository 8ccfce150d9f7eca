// SPDX-License-Identifier: GPL-2.0
/*
 * Actuation.  Breach records arrive here from the ring buffer; the policy
 * arithmetic lives in core/policy.c, the careful file writes in
 * core/cgfile.c, the crash-safe originals in core/state.c.
 *
 *  min_share breach: raise the cgroup's weight against its competing
 *    siblings (cgw_policy_raise).  If weights cannot do it (the siblings
 *    are idle, the weight is clamped, the sibling set as a whole gets too
 *    little, or a repeated breach finds the weight already where the
 *    arithmetic puts it), escalate: cap the active competitors - siblings
 *    of the cgroup and of each of its ancestors - so the promised share is
 *    free.
 *  max_share breach: cap the cgroup's quota at its maximum.
 *  Caps keep the cgroup's own CFS period: a period as short as a window
 *  cannot be enforced at tick granularity (measured at HZ=250: a 25% cap
 *  over 10 ms periods let 29-49% through).  The kernel side therefore
 *  clears a max_share breach only after a whole period of good windows.
 *  clear: after `hold` of slack, step every changed value back toward its
 *    original, one write per cgroup per cooldown, until it is original.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actuate.h"
#include "json.h"
#include "log.h"
#include "state.h"
#include "units.h"

#define ACT_MAX_NODES 1024
#define ACT_ACTIVE_PPM 5000 /* 0.5% of the machine */

static const char *weight_file(const struct act_ctx *a)
{
	return cgw_cpuctl_weight_name(a->hier->mode);
}

static const char *quota_file(const struct act_ctx *a)
{
	return cgw_cpuctl_quota_name(a->hier->mode);
}

static const char *idle_file(const struct act_ctx *a)
{
	return cgw_cpuctl_idle_name(a->hier->mode);
}

static uint64_t wmin(const struct act_ctx *a)
{
	return cgw_cpuctl_weight_min(a->hier->mode);
}

static uint64_t wmax(const struct act_ctx *a)
{
	return cgw_cpuctl_weight_max(a->hier->mode);
}

static const char *group_name(const struct act_ctx *a, int g)
{
	return g >= 0 ? a->cfg->groups[g].name : "-";
}

static const char *dirname_of(const char *rel, char *buf, size_t len)
{
	const char *slash = strrchr(rel, '/');

	snprintf(buf, len, "%.*s", slash ? (int)(slash - rel) : 0, rel);
	return buf;
}

static bool same_parent(const char *a, const char *b)
{
	char pa[PATH_MAX], pb[PATH_MAX];

	return !strcmp(dirname_of(a, pa, sizeof(pa)),
		       dirname_of(b, pb, sizeof(pb)));
}

/* --- state file ----------------------------------------------------- */

/* Closes the state's record file, if open. */
static void rec_close(struct act_ctx *a)
{
	if (a->rec_fd >= 0)
		close(a->rec_fd);
	a->rec_fd = -1;
}

/*
 * Rewrites the state file (atomically and durably, core/state.c) with
 * every file the agent may write: each watched cgroup's weight and quota
 * file with its original, its cgroup id and, once changed, the value last
 * written; plus @pending_next for @pending, the file about to be written.
 * Done before attach (act_record()), when the set of files changes (a
 * cgroup added, a file released) and on the rare write that finds a file
 * changed by someone else before our first write.  Every other write only
 * puts one record in the record file (record() below): one pwrite(), no
 * rename, no fsync, so no write of an episode waits for the disk (issue
 * 12).  Either way the values a cgroup file may hold after a crash, the
 * last written and the one being written, are on file before the write:
 * `--restore` would otherwise take the agent's value for someone else's.
 */
static int save_state(struct act_ctx *a, const struct cgw_file *pending,
		      const char *pending_next)
{
	struct cgw_state st = { .e = NULL };
	struct cgw_file **idx;
	char err[512];
	int ret;

	if (a->dry_run || !a->state_file)
		return 0;
	snprintf(st.root, sizeof(st.root), "%s", a->hier->root);
	snprintf(st.mode, sizeof(st.mode), "%s", cgw_mode_name(a->hier->mode));
	st.e = calloc(a->nnodes * 3 + 1, sizeof(*st.e));
	idx = calloc(a->nnodes * 3 + 1, sizeof(*idx));
	if (!st.e || !idx) {
		cgw_log(CGW_LOG_ERR, "state file: out of memory");
		free(st.e);
		free(idx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->nnodes; i++) {
		/* cpu.idle first: --restore clears it before the weight */
		struct cgw_file *fs[] = { &a->nodes[i].idle,
					  &a->nodes[i].weight,
					  &a->nodes[i].quota };

		/* a vanished cgroup has nothing left to restore */
		if (a->nodes[i].gone)
			continue;
		for (int k = 0; k < 3; k++) {
			struct cgw_state_entry *e = &st.e[st.n];

			fs[k]->rec = -1;
			if (a->nodes[i].gone || fs[k]->released ||
			    fs[k]->fd < 0 || !fs[k]->original[0])
				continue;
			snprintf(e->path, sizeof(e->path), "%s", fs[k]->rel);
			snprintf(e->file, sizeof(e->file), "%s", fs[k]->name);
			e->cgid = a->nodes[i].cgid;
			snprintf(e->value, sizeof(e->value), "%s",
				 fs[k]->original);
			if (fs[k]->changed)
				snprintf(e->written, sizeof(e->written), "%s",
					 fs[k]->written);
			if (fs[k] == pending)
				snprintf(e->next, sizeof(e->next), "%s",
					 pending_next);
			idx[st.n++] = fs[k];
		}
	}
	ret = cgw_state_write(a->state_file, &st, err, sizeof(err));
	if (ret) {
		cgw_log(CGW_LOG_ERR, "%s", err);
		goto out;
	}
	/* the write removed the old record file: records start afresh */
	rec_close(a);
	a->rec_fd =
		st.n ? cgw_state_rec_create(a->state_file, err, sizeof(err)) :
		       -1;
	if (st.n && a->rec_fd < 0)
		cgw_log(CGW_LOG_WARNING,
			"%s; every write rewrites the state file instead", err);
	for (size_t i = 0; a->rec_fd >= 0 && i < st.n; i++)
		idx[i]->rec = (long)i;
out:
	free(st.e);
	free(idx);
	return ret;
}

/*
 * Puts on file, before @f of node @n is written, the value @want about to
 * be written: one record in place, or a state file rewrite where a record
 * cannot say it (see save_state()).  @cur is what the file holds now.
 */
static int record(struct act_ctx *a, struct act_node *n, struct cgw_file *f,
		  const char *cur, const char *want)
{
	int ret;

	if (a->dry_run || !a->state_file)
		return 0;
	if (!f->changed && strcmp(cur, f->original)) {
		/* changed by someone else since we recorded it, before our
		 * first write: that value is the one to restore now */
		snprintf(f->original, sizeof(f->original), "%s", cur);
		return save_state(a, f, want);
	}
	if (f->rec < 0 || a->rec_fd < 0)
		return save_state(a, f, want);
	ret = cgw_state_rec_put(a->rec_fd, (size_t)f->rec, ++f->rec_seq,
				n->cgid, f->name, f->changed ? f->written : "",
				want);
	if (ret == -E2BIG)
		return save_state(a, f, want);
	if (ret)
		cgw_log(CGW_LOG_ERR, "%s.rec: %s", a->state_file,
			strerror(-ret));
	return ret;
}

int act_record(struct act_ctx *a)
{
	a->recorded = true;
	return save_state(a, NULL, NULL);
}

/* --- writes --------------------------------------------------------- */

static void report(const struct act_ctx *a, const char *type, const char *name,
		   const struct cgw_file *f, const char *old, const char *new,
		   const char *reason, uint64_t t_event, uint64_t t_written,
		   bool saved)
{
	char after[64] = "";

	if (t_event && t_written > t_event)
		snprintf(after, sizeof(after), ", %.1f us after the breach",
			 (double)(t_written - t_event) / 1e3);
	/* one line per action: old -> new (why) */
	cgw_log(CGW_LOG_NOTICE, "%s%s [%s] %s %s: %s -> %s (%s)%s", type,
		a->dry_run ? " (dry run)" : "", name, f->rel, f->name, old, new,
		reason, after);
	if (!a->json)
		return;
	printf("{\"type\":\"%s\",\"name\":", type);
	cgw_json_str(stdout, name);
	printf(",\"path\":");
	cgw_json_str(stdout, f->rel);
	printf(",\"file\":\"%s\",\"old\":", f->name);
	cgw_json_str(stdout, old);
	printf(",\"new\":");
	cgw_json_str(stdout, new);
	printf(",\"reason\":");
	cgw_json_str(stdout, reason);
	printf(",\"dry_run\":%s,\"saved_original\":%s,\"t_event_ns\":%" PRIu64
	       ",\"t_recv_ns\":%" PRIu64 ",\"t_written_ns\":%" PRIu64 "}\n",
	       a->dry_run ? "true" : "false", saved ? "true" : "false", t_event,
	       t_event ? a->t_recv_ns : 0, t_written);
	fflush(stdout);
}

static struct cgw_rl *file_rl(struct act_node *n, const struct cgw_file *f)
{
	return f == &n->weight ? &n->rlw : f == &n->idle ? &n->rli : &n->rlq;
}

/* Steps back toward the original relax; the rest raises or tightens. */
static enum cgw_rl_dir why_dir(enum cgw_why why)
{
	switch (why) {
	case CGW_WHY_RELAX:
	case CGW_WHY_ORIGINAL:
	case CGW_WHY_UNCAP:
	case CGW_WHY_UNIDLE:
		return CGW_RL_RELAX;
	default:
		return CGW_RL_RAISE;
	}
}

/* Writes @want to @f of node @n: 0 written (or dry run), 1 nothing to do,
 * <0 error (the node is marked gone when its cgroup vanished). */
static int act_write(struct act_ctx *a, struct act_node *n, struct cgw_file *f,
		     const char *want, int g, enum cgw_why why,
		     const char *reason, uint64_t t_event)
{
	bool was_changed = f->changed;
	char old[CGW_STATE_VALUE_MAX];
	struct cgw_rl *rl = file_rl(n, f);
	enum cgw_rl_dir dir = why_dir(why);
	enum cgw_set res;
	uint64_t t_written;
	bool saved = false;
	int ret;

	/* one rule per file for every path that writes (restore excepted):
	 * one write per cooldown, no relax before hold since the last raise */
	if (cgw_rl_check(rl, dir, cgw_now_ns(), a->cfg->cooldown_ns,
			 a->cfg->hold_ns) != CGW_RL_OK) {
		rl->refused++;
		a->deferred++;
		return 1;
	}

	/* One read: foreign writes, nothing to do, or a write.  A write puts
	 * the value it is about to write on file first (record()); without
	 * that on file there is no write (a crash would make our value look
	 * like someone else's to --restore). */
	ret = cgw_file_check(f, want, a->dry_run, old, sizeof(old), &res);
	if (!ret && res == CGW_SET_WRITTEN) {
		saved = !f->changed && a->state_file;
		ret = record(a, n, f, old, want);
		if (ret) {
			cgw_log(CGW_LOG_ERR,
				"[%s] %s/%s not written: the value could not be recorded for --restore",
				group_name(a, g), f->rel, f->name);
			return ret;
		}
		ret = cgw_file_commit(f, want, old);
	}
	t_written = cgw_now_ns();
	if (ret) {
		cgw_log(CGW_LOG_ERR, "[%s] %s/%s: cannot write '%s': %s",
			group_name(a, g), f->rel, f->name, want,
			strerror(-ret));
		if (ret == -ENOENT || ret == -ENODEV) {
			n->gone = true;
			cgw_log(CGW_LOG_WARNING,
				"cgroup %s vanished; no longer managed",
				n->rel);
		}
		return ret;
	}
	switch (res) {
	case CGW_SET_SAME:
		a->skipped++;
		return 1;
	case CGW_SET_FOREIGN:
		if (!was_changed)
			return 1;
		a->released++;
		f->released_ns = cgw_now_ns();
		cgw_log(CGW_LOG_WARNING,
			"[%s] %s/%s changed by someone else (%s, we wrote %s): no longer managed%s",
			group_name(a, g), f->rel, f->name, old, f->written,
			a->cfg->retake_ns ? " until retake" : "");
		/* the JSON stream says it too: old is ours, new theirs */
		report(a, "released", group_name(a, g), f, f->written, old,
		       "changed by someone else", 0, f->released_ns, false);
		save_state(a, NULL, NULL);
		return 1;
	default:
		break;
	}
	cgw_rl_wrote(rl, dir, t_written);
	a->writes++;
	a->writes_by[why]++;
	if (t_event && t_written > t_event)
		cgw_hist_observe(&a->reaction, t_written - t_event);
	report(a, "action", group_name(a, g), f, old, want, reason, t_event,
	       t_written, saved);
	return 0;
}

static bool node_may_write(const struct act_ctx *a, const struct act_node *n,
			   uint64_t now)
{
	uint64_t cd = a->cfg->cooldown_ns;

	return cgw_relax_may_write(&n->rw, now, cd) &&
	       cgw_relax_may_write(&n->rq, now, cd) &&
	       cgw_relax_may_write(&n->ri, now, cd);
}

static void mark_written(struct cgw_relax *r, uint64_t now)
{
	/* an escalation or raise write: the episode is active */
	r->last_write_ns = now;
	cgw_relax_breach(r);
}

/* --- nodes ---------------------------------------------------------- */

/* Reads @n's weight, quota and cpu.idle as they are now: the originals
 * recorded in the state file before any write, and the weight the model
 * starts from. */
static int read_originals(struct act_node *n)
{
	int ret = cgw_file_read(&n->weight, n->weight.original,
				sizeof(n->weight.original));

	if (ret >= 0)
		ret = cgw_file_read(&n->quota, n->quota.original,
				    sizeof(n->quota.original));
	if (ret >= 0 && n->idle.fd >= 0 &&
	    cgw_file_read(&n->idle, n->idle.original,
			  sizeof(n->idle.original)) < 0)
		cgw_file_close(&n->idle); /* not managed: never written */
	if (ret < 0)
		return ret;
	n->weight_now = strtoull(n->weight.original, NULL, 10);
	return 0;
}

static void read_period(struct act_ctx *a, struct act_node *n)
{
	n->period_us = act_cfs_period_us(a->hier, n->rel);
}

/* The cap @n has now, in ppm of the machine (UINT32_MAX: none). */
static uint32_t cap_now(struct act_ctx *a, struct act_node *n)
{
	uint64_t q, ppm;
	char buf[64];

	if (cgw_file_read(&n->quota, buf, sizeof(buf)) < 0)
		return UINT32_MAX;
	q = cgw_cpuctl_quota_of(buf, NULL);
	if (q == CGW_QUOTA_MAX || !n->period_us)
		return UINT32_MAX;
	ppm = q * CGW_PPM / (n->period_us * a->ncpus);
	return ppm > CGW_PPM ? UINT32_MAX : (uint32_t)ppm;
}

/* Caps @n at @share of the machine, at the cgroup's own CFS period. */
static int set_cap(struct act_ctx *a, struct act_node *n, uint32_t share, int g,
		   enum cgw_why why, const char *reason, uint64_t t_event)
{
	uint64_t q = cgw_quota_us(share, a->ncpus, n->period_us);
	char want[64];

	cgw_cpuctl_format_quota(a->hier->mode, q, n->period_us, want,
				sizeof(want));
	return act_write(a, n, &n->quota, want, g, why, reason, t_event);
}

/* The live node of cgroup @rel: one removed and recreated at the same
 * path is a new cgroup, with a node of its own. */
static int find_node(const struct act_ctx *a, const char *rel)
{
	for (size_t i = 0; i < a->nnodes; i++)
		if (!a->nodes[i].gone && !strcmp(a->nodes[i].rel, rel))
			return (int)i;
	return -1;
}

static int node_add(struct act_ctx *a, const char *rel, int group,
		    uint64_t cgid, uint32_t slot)
{
	struct act_node *n;
	int ret;

	if (a->nnodes == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		void *p;

		if (cap > ACT_MAX_NODES)
			return -ENOSPC;
		p = realloc(a->nodes, cap * sizeof(*a->nodes));
		if (!p)
			return -ENOMEM;
		a->nodes = p;
		a->cap = cap;
	}
	n = &a->nodes[a->nnodes];
	memset(n, 0, sizeof(*n));
	cgw_file_init(&n->weight);
	cgw_file_init(&n->quota);
	cgw_file_init(&n->idle);
	snprintf(n->rel, sizeof(n->rel), "%s", rel);
	n->group = group;
	n->capped_for = -1;
	n->idled_for = -1;
	/* O_PATH: to notice the cgroup vanishing (act_check_gone) */
	n->dirfd = cgw_hier_openat(a->hier, rel, O_PATH | O_DIRECTORY);
	if (n->dirfd < 0)
		return n->dirfd;
	ret = cgw_file_open(&n->weight, a->hier, rel, weight_file(a));
	if (!ret)
		ret = cgw_file_open(&n->quota, a->hier, rel, quota_file(a));
	/* cpu.idle (5.15+) is optional: without it a wait promise has no
	 * second stage (wait_idle() says so) */
	if (!ret && cgw_file_open(&n->idle, a->hier, rel, idle_file(a)))
		cgw_file_close(&n->idle);
	if (!ret)
		ret = read_originals(n);
	if (!ret && group < 0)
		ret = cgw_hier_cgid(a->hier, rel, &cgid);
	if (!ret && group < 0)
		ret = warden_watch(a->w, cgid, 0, 0, 0, &slot);
	if (ret) {
		cgw_file_close(&n->weight);
		cgw_file_close(&n->quota);
		cgw_file_close(&n->idle);
		close(n->dirfd);
		return ret;
	}
	n->cgid = cgid;
	n->slot = slot;
	n->ctl.orig = n->weight_now;
	read_period(a, n);
	if (slot < CGW_MAX_SLOTS)
		a->slot_node[slot] = (int)a->nnodes;
	a->nnodes++;
	/* after the start, a new cgroup's originals go on file at once */
	if (a->recorded && save_state(a, NULL, NULL))
		cgw_log(CGW_LOG_WARNING,
			"%s: originals not recorded yet; recorded before its first write",
			rel);
	return (int)(a->nnodes - 1);
}

/* True when @rel is @scope or below it. */
static bool in_scope(const char *rel, const char *scope)
{
	size_t n = strlen(scope);

	return !strncmp(rel, scope, n) && (rel[n] == '\0' || rel[n] == '/');
}

/*
 * Adds every cgroup beside @rel and beside each of its ancestors, as far
 * up as @scope: the agent never looks at (nor writes to) anything outside
 * the subtree the operator gave it.
 */
static void discover(struct act_ctx *a, const char *rel, const char *scope)
{
	char prefix[PATH_MAX], parent[PATH_MAX], child[PATH_MAX * 2];
	struct dirent *d;
	DIR *dir;
	int fd;

	snprintf(prefix, sizeof(prefix), "%s", rel);
	while (prefix[0] && strcmp(prefix, scope)) {
		dirname_of(prefix, parent, sizeof(parent));
		if (!in_scope(parent, scope))
			break;
		fd = cgw_hier_openat(a->hier, parent, O_RDONLY | O_DIRECTORY);
		dir = fd >= 0 ? fdopendir(fd) : NULL;
		if (!dir && fd >= 0)
			close(fd);
		while (dir && (d = readdir(dir))) {
			int ret;

			if (d->d_type != DT_DIR || d->d_name[0] == '.')
				continue;
			snprintf(child, sizeof(child), "%s%s%s", parent,
				 parent[0] ? "/" : "", d->d_name);
			if (!strcmp(child, prefix) || find_node(a, child) >= 0)
				continue;
			ret = node_add(a, child, -1, 0, 0);
			if (ret < 0 && ret != -ENOENT)
				cgw_log(CGW_LOG_WARNING,
					"cannot follow competitor %s: %s",
					child, strerror(-ret));
		}
		if (dir)
			closedir(dir);
		memcpy(prefix, parent, sizeof(prefix));
	}
}

uint64_t act_cfs_period_us(const struct cgw_hier *h, const char *rel)
{
	char buf[64] = "", path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", rel[0] ? rel : ".",
		 cgw_cpuctl_period_name(h->mode));
	fd = cgw_hier_openat(h, path, O_RDONLY);
	if (fd >= 0) {
		if (cgw_read_fd(fd, buf, sizeof(buf)) <= 0)
			buf[0] = '\0';
		close(fd);
	}
	return cgw_cpuctl_period_of(h->mode, buf);
}

int act_init(struct act_ctx *a, const struct cgw_hier *h,
	     const struct cgw_config *cfg, struct warden *w,
	     const char *state_file, bool dry_run, bool json)
{
	memset(a, 0, sizeof(*a));
	a->rec_fd = -1;
	a->hier = h;
	a->cfg = cfg;
	a->w = w;
	a->state_file = state_file;
	a->dry_run = dry_run;
	a->json = json;
	a->ncpus = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	a->active_ppm = ACT_ACTIVE_PPM;
	for (size_t i = 0; i < CGW_MAX_SLOTS; i++)
		a->slot_node[i] = -1;
	a->ctl.deadband_ppm = cfg->deadband_ppm;
	/* a write shows in the slow average (32 windows) after a few
	 * spans: feedback waits that long before it judges a step */
	a->ctl.settle_ns = 4 * cfg->span_ns;
	a->ctl.wmin = wmin(a);
	a->ctl.wmax = wmax(a);
	/* the table of selected cgroups grows while the agent runs */
	a->group_node = calloc(CGW_MAX_GROUPS, sizeof(*a->group_node));
	a->breaches = calloc(CGW_MAX_GROUPS, sizeof(*a->breaches));
	return a->group_node && a->breaches ? 0 : -ENOMEM;
}

int act_add_group(struct act_ctx *a, int group, uint64_t cgid, uint32_t slot)
{
	const struct cgw_group_cfg *gc = &a->cfg->groups[group];
	int i = find_node(a, gc->path);

	if (i >= 0) { /* found earlier as a sibling: adopt it, with the
		       * slot that holds the group's constraints */
		if (a->nodes[i].group >= 0)
			return -EEXIST;
		a->nodes[i].group = group;
		a->nodes[i].cgid = cgid;
		if (a->nodes[i].slot != slot && slot < CGW_MAX_SLOTS) {
			a->slot_node[a->nodes[i].slot] = -1;
			a->nodes[i].slot = slot;
			a->slot_node[slot] = i;
		}
		a->group_node[group] = i;
	} else {
		i = node_add(a, gc->path, group, cgid, slot);
		if (i < 0)
			return i;
		a->group_node[group] = i;
	}
	if (!gc->min_ppm && !gc->max_wait_ns)
		return 0;
	discover(a, gc->path, gc->scope);
	/* its siblings report when they start and stop competing */
	for (size_t k = 0; k < a->nnodes; k++)
		if (same_parent(a->nodes[k].rel, gc->path) &&
		    k != (size_t)a->group_node[group])
			warden_set_notify(a->w, a->nodes[k].slot, true);
	return 0;
}

/* Good windows to clear a max breach: a whole CFS period of the cgroup,
 * during which a cap lets it run and then throttles it. */
static uint32_t clear_max(const struct act_ctx *a, const char *rel)
{
	uint64_t period_ns = act_cfs_period_us(a->hier, rel) * 1000;
	uint64_t n = (period_ns + a->cfg->window_ns - 1) / a->cfg->window_ns;

	return (uint32_t)(n + 1 > a->cfg->clear_windows ?
				  n + 1 :
				  a->cfg->clear_windows);
}

int act_watch_group(struct act_ctx *a, int group)
{
	const struct cgw_group_cfg *gc = &a->cfg->groups[group];
	uint32_t cm = clear_max(a, gc->path), slot;
	uint64_t cgid;
	int ret, i;

	ret = cgw_hier_cgid(a->hier, gc->path, &cgid);
	if (ret)
		return ret;
	ret = warden_watch(a->w, cgid, gc->min_ppm, gc->max_ppm, cm, &slot);
	i = find_node(a, gc->path);
	if (ret == -EBUSY && i >= 0 && a->nodes[i].group < 0) {
		/* a sibling so far, and the window clock owns its slot: its
		 * constraints go to a fresh one */
		warden_unwatch(a->w, a->nodes[i].slot);
		ret = warden_watch(a->w, cgid, gc->min_ppm, gc->max_ppm, cm,
				   &slot);
	}
	if (!ret)
		ret = act_add_group(a, group, cgid, slot);
	if (!ret && gc->max_wait_ns) {
		struct cgw_wait_params wp;

		ret = cgw_wait_params(gc->max_wait_ns, gc->wait_pmil, &wp);
		if (!ret)
			ret = warden_set_wait(a->w, slot, &wp);
	}
	return ret;
}

/* --- the model's inputs ----------------------------------------------- */

static void estimate_of(struct act_ctx *a, const struct act_node *n,
			struct cgw_slot *st)
{
	if (warden_last_window(a->w, n->slot, st))
		memset(st, 0, sizeof(*st));
}

/* Windows in a full estimate (the kernel's span_windows). */
static uint32_t span_windows(const struct act_ctx *a)
{
	return (uint32_t)((a->cfg->span_ns + a->cfg->window_ns / 2) /
			  a->cfg->window_ns);
}

/*
 * @n (as member 0) and its siblings, as the sliding estimate sees them.  A
 * sibling competes when the kernel reported it ACTIVE, or its share over
 * the span says so.  One whose estimate does not span a whole window set
 * yet (it just started) is taken to want everything: its demand so far
 * says nothing about what it will take.  A sibling never seen by a window
 * does not compete (no invented shares).
 */
static void member_of(struct act_ctx *a, const struct act_node *o,
		      struct cgw_member *m, uint64_t now)
{
	struct cgw_slot st;

	estimate_of(a, o, &st);
	m->weight = o->weight_now;
	m->share_ppm = st.slow_share_ppm;
	m->span_ppm = st.share_ppm;
	m->long_ppm = st.long_share_ppm;
	m->demand_ppm = (st.nwin && st.nwin < span_windows(a)) ||
					now < o->newcomer_until ?
				CGW_PPM :
				st.demand_ppm;
	m->active = st.nwin && (st.busy || st.demand_ppm >= a->active_ppm);
}

static size_t members(struct act_ctx *a, const struct act_node *n,
		      struct cgw_member *m, size_t max)
{
	uint64_t now = cgw_now_ns();
	size_t k = 1;

	member_of(a, n, &m[0], now);
	for (size_t i = 0; i < a->nnodes && k < max; i++) {
		struct act_node *o = &a->nodes[i];

		if (o != n && !o->gone && same_parent(o->rel, n->rel))
			member_of(a, o, &m[k++], now);
	}
	return k;
}

/* The machine's idle time, as a member that never competes. */
static void idle_of(struct act_ctx *a, struct cgw_member *idle)
{
	struct cgw_slot st;

	memset(idle, 0, sizeof(*idle));
	if (warden_last_window(a->w, CGW_IDLE_SLOT, &st))
		return;
	idle->share_ppm = st.slow_share_ppm;
	idle->span_ppm = st.share_ppm;
	idle->long_ppm = st.long_share_ppm;
}

static int setpoint_of(struct act_ctx *a, const struct act_node *n,
		       struct cgw_setpoint *sp)
{
	static struct cgw_member m[ACT_MAX_NODES];
	const struct cgw_group_cfg *gc = &a->cfg->groups[n->group];
	size_t k = members(a, n, m, ACT_MAX_NODES);
	struct cgw_member idle;

	idle_of(a, &idle);
	return cgw_setpoint(m, k, 0, &idle, gc->min_ppm, a->cfg->margin_ppm,
			    wmin(a), wmax(a), sp);
}

/* The cgroup wants its minimum: it waits and run + wait reaches it. */
static bool has_demand(const struct act_ctx *a, const struct cgw_slot *st,
		       uint32_t min_ppm)
{
	(void)a;
	return st->span_wait_ns && st->demand_ppm >= min_ppm;
}

/* --- escalation -------------------------------------------------------- */

static void escalate(struct act_ctx *a, int g, struct act_node *n,
		     uint32_t target, uint32_t share, uint64_t t_event,
		     uint64_t now)
{
	static struct cgw_sib comp[ACT_MAX_NODES];
	static uint32_t cap[ACT_MAX_NODES];
	static int idx[ACT_MAX_NODES];
	char prefix[PATH_MAX], up[PATH_MAX], reason[256];
	size_t k = 0;
	int ret;

	/* competitors: the cgroups beside n and beside each of its
	 * ancestors that discover() found, all inside the group's scope */
	snprintf(prefix, sizeof(prefix), "%s", n->rel);
	while (prefix[0]) {
		for (size_t i = 0; i < a->nnodes && k < ACT_MAX_NODES; i++) {
			struct act_node *m = &a->nodes[i];
			struct cgw_slot st;

			/* never cap a cgroup that is promised a minimum */
			if (m->gone || !strcmp(m->rel, prefix) ||
			    !same_parent(m->rel, prefix) ||
			    !in_scope(m->rel, a->cfg->groups[g].scope) ||
			    (m->group >= 0 && a->cfg->groups[m->group].min_ppm))
				continue;
			estimate_of(a, m, &st);
			comp[k].weight = m->weight_now;
			comp[k].share_ppm = st.share_ppm;
			comp[k].wait_ns = st.span_wait_ns;
			idx[k++] = (int)i;
		}
		dirname_of(prefix, up, sizeof(up));
		memcpy(prefix, up, sizeof(prefix));
	}
	ret = cgw_policy_caps(comp, k, target, a->active_ppm, cap);
	if (ret <= 0) {
		cgw_log(CGW_LOG_WARNING, "[%s] %s below min_share: %s",
			group_name(a, g), n->rel,
			ret < 0 ?
				"min_share + margin leaves no room to cap competitors at" :
				"no active competitor to cap; nothing more to do");
		return;
	}
	for (size_t i = 0; i < k; i++) {
		struct act_node *m = &a->nodes[idx[i]];

		if (!cap[i] || !node_may_write(a, m, now) ||
		    cap_now(a, m) <= cap[i])
			continue; /* already capped at least as tight */
		snprintf(
			reason, sizeof(reason),
			"escalation for [%s]: share %.1f%% < min %.1f%% with weights exhausted; cap competitor at %.1f%% (it had %.1f%%)",
			group_name(a, g), share / 1e4,
			a->cfg->groups[g].min_ppm / 1e4, cap[i] / 1e4,
			comp[i].share_ppm / 1e4);
		if (!set_cap(a, m, cap[i], g, CGW_WHY_ESCALATION, reason,
			     t_event)) {
			m->capped_for = g;
			mark_written(&m->rq, now);
		}
	}
}

/* --- the controller of a minimum --------------------------------------- */

static const char *why_name(enum cgw_ctl_why why)
{
	switch (why) {
	case CGW_CTL_SETPOINT:
		return "setpoint";
	case CGW_CTL_FEEDBACK:
		return "feedback";
	case CGW_CTL_RELAX:
		return "relax";
	case CGW_CTL_ORIGINAL:
		return "relax to original";
	default:
		return "none";
	}
}

static enum cgw_why ctl_why(enum cgw_ctl_why why)
{
	switch (why) {
	case CGW_CTL_FEEDBACK:
		return CGW_WHY_FEEDBACK;
	case CGW_CTL_RELAX:
		return CGW_WHY_RELAX;
	case CGW_CTL_ORIGINAL:
		return CGW_WHY_ORIGINAL;
	default:
		return CGW_WHY_SETPOINT;
	}
}

/* Writes the controller's decision for @n's weight; 0 when written. */
static int ctl_write(struct act_ctx *a, struct act_node *n,
		     const struct cgw_ctl_out *o, const struct cgw_setpoint *sp,
		     uint32_t share, const char *cause, uint64_t t_event,
		     uint64_t now)
{
	char want[32], reason[320];
	int ret;

	snprintf(want, sizeof(want), "%" PRIu64, o->weight);
	snprintf(
		reason, sizeof(reason),
		"%s: %s; share %.1f%% of min %.1f%%, model: %.1f%% at setpoint %" PRIu64
		" for target %.1f%% of the set's %.1f%%%s",
		why_name(o->why), cause, share / 1e4,
		a->cfg->groups[n->group].min_ppm / 1e4, sp->predicted_ppm / 1e4,
		sp->weight, sp->target_ppm / 1e4, sp->cap_ppm / 1e4,
		sp->unreachable ? ", unreachable" :
		sp->clamped	? ", clamped" :
				  "");
	ret = act_write(a, n, &n->weight, want, n->group, ctl_why(o->why),
			reason, t_event);
	if (ret)
		return ret;
	n->weight_now = o->weight;
	cgw_ctl_wrote(&n->ctl, o, share, now);
	if (o->why == CGW_CTL_ORIGINAL) {
		cgw_relax_wrote(&n->rw, now, true);
		n->weight.changed = false; /* back where it was */
		warden_set_surplus(a->w, n->slot, 0);
		n->surplus = false;
	} else {
		n->rw.last_write_ns = now ? now : 1;
		warden_set_surplus(
			a->w, n->slot,
			cgw_ctl_surplus_ppm(a->cfg->groups[n->group].min_ppm,
					    a->cfg->margin_ppm));
	}
	return 0;
}

static void report_unreachable(struct act_ctx *a, struct act_node *n,
			       const struct cgw_ctl_out *o,
			       const struct cgw_setpoint *sp)
{
	if (!o->unreachable_edge)
		return;
	if (o->unreachable_edge > 0)
		a->unreachable++;
	cgw_log(CGW_LOG_WARNING,
		"[%s] %s min_share %s: the set of %s's siblings gets %.1f%% of the machine (its shares + idle), the target is %.1f%%%s",
		group_name(a, n->group), n->rel,
		o->unreachable_edge > 0 ? "unreachable" : "reachable again",
		n->rel, sp->cap_ppm / 1e4, sp->target_ppm / 1e4,
		o->unreachable_edge > 0 ?
			": load outside the set takes the rest; weights stay at the model's setpoint" :
			"");
	if (!a->json)
		return;
	printf("{\"type\":\"%s\",\"name\":",
	       o->unreachable_edge > 0 ? "unreachable" : "reachable");
	cgw_json_str(stdout, group_name(a, n->group));
	printf(",\"path\":");
	cgw_json_str(stdout, n->rel);
	printf(",\"cap_ppm\":%u,\"target_ppm\":%u,\"setpoint\":%" PRIu64 "}\n",
	       sp->cap_ppm, sp->target_ppm, sp->weight);
	fflush(stdout);
}

/*
 * Raise @n (a min_share group) if the model or a persisting shortfall
 * says so (core/policy.c decides; only a persisting breach may escalate).
 */
static void control(struct act_ctx *a, struct act_node *n, enum cgw_ctl_ev ev,
		    const char *cause, uint64_t t_event, uint64_t now)
{
	struct cgw_setpoint sp;
	struct cgw_ctl_out o;
	struct cgw_slot st;

	estimate_of(a, n, &st);
	if (setpoint_of(a, n, &sp))
		return;
	cgw_ctl_breach(&n->ctl, &a->ctl, &sp, n->weight_now, st.slow_share_ppm,
		       ev, now, &o);
	report_unreachable(a, n, &o, &sp);
	if (o.why != CGW_CTL_NONE && node_may_write(a, n, now))
		ctl_write(a, n, &o, &sp, st.slow_share_ppm, cause, t_event,
			  now);
	if (o.escalate && ev == CGW_CTL_EV_PERSIST)
		escalate(a, n->group, n, sp.target_ppm, st.slow_share_ppm,
			 t_event, now);
}

static void on_min(struct act_ctx *a, struct act_node *n,
		   const struct cgw_event *e, uint64_t now)
{
	cgw_relax_breach(&n->rw); /* no relax while it is breached */
	if (e->type == CGW_EV_PERSIST)
		control(a, n, CGW_CTL_EV_PERSIST, "breach persists",
			e->t_event_ns, now);
	else
		control(a, n, CGW_CTL_EV_BREACH, "breach", e->t_event_ns, now);
}

/* A competitor started: the model's setpoint of every min_share group
 * beside it that still wants its minimum moves at once. */
static void on_active(struct act_ctx *a, struct act_node *c,
		      const struct cgw_event *e, uint64_t now)
{
	char cause[PATH_MAX + 32];

	snprintf(cause, sizeof(cause), "competitor %s started", c->rel);
	for (size_t i = 0; i < a->nnodes; i++) {
		struct act_node *n = &a->nodes[i];
		struct cgw_slot st;

		if (n == c || n->gone || n->group < 0 ||
		    !a->cfg->groups[n->group].min_ppm ||
		    !same_parent(n->rel, c->rel))
			continue;
		/* judged, like a breach, only on a whole span */
		estimate_of(a, n, &st);
		if (st.nwin < span_windows(a) ||
		    !has_demand(a, &st, a->cfg->groups[n->group].min_ppm))
			continue;
		cgw_relax_breach(&n->rw);
		control(a, n, CGW_CTL_EV_ACTIVE, cause, e->t_event_ns, now);
	}
}

/* --- latency promises ------------------------------------------------ */

/* A sibling of @n (not @n) that the window clock reports busy. */
static bool sibling_busy(struct act_ctx *a, const struct act_node *n)
{
	for (size_t i = 0; i < a->nnodes; i++) {
		const struct act_node *c = &a->nodes[i];
		struct cgw_slot st;

		if (c == n || c->gone || !same_parent(c->rel, n->rel))
			continue;
		if (!warden_last_window(a->w, c->slot, &st) && st.busy)
			return true;
	}
	return false;
}

/*
 * Puts @m's weight on file as ours at the kernel's default, or takes it
 * off again (@on false).  Clearing cpu.idle resets the weight to that
 * default, so a restore (this agent's or --restore after a crash) clears
 * cpu.idle first, then finds the default and puts the original back.
 */
static void idle_weight(struct act_ctx *a, struct act_node *m, bool on)
{
	char orig[CGW_STATE_VALUE_MAX], dfl[32];

	if (!on) {
		m->weight.changed = false;
		m->weight.written[0] = '\0';
		return;
	}
	snprintf(orig, sizeof(orig), "%s", m->weight.original);
	snprintf(dfl, sizeof(dfl), "%" PRIu64,
		 cgw_cpuctl_weight_dfl(a->hier->mode));
	cgw_file_adopt(&m->weight, orig, dfl);
}

/*
 * Second stage of @n's wait promise, its weight at the bound and its
 * waits still over: every busy competitor beside it (inside the group's
 * scope, without a promise of its own) becomes SCHED_IDLE.  Their weights
 * go on file first, in one state file write; a write that fails takes its
 * weight off again.  Caps, the third stage, are not built.
 */
static void wait_idle(struct act_ctx *a, struct act_node *n,
		      const struct cgw_event *e, uint64_t now)
{
	static int idx[ACT_MAX_NODES];
	const struct cgw_group_cfg *gc = &a->cfg->groups[n->group];
	size_t cand = 0, k = 0;
	bool undo = false;
	char reason[256], lim[16];

	cgw_format_duration(gc->max_wait_ns, lim, sizeof(lim));
	snprintf(reason, sizeof(reason),
		 "max_wait for [%s]: %u of %u waits above %s with its weight at the bound; competitor made SCHED_IDLE",
		 group_name(a, n->group), e->share_ppm, e->demand_ppm, lim);
	for (size_t i = 0; i < a->nnodes && k < ACT_MAX_NODES; i++) {
		struct act_node *m = &a->nodes[i];
		const struct cgw_group_cfg *mc =
			m->group >= 0 ? &a->cfg->groups[m->group] : NULL;
		struct cgw_wait_comp c = { .has_idle = false };
		char cur[CGW_STATE_VALUE_MAX] = "";
		struct cgw_slot st;

		if (m == n || m->gone || !same_parent(m->rel, n->rel) ||
		    !in_scope(m->rel, gc->scope))
			continue;
		estimate_of(a, m, &st);
		c.busy = st.nwin && st.busy;
		c.promised = mc && (mc->min_ppm || mc->max_wait_ns);
		c.weight_ours = m->weight.changed || m->weight.released;
		c.has_idle = m->idle.fd >= 0 && !m->idle.released;
		c.idle = m->idle.changed ||
			 (c.has_idle &&
			  cgw_file_read(&m->idle, cur, sizeof(cur)) >= 0 &&
			  strcmp(cur, "0"));
		if (!cgw_wait_idle_pick(&c))
			continue;
		cand++;
		if (node_may_write(a, m, now))
			idx[k++] = (int)i;
	}
	if (!cand && !n->wait_idle_none)
		cgw_log(CGW_LOG_WARNING,
			"[%s] %s max_wait %s: no busy competitor to make SCHED_IDLE (%s); nothing more to do",
			group_name(a, n->group), n->rel, lim,
			n->idle.fd >= 0 ?
				"all idle already, promised, or weighted by the agent" :
				"this kernel has no cpu.idle");
	n->wait_idle_none = !cand;
	if (!k)
		return;
	if (!a->dry_run) {
		for (size_t i = 0; i < k; i++)
			idle_weight(a, &a->nodes[idx[i]], true);
		if (save_state(a, NULL, NULL)) {
			for (size_t i = 0; i < k; i++)
				idle_weight(a, &a->nodes[idx[i]], false);
			save_state(a, NULL, NULL);
			return;
		}
	}
	for (size_t i = 0; i < k; i++) {
		struct act_node *m = &a->nodes[idx[i]];

		if (!act_write(a, m, &m->idle, "1", n->group,
			       CGW_WHY_WAIT_IDLE, reason, e->t_event_ns)) {
			m->idled_for = n->group;
			mark_written(&m->ri, now);
		} else if (!a->dry_run && !m->idle.changed) {
			idle_weight(a, m, false);
			undo = true;
		}
	}
	if (undo)
		save_state(a, NULL, NULL);
}

/*
 * max_wait breached (or still breached a cooldown later): raise the
 * group's weight against its competitors, doubling per write up to
 * CGW_WAIT_RAISE_MAX times its original (core/policy.c); once it is
 * there and the waits still breach, make the busy competitors
 * SCHED_IDLE (wait_idle()).  A waking task
 * of a heavier group is placed ahead of lighter ones: measured here, four
 * saturating competitors, a 1 ms / 100 us periodic task: p99 4.7-6.2 ms
 * at equal weights, 0.12-0.42 ms at 16 times the weight.  The raise stays
 * while any competitor is busy (no writes at steady state) and relaxes,
 * after the hold, once the promise holds and no competitor is busy.
 */
static void on_wait(struct act_ctx *a, struct act_node *n,
		    const struct cgw_event *e, uint64_t now)
{
	const struct cgw_group_cfg *gc = &a->cfg->groups[n->group];
	uint64_t next;
	char want[32], reason[256], lim[16];

	cgw_relax_breach(&n->rw);
	if (gc->min_ppm)
		return; /* its weight is the minimum's controller's */
	next = cgw_wait_raise(n->weight_now, n->ctl.orig, wmax(a));
	cgw_format_duration(gc->max_wait_ns, lim, sizeof(lim));
	if (next <= n->weight_now) {
		/* a breach after the one that found the weight at its
		 * bound: that weight had a span to act, and did not do */
		if (n->wait_at_bound)
			wait_idle(a, n, e, now);
		else
			cgw_log(CGW_LOG_WARNING,
				"[%s] %s max_wait %s: %u of %u waits above it with the weight at its bound (%" PRIu64
				"); weights can do no more",
				group_name(a, n->group), n->rel, lim,
				e->share_ppm, e->demand_ppm, n->weight_now);
		n->wait_at_bound = true;
		return;
	}
	n->wait_at_bound = false;
	if (!node_may_write(a, n, now))
		return;
	snprintf(want, sizeof(want), "%" PRIu64, next);
	snprintf(reason, sizeof(reason),
		 "max_wait: %u of %u waits above %s (p%.1f allows %u)",
		 e->share_ppm, e->demand_ppm, lim, gc->wait_pmil / 10.0,
		 (uint32_t)((uint64_t)e->demand_ppm * (1000 - gc->wait_pmil) /
			    1000));
	if (act_write(a, n, &n->weight, want, n->group, CGW_WHY_WAIT, reason,
		      e->t_event_ns))
		return;
	n->weight_now = next;
	mark_written(&n->rw, now);
}

/* A wait promise holds again: its raise relaxes after the hold, unless a
 * competitor is still busy (then the raise is what keeps it). */
static void on_wait_clear(struct act_ctx *a, struct act_node *n, uint64_t now)
{
	if (n->weight.changed && !a->cfg->groups[n->group].min_ppm &&
	    !sibling_busy(a, n))
		cgw_relax_clear(&n->rw, now);
}

/* A competitor stopped: a raised weight in surplus may come down after
 * the hold (the relax step recomputes the setpoint without it). */
static void on_idle(struct act_ctx *a, struct act_node *c, uint64_t now)
{
	/* SCHED_IDLE for a wait promise: not needed while it does not run */
	if (c->idle.changed)
		cgw_relax_clear(&c->ri, now);
	for (size_t i = 0; i < a->nnodes; i++) {
		struct act_node *n = &a->nodes[i];

		if (n != c && !n->gone && n->group >= 0 && n->surplus &&
		    n->weight.changed && same_parent(n->rel, c->rel))
			cgw_relax_clear(&n->rw, now);
		else if (n != c && !n->gone && n->group >= 0 &&
			 a->cfg->groups[n->group].max_wait_ns &&
			 !a->cfg->groups[n->group].min_ppm &&
			 same_parent(n->rel, c->rel)) {
			struct cgw_slot st;

			if (!warden_last_window(a->w, n->slot, &st) &&
			    !st.breached[CGW_KIND_WAIT])
				on_wait_clear(a, n, now);
		}
	}
}

static void on_max(struct act_ctx *a, int g, struct act_node *n,
		   const struct cgw_event *e, uint64_t now)
{
	const struct cgw_group_cfg *gc = &a->cfg->groups[g];
	char reason[256];

	if (!node_may_write(a, n, now))
		return;
	if (cap_now(a, n) <= gc->max_ppm && !n->quota.changed)
		return; /* someone already holds it at least as tight */
	snprintf(reason, sizeof(reason), "cap: share %.1f%% > max %.1f%%",
		 e->share_ppm / 1e4, gc->max_ppm / 1e4);
	if (!set_cap(a, n, gc->max_ppm, g, CGW_WHY_CAP, reason, e->t_event_ns))
		mark_written(&n->rq, now);
	else
		cgw_relax_breach(&n->rq);
}

static void on_clear(struct act_ctx *a, int g, struct act_node *n,
		     const struct cgw_event *e, uint64_t now)
{
	if (e->kind == CGW_KIND_MAX) {
		cgw_relax_clear(&n->rq, now);
		return;
	}
	if (e->kind == CGW_KIND_WAIT) {
		on_wait_clear(a, n, now);
		return;
	}
	/* the weight relaxes on SURPLUS; caps of an escalation once the
	 * minimum is kept again */
	if (cgw_ctl_clear(&n->ctl) < 0) {
		struct cgw_ctl_out o = { .unreachable_edge = -1 };
		struct cgw_setpoint sp = { .cap_ppm = 0 };

		if (!setpoint_of(a, n, &sp))
			report_unreachable(a, n, &o, &sp);
	}
	for (size_t i = 0; i < a->nnodes; i++)
		if (a->nodes[i].capped_for == g)
			cgw_relax_clear(&a->nodes[i].rq, now);
}

const char *act_on_event(struct act_ctx *a, const struct cgw_event *e,
			 uint64_t t_recv)
{
	struct act_node *n;
	uint64_t now = cgw_now_ns();
	int i = e->slot < CGW_MAX_SLOTS ? a->slot_node[e->slot] : -1;

	a->t_recv_ns = t_recv; /* reported with the writes it causes */
	if (i < 0)
		return NULL;
	n = &a->nodes[i];
	if (n->gone)
		return NULL;
	switch (e->type) {
	case CGW_EV_ACTIVE:
		/* until its estimate spans its activity, a newcomer is taken
		 * to want everything: a tenth of a span says nothing */
		n->newcomer_until = now + a->cfg->span_ns;
		if (n->idle.changed)
			cgw_relax_breach(&n->ri); /* competes again: stays */
		on_active(a, n, e, now);
		return n->rel;
	case CGW_EV_IDLE:
		on_idle(a, n, now);
		return n->rel;
	default:
		break;
	}
	if (n->group < 0)
		return n->rel;
	switch (e->type) {
	case CGW_EV_CLEAR:
		on_clear(a, n->group, n, e, now);
		break;
	case CGW_EV_BREACH:
	case CGW_EV_PERSIST:
		if (e->type == CGW_EV_BREACH && e->kind < CGW_NR_KINDS)
			a->breaches[n->group][e->kind]++;
		if (e->kind == CGW_KIND_MIN)
			on_min(a, n, e, now);
		else if (e->kind == CGW_KIND_WAIT)
			on_wait(a, n, e, now);
		else
			on_max(a, n->group, n, e, now);
		break;
	case CGW_EV_SURPLUS:
		n->surplus = true;
		if (n->weight.changed)
			cgw_relax_clear(&n->rw, now); /* hold, then relax */
		break;
	case CGW_EV_SURPLUS_END:
		n->surplus = false;
		if (n->weight.changed)
			cgw_relax_breach(&n->rw);
		break;
	default:
		break;
	}
	return n->rel;
}

/* --- relax ----------------------------------------------------------- */

static void relax_weight(struct act_ctx *a, struct act_node *n, uint64_t now)
{
	struct cgw_setpoint sp = { .alone = true };
	struct cgw_ctl_out o;
	struct cgw_slot st;
	bool demand = false;

	if (!n->weight.changed) {
		cgw_relax_wrote(&n->rw, now, true);
		return;
	}
	estimate_of(a, n, &st);
	if (n->group >= 0 && a->cfg->groups[n->group].min_ppm) {
		demand = has_demand(a, &st, a->cfg->groups[n->group].min_ppm);
		if (setpoint_of(a, n, &sp))
			sp.alone = true;
	}
	cgw_ctl_relax(&n->ctl, &a->ctl, &sp, n->weight_now, demand, &o);
	if (o.why == CGW_CTL_NONE) {
		/* where the model wants it: stay until the next edge */
		cgw_relax_breach(&n->rw);
		return;
	}
	if (ctl_write(a, n, &o, &sp, st.share_ppm,
		      demand ? "surplus held" : "demand gone", 0, now) < 0 ||
	    !n->weight.changed) {
		cgw_relax_wrote(&n->rw, now, true);
		return;
	}
}

static void relax_quota(struct act_ctx *a, struct act_node *n, uint64_t now)
{
	int g = n->group >= 0 ? n->group : n->capped_for;
	uint64_t cur, orig, next;
	char buf[CGW_STATE_VALUE_MAX];

	if (!n->quota.changed ||
	    cgw_file_read(&n->quota, buf, sizeof(buf)) < 0) {
		cgw_relax_wrote(&n->rq, now, true);
		return;
	}
	cur = cgw_cpuctl_quota_of(buf, NULL);
	orig = cgw_cpuctl_quota_of(n->quota.original, NULL);
	next = cgw_relax_quota(cur, orig, a->ncpus, n->period_us);
	if (next == orig)
		snprintf(buf, sizeof(buf), "%s", n->quota.original);
	else
		cgw_cpuctl_format_quota(a->hier->mode, next, n->period_us, buf,
					sizeof(buf));
	if (act_write(a, n, &n->quota, buf, g, CGW_WHY_UNCAP,
		      "relax: pressure gone", 0) < 0 ||
	    !n->quota.changed) {
		cgw_relax_wrote(&n->rq, now, true);
		return;
	}
	cgw_relax_wrote(&n->rq, now, next == orig);
	if (next == orig) {
		n->quota.changed = false; /* back where it was */
		n->capped_for = -1;
	}
}

/*
 * A competitor made SCHED_IDLE for a wait promise, and stopped since:
 * cpu.idle back to its original, then its weight, which the kernel reset
 * to the default, back to its original.  One that runs again stays idle
 * until it stops.
 */
static void relax_idle(struct act_ctx *a, struct act_node *n, uint64_t now)
{
	int g = n->group >= 0 ? n->group : n->idled_for;
	char cur[CGW_STATE_VALUE_MAX];
	struct cgw_slot st;
	int ret;

	if (!n->idle.changed) {
		cgw_relax_wrote(&n->ri, now, true);
		return;
	}
	estimate_of(a, n, &st);
	if (st.nwin && st.busy) {
		cgw_relax_breach(&n->ri);
		return;
	}
	ret = act_write(a, n, &n->idle, n->idle.original, g, CGW_WHY_UNIDLE,
			"relax: competitor stopped", 0);
	cgw_relax_wrote(&n->ri, now, true);
	/* written, or found at its original already: either way cleared */
	if (ret < 0 || n->idle.released ||
	    cgw_file_read(&n->idle, cur, sizeof(cur)) < 0 ||
	    strcmp(cur, n->idle.original))
		return;
	n->idle.changed = false;
	n->idled_for = -1;
	if (!n->weight.changed || n->weight.released)
		return;
	/* the kernel reset the weight when cpu.idle went to 0 */
	ret = act_write(
		a, n, &n->weight, n->weight.original, g, CGW_WHY_UNIDLE,
		"cpu.idle cleared: the kernel reset the weight to its default",
		0);
	/* back at its original (written, or already): no longer ours; a
	 * write held back stays changed, and the exit restore puts it back */
	if (ret >= 0 && !n->weight.released &&
	    cgw_file_read(&n->weight, cur, sizeof(cur)) >= 0 &&
	    !strcmp(cur, n->weight.original))
		n->weight.changed = false;
}

/*
 * [agent] retake: a file released to someone else is managed again once
 * the time is up; its value then is its new original.  Returns when the
 * next one of @n's files is due (0: none).
 */
static uint64_t retake(struct act_ctx *a, struct act_node *n, uint64_t now)
{
	struct cgw_file *fs[] = { &n->weight, &n->quota };
	uint64_t next = 0, t;

	for (int k = 0; k < 2; k++) {
		char theirs[CGW_STATE_VALUE_MAX];

		snprintf(theirs, sizeof(theirs), "%s", fs[k]->foreign);
		if (cgw_file_retake(fs[k], now, a->cfg->retake_ns)) {
			/* its value now is its original, on file at once */
			if (cgw_file_read(fs[k], fs[k]->original,
					  sizeof(fs[k]->original)) < 0)
				fs[k]->original[0] = '\0';
			else
				snprintf(theirs, sizeof(theirs), "%s",
					 fs[k]->original);
			if (fs[k] == &n->weight && fs[k]->original[0]) {
				n->weight_now =
					strtoull(fs[k]->original, NULL, 10);
				n->ctl.orig = n->weight_now;
			}
			if (fs[k] == &n->weight)
				n->rw = (struct cgw_relax){ 0 };
			else
				n->rq = (struct cgw_relax){ 0 };
			if (save_state(a, NULL, NULL))
				cgw_log(CGW_LOG_WARNING,
					"[%s] %s/%s: original not recorded yet; recorded before its first write",
					group_name(a, n->group), fs[k]->rel,
					fs[k]->name);
			report(a, "retake", group_name(a, n->group), fs[k],
			       theirs, theirs,
			       "released long enough: managed again from this value",
			       0, now, false);
			continue;
		}
		t = cgw_file_retake_at(fs[k], a->cfg->retake_ns);
		if (t && (!next || t < next))
			next = t;
	}
	return next;
}

/* The file's own rule lets a relax step be written now. */
static bool relax_ok(const struct act_ctx *a, const struct cgw_rl *rl,
		     uint64_t now)
{
	return cgw_rl_check(rl, CGW_RL_RELAX, now, a->cfg->cooldown_ns,
			    a->cfg->hold_ns) == CGW_RL_OK;
}

/* The earlier of @next and @t (0: none), @t pushed back to when the
 * file's own rule allows a relax: a timer never fires before it can act. */
static uint64_t relax_next(const struct act_ctx *a, const struct cgw_rl *rl,
			   uint64_t t, uint64_t next)
{
	uint64_t ok;

	if (!t)
		return next;
	ok = cgw_rl_next(rl, CGW_RL_RELAX, a->cfg->cooldown_ns,
			 a->cfg->hold_ns);
	if (ok > t)
		t = ok;
	return !next || t < next ? t : next;
}

uint64_t act_tick(struct act_ctx *a, uint64_t now)
{
	uint64_t hold = a->cfg->hold_ns, cd = a->cfg->cooldown_ns, next = 0;

	for (size_t i = 0; i < a->nnodes; i++) {
		struct act_node *n = &a->nodes[i];
		uint64_t t;

		if (n->gone)
			continue;
		t = retake(a, n, now);
		if (t && (!next || t < next))
			next = t;
		if (cgw_relax_due(&n->rw, now, hold, cd, &t) &&
		    node_may_write(a, n, now) && relax_ok(a, &n->rlw, now)) {
			relax_weight(a, n, now);
			cgw_relax_due(&n->rw, now, hold, cd, &t);
		}
		next = relax_next(a, &n->rlw, t, next);
		if (cgw_relax_due(&n->rq, now, hold, cd, &t) &&
		    node_may_write(a, n, now) && relax_ok(a, &n->rlq, now)) {
			relax_quota(a, n, now);
			cgw_relax_due(&n->rq, now, hold, cd, &t);
		}
		next = relax_next(a, &n->rlq, t, next);
		if (cgw_relax_due(&n->ri, now, hold, cd, &t) &&
		    node_may_write(a, n, now) && relax_ok(a, &n->rli, now)) {
			relax_idle(a, n, now);
			cgw_relax_due(&n->ri, now, hold, cd, &t);
		}
		next = relax_next(a, &n->rli, t, next);
	}
	return next;
}

/* --- status ----------------------------------------------------------- */

struct act_node *act_node_of_slot(struct act_ctx *a, uint32_t slot)
{
	int i = slot < CGW_MAX_SLOTS ? a->slot_node[slot] : -1;

	return i >= 0 ? &a->nodes[i] : NULL;
}

bool act_check_gone(struct act_ctx *a, struct act_node *n)
{
	if (n->gone)
		return true;
	if (faccessat(n->dirfd, "cgroup.procs", F_OK, 0) == 0)
		return false;
	n->gone = true;
	if (n->group >= 0)
		cgw_log(CGW_LOG_WARNING,
			"cgroup [%s] %s vanished; no longer watched",
			group_name(a, n->group), n->rel);
	else
		cgw_log(CGW_LOG_INFO,
			"competitor %s vanished; no longer watched", n->rel);
	warden_unwatch(a->w, n->slot);
	/* its originals went with it: off the state file */
	if (a->recorded)
		save_state(a, NULL, NULL);
	return true;
}

void act_refresh(struct act_ctx *a)
{
	for (size_t i = 0; i < a->nnodes; i++) {
		const struct act_node *n = &a->nodes[i];
		const struct cgw_group_cfg *gc;

		if (n->gone || n->group < 0)
			continue;
		gc = &a->cfg->groups[n->group];
		if (!gc->min_ppm)
			continue;
		discover(a, gc->path, gc->scope);
		for (size_t k = 0; k < a->nnodes; k++)
			if (k != i && !a->nodes[k].gone &&
			    same_parent(a->nodes[k].rel, gc->path))
				warden_set_notify(a->w, a->nodes[k].slot, true);
	}
}

void act_group_flags(const struct act_ctx *a, struct cgw_gstate_in *in)
{
	for (size_t g = 0; g < a->cfg->ngroups; g++) {
		const struct act_node *n = &a->nodes[a->group_node[g]];

		in[g] = (struct cgw_gstate_in){
			.gone = n->gone,
			.released = n->weight.released || n->quota.released,
			.unreachable = n->ctl.unreachable,
			.changed = n->weight.changed || n->quota.changed,
		};
	}
	/* a competitor still capped by a group's escalation */
	for (size_t i = 0; i < a->nnodes; i++) {
		const struct act_node *n = &a->nodes[i];

		if (n->capped_for >= 0 && n->quota.changed && !n->gone)
			in[n->capped_for].changed = true;
		if (n->idled_for >= 0 && n->idle.changed && !n->gone)
			in[n->idled_for].changed = true;
	}
}

/* --- restore --------------------------------------------------------- */

/* Puts @n's changed files back (@why in the report); returns how many
 * could not be. */
static int restore_node(struct act_ctx *a, struct act_node *n, const char *why)
{
	/* cpu.idle first: the kernel refuses weight writes while it is 1 */
	struct cgw_file *fs[] = { &n->idle, &n->weight, &n->quota };
	int failed = 0;

	for (int k = 0; k < 3; k++) {
		char cur[CGW_STATE_VALUE_MAX], orig[CGW_STATE_VALUE_MAX];
		enum cgw_set res;
		int ret;

		if (!fs[k]->changed)
			continue;
		snprintf(orig, sizeof(orig), "%s", fs[k]->original);
		ret = cgw_file_restore(fs[k], a->dry_run, cur, sizeof(cur),
				       &res);
		if (ret == -ENODEV || ret == -ENOENT || n->gone) {
			cgw_log(CGW_LOG_NOTICE,
				"cgroup %s vanished: nothing to restore",
				n->rel);
			continue;
		}
		if (ret) {
			cgw_log(CGW_LOG_ERR, "cannot restore %s/%s to '%s': %s",
				fs[k]->rel, fs[k]->name, orig, strerror(-ret));
			failed++;
			continue;
		}
		if (res == CGW_SET_FOREIGN) {
			cgw_log(CGW_LOG_WARNING,
				"%s/%s left as %s: changed by someone else",
				fs[k]->rel, fs[k]->name, cur);
			continue;
		}
		report(a, "restore", group_name(a, n->group), fs[k], cur, orig,
		       why, 0, cgw_now_ns(), false);
	}
	return failed;
}

int act_restore_all(struct act_ctx *a)
{
	int failed = 0;

	for (size_t i = 0; i < a->nnodes; i++)
		failed += restore_node(a, &a->nodes[i], "agent exit");
	if (!failed && !a->dry_run && a->state_file) {
		struct cgw_state empty = { .n = 0 };
		char err[512];

		if (cgw_state_write(a->state_file, &empty, err, sizeof(err)))
			cgw_log(CGW_LOG_ERR, "%s", err);
	}
	rec_close(a);
	return failed;
}

int act_release_group(struct act_ctx *a, int group, const char *why)
{
	struct act_node *n = &a->nodes[a->group_node[group]];
	int failed = 0;

	if (n->gone)
		return 0;
	/* the caps its escalations put on competitors, then its own files */
	for (size_t i = 0; i < a->nnodes; i++) {
		struct act_node *m = &a->nodes[i];

		if ((m->capped_for != group && m->idled_for != group) ||
		    m->gone)
			continue;
		failed += restore_node(a, m, why);
		m->capped_for = -1;
		m->idled_for = -1;
		m->rq = (struct cgw_relax){ 0 };
		m->ri = (struct cgw_relax){ 0 };
	}
	failed += restore_node(a, n, why);
	/* no longer ours: a cgroup that still competes with another group
	 * is found again as a sibling, with a node of its own */
	n->gone = true;
	warden_unwatch(a->w, n->slot);
	save_state(a, NULL, NULL);
	return failed;
}

void act_free(struct act_ctx *a)
{
	for (size_t i = 0; i < a->nnodes; i++) {
		cgw_file_close(&a->nodes[i].weight);
		cgw_file_close(&a->nodes[i].quota);
		cgw_file_close(&a->nodes[i].idle);
		if (a->nodes[i].dirfd >= 0)
			close(a->nodes[i].dirfd);
	}
	rec_close(a);
	free(a->nodes);
	free(a->group_node);
	free(a->breaches);
	a->nodes = NULL;
	a->group_node = NULL;
	a->breaches = NULL;
	a->nnodes = 0;
}
