// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/core/metrics_fmt.c: the histogram, and the page in
 * the text exposition format, linted by `promtool check metrics` (from the
 * prometheus package) when it is installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "metrics_fmt.h"

static char *page; /* the last page formatted */

static void format(const struct cgw_metrics *m)
{
	size_t len = 0;
	FILE *f;

	free(page);
	page = NULL;
	f = open_memstream(&page, &len);
	assert_non_null(f);
	assert_int_equal(cgw_metrics_format(f, m), 0);
	assert_int_equal(fclose(f), 0);
}

#define assert_line(l)                                             \
	do {                                                       \
		if (!has_line(l))                                  \
			fail_msg("no line '%s' in:\n%s", l, page); \
	} while (0)

static int has_line(const char *l)
{
	size_t n = strlen(l);

	for (const char *p = page; p && *p; p = strchr(p, '\n') + 1) {
		if (!strncmp(p, l, n) && p[n] == '\n')
			return 1;
		if (!strchr(p, '\n'))
			break;
	}
	return 0;
}

static const struct cgw_mgroup groups[] = {
	{ .name = "web",
	  .min_ppm = 500000,
	  .have_estimate = true,
	  .share_ppm = 444500,
	  .breached = { true, false, true },
	  .have_usage = true,
	  .run_ns = 1500000000,
	  .wait_ns = 250,
	  .breaches = { 3, 0, 2 },
	  .max_wait_ns = 1000000,
	  .have_hist = true,
	  .hist = { [0] = 90, [3] = 5, [11] = 4, [CGW_HIST_BUCKETS - 1] = 1 },
	  .state = CGW_GS_BREACHED },
	{ .name = "batch", .max_ppm = 250000, .state = CGW_GS_OK },
	{ .name = "we\"ird\\na\nme", .min_ppm = 1, .max_ppm = 1000000 },
};

static void sample(struct cgw_metrics *m)
{
	memset(m, 0, sizeof(*m));
	m->version = "0.1.0";
	m->writes[CGW_WHY_SETPOINT] = 2;
	m->writes[CGW_WHY_CAP] = 1;
	m->skipped = 4;
	m->released = 5;
	m->unreachable = 6;
	m->deferred = 7;
	m->stale = 8;
	m->shed = 9;
	cgw_hist_observe(&m->reaction, 9000); /* <= 10 us */
	cgw_hist_observe(&m->reaction, 10000); /* le is inclusive */
	cgw_hist_observe(&m->reaction, 70000); /* <= 100 us */
	cgw_hist_observe(&m->reaction, 20000000); /* +Inf */
	m->have_kernel = true;
	m->kernel.windows = 100;
	m->kernel.events_sent = 7;
	m->kernel.events_dropped = 1;
	m->kernel.timer_late = 2;
	m->kernel.nest_overflow = 3;
	m->ngroups = 3;
	m->groups = groups;
}

static void test_hist(void **state)
{
	struct cgw_hist h = { .count = 0 };

	(void)state;
	cgw_hist_observe(&h, 0);
	cgw_hist_observe(&h, 10000);
	cgw_hist_observe(&h, 10001);
	cgw_hist_observe(&h, 10000000);
	cgw_hist_observe(&h, 10000001);
	assert_int_equal(h.bucket[0], 2);
	assert_int_equal(h.bucket[1], 1);
	assert_int_equal(h.bucket[CGW_HIST_NB - 1], 1);
	assert_int_equal(h.bucket[CGW_HIST_NB], 1);
	assert_int_equal(h.count, 5);
	assert_int_equal(h.sum_ns, 20020002);
}

static void test_page(void **state)
{
	struct cgw_metrics m;

	(void)state;
	sample(&m);
	format(&m);
	assert_line("cgwarden_build_info{version=\"0.1.0\"} 1");
	assert_line("# TYPE cgwarden_group_share_ratio gauge");
	assert_line("cgwarden_group_share_ratio{group=\"web\"} 0.444500");
	/* no estimate yet: no sample rather than an invented 0 */
	assert_null(
		strstr(page, "cgwarden_group_share_ratio{group=\"batch\"}"));
	assert_line(
		"cgwarden_group_limit_ratio{group=\"web\",kind=\"min\"} 0.500000");
	assert_line(
		"cgwarden_group_limit_ratio{group=\"batch\",kind=\"max\"} 0.250000");
	assert_null(strstr(
		page,
		"cgwarden_group_limit_ratio{group=\"web\",kind=\"max\"}"));
	assert_line("cgwarden_group_breached{group=\"web\",kind=\"min\"} 1");
	assert_line("cgwarden_group_breached{group=\"batch\",kind=\"max\"} 0");
	assert_line(
		"cgwarden_group_breaches_total{group=\"web\",kind=\"min\"} 3");
	assert_line(
		"cgwarden_group_cpu_seconds_total{group=\"web\"} 1.500000000");
	assert_line(
		"cgwarden_group_runqueue_wait_seconds_total{group=\"web\"} 0.000000250");
	assert_line("cgwarden_group_state{group=\"web\",state=\"breached\"} 1");
	assert_line("cgwarden_group_state{group=\"web\",state=\"ok\"} 0");
	assert_line("cgwarden_group_state{group=\"batch\",state=\"ok\"} 1");
	assert_line("cgwarden_writes_total{reason=\"setpoint\"} 2");
	assert_line("cgwarden_writes_total{reason=\"cap\"} 1");
	assert_line("cgwarden_writes_total{reason=\"escalation\"} 0");
	assert_line("cgwarden_writes_skipped_total 4");
	assert_line("cgwarden_files_released_total 5");
	assert_line("cgwarden_unreachable_total 6");
	assert_line("cgwarden_writes_deferred_total 7");
	assert_line("cgwarden_records_stale_total 8");
	assert_line("cgwarden_records_shed_total 9");
	/* cumulative buckets, le in seconds */
	assert_line("cgwarden_reaction_seconds_bucket{le=\"0.000010000\"} 2");
	assert_line("cgwarden_reaction_seconds_bucket{le=\"0.000025000\"} 2");
	assert_line("cgwarden_reaction_seconds_bucket{le=\"0.000100000\"} 3");
	assert_line("cgwarden_reaction_seconds_bucket{le=\"0.010000000\"} 3");
	assert_line("cgwarden_reaction_seconds_bucket{le=\"+Inf\"} 4");
	assert_line("cgwarden_reaction_seconds_sum 0.020089000");
	assert_line("cgwarden_reaction_seconds_count 4");
	assert_line("cgwarden_kernel_windows_total 100");
	assert_line("cgwarden_kernel_events_sent_total 7");
	assert_line("cgwarden_kernel_events_dropped_total 1");
	assert_line("cgwarden_kernel_late_windows_total 2");
	assert_line("cgwarden_kernel_nest_overflow_total 3");
}

/* A label value with a quote, a backslash and a newline. */
static void test_escape(void **state)
{
	struct cgw_metrics m;

	(void)state;
	sample(&m);
	format(&m);
	assert_line(
		"cgwarden_group_limit_ratio{group=\"we\\\"ird\\\\na\\nme\",kind=\"min\"} 0.000001");
	assert_line(
		"cgwarden_group_limit_ratio{group=\"we\\\"ird\\\\na\\nme\",kind=\"max\"} 1.000000");
}

static void test_no_kernel(void **state)
{
	struct cgw_metrics m;

	(void)state;
	sample(&m);
	m.have_kernel = false;
	format(&m);
	assert_null(strstr(page, "cgwarden_kernel_"));
}

/* Every metric has HELP and TYPE, each exactly once. */
static void test_help_type_once(void **state)
{
	struct cgw_metrics m;
	int types = 0, helps = 0;

	(void)state;
	sample(&m);
	format(&m);
	for (const char *p = page; (p = strstr(p, "# TYPE ")); p++)
		types++;
	for (const char *p = page; (p = strstr(p, "# HELP ")); p++)
		helps++;
	assert_int_equal(types, helps);
	assert_int_equal(types, 25);
}

/* A latency promise: its limit, its breach per kind "wait", and the wait
 * histogram, cumulative as Prometheus wants it, the last bucket +Inf. */
static void test_wait_metrics(void **state)
{
	struct cgw_metrics m;

	(void)state;
	sample(&m);
	format(&m);
	assert_non_null(strstr(
		page, "cgwarden_group_max_wait_seconds{group=\"web\"} 0.001000000\n"));
	assert_non_null(strstr(
		page,
		"cgwarden_group_breached{group=\"web\",kind=\"wait\"} 1\n"));
	assert_non_null(strstr(
		page,
		"cgwarden_group_breaches_total{group=\"web\",kind=\"wait\"} 2\n"));
	assert_null(strstr(page, "limit_ratio{group=\"web\",kind=\"wait\"}"));
	/* 0-1 us: 90; below 16 us: 95; below 4096 us: 99; all: 100 */
	assert_non_null(strstr(
		page,
		"cgwarden_group_runqueue_waits_seconds_bucket{group=\"web\",le=\"0.000002000\"} 90\n"));
	assert_non_null(strstr(
		page,
		"cgwarden_group_runqueue_waits_seconds_bucket{group=\"web\",le=\"0.000016000\"} 95\n"));
	assert_non_null(strstr(
		page,
		"cgwarden_group_runqueue_waits_seconds_bucket{group=\"web\",le=\"0.004096000\"} 99\n"));
	assert_non_null(strstr(
		page,
		"cgwarden_group_runqueue_waits_seconds_bucket{group=\"web\",le=\"+Inf\"} 100\n"));
	assert_non_null(strstr(
		page,
		"cgwarden_group_runqueue_waits_seconds_count{group=\"web\"} 100\n"));
	/* groups without a histogram have no series */
	assert_null(strstr(page, "waits_seconds_count{group=\"batch\"}"));
}

/* promtool's linter: names, units, _total, HELP, histogram shape. */
static void test_promtool(void **state)
{
	char file[] = "/tmp/cgw-metrics-XXXXXX", out[4096];
	struct cgw_metrics m;
	size_t n;
	FILE *p;
	int fd, rc;

	(void)state;
	if (system("command -v promtool >/dev/null 2>&1")) {
		print_message(
			"SKIP: promtool not installed (apt-get install prometheus)\n");
		skip();
	}
	sample(&m);
	format(&m);
	fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, page, strlen(page)), (ssize_t)strlen(page));
	close(fd);
	snprintf(out, sizeof(out), "promtool check metrics <%s 2>&1", file);
	p = popen(out, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	rc = pclose(p);
	unlink(file);
	if (rc || n)
		fail_msg("promtool check metrics (exit %d):\n%s", rc, out);
}

static int teardown(void **state)
{
	(void)state;
	free(page);
	page = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_no_kernel),
		cmocka_unit_test(test_help_type_once),
		cmocka_unit_test(test_wait_metrics),
		cmocka_unit_test(test_promtool),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
