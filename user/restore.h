/* SPDX-License-Identifier: GPL-2.0 */
/* Crash restore from the state file (`cgwarden --restore`). */
#ifndef CGW_RESTORE_H
#define CGW_RESTORE_H

#include <stdbool.h>

/*
 * `cgwarden --restore`: puts back what a crashed agent changed, as listed
 * in @state_file, on the cpu hierarchy detected (or @cgroup_root).  The
 * whole file is validated first (core/state.c: cgw_state_check()); one bad
 * entry and nothing is written.  Then each entry is written back only to
 * the same cgroup (same id) and only if the file still holds what the
 * agent wrote; an entry whose cgroup is gone or recreated, or whose file
 * someone else changed, is reported and dropped.  The state file is
 * removed when nothing failed, else rewritten with the failed entries.
 * Returns 0 when everything restorable was restored, else 1.
 */
int restore_from_state(const char *state_file, const char *cgroup_root,
		       bool json);

/*
 * Before a start: a leftover state file whose entries are all gone,
 * recreated, changed by someone else or already back at their original is
 * reported and removed (returns 0: the agent may start).  One that still
 * holds values to restore is left for `cgwarden --restore` (returns 1,
 * with the reason on stderr).  No cgroup file is written.
 */
int restore_check_leftover(const char *state_file, const char *cgroup_root,
			   bool json);

#endif
