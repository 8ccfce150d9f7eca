// SPDX-License-Identifier: GPL-2.0
/*
 * cgwarden actuation policy: weight arithmetic, v1 <-> v2 conversion, caps,
 * and the relax/hysteresis state machine.  Pure C, integer arithmetic only.
 *
 * Products that can leave 64 bits (weight * ppm, ppm * ncpus * period) are
 * done in unsigned __int128; sums over sibling sets are 128-bit as well.
 */
#include <errno.h>
#include <string.h>

#include "cgwarden.h"
#include "policy.h"

typedef unsigned __int128 u128;

#define PPM_ONE 1000000ULL
#define QUOTA_MIN_US 1000ULL /* the kernel refuses smaller cpu.max quotas */
#define RELAX_SNAP_DIV 20 /* a weight within orig / 20 (5 %) snaps */

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* --- weight raise ------------------------------------------------------- */

bool cgw_sib_active(const struct cgw_sib *s, uint32_t active_ppm)
{
	return s->share_ppm >= active_ppm || s->wait_ns > 0;
}

struct sib_sum {
	u128 share; /* sum share_ppm of the active siblings */
	u128 weight; /* sum weight of the active siblings */
	size_t n; /* number of active siblings */
};

/* Sums the active siblings; self is never one of them. */
static void sum_active(const struct cgw_sib *sibs, size_t n, size_t self,
		       uint32_t active_ppm, struct sib_sum *sum)
{
	size_t i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < n; i++) {
		if (i == self || !cgw_sib_active(&sibs[i], active_ppm))
			continue;
		sum->share += sibs[i].share_ppm;
		sum->weight += sibs[i].weight;
		sum->n++;
	}
}

/*
 * need = ceil(W * target / (G - target)), clamped to [wmin, wmax]; needs
 * G > target.  W * target stays below 2^128 for any sibling set that fits
 * in memory with weights < 2^64; should it not, the need is treated as
 * beyond wmax.
 */
static uint64_t need_weight(u128 w, u128 g, uint32_t target, uint64_t wmin,
			    uint64_t wmax, bool *clamped)
{
	u128 den = g - target;
	u128 need;

	if (__builtin_mul_overflow(w, (u128)target, &need))
		goto clamp;
	need = need / den + (need % den != 0);
	if (need > wmax)
		goto clamp;
	return need < wmin ? wmin : (uint64_t)need;
clamp:
	*clamped = true;
	return wmax;
}

/*
 * Both flags are facts about the set and may be set together.  When there
 * is no active sibling, raising the weight cannot take anything from
 * anybody, so the weight stays (even when hopeless is also set).  When the
 * set is hopeless the needed weight is undefined (infinite): the weight
 * goes to wmax, but clamped stays false, being reserved for a finite need
 * beyond wmax.  wmin > wmax is refused with -EINVAL.
 */
int cgw_policy_raise(const struct cgw_sib *sibs, size_t n, size_t self,
		     uint32_t target_ppm, uint32_t active_ppm, uint64_t wmin,
		     uint64_t wmax, struct cgw_raise *out)
{
	struct sib_sum sum;
	uint64_t need;
	u128 g;

	if (!sibs || !out || !n || self >= n || !target_ppm ||
	    target_ppm > PPM_ONE || wmin > wmax)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	sum_active(sibs, n, self, active_ppm, &sum);
	g = sum.share + sibs[self].share_ppm;
	out->no_competition = !sum.n;
	out->hopeless = g <= target_ppm;
	if (out->no_competition)
		need = wmin;
	else if (out->hopeless)
		need = wmax;
	else
		need = need_weight(sum.weight, g, target_ppm, wmin, wmax,
				   &out->clamped);
	out->weight = max_u64(sibs[self].weight, need);
	return 0;
}

/* --- caps --------------------------------------------------------------- */

uint64_t cgw_quota_us(uint32_t share_ppm, unsigned int ncpus,
		      uint64_t period_us)
{
	/* (2^32 - 1)^2 * (2^64 - 1) < 2^128: the product cannot overflow */
	u128 q = (u128)share_ppm * ncpus * period_us / PPM_ONE;

	if (q > UINT64_MAX)
		return UINT64_MAX;
	return max_u64((uint64_t)q, QUOTA_MIN_US);
}

/*
 * Part of @budget for one competitor, in proportion to its share of @total
 * (the active competitors' shares), rounded down.  0: no cap, because the
 * competitor is inactive or does not use more than its part.  A capped
 * competitor gets at least 1 ppm (0 would read as "no cap").
 */
static uint32_t cap_part(const struct cgw_sib *c, uint32_t active_ppm,
			 uint64_t budget, u128 total)
{
	uint64_t part;

	if (!cgw_sib_active(c, active_ppm) || !total)
		return 0;
	part = (uint64_t)((u128)budget * c->share_ppm / total);
	if (c->share_ppm <= part)
		return 0;
	return part ? (uint32_t)part : 1;
}

/* Index of the largest cap, the first one on ties. */
static size_t largest_cap(const uint32_t *cap_ppm, size_t n)
{
	size_t i, best = 0;

	for (i = 1; i < n; i++)
		if (cap_ppm[i] > cap_ppm[best])
			best = i;
	return best;
}

/*
 * Parts are rounded down, so they sum to at most @budget; only the 1 ppm
 * floor can push the sum over.  It is paid for by the largest caps, one
 * ppm at a time.  With sum > budget >= ncap some cap is >= 2, so no cap
 * drops to 0.
 */
static void fit_budget(uint32_t *cap_ppm, size_t n, uint64_t sum,
		       uint64_t budget)
{
	for (; sum > budget; sum--)
		cap_ppm[largest_cap(cap_ppm, n)]--;
}

/*
 * "Already below its part" is read as "not above it": a competitor at
 * exactly its part leaves the target free as it is, so it is not capped.
 * With S the active competitors' total share this means: nothing is
 * capped when S <= 1e6 - target, every active competitor with a non-zero
 * share is when S > 1e6 - target.  The caps always sum to at most
 * 1e6 - target; when that leaves less than 1 ppm per competitor to cap
 * (e.g. target 1e6) the caps cannot be expressed: -EINVAL, cap_ppm all 0.
 * n == 0 caps nothing and returns 0.
 */
int cgw_policy_caps(const struct cgw_sib *comp, size_t n, uint32_t target_ppm,
		    uint32_t active_ppm, uint32_t *cap_ppm)
{
	uint64_t budget, sum = 0, ncap = 0;
	u128 total = 0;
	size_t i;

	if ((n && (!comp || !cap_ppm)) || !target_ppm || target_ppm > PPM_ONE)
		return -EINVAL;
	budget = PPM_ONE - target_ppm;
	for (i = 0; i < n; i++)
		if (cgw_sib_active(&comp[i], active_ppm))
			total += comp[i].share_ppm;
	for (i = 0; i < n; i++) {
		cap_ppm[i] = cap_part(&comp[i], active_ppm, budget, total);
		sum += cap_ppm[i];
		ncap += cap_ppm[i] != 0;
	}
	if (ncap > budget) {
		memset(cap_ppm, 0, n * sizeof(*cap_ppm));
		return -EINVAL;
	}
	fit_budget(cap_ppm, n, sum, budget);
	return (int)ncap;
}

/* --- relax state machine ------------------------------------------------ */

void cgw_relax_breach(struct cgw_relax *r)
{
	r->state = CGW_RELAX_ACTIVE;
}

/* Only ACTIVE moves (to HOLD): a clear in HOLD does not restart the hold. */
void cgw_relax_clear(struct cgw_relax *r, uint64_t now_ns)
{
	if (r->state != CGW_RELAX_ACTIVE)
		return;
	r->state = CGW_RELAX_HOLD;
	r->hold_start_ns = now_ns;
}

/* A clock that went backwards (now < last write) does not allow a write. */
bool cgw_relax_may_write(const struct cgw_relax *r, uint64_t now_ns,
			 uint64_t cooldown_ns)
{
	if (!r->last_write_ns)
		return true;
	return now_ns >= r->last_write_ns &&
	       now_ns - r->last_write_ns >= cooldown_ns;
}

/* Earliest time cgw_relax_may_write() allows a write (0: any time). */
static uint64_t write_ok_at(const struct cgw_relax *r, uint64_t cooldown_ns)
{
	if (!r->last_write_ns)
		return 0;
	return sat_add(r->last_write_ns, cooldown_ns);
}

/*
 * *next_ns: in HOLD the earliest time a step can be due, i.e. the end of
 * the hold or, should the cooldown of the last write outlast it, the end
 * of that cooldown; in RELAX the end of the cooldown; 0 in IDLE and
 * ACTIVE.  When a step is due now it is the time the following step can
 * be due once this one is written now (now + cooldown): what the caller
 * gets by asking again after cgw_relax_wrote(), and a caller that cannot
 * write now (another value of the cgroup is in its cooldown) sleeps
 * instead of spinning on a timer armed at now.  next_ns may be NULL.
 */
bool cgw_relax_due(struct cgw_relax *r, uint64_t now_ns, uint64_t hold_ns,
		   uint64_t cooldown_ns, uint64_t *next_ns)
{
	uint64_t hold_end, next = 0;
	bool due = false;

	switch (r->state) {
	case CGW_RELAX_HOLD:
		hold_end = sat_add(r->hold_start_ns, hold_ns);
		if (now_ns < hold_end) {
			next = max_u64(hold_end, write_ok_at(r, cooldown_ns));
			break;
		}
		r->state = CGW_RELAX_RELAX;
		/* fall through */
	case CGW_RELAX_RELAX:
		due = cgw_relax_may_write(r, now_ns, cooldown_ns);
		next = due ? sat_add(now_ns, cooldown_ns) :
			     write_ok_at(r, cooldown_ns);
		break;
	default:
		break;
	}
	if (next_ns)
		*next_ns = next;
	return due;
}

/*
 * last_write_ns == 0 means "never written", so a write at time 0 is
 * recorded as 1 ns: the cooldown must not forget it.
 */
void cgw_relax_wrote(struct cgw_relax *r, uint64_t now_ns, bool at_original)
{
	r->last_write_ns = now_ns ? now_ns : 1;
	if (at_original)
		r->state = CGW_RELAX_IDLE;
}

/* --- relax steps -------------------------------------------------------- */

/*
 * Halfway from @cur toward @orig, the step rounded down (so the value
 * rounds toward @cur and never overshoots), in both directions.  Snaps to
 * @orig when the step would be < 1 (|cur - orig| <= 1) or when the new
 * value is within 5 % of @orig (|new - orig| * 20 <= orig).  The distance
 * to @orig goes from d to ceil(d / 2) each step, so at most
 * ceil(log2(|cur - orig|)) + 1 steps are needed.
 */
uint64_t cgw_relax_weight(uint64_t cur, uint64_t orig)
{
	uint64_t dist = cur > orig ? cur - orig : orig - cur;
	uint64_t step = dist / 2;

	if (!step)
		return orig;
	if ((u128)(dist - step) * RELAX_SNAP_DIV <= orig)
		return orig;
	return cur > orig ? cur - step : cur + step;
}

/*
 * Doubles @cur (at least to the 1000 us kernel minimum, so that a zero
 * quota still converges).  A quota only ever grows back: cur >= orig
 * returns orig.  With @orig unlimited, a quota >= ncpus * period no longer
 * limits anything and snaps to CGW_QUOTA_MAX.
 */
uint64_t cgw_relax_quota(uint64_t cur, uint64_t orig, unsigned int ncpus,
			 uint64_t period_us)
{
	uint64_t next;

	if (cur >= orig)
		return orig;
	next = cur > UINT64_MAX / 2 ? UINT64_MAX : cur * 2;
	next = max_u64(next, QUOTA_MIN_US);
	if (next >= orig)
		return orig;
	if (orig == CGW_QUOTA_MAX && (u128)next >= (u128)ncpus * period_us)
		return orig;
	return next;
}

/* --- the controller of a minimum ---------------------------------------- */

#define MODEL_MAX_MEMBERS 1024

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* True when |to - from| is a change below @deadband_ppm of @from. */
static bool in_deadband(uint64_t from, uint64_t to, uint32_t deadband_ppm)
{
	uint64_t d = from > to ? from - to : to - from;

	return (u128)d * PPM_ONE < (u128)deadband_ppm * from;
}

/*
 * Water-filling: members whose demand is below their part of what is left
 * (by weight) get their demand and leave; the others, self among them,
 * share the rest by weight.  Each pass removes at least one member or
 * ends, so it takes at most n passes.  Members past MODEL_MAX_MEMBERS are
 * left out (the agent never tracks that many).
 */
uint32_t cgw_model_share(const struct cgw_member *m, size_t n, size_t self,
			 uint64_t w, uint32_t cap_ppm)
{
	bool done[MODEL_MAX_MEMBERS] = { false };
	uint64_t rem = cap_ppm;
	bool changed = true;
	u128 wsum = w;
	size_t i;

	if (n > MODEL_MAX_MEMBERS)
		n = MODEL_MAX_MEMBERS;
	while (changed) {
		changed = false;
		wsum = w;
		for (i = 0; i < n; i++)
			if (i != self && m[i].active && !done[i])
				wsum += m[i].weight;
		if (!wsum)
			return 0;
		for (i = 0; i < n; i++) {
			if (i == self || !m[i].active || done[i])
				continue;
			if ((u128)m[i].demand_ppm * wsum <=
			    (u128)rem * m[i].weight) {
				done[i] = true;
				rem -= min_u64(rem, m[i].demand_ppm);
				changed = true;
			}
		}
	}
	return (uint32_t)((u128)rem * w / wsum);
}

/* The smallest weight in [wmin, wmax] whose model share reaches @target
 * of @cap (the share grows with the weight); wmax + 1 if none does. */
static uint64_t weight_for(const struct cgw_member *m, size_t n, size_t self,
			   uint64_t target, uint32_t cap, uint64_t wmin,
			   uint64_t wmax)
{
	uint64_t lo = wmin, hi = wmax, mid;

	if (cgw_model_share(m, n, self, wmax, cap) < target)
		return wmax + 1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cgw_model_share(m, n, self, mid, cap) >= target)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* A member's share over horizon @h (0 span, 1 slow, 2 long); a horizon
 * not known reads as the slow figure. */
static uint64_t horizon(const struct cgw_member *m, int h)
{
	uint32_t v = h == 0 ? m->span_ppm : h == 2 ? m->long_ppm : 0;

	return v ? v : m->share_ppm;
}

int cgw_setpoint(const struct cgw_member *m, size_t n, size_t self,
		 const struct cgw_member *idle, uint32_t min_ppm,
		 uint32_t margin_ppm, uint64_t wmin, uint64_t wmax,
		 struct cgw_setpoint *out)
{
	uint64_t target, cap = 0, w, bound;
	bool alone = true;
	size_t i;

	if (!m || !out || !n || self >= n || !min_ppm || min_ppm > PPM_ONE ||
	    !wmin || wmin > wmax || wmax > UINT64_MAX / 2)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	target = min_u64((uint64_t)min_ppm + margin_ppm, PPM_ONE);
	if (m[self].demand_ppm > min_ppm && m[self].demand_ppm < target)
		target = m[self].demand_ppm;
	for (i = 0; i < n; i++)
		alone &= i == self || !m[i].active;
	for (int h = 0; h < 3; h++) {
		uint64_t c = idle ? horizon(idle, h) : 0;

		for (i = 0; i < n; i++)
			if (i == self || m[i].active)
				c += horizon(&m[i], h);
		cap = max_u64(cap, c);
	}
	cap = min_u64(cap, PPM_ONE);
	out->target_ppm = (uint32_t)target;
	out->cap_ppm = (uint32_t)cap;
	out->alone = alone;
	if (alone) {
		out->predicted_ppm = (uint32_t)cap;
		return 0;
	}
	w = weight_for(m, n, self, target, PPM_ONE, wmin, wmax);
	out->clamped = w > wmax;
	out->nominal = min_u64(w, wmax);
	bound = min_u64(2 * out->nominal, wmax);
	w = cap > target ?
		    weight_for(m, n, self, target, (uint32_t)cap, wmin, bound) :
		    bound + 1;
	out->unreachable = w > bound;
	out->weight = out->unreachable ? out->nominal : w;
	out->predicted_ppm =
		cgw_model_share(m, n, self, out->weight, (uint32_t)cap);
	return 0;
}

/* The last raise has not had settle_ns to show yet. */
static bool settling(const struct cgw_ctl *c, const struct cgw_ctl_params *p,
		     uint64_t now)
{
	return c->last_step_ns && now >= c->last_step_ns &&
	       now - c->last_step_ns < p->settle_ns;
}

void cgw_ctl_breach(struct cgw_ctl *c, const struct cgw_ctl_params *p,
		    const struct cgw_setpoint *sp, uint64_t cur,
		    uint32_t share_ppm, enum cgw_ctl_ev ev, uint64_t now,
		    struct cgw_ctl_out *out)
{
	uint64_t bound, next;

	memset(out, 0, sizeof(*out));
	/* said once an episode: what the set gets moves with load outside
	 * it, and the report must not flap with it */
	if (sp->unreachable && !c->unreachable) {
		out->unreachable_edge = 1;
		c->unreachable = true;
	}
	if (sp->alone)
		return; /* a weight takes nothing from nobody */
	if (ev != CGW_CTL_EV_ACTIVE && settling(c, p, now))
		return;
	if (cur < sp->weight &&
	    !in_deadband(cur, sp->weight, p->deadband_ppm)) {
		out->why = CGW_CTL_SETPOINT;
		out->weight = sp->weight;
		return;
	}
	if (ev != CGW_CTL_EV_PERSIST || share_ppm >= p->min_ppm)
		return;
	/* the last feedback step did not close a quarter of the gap */
	if (c->nfeedback &&
	    share_ppm <
		    c->share_at_step + (p->min_ppm -
					min_u64(c->share_at_step, p->min_ppm)) /
					       4)
		c->exhausted = true;
	if (!c->exhausted) {
		bound = min_u64(max_u64(sp->weight, 2 * sp->nominal), p->wmax);
		next = min_u64(cur + cur / 2, bound);
		if (next > cur && !in_deadband(cur, next, p->deadband_ppm)) {
			out->why = CGW_CTL_FEEDBACK;
			out->weight = next;
			return;
		}
		c->exhausted = true;
	}
	out->escalate = !sp->unreachable;
}

int cgw_ctl_clear(struct cgw_ctl *c)
{
	bool was = c->unreachable;

	c->unreachable = false;
	c->exhausted = false;
	c->nfeedback = 0;
	return was ? -1 : 0;
}

void cgw_ctl_wrote(struct cgw_ctl *c, const struct cgw_ctl_out *out,
		   uint32_t share_ppm, uint64_t now)
{
	switch (out->why) {
	case CGW_CTL_FEEDBACK:
		c->nfeedback++;
		break;
	case CGW_CTL_NONE:
		return;
	default:
		c->nfeedback = 0;
		c->exhausted = false;
		break;
	}
	if (out->why == CGW_CTL_SETPOINT || out->why == CGW_CTL_FEEDBACK) {
		c->last_step_ns = now ? now : 1;
		c->share_at_step = share_ppm;
	}
}

void cgw_ctl_relax(const struct cgw_ctl *c, const struct cgw_ctl_params *p,
		   const struct cgw_setpoint *sp, uint64_t cur, bool demand,
		   struct cgw_ctl_out *out)
{
	uint64_t target = c->orig, next;

	memset(out, 0, sizeof(*out));
	if (demand && !sp->alone)
		target = max_u64(c->orig, sp->weight);
	if (cur <= target)
		return; /* raising is the breach path's business */
	next = max_u64(target, cur / 2);
	if (next == c->orig) {
		out->why = CGW_CTL_ORIGINAL;
		out->weight = next;
	} else if (!in_deadband(cur, next, p->deadband_ppm)) {
		out->why = CGW_CTL_RELAX;
		out->weight = next;
	}
}

uint32_t cgw_ctl_surplus_ppm(uint32_t min_ppm, uint32_t margin_ppm)
{
	uint64_t band = max_u64(margin_ppm, 20000);

	return (uint32_t)min_u64((uint64_t)min_ppm + margin_ppm + band,
				 PPM_ONE);
}

int cgw_wait_params(uint64_t limit_ns, uint32_t pmil,
		    struct cgw_wait_params *out)
{
	uint64_t us = limit_ns / 1000;
	uint32_t bucket;

	if (!us || us > UINT32_MAX || pmil < 1 || pmil >= 1000)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->limit_us = (uint32_t)us;
	bucket = cgw_wait_bucket(limit_ns);
	for (uint32_t b = bucket + 1; b < CGW_HIST_BUCKETS; b++)
		out->wgt[b] = 1024;
	/* waits of whole us in [lo, hi); above the limit: limit+1 .. hi-1 */
	if (bucket < CGW_HIST_BUCKETS - 1) {
		uint64_t lo = cgw_bucket_lo_us(bucket);
		uint64_t hi = cgw_bucket_hi_us(bucket);

		out->wgt[bucket] =
			us + 1 >= hi ?
				0 :
				(uint32_t)(((hi - us - 1) << 10) / (hi - lo));
	}
	out->pmil = pmil;
	out->min = CGW_WAIT_MIN_SAMPLES;
	return 0;
}

static uint64_t hist_rank(uint64_t count, uint32_t pmil)
{
	uint64_t r = (count * pmil + 999) / 1000;

	return r ? r : 1;
}

void cgw_hist_stats(const uint32_t *d, uint32_t pmil0, uint32_t pmil1,
		    struct cgw_hist_stats *out)
{
	uint64_t rank[2], cum = 0;
	uint32_t max = 0;

	memset(out, 0, sizeof(*out));
	for (uint32_t b = 0; b < CGW_HIST_BUCKETS; b++) {
		out->count += d[b];
		if (d[b])
			max = b;
	}
	if (!out->count)
		return;
	out->max_us = (uint32_t)cgw_bucket_hi_us(max);
	rank[0] = hist_rank(out->count, pmil0);
	rank[1] = hist_rank(out->count, pmil1);
	for (uint32_t b = 0; b < CGW_HIST_BUCKETS; b++) {
		uint64_t lo = cgw_bucket_lo_us(b), w = cgw_bucket_hi_us(b) - lo;

		for (int k = 0; k < 2; k++)
			if (d[b] && cum < rank[k] && cum + d[b] >= rank[k])
				out->us[k] =
					(uint32_t)(lo +
						   w * (rank[k] - cum) / d[b]);
		cum += d[b];
	}
}

bool cgw_wait_idle_pick(const struct cgw_wait_comp *c)
{
	return c->busy && !c->promised && !c->weight_ours && c->has_idle &&
	       !c->idle;
}

uint64_t cgw_wait_raise(uint64_t cur, uint64_t orig, uint64_t wmax)
{
	uint64_t bound = min_u64(wmax, max_u64(orig, 1) * CGW_WAIT_RAISE_MAX);

	if (cur >= bound)
		return cur;
	return min_u64(bound, max_u64(cur, 1) * 2);
}
