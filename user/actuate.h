/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Actuation: turns breach events into cgroup writes (raise a weight, cap a
 * quota, escalate to capping competitors), relaxes them when the pressure
 * is gone, and puts every original back on exit.
 */
#ifndef CGW_ACTUATE_H
#define CGW_ACTUATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cgfile.h"
#include "cgroupfs.h"
#include "config.h"
#include "metrics_fmt.h"
#include "policy.h"
#include "ratelimit.h"
#include "status_fmt.h"
#include "warden.h"

struct act_node {
	char rel[PATH_MAX]; /* cgroup, relative to the root */
	uint64_t cgid;
	uint32_t slot; /* watched slot: its own group's, or an aux one */
	int group; /* index of its [section], -1 for a sibling */
	struct cgw_file weight; /* cpu.weight | cpu.shares */
	struct cgw_file quota; /* cpu.max | cpu.cfs_quota_us */
	struct cgw_file idle; /* cpu.idle; closed where the kernel has none */
	uint64_t period_us; /* the cgroup's CFS period */
	uint64_t weight_now; /* last weight read or written */
	struct cgw_relax rw, rq, ri; /* relax state of weight, quota, idle */
	struct cgw_rl rlw, rlq, rli; /* per-file rate limit and hold clock
				      * of each (core/ratelimit.h) */
	struct cgw_ctl ctl; /* the controller of a min_share group */
	bool surplus; /* the kernel reported SURPLUS, not yet its end */
	bool wait_at_bound; /* max_wait: weight raised as far as it goes */
	bool wait_idle_none; /* max_wait: no competitor to make idle, said */
	uint64_t newcomer_until; /* ACTIVE lately: its estimate does not
				  * say yet what it will take */
	int capped_for; /* group whose escalation capped it, -1 */
	int idled_for; /* group whose wait promise set its cpu.idle, -1 */
	int dirfd; /* O_PATH of the cgroup, to notice it vanishing */
	bool gone; /* vanished: never written, restored or saved again */
};

struct act_ctx {
	const struct cgw_hier *hier;
	const struct cgw_config *cfg;
	struct warden *w;
	const char *state_file;
	int rec_fd; /* the state's record file (core/state.h), -1 */
	bool recorded; /* act_record() done: originals are on file */
	bool dry_run;
	bool json;
	unsigned int ncpus;
	uint32_t active_ppm; /* a sibling competes above this share */
	struct act_node *nodes;
	size_t nnodes, cap;
	int *group_node; /* group index -> node index */
	int slot_node[CGW_MAX_SLOTS]; /* watched slot -> node index, -1 */
	struct cgw_ctl_params ctl; /* shared by every min_share group */
	/* when the record being acted on was taken (act_on_event's
	 * argument, 0: none), for the writes it causes */
	uint64_t t_recv_ns;
	/* counters for the exit report, the metrics and the status */
	uint64_t writes, skipped, released, unreachable;
	uint64_t deferred; /* writes the per-file rule held back */
	uint64_t stale; /* ring-buffer records dropped as stale */
	uint64_t shed; /* --trace-windows records shed under a backlog */
	uint64_t writes_by[CGW_WHY_NR];
	struct cgw_hist reaction; /* breach -> written */
	uint64_t (*breaches)[CGW_NR_KINDS]; /* per group: breach edges */
};

/* The CFS period of cgroup @rel in us (100000 if it cannot be read). */
uint64_t act_cfs_period_us(const struct cgw_hier *h, const char *rel);

int act_init(struct act_ctx *a, const struct cgw_hier *h,
	     const struct cgw_config *cfg, struct warden *w,
	     const char *state_file, bool dry_run, bool json);

/* Registers table entry @group (a->cfg->groups[@group]), watched at
 * @slot; finds its siblings (and those of its ancestors) so their shares
 * are known before any breach.  A cgroup watched so far as a sibling is
 * adopted (with @slot); -EEXIST if another entry has it. */
int act_add_group(struct act_ctx *a, int group, uint64_t cgid, uint32_t slot);

/*
 * Records every watched file's original in the state file, before the
 * agent attaches, so that no write of an episode waits for an fsync.
 * Nothing may be written without it: the agent does not start.
 */
int act_record(struct act_ctx *a);

/* Watches table entry @group with its constraints (warden_watch) and
 * registers it (act_add_group), before or after the kernel side is
 * attached. */
int act_watch_group(struct act_ctx *a, int group);

/* A ring-buffer record, taken from the ring buffer at @t_recv
 * (CLOCK_MONOTONIC): a constraint's edge for a configured group, or an
 * activity edge of a competitor.  Returns the node's relative path, or
 * NULL when the slot is none of ours (or its cgroup is gone). */
const char *act_on_event(struct act_ctx *a, const struct cgw_event *e,
			 uint64_t t_recv);

/* Does the relax steps due at @now; returns the CLOCK_MONOTONIC time of
 * the next one, or 0 when nothing is pending (the agent then sleeps). */
uint64_t act_tick(struct act_ctx *a, uint64_t now);

/* The node watched at @slot, NULL if none. */
struct act_node *act_node_of_slot(struct act_ctx *a, uint32_t slot);

/* True when @n's cgroup is gone (removed, or removed and recreated: the
 * directory it opened is no more).  The first time: says so, stops
 * watching it, drops its originals from the state file. */
bool act_check_gone(struct act_ctx *a, struct act_node *n);

/* Finds the siblings of every min_share group again (cgroups created
 * since): they are watched and report when they compete from now on. */
void act_refresh(struct act_ctx *a);

/* What each group's state is decided from (core/status_fmt.h), all
 * but the kernel's breach flag: @in has room for every group. */
void act_group_flags(const struct act_ctx *a, struct cgw_gstate_in *in);

/* Puts every changed file back; reports each as a "restore" record.
 * Returns the number of files that could not be restored. */
int act_restore_all(struct act_ctx *a);

/* Table entry @group leaves (its section was removed on reload): puts
 * back what was changed for it (its own files, caps on competitors), with
 * @why in the report, and stops watching it.  Returns the number of
 * files that could not be restored. */
int act_release_group(struct act_ctx *a, int group, const char *why);
void act_free(struct act_ctx *a);

#endif
