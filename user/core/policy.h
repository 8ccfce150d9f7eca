/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgwarden actuation policy: weight arithmetic, v1 <-> v2 conversion, caps,
 * and the relax/hysteresis state machine.  Pure C, no libbpf, no I/O.
 */
#ifndef CGW_POLICY_H
#define CGW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CGW_SHARES_MIN 2ULL /* cgroup v1 cpu.shares */
#define CGW_SHARES_MAX 262144ULL
#define CGW_SHARES_DFL 1024ULL
#define CGW_WEIGHT_MIN 1ULL /* cgroup v2 cpu.weight */
#define CGW_WEIGHT_MAX 10000ULL
#define CGW_WEIGHT_DFL 100ULL

/*
 * v1 <-> v2 weight conversion, version 1: the kernel's own linear mapping
 * (1024 shares == weight 100), rounded to nearest, clamped to the target
 * range.  Not runc's pre-1.3 formula, which mapped 1024 to 39.
 */
#define CGW_WEIGHT_CONV_VERSION 1
uint64_t cgw_shares_to_weight(uint64_t shares);
uint64_t cgw_weight_to_shares(uint64_t weight);

/* One cgroup in a sibling set, as the last closed window saw it. */
struct cgw_sib {
	uint64_t weight; /* in the hierarchy's native unit */
	uint32_t share_ppm; /* share of the machine in the last window */
	uint64_t wait_ns; /* run-queue wait in the last window */
};

/* A sibling competes when it used >= active_ppm or waited at all. */
bool cgw_sib_active(const struct cgw_sib *s, uint32_t active_ppm);

struct cgw_raise {
	uint64_t weight; /* weight to write for self (>= current) */
	bool clamped; /* the weight needed exceeds wmax */
	bool hopeless; /* the sibling set as a whole gets < target */
	bool no_competition; /* no active sibling: weights cannot help */
};

/*
 * Weight for sibs[self] so that, with every active sibling saturating, its
 * expected share reaches target_ppm of the machine:
 *   G = share(self) + sum share(active siblings)   (what the set gets)
 *   W = sum weight(active siblings)
 *   need = ceil(W * target / (G - target))
 * clamped to [wmin, wmax] and never below the current weight.  G <= target
 * sets hopeless (weights alone cannot help; escalate).  Returns 0 or
 * -EINVAL (self out of range, n == 0, target 0 or > 1e6).
 */
int cgw_policy_raise(const struct cgw_sib *sibs, size_t n, size_t self,
		     uint32_t target_ppm, uint32_t active_ppm, uint64_t wmin,
		     uint64_t wmax, struct cgw_raise *out);

/*
 * Quota (us) that holds a cgroup to share_ppm of a machine with @ncpus
 * CPUs at @period_us: floor(share * ncpus * period / 1e6), at least
 * 1000 us (the kernel minimum).
 */
uint64_t cgw_quota_us(uint32_t share_ppm, unsigned int ncpus,
		      uint64_t period_us);

/*
 * Escalation: caps for competitors so that target_ppm of the machine is
 * free for the protected cgroup.  Each active competitor gets a part of
 * (1e6 - target) in proportion to its last share; inactive ones get 0 (no
 * cap).  A competitor whose share is already below its part also gets 0.
 * Returns the number of capped competitors, or -EINVAL.
 */
int cgw_policy_caps(const struct cgw_sib *comp, size_t n, uint32_t target_ppm,
		    uint32_t active_ppm, uint32_t *cap_ppm);

/*
 * Relax state machine of one changed value (a weight, a quota).
 *   IDLE   -> nothing changed
 *   ACTIVE -> changed for a breach that still holds
 *   HOLD   -> the breach cleared at hold_start; wait hold_ns of slack
 *   RELAX  -> stepping back toward the original, one step per cooldown
 * A breach in HOLD or RELAX returns to ACTIVE.  At most one write per
 * cooldown whatever happens (cgw_relax_may_write).
 */
enum cgw_relax_state {
	CGW_RELAX_IDLE = 0,
	CGW_RELAX_ACTIVE,
	CGW_RELAX_HOLD,
	CGW_RELAX_RELAX,
};

struct cgw_relax {
	enum cgw_relax_state state;
	uint64_t hold_start_ns;
	uint64_t last_write_ns; /* 0: never written */
};

void cgw_relax_breach(struct cgw_relax *r);
void cgw_relax_clear(struct cgw_relax *r, uint64_t now_ns);
bool cgw_relax_may_write(const struct cgw_relax *r, uint64_t now_ns,
			 uint64_t cooldown_ns);
/*
 * True when a relax step is due now.  *next_ns gets the time to ask again
 * (0: nothing pending), so the agent can arm one timer and sleep otherwise.
 */
bool cgw_relax_due(struct cgw_relax *r, uint64_t now_ns, uint64_t hold_ns,
		   uint64_t cooldown_ns, uint64_t *next_ns);
/* Record a write at now_ns; at_original ends the episode (IDLE). */
void cgw_relax_wrote(struct cgw_relax *r, uint64_t now_ns, bool at_original);

/*
 * Next relax step of a weight from @cur toward @orig: halfway, snapping to
 * @orig within 5% of it (or when the step would be < 1).
 */
uint64_t cgw_relax_weight(uint64_t cur, uint64_t orig);

/*
 * Next relax step of a quota toward @orig (CGW_QUOTA_MAX = unlimited):
 * doubled; snaps to @orig once it reaches it, or once it no longer limits
 * (>= ncpus * period) when @orig is unlimited.
 */
#define CGW_QUOTA_MAX UINT64_MAX
uint64_t cgw_relax_quota(uint64_t cur, uint64_t orig, unsigned int ncpus,
			 uint64_t period_us);

#endif
