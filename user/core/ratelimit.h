/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One rate limiter and one hold clock per file the agent writes.  Every
 * write path (a minimum's raise, a maximum's cap, an escalation cap, every
 * relax step) asks cgw_rl_check() for the file it is about to write and
 * records the write with cgw_rl_wrote(); only the restore on exit is
 * exempt.  The guarantees, per file, whatever path wrote it:
 *   - at most one write per cooldown;
 *   - no relax (a step back toward the original) before `hold` has passed
 *     since that file's last raise or cap;
 *   - hence no A -> B -> A reversal inside hold: B is a raise, and the way
 *     back is a relax, or B is a relax, which came at least hold after the
 *     raise that made A.
 * Pure C, no I/O.
 */
#ifndef CGW_RATELIMIT_H
#define CGW_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

enum cgw_rl_dir {
	CGW_RL_RAISE = 0, /* a raise of a weight or a (tighter) cap */
	CGW_RL_RELAX, /* a step back toward the original */
};

enum cgw_rl_verdict {
	CGW_RL_OK = 0,
	CGW_RL_COOLDOWN, /* written less than cooldown ago */
	CGW_RL_HOLD, /* a relax less than hold after the last raise */
};

struct cgw_rl {
	uint64_t last_write_ns; /* 0: never written */
	uint64_t last_raise_ns; /* 0: never raised */
	uint64_t refused; /* writes the rule refused (diagnostics) */
};

/* May the file be written in direction @dir at @now?  A clock that went
 * backwards (now before the last write) refuses, as a cooldown. */
enum cgw_rl_verdict cgw_rl_check(const struct cgw_rl *r, enum cgw_rl_dir dir,
				 uint64_t now, uint64_t cooldown_ns,
				 uint64_t hold_ns);

/* Earliest time cgw_rl_check() allows a write in direction @dir (0: any
 * time). */
uint64_t cgw_rl_next(const struct cgw_rl *r, enum cgw_rl_dir dir,
		     uint64_t cooldown_ns, uint64_t hold_ns);

/* Records a write made at @now (a write at time 0 counts as 1 ns). */
void cgw_rl_wrote(struct cgw_rl *r, enum cgw_rl_dir dir, uint64_t now);

#endif
