/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgwarden actuation policy: weight arithmetic, caps, and the
 * relax/hysteresis state machine (v1 <-> v2 knowledge: cpuctl.h).  Pure C,
 * no libbpf, no I/O.
 */
#ifndef CGW_POLICY_H
#define CGW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the weight ranges and the v1 <-> v2 conversion */
#include "cpuctl.h"
/* the wait histogram's buckets */
#include "cgwarden.h"

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

/* --- the controller of a minimum ------------------------------------------
 *
 * A setpoint controller, not an integrator.  Each decision starts from the
 * CFS model of the set of cgroups that compete (siblings under one parent):
 * the kernel shares what the set gets among its busy members by weight,
 * and a member that wants less than its part gets what it wants, the rest
 * going to the others (weighted max-min fairness, "water-filling").  The
 * setpoint is the smallest weight that gives the protected cgroup
 * min + margin in that model, computed afresh from the current weights of
 * the members that compete, so it goes down as well as up.  Feedback only
 * corrects what the model misses (thread placement, PELT lag), on a breach
 * that persists after the setpoint had time to act, in bounded steps and
 * never beyond twice the setpoint.
 */

/* One member of a competing set, from the kernel's sliding estimate. */
struct cgw_member {
	uint64_t weight; /* in the hierarchy's native unit */
	uint32_t share_ppm; /* share of the machine, slowly averaged (~32
			     * windows): what the set gets is read from
			     * these, and from the two below */
	uint32_t span_ppm; /* over the span alone, 0: not known */
	uint32_t long_ppm; /* averaged over seconds (~256 windows), 0: not
			    * known */
	uint32_t demand_ppm; /* (run + wait) share over the span, <= 1e6 */
	bool active; /* competes: busy now (ACTIVE edge, or share) */
};

/*
 * Share of the machine @self gets at weight @w in the model: @cap_ppm (what
 * the whole set gets) water-filled among self and the active members by
 * weight, each other member capped at its demand; self is taken to want
 * everything.  Inactive members get nothing.
 */
uint32_t cgw_model_share(const struct cgw_member *m, size_t n, size_t self,
			 uint64_t w, uint32_t cap_ppm);

struct cgw_setpoint {
	uint64_t weight; /* the setpoint (0 when alone: weights are moot) */
	uint64_t nominal; /* the setpoint were the set to get the whole
			   * machine; no weight goes beyond twice it */
	uint32_t target_ppm; /* min + margin, no more than self wants */
	uint32_t cap_ppm; /* what the set gets: its shares + idle, the
			   * largest of the span, slow and long figures */
	uint32_t predicted_ppm; /* model share of self at @weight */
	bool alone; /* no active competitor */
	bool unreachable; /* the set gets too little to hold the target
			   * with a weight below 2 * nominal (or at all):
			   * @weight is then @nominal, a best effort */
	bool clamped; /* the model needs more than wmax */
};

/*
 * The setpoint of m[self] for a minimum of @min_ppm plus @margin_ppm.
 * The target is min + margin, lowered to what self demands when that is
 * between min and min + margin (a cgroup with one thread on two CPUs
 * cannot take 55 %).  The weight needed grows without bound as what the
 * set gets falls toward the target (need = W * T / (C - T) for saturating
 * members): a target that needs more than twice the nominal setpoint is
 * unreachable, reported, and not forced.  -EINVAL on bad arguments.
 *
 * What the set gets is its active members' shares plus the machine's idle
 * time (@idle, the idle slot's shares; NULL: none), taken over three
 * horizons, the largest of the three: load outside the set that comes in
 * bursts is seen by the span and the slow average exactly when a minimum
 * breaches, and taken at face value it would push the weight up for good
 * to make up for a load that is gone 200 ms later.  Load outside that
 * stays shows in all three, and a setpoint that falls short of it anyway
 * is the feedback's business.
 */
int cgw_setpoint(const struct cgw_member *m, size_t n, size_t self,
		 const struct cgw_member *idle, uint32_t min_ppm,
		 uint32_t margin_ppm,
		 uint64_t wmin, uint64_t wmax, struct cgw_setpoint *out);

/* Controller state of one protected cgroup's weight. */
struct cgw_ctl {
	uint64_t orig; /* weight before the agent touched it */
	uint64_t last_step_ns; /* last raise (setpoint or feedback), 0: none */
	uint32_t share_at_step; /* sliding share at that raise */
	uint32_t nfeedback; /* feedback steps since the last setpoint write */
	bool exhausted; /* feedback no longer helps, or is at its bound */
	bool unreachable; /* reported unreachable, not yet reachable again */
};

struct cgw_ctl_params {
	uint32_t min_ppm;
	uint32_t deadband_ppm; /* relative: no write for a change below it */
	uint64_t settle_ns; /* time a write needs to show in the estimate */
	uint64_t wmin, wmax;
};

enum cgw_ctl_why {
	CGW_CTL_NONE = 0, /* nothing to write */
	CGW_CTL_SETPOINT, /* up to the model's setpoint */
	CGW_CTL_FEEDBACK, /* above it: the model fell short */
	CGW_CTL_RELAX, /* down toward max(original, setpoint) */
	CGW_CTL_ORIGINAL, /* back to the original */
};

struct cgw_ctl_out {
	enum cgw_ctl_why why;
	uint64_t weight; /* what to write, when why != NONE */
	bool escalate; /* weights are exhausted on a persisting, reachable
			* shortfall: capping competitors may be tried */
	int unreachable_edge; /* +1 became unreachable (once an episode) */
};

/* What called the controller. */
enum cgw_ctl_ev {
	CGW_CTL_EV_BREACH = 0, /* a fresh breach of the minimum */
	CGW_CTL_EV_PERSIST, /* the breach persists (once per cooldown) */
	CGW_CTL_EV_ACTIVE, /* a competitor started: the model changed */
};

/*
 * What to write for a breach of the minimum, or for a competitor that
 * became active.  @share_ppm is the slowly averaged share (the kernel's
 * slow_share_ppm): feedback corrects a shortfall that lasts, not a dip of
 * the sliding mean.  Raises to the setpoint when the weight is below it by
 * more than the deadband, at once for a new competitor, otherwise only
 * once the last raise had settle_ns to show (what the set gets is itself
 * an average that moves after a raise: raising on every persisting breach
 * would ratchet on it).  With the weight at the setpoint and the breach
 * persisting past settle_ns, steps by at most x1.5 up to 2x the nominal
 * setpoint, and stops once a step did not help (the share rose by less
 * than a quarter of what was missing).  Never lowers a weight.
 */
void cgw_ctl_breach(struct cgw_ctl *c, const struct cgw_ctl_params *p,
		    const struct cgw_setpoint *sp, uint64_t cur,
		    uint32_t share_ppm, enum cgw_ctl_ev ev, uint64_t now,
		    struct cgw_ctl_out *out);

/* The breach cleared: a new episode starts (and an unreachable target is
 * reported reachable again: returns -1, else 0). */
int cgw_ctl_clear(struct cgw_ctl *c);

/* Records that @out was written at @now with the share then @share_ppm. */
void cgw_ctl_wrote(struct cgw_ctl *c, const struct cgw_ctl_out *out,
		   uint32_t share_ppm, uint64_t now);

/*
 * Relax step (surplus held for `hold`): toward max(original, setpoint)
 * while the cgroup still demands, toward the original when it does not,
 * at most halving the weight per step; a step inside the deadband is not
 * taken unless it lands on the original.
 */
void cgw_ctl_relax(const struct cgw_ctl *c, const struct cgw_ctl_params *p,
		   const struct cgw_setpoint *sp, uint64_t cur, bool demand,
		   struct cgw_ctl_out *out);

/* Surplus threshold to ask of the kernel: above target + band. */
uint32_t cgw_ctl_surplus_ppm(uint32_t min_ppm, uint32_t margin_ppm);

/* --- latency promises (max_wait) ------------------------------------ */

/*
 * How the window clock judges "the @pmil-th per mille of the run-queue
 * waits stays at or below @limit_ns": per histogram bucket, how much of a
 * wait in it counts as above the limit (@wgt, 1/1024ths: all of it above
 * the limit's bucket, the part of that bucket above the limit, waits taken
 * as spread evenly over a bucket, none below), and the waits a span needs
 * before it is judged, CGW_WAIT_MIN_SAMPLES.  A breach also needs two
 * waits above the limit, whatever the percentile allows: at 1,000 wake-ups
 * a second a 100 ms span holds ~90 waits, too few for p99 to be more than
 * its largest wait, and one outlier is not a broken promise.
 */
#define CGW_WAIT_MIN_SAMPLES 20
struct cgw_wait_params {
	uint32_t limit_us, pmil, min;
	uint32_t wgt[CGW_HIST_BUCKETS];
};
int cgw_wait_params(uint64_t limit_ns, uint32_t pmil,
		    struct cgw_wait_params *out);

/* Waits of histogram @d (CGW_HIST_BUCKETS buckets): how many, the bound
 * of the highest bucket used (us), and the waits at two per mille ranks
 * (nearest rank, interpolated linearly inside its bucket; 0 without
 * waits). */
struct cgw_hist_stats {
	uint64_t count;
	uint32_t max_us;
	uint32_t us[2];
};
void cgw_hist_stats(const uint32_t *d, uint32_t pmil0, uint32_t pmil1,
		    struct cgw_hist_stats *out);

/*
 * The weight to write for a breached wait promise whose weight is @cur
 * (@orig before the agent raised it): double it, up to
 * CGW_WAIT_RAISE_MAX times the original and the hierarchy's @wmax.
 * Returns @cur when it is already there: weights can do no more.  Why 16:
 * measured with 4 saturating competitors (scripts/bench-latency-promise,
 * 5 runs each), 16x kept p99 at 115-420 us (limit 1 ms); 8x gave 98-1030
 * us, one run over.  Either way the competitors' shares spread (16x:
 * 16.6-40.4 % each, 8x: 15.3-35.8 %, 23.2 % by weight): a heavy group
 * skews the load balancer's view of the CPU it runs on.
 */
#define CGW_WAIT_RAISE_MAX 16
uint64_t cgw_wait_raise(uint64_t cur, uint64_t orig, uint64_t wmax);

/* A competitor of a wait promise, as its second stage sees it. */
struct cgw_wait_comp {
	bool busy; /* it runs: the window clock reports it busy */
	bool promised; /* a min_share or max_wait of its own */
	bool weight_ours; /* the agent changed or released its weight */
	bool has_idle; /* cpu.idle exists and is not someone else's */
	bool idle; /* cpu.idle is 1 already */
};

/*
 * Second stage of a wait promise, once the weight is at its bound and the
 * waits still breach: mark @c SCHED_IDLE (cpu.idle = 1)?  Only a busy
 * competitor without a promise of its own, whose weight the agent does
 * not manage, and not idle already (then the operator made it so and it
 * stays theirs).  An idle group runs only when no other group wants the
 * CPU, so a waking task of any non-idle group preempts it at once; it
 * still takes all the CPU left over, so the batch work loses only what
 * the promised group uses.  cpu.idle = 1 discards the weight: the kernel
 * refuses weight writes while it is set and resets the weight to the
 * default when it is cleared, so the agent puts the weight back itself.
 */
bool cgw_wait_idle_pick(const struct cgw_wait_comp *c);

#endif
