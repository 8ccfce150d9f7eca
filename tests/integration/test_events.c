// SPDX-License-Identifier: GPL-2.0
/*
 * Breach and clear events from the agent binary (build/cgwarden --json) on
 * real cgroups under real CPU contention, and invalid configurations that
 * must be refused before anything is loaded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgtest.h"

/* 10 ms windows (scaled under emulation); the timer may fire a little
 * late on a loaded VM */
#define WINDOW_NS (10000000ull * (uint64_t)cgt_slow())
#define TIMER_SLACK_NS (2000000ull * (uint64_t)cgt_slow())
#define MS(x) ((x) * cgt_slow())
/*
 * Breaches are judged on the sliding estimate over SPAN windows (the
 * default span, 100 ms, in windows of 10 ms, or of 10 ms * CGW_TEST_SLOW
 * under emulation: at least 2).  After a step of the share from @from to
 * @to the estimate moves by (to - from) / SPAN a window, so it crosses
 * @limit after SPAN * (from - limit) / (from - to) windows, plus the
 * time the step itself takes (below).
 */
static double span_windows(void)
{
	double n = 10.0 / cgt_slow();

	return n < 2 ? 2 : n;
}

static uint64_t crossing_ns(double from, double to, double limit)
{
	double w = span_windows() * (from - limit) / (from - to);

	/* + 4 windows: CFS moves a group's weight between CPUs by PELT
	 * load (32 ms half-life), so the step itself takes a few windows */
	return ((uint64_t)w + 6) * WINDOW_NS + TIMER_SLACK_NS;
}

/*
 * A minimum also needs the guard average (an EWMA over 8 windows) below
 * min + margin (5 %): after the same step it gets there after
 * 8 * ln((from - to) / (limit + 0.05 - to)) windows.
 */
static uint64_t min_breach_ns(double from, double to, double limit)
{
	double g = 8 * log((from - to) / (limit + 0.05 - to));
	uint64_t c = crossing_ns(from, to, limit);
	uint64_t gn = ((uint64_t)g + 6) * WINDOW_NS + TIMER_SLACK_NS;

	return c > gn ? c : gn;
}

static struct cgt_agent agent;

static int teardown(void **state)
{
	(void)state;
	if (agent.pid > 0)
		cgt_agent_stop(&agent, 0);
	cgt_cleanup();
	return 0;
}

static const char *config(const char *body)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "[agent]\nwindow = %dms\ncooldown = %dms\n\n%s", MS(10),
		 MS(50), body);
	return buf;
}

/* (2) held below min_share by competing load: breach as soon as the
 * sliding estimate can show it (50 % -> about 10 %: 5 windows for 30 %),
 * clear once the competitor stops. */
static void test_min_breach_and_clear(void **state)
{
	/* One thread: 50% of a 2-CPU machine alone; ~10% against a hog
	 * with 4x the weight.  Both pinned to CPU 0, so contention starts
	 * when the hog does, not when the load balancer gets round to it
	 * (measured: up to 25 ms later when unpinned). */
	struct cgt_load one = { .nthreads = 1, .cpu = 0 };
	struct cgt_load four = { .nthreads = 4, .cpu = 0 };
	const char *br[] = { "\"type\":\"breach\"", "\"name\":\"web\"",
			     "\"kind\":\"min_share\"", NULL };
	const char *cl[] = { "\"type\":\"clear\"", "\"name\":\"web\"", NULL };
	char body[512];
	uint64_t t0, t1, te;
	const char *line;
	pid_t hog;

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("web"), 0);
	assert_int_equal(cgt_mkcg("hog"), 0);
	assert_int_equal(cgt_set_weight("web", 256), 0);
	assert_int_equal(cgt_set_weight("hog", 1024), 0);
	static const char *const trace[] = { "--trace-windows", NULL };

	snprintf(body, sizeof(body), "[web]\npath = %s\nmin_share = 30%%\n",
		 cgt_relpath("web"));
	assert_int_equal(cgt_agent_start(&agent, config(body), trace), 0);

	assert_true(cgt_spawn("web", &one, NULL) > 0);
	/* alone, web has a whole CPU: no breach */
	assert_null(cgt_agent_wait(&agent, br, MS(300)));

	hog = cgt_spawn("hog", &four, &t0);
	assert_true(hog > 0);
	line = cgt_agent_wait(&agent, br, MS(2000));
	assert_non_null(line);
	te = (uint64_t)cgt_json_int(line, "t_event_ns");
	print_message("breach %.2f ms after the competitor started (t0 %llu): %s\n",
		      ((double)te - (double)t0) / 1e6, (unsigned long long)t0, line);
	if (te - t0 > min_breach_ns(0.5, 0.1, 0.3))
		cgt_agent_dump_recent(&agent);
	assert_true(te >= t0);
	assert_true(te - t0 <= min_breach_ns(0.5, 0.1, 0.3));
	assert_true(cgt_json_int(line, "share_ppm") < 300000);
	assert_true(cgt_json_int(line, "wait_ns") > 0);

	t1 = cgt_now_ns();
	cgt_kill(hog);
	line = cgt_agent_wait(&agent, cl, MS(2000));
	assert_non_null(line);
	te = (uint64_t)cgt_json_int(line, "t_event_ns");
	print_message("clear %.2f ms after the competitor stopped\n",
		      ((double)te - (double)t1) / 1e6);
	assert_true(te >= t1);
	/* back above 30 % + 1 % of hysteresis, then 2 good windows */
	assert_true(te - t1 <= crossing_ns(0.1, 0.5, 0.31) + 2 * WINDOW_NS);
	assert_int_equal(cgt_agent_stop(&agent, 0), 0);
}

/* (3) a cgroup that mostly sleeps never breaches its minimum, even when
 * its rare wakeups wait behind a CPU hog. */
static void test_sleeper_never_breaches(void **state)
{
	/* the sleep scales with emulation like the windows do: under TCG
	 * the 50 us of work between sleeps takes several times longer */
	struct cgt_load nap = { .nthreads = 2,
				.cpu = -1,
				.sleep_us = 2000 * cgt_slow() };
	struct cgt_load hogl = { .nthreads = 4, .cpu = -1 };
	const char *br[] = { "\"type\":\"breach\"", "\"name\":\"nap\"",
			     NULL };
	const char *line;
	char body[512];

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("nap"), 0);
	assert_int_equal(cgt_mkcg("hog"), 0);
	static const char *const trace[] = { "--trace-windows", NULL };

	snprintf(body, sizeof(body), "[nap]\npath = %s\nmin_share = 50%%\n",
		 cgt_relpath("nap"));
	assert_int_equal(cgt_agent_start(&agent, config(body), trace), 0);
	assert_true(cgt_spawn("hog", &hogl, NULL) > 0);
	assert_true(cgt_spawn("nap", &nap, NULL) > 0);
	line = cgt_agent_wait(&agent, br, MS(1500));
	if (line) {
		print_message("unexpected: %s\n", line);
		cgt_agent_dump_recent(&agent);
	}
	assert_null(line);
	assert_int_equal(cgt_agent_stop(&agent, 0), 0);
}

/* (4) above max_share: breach, then clear once the load stops. */
static void test_max_breach_and_clear(void **state)
{
	struct cgt_load two = { .nthreads = 2, .cpu = -1 };
	const char *br[] = { "\"type\":\"breach\"", "\"name\":\"batch\"",
			     "\"kind\":\"max_share\"", NULL };
	const char *cl[] = { "\"type\":\"clear\"", "\"name\":\"batch\"", NULL };
	char body[512];
	uint64_t t0, te;
	const char *line;
	pid_t pid;

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("batch"), 0);
	snprintf(body, sizeof(body), "[batch]\npath = %s\nmax_share = 25%%\n",
		 cgt_relpath("batch"));
	assert_int_equal(cgt_agent_start(&agent, config(body), NULL), 0);
	assert_null(cgt_agent_wait(&agent, br, MS(200)));
	pid = cgt_spawn("batch", &two, &t0);
	assert_true(pid > 0);
	line = cgt_agent_wait(&agent, br, MS(2000));
	assert_non_null(line);
	te = (uint64_t)cgt_json_int(line, "t_event_ns");
	print_message("max breach %.2f ms after start: %s\n",
		      ((double)te - (double)t0) / 1e6, line);
	/* 0 -> 100 % of the machine: above 25 % after 3 windows */
	assert_true(te - t0 <= crossing_ns(0, 1, 0.25));
	assert_true(cgt_json_int(line, "share_ppm") > 250000);
	cgt_kill(pid);
	line = cgt_agent_wait(&agent, cl, MS(2000));
	assert_non_null(line);
	assert_true(cgt_json_int(line, "share_ppm") <= 250000);
	assert_int_equal(cgt_agent_stop(&agent, 0), 0);
}

/* (5) invalid configurations: non-zero exit, the message names file:line,
 * and not one bpf() call is made. */
static void test_invalid_config_attaches_nothing(void **state)
{
	static const struct {
		const char *text;
		const char *want; /* after "FILE:" */
	} cases[] = {
		{ "[agent]\nwindow = 10 parsecs\n[w]\npath = x\nmin_share = 5%\n",
		  ":2: window" },
		{ "[w]\npath = %s\nmin_share = 150%%\n", ":3: min_share" },
		{ "[w]\npath = %s/../..\nmin_share = 5%%\n", ":2: path" },
		{ "[w]\npath = %s/nope\nmin_share = 5%%\n", ":2: path" },
		{ "[w]\npath = %s\nmin_share = 5%%\nspeed = 3\n", ":4: speed" },
		{ "[w]\npath = %s\nmin_share = 5%%\n[w]\npath = %s\nmax_share = 5%%\n",
		  ":4: [w]" },
	};
	char text[1024], out[16384], cfg[] = "/tmp/cgwtest-bad-XXXXXX";
	const char *p;
	int fd;

	(void)state;
	CGT_NEED_ENV();
	if (access("/usr/bin/strace", X_OK)) {
		print_message("SKIP: strace is not installed (make deps)\n");
		skip();
	}
	assert_int_equal(cgt_mkcg(""), 0);
	p = cgt_relpath("");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = { "strace", "-f", "-qq", "-e", "trace=bpf",
				       cgt_bin("cgwarden"), "-c", cfg, NULL };
		char want[PATH_MAX + 64];
		int st;

		snprintf(text, sizeof(text), cases[i].text, p, p);
		fd = mkstemp(cfg);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, text, strlen(text)),
				 (ssize_t)strlen(text));
		close(fd);
		st = cgt_run(argv, out, sizeof(out));
		unlink(cfg);
		snprintf(want, sizeof(want), "%s%s", cfg, cases[i].want);
		print_message("case %zu: exit %d, expecting '%s'\n", i, st,
			      want);
		if (!strstr(out, want))
			print_message("%s\n", out);
		assert_int_not_equal(st, 0);
		assert_non_null(strstr(out, want));
		assert_null(strstr(out, "bpf("));
		strcpy(cfg, "/tmp/cgwtest-bad-XXXXXX");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_min_breach_and_clear, teardown),
		cmocka_unit_test_teardown(test_sleeper_never_breaches, teardown),
		cmocka_unit_test_teardown(test_max_breach_and_clear, teardown),
		cmocka_unit_test_teardown(test_invalid_config_attaches_nothing,
					  teardown),
	};

	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
