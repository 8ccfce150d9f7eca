// SPDX-License-Identifier: GPL-2.0
/*
 * Per-file rate limiter and hold clock (see ratelimit.h).  Integer
 * arithmetic, saturating at UINT64_MAX.
 */
#include "ratelimit.h"

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

uint64_t cgw_rl_next(const struct cgw_rl *r, enum cgw_rl_dir dir,
		     uint64_t cooldown_ns, uint64_t hold_ns)
{
	uint64_t t = 0;

	if (r->last_write_ns)
		t = sat_add(r->last_write_ns, cooldown_ns);
	if (dir == CGW_RL_RELAX && r->last_raise_ns)
		t = max_u64(t, sat_add(r->last_raise_ns, hold_ns));
	return t;
}

enum cgw_rl_verdict cgw_rl_check(const struct cgw_rl *r, enum cgw_rl_dir dir,
				 uint64_t now, uint64_t cooldown_ns,
				 uint64_t hold_ns)
{
	if (r->last_write_ns && (now < r->last_write_ns ||
				 now < sat_add(r->last_write_ns, cooldown_ns)))
		return CGW_RL_COOLDOWN;
	if (dir == CGW_RL_RELAX && r->last_raise_ns &&
	    (now < r->last_raise_ns ||
	     now < sat_add(r->last_raise_ns, hold_ns)))
		return CGW_RL_HOLD;
	return CGW_RL_OK;
}

void cgw_rl_wrote(struct cgw_rl *r, enum cgw_rl_dir dir, uint64_t now)
{
	if (!now)
		now = 1;
	r->last_write_ns = now;
	if (dir == CGW_RL_RAISE)
		r->last_raise_ns = now;
}
