/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which ring-buffer records are stale when the agent reads them.  The
 * agent takes records in batches; before it acts on a batch, each record
 * is judged here:
 *   - a record followed in the batch by a later edge of the same family
 *     for the same slot (breach/persist/clear of one kind; surplus/
 *     surplus_end; active/idle) is superseded: what it says no longer
 *     holds (a persist is superseded by any later record of its family);
 *   - a record that would make the agent write now (breach, persist,
 *     active) older than @max_age (a window) is stale: the kernel sends a
 *     breach that still holds again once per cooldown, fresh;
 *   - a clear, surplus, surplus_end or idle that is the last of its
 *     family is kept whatever its age: it starts a hold clock and only
 *     ever leads to a relax after `hold`, and dropping it would leave a
 *     value raised for good;
 *   - a window record (--trace-windows, diagnostics) older than @max_age
 *     is shed: under a flood the agent sheds diagnostics, never actions.
 * Pure C, no I/O.
 */
#ifndef CGW_STALE_H
#define CGW_STALE_H

#include <stddef.h>
#include <stdint.h>

#include "cgwarden.h"

enum cgw_stale_why {
	CGW_STALE_KEEP = 0,
	CGW_STALE_SUPERSEDED, /* a later edge of the same family follows */
	CGW_STALE_OLD, /* an action record older than max_age */
	CGW_STALE_SHED, /* a diagnostic record older than max_age */
};

/* Judges the @n records of @ev (oldest first) at @now; why[i] gets the
 * verdict of ev[i].  Returns the number of records not kept. */
size_t cgw_stale_judge(const struct cgw_event *ev, size_t n, uint64_t now,
		       uint64_t max_age_ns, enum cgw_stale_why *why);

#endif
