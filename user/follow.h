/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The table of selected cgroups, and following the hierarchy live.
 *
 * Each [section] selects one cgroup (a literal path) or many (a pattern,
 * core/select.h).  The table holds one entry per selected cgroup, in the
 * shape of struct cgw_group_cfg (name "section/cgroup" for a pattern's
 * match), and grows while the agent runs: entries are appended, never
 * moved, so an index names one cgroup for the agent's whole life (the
 * actuator's group_node[], the metrics thread and the status use it).  A
 * cgroup removed keeps its entry, marked gone by the actuator; one
 * recreated at the same path is a new cgroup and gets a new entry.
 *
 * Cgroups created and removed after the start are seen through inotify on
 * the cgroup filesystem (IN_CREATE / IN_DELETE of directories), not BPF
 * on tp_btf/cgroup_mkdir: kernfs raises them for every mkdir(2)/rmdir(2)
 * on a cgroup directory, whoever makes it (dockerd, systemd, runc), on v1
 * and v2 alike; it needs no change to the kernel side (nothing more on
 * the BPF programs' path) and no hierarchy-id filter.  An event only
 * tells that something changed below a watched directory: the agent then
 * compares the table with the hierarchy (follow_update).  Directories
 * watched: those a pattern's walk visits and the chain above them, and
 * the parents of every selected cgroup up to its scope (where siblings
 * appear).
 */
#ifndef CGW_FOLLOW_H
#define CGW_FOLLOW_H

#include <stdbool.h>

#include "actuate.h"
#include "cgroupfs.h"
#include "config.h"

struct follow {
	const struct cgw_hier *hier;
	const struct cgw_config *sect; /* the sections, as parsed */
	struct cgw_config *tab; /* the table of selected cgroups */
	struct act_ctx *act; /* NULL until the agent watches */
	int ifd; /* inotify, -1 */
};

/* @tab gets @sect's [agent] values and no entry yet. */
void follow_init(struct follow *f, const struct cgw_hier *h,
		 const struct cgw_config *sect, struct cgw_config *tab);

/*
 * At start: every section's cgroups into the table.  A literal path that
 * does not exist is an error (FILE:LINE: [section] ...); a pattern that
 * matches nothing is reported and fine.  Returns 0 or -errno.
 */
int follow_select(struct follow *f);

/* Once the table's entries are watched through @act: starts following
 * the hierarchy.  Returns 0 or -errno. */
int follow_start(struct follow *f, struct act_ctx *act);

/* The fd to wait on (readable when the hierarchy changed), -1 if none. */
int follow_fd(const struct follow *f);

/*
 * Reads the pending notifications and brings the table up to date:
 * cgroups gone are unwatched, new matches are watched with their
 * section's constraints, new siblings of min_share groups join their
 * competitor sets.  Also called after a reload (new sections).
 */
void follow_update(struct follow *f);

struct follow_counts {
	int added, removed, unchanged; /* sections (a changed one: both) */
};

/*
 * A reload: @sect (valid, kept alive by the caller) replaces the
 * sections.  Unchanged sections (core/reload.h) keep their cgroups and
 * their state; the cgroups of removed or changed ones are restored and
 * released; then the table is brought up to date (follow_update), which
 * watches what added or changed sections select.
 */
void follow_reload(struct follow *f, const struct cgw_config *sect,
		   struct follow_counts *c);

void follow_close(struct follow *f);

#endif
