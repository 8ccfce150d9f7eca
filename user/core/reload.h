/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a reload (SIGHUP) may change while the agent runs.  Pure C, no
 * libbpf.
 *
 * Sections are matched by name: one whose path, min_share, max_share and
 * scope are all the same is unchanged and keeps its state (weights
 * written, relax and controller state); any other is removed (its
 * cgroups restored and released) and, if the new file still has it,
 * added again.  [agent] values stay as they were at start: window,
 * cooldown, clear_windows, hysteresis, span and margin are compiled into
 * the BPF program's read-only data, metrics and status_socket are bound
 * at start, and hold, deadband and retake are kept with them so that one
 * configuration is in force, never a mix; a change to any of them is
 * reported and needs a restart.
 */
#ifndef CGW_RELOAD_H
#define CGW_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* True when section @b is @a unchanged (same name and selection). */
bool cgw_reload_same_section(const struct cgw_group_cfg *a,
			     const struct cgw_group_cfg *b);

/* The index in @cfg of the section named @name, -1 if none. */
int cgw_reload_find(const struct cgw_config *cfg, const char *name);

/*
 * The [agent] keys whose value differs between @old and @new, as a
 * comma-separated list of key names in @out ("" when none).  Returns
 * their number.
 */
int cgw_reload_agent_diff(const struct cgw_config *old,
			  const struct cgw_config *new, char *out, size_t len);

#endif
