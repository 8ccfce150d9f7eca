// SPDX-License-Identifier: GPL-2.0
/*
 * Durations and shares as written in the configuration.  Exact integer
 * arithmetic only: "12.5%" is 125000 ppm, "1.5ms" is 1500000 ns.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

#define NSEC_PER_USEC UINT64_C(1000)
#define NSEC_PER_MSEC UINT64_C(1000000)
#define NSEC_PER_SEC UINT64_C(1000000000)
#define DURATION_FRAC_DIGITS 3
#define SHARE_FRAC_DIGITS 4
#define PPM_PER_PERCENT 10000U
#define PPM_MAX 1000000U

/* A decimal number "D+" or "D+.D{1,maxfrac}", the fraction scaled up. */
struct fixed {
	uint64_t ipart;
	uint32_t frac; /* fraction * 10^maxfrac */
	bool overflow; /* ipart did not fit in 64 bits */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *parse_ipart(const char *p, struct fixed *fx)
{
	for (; is_digit(*p); p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (__builtin_mul_overflow(fx->ipart, 10, &fx->ipart) ||
		    __builtin_add_overflow(fx->ipart, d, &fx->ipart))
			fx->overflow = true;
	}
	return p;
}

/* Returns the first character after the number, or NULL if malformed. */
static const char *parse_fixed(const char *s, int maxfrac, struct fixed *fx)
{
	const char *p;
	int n = 0;

	memset(fx, 0, sizeof(*fx));
	if (!s || !is_digit(*s))
		return NULL;
	p = parse_ipart(s, fx);
	if (*p != '.')
		goto scale;
	for (p++; is_digit(*p); p++, n++) {
		if (n == maxfrac)
			return NULL;
		fx->frac = fx->frac * 10 + (uint32_t)(*p - '0');
	}
	if (n == 0)
		return NULL;
scale:
	for (; n < maxfrac; n++)
		fx->frac *= 10;
	return p;
}

static uint64_t unit_ns(const char *u)
{
	if (!strcmp(u, "us"))
		return NSEC_PER_USEC;
	if (!strcmp(u, "ms"))
		return NSEC_PER_MSEC;
	if (!strcmp(u, "s"))
		return NSEC_PER_SEC;
	return 0;
}

int cgw_parse_duration(const char *s, uint64_t *ns)
{
	struct fixed fx;
	const char *u;
	uint64_t mult, v;

	u = parse_fixed(s, DURATION_FRAC_DIGITS, &fx);
	if (!u)
		return -EINVAL;
	mult = unit_ns(u);
	if (!mult)
		return -EINVAL;
	/* mult is a multiple of 1000, so the fraction is exact. */
	if (fx.overflow || __builtin_mul_overflow(fx.ipart, mult, &v) ||
	    __builtin_add_overflow(v, fx.frac * (mult / 1000), &v))
		return -ERANGE;
	*ns = v;
	return 0;
}

int cgw_parse_share(const char *s, uint32_t *ppm)
{
	struct fixed fx;
	const char *u;
	uint64_t v;

	u = parse_fixed(s, SHARE_FRAC_DIGITS, &fx);
	if (!u || strcmp(u, "%"))
		return -EINVAL;
	if (fx.overflow || fx.ipart > PPM_MAX / PPM_PER_PERCENT)
		return -ERANGE;
	v = fx.ipart * PPM_PER_PERCENT + fx.frac;
	if (v > PPM_MAX)
		return -ERANGE;
	*ppm = (uint32_t)v;
	return 0;
}

void cgw_format_duration(uint64_t ns, char *buf, unsigned long len)
{
	uint64_t frac = ns % NSEC_PER_USEC;
	int digits = DURATION_FRAC_DIGITS;

	if (!buf || !len)
		return;
	if (ns % NSEC_PER_SEC == 0) {
		snprintf(buf, len, "%" PRIu64 "s", ns / NSEC_PER_SEC);
	} else if (ns % NSEC_PER_MSEC == 0) {
		snprintf(buf, len, "%" PRIu64 "ms", ns / NSEC_PER_MSEC);
	} else if (frac == 0) {
		snprintf(buf, len, "%" PRIu64 "us", ns / NSEC_PER_USEC);
	} else {
		/* No "ns" unit: a fraction of a microsecond, still exact. */
		for (; frac % 10 == 0; frac /= 10)
			digits--;
		snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64 "us",
			 ns / NSEC_PER_USEC, digits, frac);
	}
}

void cgw_format_share(uint32_t ppm, char *buf, unsigned long len)
{
	uint32_t frac = ppm % PPM_PER_PERCENT;
	int digits = 4;

	if (!buf || !len)
		return;
	if (!frac) {
		snprintf(buf, len, "%" PRIu32 "%%", ppm / PPM_PER_PERCENT);
		return;
	}
	for (; frac % 10 == 0; frac /= 10)
		digits--;
	snprintf(buf, len, "%" PRIu32 ".%0*" PRIu32 "%%", ppm / PPM_PER_PERCENT,
		 digits, frac);
}
