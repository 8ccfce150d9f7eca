// SPDX-License-Identifier: GPL-2.0
/*
 * Selectors and following the hierarchy, on real cgroups shaped like
 * containers' (docker/<64 hex> of the cgroupfs driver, docker-<id>.scope
 * of the systemd one) under the test's private parent.  What the agent
 * watches is seen from its --trace-windows records (one per window of
 * each selected cgroup); what it writes, from the cgroup files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgtest.h"

static struct cgt_agent agent;
static char statefile[64];

static int setup(void **state)
{
	(void)state;
	cgt_fixture_setup(statefile, sizeof(statefile), "follow");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cgt_fixture_teardown(&agent, statefile);
	return 0;
}

/* A container id: 64 hex digits, from @n. */
static const char *cid(int n)
{
	static char buf[4][65];
	char *b = buf[n % 4];

	for (int i = 0; i < 64; i++)
		b[i] = "0123456789abcdef"[(n * 7 + i * 13) % 16];
	b[64] = '\0';
	return b;
}

static int start(const char *body, bool trace)
{
	const char *const args[] = { "--state-file", statefile,
				     trace ? "--trace-windows" : NULL, NULL };
	char cfg[4096];

	snprintf(cfg, sizeof(cfg),
		 "[agent]\nwindow = %dms\ncooldown = %dms\nhold = %dms\n\n%s",
		 10 * cgt_slow(), 50 * cgt_slow(), 300 * cgt_slow(), body);
	return cgt_agent_start(&agent, cfg, args);
}

/* The next window record of table entry @name; its t_event_ns or 0. */
static uint64_t window_of(const char *name, int timeout_ms)
{
	char nm[PATH_MAX + 80];
	const char *const needles[] = { "\"type\":\"window\"", nm, NULL };
	const char *line;

	snprintf(nm, sizeof(nm), "\"name\":\"%s\"", name);
	line = cgt_agent_wait(&agent, needles, timeout_ms);
	if (!line) {
		print_message("no window record of %s\n", name);
		cgt_agent_dump_recent(&agent);
		return 0;
	}
	return (uint64_t)cgt_json_int(line, "t_event_ns");
}

static bool stderr_has(const char *needle)
{
	static char err[262144];

	return cgt_agent_stderr(&agent, err, sizeof(err)) >= 0 &&
	       strstr(err, needle);
}

/*
 * A pattern section selects every cgroup it matches, each reported as
 * section/cgroup; a leading '/' is the same relative path; what does not
 * match is not watched; a cgroup created after the start is watched
 * within a window or two of its mkdir.
 */
static void test_pattern_and_created(void **state)
{
	/* sized for what -Wformat-truncation cannot bound: cid() is 64 */
	char a[320], b[320], c[320], s[320], other[64], body[1024];
	char name[PATH_MAX];
	uint64_t t0, t1;

	(void)state;
	CGT_NEED_ENV();
	snprintf(a, sizeof(a), "docker/%s", cid(1));
	snprintf(b, sizeof(b), "docker/%s", cid(2));
	snprintf(c, sizeof(c), "docker/%s", cid(3));
	snprintf(s, sizeof(s), "system.slice/docker-%s.scope", cid(4));
	snprintf(other, sizeof(other), "system.slice/containerd.service");
	assert_int_equal(cgt_mkcg(a), 0);
	assert_int_equal(cgt_mkcg(b), 0);
	assert_int_equal(cgt_mkcg(s), 0);
	assert_int_equal(cgt_mkcg(other), 0);
	snprintf(
		body, sizeof(body),
		"[ctr]\npath = /%s/docker/*\nmax_share = 90%%\n\n"
		"[sc]\npath = %s/system.slice/docker-*.scope\nmax_share = 90%%\n",
		cgt_prefix(), cgt_prefix());
	assert_int_equal(start(body, true), 0);

	snprintf(name, sizeof(name), "ctr/%s", cgt_relpath(a));
	assert_true(window_of(name, 2000 * cgt_slow()));
	snprintf(name, sizeof(name), "ctr/%s", cgt_relpath(b));
	assert_true(window_of(name, 2000 * cgt_slow()));
	snprintf(name, sizeof(name), "sc/%s", cgt_relpath(s));
	assert_true(window_of(name, 2000 * cgt_slow()));
	assert_true(stderr_has("/docker/*: 2 cgroups"));
	assert_false(stderr_has("containerd.service"));

	/* created after the start */
	t0 = cgt_now_ns();
	assert_int_equal(cgt_mkcg(c), 0);
	snprintf(name, sizeof(name), "ctr/%s", cgt_relpath(c));
	t1 = window_of(name, 2000 * cgt_slow());
	assert_true(t1);
	print_message("created after start: first window %.1f ms after mkdir\n",
		      (double)(t1 - t0) / 1e6);
	/* a window is 10 ms: watched from the window in progress or the
	 * next one (slack for a loaded machine) */
	assert_true(t1 - t0 < 50ull * 1000000 * (uint64_t)cgt_slow());
	assert_true(stderr_has("appeared: watched"));
}

/*
 * A cgroup removed and recreated at the same path is a new cgroup: the
 * old one is dropped, the new one watched, capped from its own original
 * value and restored to it, never to the old one's.
 */
static void test_recreated(void **state)
{
	static const char *const act[] = { "\"type\":\"action\"", NULL };
	struct cgt_load sat = { .nthreads = 2, .cpu = -1 };
	bool v2 = cgt_hier()->mode == CGW_MODE_V2;
	const char *own = v2 ? "70000 100000" : "70000";
	char a[320], body[512], q0[64], q[64], want[80];
	const char *line;
	pid_t hog;

	(void)state;
	CGT_NEED_ENV();
	snprintf(a, sizeof(a), "docker/%s", cid(5));
	assert_int_equal(cgt_mkcg(a), 0);
	assert_true(cgt_read(a, cgt_quota_file(), q0, sizeof(q0)) >= 0);
	snprintf(body, sizeof(body),
		 "[ctr]\npath = %s/docker/*\nmax_share = 20%%\n", cgt_prefix());
	assert_int_equal(start(body, false), 0);
	hog = cgt_spawn(a, &sat, NULL);
	assert_true(hog > 0);
	assert_non_null(cgt_agent_wait(&agent, act, 3000 * cgt_slow()));

	/* `docker restart`: the tasks end, the cgroup goes, a new one with
	 * its own quota comes at the same path */
	cgt_kill(hog);
	assert_int_equal(cgt_rmcg(a), 0);
	assert_int_equal(cgt_mkcg(a), 0);
	assert_int_equal(cgt_write(a, cgt_quota_file(), own), 0);
	hog = cgt_spawn(a, &sat, NULL);
	assert_true(hog > 0);
	snprintf(want, sizeof(want), "\"old\":\"%s\"", own);
	{
		const char *const act2[] = { "\"type\":\"action\"", want,
					     NULL };

		line = cgt_agent_wait(&agent, act2, 3000 * cgt_slow());
		if (!line)
			cgt_agent_dump_recent(&agent);
		assert_non_null(line);
	}
	assert_true(stderr_has("vanished"));
	assert_true(stderr_has("appeared: watched"));
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
	agent.pid = 0;
	cgt_kill(hog);
	assert_true(cgt_read(a, cgt_quota_file(), q, sizeof(q)) >= 0);
	assert_string_equal(q, own); /* its own original, not q0 */
	assert_string_not_equal(q, q0);
}

/*
 * A competitor created after the start joins the sibling set at once: it
 * reports ACTIVE as soon as it runs.
 */
static void test_competitor_created(void **state)
{
	static const char *const active[] = { "\"type\":\"active\"",
					      "shop/late", NULL };
	struct cgt_load sat = { .nthreads = 2, .cpu = -1 };
	char body[512];
	const char *line;
	uint64_t t0;
	pid_t hog;

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("shop/web"), 0);
	snprintf(body, sizeof(body), "[web]\npath = /%s\nmin_share = 30%%\n",
		 cgt_relpath("shop/web"));
	assert_int_equal(start(body, false), 0);
	assert_int_equal(cgt_mkcg("shop/late"), 0);
	hog = cgt_spawn("shop/late", &sat, &t0);
	assert_true(hog > 0);
	line = cgt_agent_wait(&agent, active, 2000 * cgt_slow());
	if (!line)
		cgt_agent_dump_recent(&agent);
	assert_non_null(line);
	print_message(
		"competitor created after start: active %.1f ms after it started\n",
		(double)((uint64_t)cgt_json_int(line, "t_event_ns") - t0) /
			1e6);
	/* its first window, or the next one on a loaded machine */
	assert_true((uint64_t)cgt_json_int(line, "t_event_ns") - t0 <
		    50ull * 1000000 * (uint64_t)cgt_slow());
	cgt_kill(hog);
}

/* The agent's config file, with [agent] as start() writes it but for
 * @span_ms (0: the default). */
static void rewrite(const char *body, int span_ms)
{
	char cfg[4096], span[32] = "";
	FILE *f;

	if (span_ms)
		snprintf(span, sizeof(span), "span = %dms\n", span_ms);
	snprintf(cfg, sizeof(cfg),
		 "[agent]\nwindow = %dms\ncooldown = %dms\nhold = %dms\n%s\n%s",
		 10 * cgt_slow(), 50 * cgt_slow(), 300 * cgt_slow(), span,
		 body);
	f = fopen(agent.cfgfile, "we");
	assert_non_null(f);
	assert_int_equal(fputs(cfg, f) < 0, 0);
	assert_int_equal(fclose(f), 0);
}

/* Waits up to 2 s for @needle on the agent's stderr. */
static bool stderr_wait(const char *needle)
{
	for (int i = 0; i < 200 * cgt_slow(); i++) {
		if (stderr_has(needle))
			return true;
		cgt_sleep_ms(10);
	}
	return false;
}

/*
 * SIGHUP re-reads the file: a section removed is restored and released,
 * one added is watched, the agent goes on; an invalid file is reported
 * with its line and the running configuration stays; a changed [agent]
 * value is reported as needing a restart.
 */
static void test_reload(void **state)
{
	struct cgt_load sat = { .nthreads = 2, .cpu = -1 };
	char body[1024], qa0[64], qa[64], qb[64], qb1[64], restore[128];
	char line[PATH_MAX];
	const char *const act_b[] = { "\"type\":\"action\"", line, NULL };
	const char *const rest_a[] = { "\"type\":\"restore\"", restore, NULL };
	const char *l;

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("ra"), 0);
	assert_int_equal(cgt_mkcg("rb"), 0);
	assert_true(cgt_read("ra", cgt_quota_file(), qa0, sizeof(qa0)) >= 0);
	snprintf(body, sizeof(body), "[a]\npath = /%s\nmax_share = 20%%\n",
		 cgt_relpath("ra"));
	assert_int_equal(start(body, false), 0);
	assert_true(cgt_spawn("ra", &sat, NULL) > 0);
	assert_true(cgt_spawn("rb", &sat, NULL) > 0);
	snprintf(line, sizeof(line), "\"path\":\"%s\"", cgt_relpath("ra"));
	l = cgt_agent_wait(&agent, act_b, 3000 * cgt_slow());
	assert_non_null(l);

	/* [a] goes, [b] comes */
	snprintf(body, sizeof(body), "[b]\npath = %s\nmax_share = 20%%\n",
		 cgt_relpath("rb"));
	rewrite(body, 0);
	assert_int_equal(kill(agent.pid, SIGHUP), 0);
	snprintf(restore, sizeof(restore), "\"path\":\"%s\"",
		 cgt_relpath("ra"));
	l = cgt_agent_wait(&agent, rest_a, 3000 * cgt_slow());
	if (!l)
		cgt_agent_dump_recent(&agent);
	assert_non_null(l);
	assert_true(cgt_read("ra", cgt_quota_file(), qa, sizeof(qa)) >= 0);
	assert_string_equal(qa, qa0);
	snprintf(line, sizeof(line), "\"path\":\"%s\"", cgt_relpath("rb"));
	l = cgt_agent_wait(&agent, act_b, 3000 * cgt_slow());
	if (!l)
		cgt_agent_dump_recent(&agent);
	assert_non_null(l);
	assert_true(stderr_wait("sections 1 added, 1 removed, 0 unchanged"));
	cgt_sleep_ms(300);
	assert_true(cgt_read("rb", cgt_quota_file(), qb, sizeof(qb)) >= 0);

	/* invalid: reported with file:line, nothing changes */
	rewrite("[b]\npath = nope/none\nmax_share = 20%\n", 0);
	assert_int_equal(kill(agent.pid, SIGHUP), 0);
	assert_true(
		stderr_wait("invalid configuration; the running one stays"));
	snprintf(line, sizeof(line), "%s:7: path: 'nope/none' does not exist",
		 agent.cfgfile);
	assert_true(stderr_has(line));
	assert_true(cgt_read("rb", cgt_quota_file(), qb1, sizeof(qb1)) >= 0);
	assert_string_equal(qb, qb1);

	/* [b] unchanged, a value in the BPF program's rodata changed */
	snprintf(body, sizeof(body), "[b]\npath = %s\nmax_share = 20%%\n",
		 cgt_relpath("rb"));
	rewrite(body, 120);
	assert_int_equal(kill(agent.pid, SIGHUP), 0);
	assert_true(stderr_wait("sections 0 added, 0 removed, 1 unchanged"));
	assert_true(stderr_has("[agent] span changed"));
	assert_true(cgt_read("rb", cgt_quota_file(), qb1, sizeof(qb1)) >= 0);
	assert_string_equal(qb, qb1); /* kept, not restored */
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
	agent.pid = 0;
}

/*
 * A file someone else changes is released, and says so: a JSON record,
 * and `cgwarden status` with the value found; with [agent] retake it is
 * managed again after that time, from the value found.
 */
static void test_released_retake(void **state)
{
	struct cgt_load sat = { .nthreads = 2, .cpu = -1 };
	bool v2 = cgt_hier()->mode == CGW_MODE_V2;
	const char *theirs = v2 ? "80000 100000" : "80000";
	char cfg[1024], old[64], out[8192], want[128];
	const char *const args[] = { "--state-file", statefile, NULL };
	const char *const acted[] = { "\"type\":\"action\"", NULL };
	const char *const released[] = { "\"type\":\"released\"", NULL };
	const char *const retaken[] = { "\"type\":\"retake\"", NULL };
	const char *const again[] = { "\"type\":\"action\"", old, NULL };
	const char *st[] = { cgt_bin("cgwarden"), "status", "--state-file",
			     statefile,		  "--json", NULL };

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("rel"), 0);
	snprintf(
		cfg, sizeof(cfg),
		"[agent]\nwindow = %dms\ncooldown = %dms\nhold = %dms\nretake = %dms\n\n[rel]\npath = %s\nmax_share = 20%%\n",
		10 * cgt_slow(), 50 * cgt_slow(), 200 * cgt_slow(),
		1500 * cgt_slow(), cgt_relpath("rel"));
	assert_int_equal(cgt_agent_start(&agent, cfg, args), 0);
	assert_true(cgt_spawn("rel", &sat, NULL) > 0);
	assert_non_null(cgt_agent_wait(&agent, acted, 3000 * cgt_slow()));
	/* `docker update --cpu-quota` */
	assert_int_equal(cgt_write("rel", cgt_quota_file(), theirs), 0);
	if (!cgt_agent_wait(&agent, released, 3000 * cgt_slow())) {
		cgt_agent_dump_recent(&agent);
		fail_msg("no released record");
	}
	assert_int_equal(cgt_run(st, out, sizeof(out)), 0);
	print_message("status: %s", out);
	assert_non_null(strstr(out, "\"released\":true"));
	snprintf(want, sizeof(want), "\"foreign\":\"%s\"", theirs);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "\"retake_in_s\":"));
	assert_non_null(cgt_agent_wait(&agent, retaken, 3000 * cgt_slow()));
	/* managed again, from their value */
	snprintf(old, sizeof(old), "\"old\":\"%s\"", theirs);
	if (!cgt_agent_wait(&agent, again, 3000 * cgt_slow())) {
		cgt_agent_dump_recent(&agent);
		fail_msg("not capped again after retake");
	}
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
	agent.pid = 0;
	assert_true(cgt_read("rel", cgt_quota_file(), out, sizeof(out)) >= 0);
	assert_string_equal(out, theirs); /* restored to the new original */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pattern_and_created, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_recreated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_competitor_created, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_released_retake, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
