// SPDX-License-Identifier: GPL-2.0
/*
 * Anti-flap and overload guarantees on real cgroups (issue 14, items 4-6):
 *  - a stall (SIGSTOP) while a breach starts and clears: on SIGCONT no
 *    stale action is applied, and the dropped records are counted;
 *  - SIGTERM under a flood (200 watched cgroups, 1 ms windows,
 *    --trace-windows): the agent exits within 2 s and every file it
 *    changed holds its original again;
 *  - a competitor switching on and off every second: every file written
 *    at most once per cooldown, nothing relaxed before hold since that
 *    file's last raise or cap.
 * The files are read from the kernel, not from the agent's reports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgtest.h"

static struct cgt_agent agent;
static char statefile[64];

static int setup(void **state)
{
	(void)state;
	cgt_fixture_setup(statefile, sizeof(statefile), "flap");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cgt_fixture_teardown(&agent, statefile);
	return 0;
}

static void read_quota(const char *rel, char *buf, size_t len)
{
	assert_true(cgt_read(rel, cgt_quota_file(), buf, len) >= 0);
}

/* "N <what>" in the agent's exit report on stderr; -1 if absent. */
static long long exit_count(const char *what)
{
	static char err[1 << 16];
	const char *p;
	ssize_t n;
	off_t end;
	int fd;

	/* the report is at the end of a log that a flood makes long */
	fd = open(agent.errfile, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	end = lseek(fd, 0, SEEK_END);
	n = pread(fd, err, sizeof(err) - 1,
		  end > (off_t)sizeof(err) - 1 ? end - (off_t)sizeof(err) + 1 :
						 0);
	close(fd);
	if (n < 0)
		return -1;
	err[n] = 0;
	p = strstr(err, what);
	if (!p)
		return -1;
	while (p > err && p[-1] == ' ')
		p--;
	while (p > err && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return strtoll(p, NULL, 10);
}

/* Has the agent's quota file of @rel left @orig within @ms? */
static bool quota_changes(const char *rel, const char *orig, int ms)
{
	char buf[64];

	for (int i = 0; i < ms / 10; i++) {
		read_quota(rel, buf, sizeof(buf));
		if (strcmp(buf, orig))
			return true;
		cgt_sleep_ms(10);
	}
	return false;
}

/*
 * Stall: the agent is stopped while c1 breaks its maximum and mends it
 * again (the hog runs 1.5 s, then stops); 5 s after SIGSTOP it resumes.
 * The breach is superseded by its clear: applying it now would cap a
 * cgroup that has been idle for seconds.
 */
static void test_stall_drops_stale(void **state)
{
	struct cgt_load one = { .nthreads = 2, .cpu = -1 };
	int slow = cgt_slow();
	char cfg[512], q0[64], q1[64];
	const char *const args[] = { "--state-file", statefile, NULL };
	const char *const action[] = { "\"type\":\"action\"", NULL };
	long long stale;
	pid_t hog;

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("s1"), 0);
	read_quota("s1", q0, sizeof(q0));
	snprintf(cfg, sizeof(cfg),
		 "[agent]\nwindow = %dms\ncooldown = %dms\nhold = %dms\n\n"
		 "[s1]\npath = %s\nmax_share = 25%%\n",
		 10 * slow, 50 * slow, 500 * slow, cgt_relpath("s1"));
	assert_int_equal(cgt_agent_start(&agent, cfg, args), 0);
	cgt_sleep_ms(300 * slow); /* a whole span seen */
	assert_int_equal(kill(agent.pid, SIGSTOP), 0);
	hog = cgt_spawn("s1", &one, NULL);
	assert_true(hog > 0);
	cgt_sleep_ms(1500 * slow);
	cgt_kill(hog);
	cgt_sleep_ms(3500 * slow);
	assert_int_equal(kill(agent.pid, SIGCONT), 0);
	/* nothing may be written for the breach that is over */
	if (cgt_agent_wait(&agent, action, 1500 * slow)) {
		cgt_agent_dump_recent(&agent);
		fail_msg("stale action applied after SIGCONT");
	}
	read_quota("s1", q1, sizeof(q1));
	assert_string_equal(q1, q0);
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
	stale = exit_count("stale records dropped");
	print_message(
		"stall: 5 s SIGSTOP, %lld stale records dropped, %s %s -> %s\n",
		stale, cgt_quota_file(), q0, q1);
	assert_true(stale > 0);
}

/* Reads and discards @fd until EOF, in a child of its own. */
static void drain(int fd)
{
	char buf[65536];
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	cgt_track(pid);
}

#define FLOOD_CGROUPS 200
#define FLOOD_HOGS 2

/*
 * 200 watched cgroups at 1 ms windows with every window traced: the
 * records come faster than the agent prints them.  Two of the cgroups
 * hog the CPU past their maximum and get capped first.  SIGTERM must
 * still restore both caps and exit within 2 s.
 */
static void test_sigterm_under_flood(void **state)
{
	static char cfg[FLOOD_CGROUPS * 128 + 256];
	struct cgt_load one = { .nthreads = 1, .cpu = -1 };
	const char *const args[] = { "--state-file", statefile,
				     "--trace-windows", NULL };
	char q0[FLOOD_HOGS][64], q[64], rel[32];
	int slow = cgt_slow(), len, st = -1;
	uint64_t t0, t1;
	siginfo_t si;
	bool exited = false;

	(void)state;
	CGT_NEED_ENV();
	len = snprintf(
		cfg, sizeof(cfg),
		"[agent]\nwindow = %dms\ncooldown = %dms\nhold = %dms\n\n",
		1 * slow, 50 * slow, 1000 * slow);
	for (int i = 0; i < FLOOD_CGROUPS; i++) {
		snprintf(rel, sizeof(rel), "f%d", i);
		assert_int_equal(cgt_mkcg(rel), 0);
		if (i < FLOOD_HOGS)
			read_quota(rel, q0[i], sizeof(q0[i]));
		len += snprintf(cfg + len, sizeof(cfg) - len,
				"[f%d]\npath = %s\nmax_share = 10%%\n", i,
				cgt_relpath(rel));
	}
	assert_int_equal(cgt_agent_start(&agent, cfg, args), 0);
	drain(agent.out_fd);
	for (int i = 0; i < FLOOD_HOGS; i++) {
		snprintf(rel, sizeof(rel), "f%d", i);
		assert_true(cgt_spawn(rel, &one, NULL) > 0);
	}
	for (int i = 0; i < FLOOD_HOGS; i++) {
		snprintf(rel, sizeof(rel), "f%d", i);
		assert_true(quota_changes(rel, q0[i], 5000 * slow));
	}
	cgt_sleep_ms(1000 * slow); /* the flood builds up a backlog */
	t0 = cgt_now_ns();
	kill(agent.pid, SIGTERM);
	/* wait without reaping, so that cgt_agent_stop() still can */
	while (cgt_now_ns() - t0 < 10ULL * 1000000000ULL * slow) {
		memset(&si, 0, sizeof(si));
		if (!waitid(P_PID, agent.pid, &si,
			    WEXITED | WNOHANG | WNOWAIT) &&
		    si.si_pid == agent.pid) {
			exited = true;
			break;
		}
		cgt_sleep_ms(5);
	}
	t1 = cgt_now_ns();
	print_message(
		"flood: %d cgroups, 1 ms windows, --trace-windows: exit %.0f ms after SIGTERM%s\n",
		FLOOD_CGROUPS, (double)(t1 - t0) / 1e6,
		exited ? "" : " (not exited: SIGKILLed)");
	if (!exited)
		kill(agent.pid, SIGKILL);
	st = cgt_agent_stop(&agent, SIGTERM);
	print_message(
		"flood: %lld window records shed, %lld stale records dropped\n",
		exit_count("window records shed"),
		exit_count("stale records dropped"));
	assert_true(exited);
	assert_int_equal(st, 0);
	assert_true(t1 - t0 < 2000000000ULL * slow);
	for (int i = 0; i < FLOOD_HOGS; i++) {
		snprintf(rel, sizeof(rel), "f%d", i);
		read_quota(rel, q, sizeof(q));
		assert_string_equal(q, q0[i]);
	}
}

#define SQ_FILES 16

struct sq_file {
	char key[160]; /* path/file */
	uint64_t last, last_raise; /* ns, 0: none */
	int writes;
};

/* "key":"value" of a JSON line into @buf. */
static void json_str(const char *line, const char *key, char *buf, size_t len)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	buf[0] = 0;
	p = strstr(line, pat);
	if (!p)
		return;
	p += strlen(pat);
	e = strchr(p, '"');
	if (e)
		snprintf(buf, len, "%.*s", (int)(e - p), p);
}

static struct sq_file *sq_find(struct sq_file *f, int *n, const char *key)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(f[i].key, key))
			return &f[i];
	assert_true(*n < SQ_FILES);
	memset(&f[*n], 0, sizeof(f[*n]));
	snprintf(f[*n].key, sizeof(f[*n].key), "%s", key);
	return &f[(*n)++];
}

/*
 * A square wave: q2 (under a maximum) and q3 (a competitor of q1's
 * minimum) switch on and off together every second for 12 s while q4
 * hogs one CPU throughout.  Every action the agent reports is checked
 * per file: gaps >= cooldown, no relax before hold since that file's last
 * raise or cap.  The agent's t_written_ns is CLOCK_MONOTONIC right after
 * the write returned.
 */
static void test_square_wave(void **state)
{
	struct cgt_load two = { .nthreads = 2, .cpu = -1 };
	struct cgt_load one = { .nthreads = 1, .cpu = -1 };
	const char *const args[] = { "--state-file", statefile, NULL };
	const char *const action[] = { "\"type\":\"action\"", NULL };
	int slow = cgt_slow(), nfiles = 0, writes = 0, bad_gap = 0, early = 0;
	uint64_t cd = 100ULL * 1000000 * slow, hold = 1500ULL * 1000000 * slow;
	uint64_t min_gap = UINT64_MAX, min_relax = UINT64_MAX, t_end, t_next;
	struct sq_file files[SQ_FILES];
	pid_t wave[2] = { 0, 0 };
	char cfg[1024];
	bool on = false;

	(void)state;
	CGT_NEED_ENV();
	for (int i = 1; i <= 4; i++) {
		char rel[8];

		snprintf(rel, sizeof(rel), "q%d", i);
		assert_int_equal(cgt_mkcg(rel), 0);
		assert_int_equal(cgt_set_weight(rel, 1024), 0);
	}
	snprintf(cfg, sizeof(cfg),
		 "[agent]\nwindow = %dms\ncooldown = %dms\nhold = %dms\n\n"
		 "[q1]\npath = %s\nmin_share = 50%%\nscope = %s\n\n"
		 "[q2]\npath = %s\nmax_share = 20%%\n",
		 10 * slow, 100 * slow, 1500 * slow, cgt_relpath("q1"),
		 cgt_prefix(), cgt_relpath("q2"));
	assert_int_equal(cgt_agent_start(&agent, cfg, args), 0);
	assert_true(cgt_spawn("q1", &two, NULL) > 0);
	assert_true(cgt_spawn("q4", &one, NULL) > 0);
	t_next = cgt_now_ns();
	t_end = t_next + 12000ULL * 1000000 * slow;
	while (cgt_now_ns() < t_end) {
		const char *line;
		char path[128], file[32], reason[64], key[160];
		uint64_t t;
		struct sq_file *f;
		int wait;

		if (cgt_now_ns() >= t_next) {
			on = !on;
			for (int i = 0; i < 2; i++) {
				if (on) {
					wave[i] = cgt_spawn(i ? "q3" : "q2",
							    &two, NULL);
					assert_true(wave[i] > 0);
				} else {
					cgt_kill(wave[i]);
				}
			}
			t_next += 1000ULL * 1000000 * slow;
		}
		wait = (int)((t_next - cgt_now_ns()) / 1000000) + 1;
		line = cgt_agent_wait(&agent, action, wait);
		if (!line)
			continue;
		json_str(line, "path", path, sizeof(path));
		json_str(line, "file", file, sizeof(file));
		json_str(line, "reason", reason, sizeof(reason));
		t = (uint64_t)cgt_json_int(line, "t_written_ns");
		snprintf(key, sizeof(key), "%s/%s", path, file);
		f = sq_find(files, &nfiles, key);
		if (f->last) {
			min_gap = t - f->last < min_gap ? t - f->last : min_gap;
			if (t - f->last < cd) {
				bad_gap++;
				print_message("gap %.1f ms on %s: %s\n",
					      (t - f->last) / 1e6, key, line);
			}
		}
		if (!strncmp(reason, "relax", 5)) {
			if (f->last_raise) {
				uint64_t d = t - f->last_raise;

				min_relax = d < min_relax ? d : min_relax;
				if (d < hold) {
					early++;
					print_message(
						"relax %.1f ms after the raise on %s: %s\n",
						d / 1e6, key, line);
				}
			}
		} else {
			f->last_raise = t;
		}
		f->last = t;
		f->writes++;
		writes++;
	}
	print_message(
		"square wave: %d writes to %d files in 12 s; smallest gap per file %.1f ms (cooldown %.0f ms), %d below; smallest raise->relax %.1f ms (hold %.0f ms), %d below\n",
		writes, nfiles, min_gap == UINT64_MAX ? -1.0 : min_gap / 1e6,
		cd / 1e6, bad_gap,
		min_relax == UINT64_MAX ? -1.0 : min_relax / 1e6, hold / 1e6,
		early);
	assert_true(writes > 0);
	assert_int_equal(bad_gap, 0);
	assert_int_equal(early, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stall_drops_stale, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_under_flood, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_square_wave, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
