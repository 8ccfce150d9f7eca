// SPDX-License-Identifier: GPL-2.0
/*
 * cgw-web: a latency-sensitive periodic task, the ground truth of the
 * latency-promise benchmark and tests.
 *   cgw-web [-P PERIOD_US] [-w WORK_US] [-d SECONDS] [-W WARMUP_S]
 * Wakes every PERIOD_US (default 1000) at an absolute CLOCK_MONOTONIC
 * deadline, works WORK_US (default 100) of CPU, and sleeps until the next
 * deadline.  Its wake-up lateness (time it woke and ran less the deadline)
 * is what a "max_wait" promise is about, measured by the task itself and
 * not by any BPF.  On exit (after SECONDS, or SIGTERM/SIGINT) prints one
 * line:
 *   samples N p50_us X p99_us Y max_us Z over1ms K
 * with the percentiles of the lateness over the run after the first
 * WARMUP_S seconds (default 0; nearest rank, exact: every sample is kept).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t rank(const uint32_t *v, size_t n, unsigned pct)
{
	size_t r = (n * pct + 99) / 100;

	return v[r ? r - 1 : 0];
}

int main(int argc, char **argv)
{
	long period_us = 1000, work_us = 100;
	double secs = 0, warm = 0;
	size_t cap = 1 << 16, n = 0, over = 0;
	uint32_t *lat;
	uint64_t next, end = 0, from;
	int opt;

	while ((opt = getopt(argc, argv, "P:w:d:W:")) != -1) {
		char *e;

		switch (opt) {
		case 'P':
			period_us = strtol(optarg, &e, 10);
			if (*e || period_us < 10 || period_us > 1000000)
				goto usage;
			break;
		case 'w':
			work_us = strtol(optarg, &e, 10);
			if (*e || work_us < 0 || work_us > 1000000)
				goto usage;
			break;
		case 'd':
			secs = strtod(optarg, &e);
			if (*e || secs < 0)
				goto usage;
			break;
		case 'W':
			warm = strtod(optarg, &e);
			if (*e || warm < 0)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	lat = malloc(cap * sizeof(*lat));
	if (!lat)
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	next = now_ns(CLOCK_MONOTONIC);
	if (secs > 0)
		end = next + (uint64_t)(secs * 1e9);
	from = next + (uint64_t)(warm * 1e9);
	while (!stop) {
		struct timespec ts;
		uint64_t t, late, stop_at;

		next += (uint64_t)period_us * 1000;
		ts.tv_sec = next / 1000000000ull;
		ts.tv_nsec = next % 1000000000ull;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR &&
		       !stop)
			;
		t = now_ns(CLOCK_MONOTONIC);
		late = t > next ? t - next : 0;
		if (next < from)
			goto work;
		if (n == cap) {
			uint32_t *p = realloc(lat, 2 * cap * sizeof(*lat));

			if (!p)
				break;
			lat = p;
			cap *= 2;
		}
		lat[n++] = late / 1000 > UINT32_MAX ? UINT32_MAX : late / 1000;
		over += late > 1000000;
work:
		/* the work: CPU time, not wall time, so that a preemption in
		 * the middle does not shorten it */
		stop_at = now_ns(CLOCK_THREAD_CPUTIME_ID) + work_us * 1000;
		while (now_ns(CLOCK_THREAD_CPUTIME_ID) < stop_at)
			;
		/* fell behind by whole periods: skip them, as a server
		 * would drop stale ticks (each still counted late once) */
		t = now_ns(CLOCK_MONOTONIC);
		if (t > next + (uint64_t)period_us * 1000)
			next += (t - next) / ((uint64_t)period_us * 1000) *
				(uint64_t)period_us * 1000;
		if (end && t >= end)
			break;
	}
	if (!n) {
		printf("samples 0\n");
		return 0;
	}
	qsort(lat, n, sizeof(*lat), cmp_u32);
	printf("samples %zu p50_us %u p99_us %u max_us %u over1ms %zu\n", n,
	       rank(lat, n, 50), rank(lat, n, 99), lat[n - 1], over);
	free(lat);
	return 0;
usage:
	fprintf(stderr,
		"usage: cgw-web [-P PERIOD_US] [-w WORK_US] [-d SECONDS] [-W WARMUP_S]\n");
	return 2;
}
