// SPDX-License-Identifier: GPL-2.0
/*
 * Crash restore by identity (issues 13 and 14): a state entry is written
 * back only to the cgroup the agent changed (same cgroup id) and only where
 * the file still holds what the agent wrote.  Each test runs a real agent
 * that caps a real CPU hog, SIGKILLs it, changes the world the way an
 * operator or a container runtime would, then runs `cgwarden --restore`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <limits.h>
#include <sys/stat.h>

#include "cgtest.h"
#include "state.h"

static struct cgt_agent agent;
static char statefile[64];

static int setup(void **state)
{
	(void)state;
	cgt_fixture_setup(statefile, sizeof(statefile), "restore");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cgt_fixture_teardown(&agent, statefile);
	return 0;
}

/* A quota nobody would pick by accident, in the hierarchy's format. */
static const char *operator_quota(void)
{
	return cgt_hier()->mode == CGW_MODE_V2 ? "90000 100000" : "90000";
}

static void quota_of(const char *rel, char *buf, size_t len)
{
	assert_true(cgt_read(rel, cgt_quota_file(), buf, len) >= 0);
}

/*
 * Caps a hog in cgroup @rel with an agent, then SIGKILLs the agent.  @q0
 * gets the quota before, @q1 the agent's cap.  Returns the hog's pid.
 */
static pid_t cap_then_crash(const char *rel, char *q0, char *q1, size_t len)
{
	static const char *const act[] = { "\"type\":\"action\"", NULL };
	const char *const args[] = { "--state-file", statefile, NULL };
	struct cgt_load sat = { .nthreads = 2, .cpu = -1 };
	char cfg[512];
	pid_t pid;

	assert_int_equal(cgt_mkcg(rel), 0);
	quota_of(rel, q0, len);
	snprintf(
		cfg, sizeof(cfg),
		"[agent]\nwindow = %dms\ncooldown = %dms\n\n[%s]\npath = %s\nmax_share = 25%%\n",
		10 * cgt_slow(), 50 * cgt_slow(), rel, cgt_relpath(rel));
	assert_int_equal(cgt_agent_start(&agent, cfg, args), 0);
	pid = cgt_spawn(rel, &sat, NULL);
	assert_true(pid > 0);
	assert_non_null(cgt_agent_wait(&agent, act, 2000 * cgt_slow()));
	assert_int_equal(cgt_agent_stop(&agent, SIGKILL), 128 + SIGKILL);
	agent.pid = 0;
	quota_of(rel, q1, len);
	assert_string_not_equal(q0, q1); /* the crash left the cap */
	assert_int_equal(access(statefile, F_OK), 0);
	return pid;
}

static int restore(char *out, size_t len)
{
	const char *argv[] = { cgt_bin("cgwarden"), "--restore", "--state-file",
			       statefile, NULL };
	int rc = cgt_run(argv, out, len);

	print_message("%s", out);
	return rc;
}

/* The container is removed: its tasks end, its cgroup goes. */
static void remove_cg(const char *rel, pid_t hog)
{
	char path[PATH_MAX * 2];

	cgt_kill(hog);
	snprintf(path, sizeof(path), "%s/%s", cgt_hier()->root,
		 cgt_relpath(rel));
	assert_int_equal(rmdir(path), 0);
}

static void recreate(const char *rel, pid_t hog)
{
	remove_cg(rel, hog);
	assert_int_equal(cgt_mkcg(rel), 0);
}

/* A container restarted after the crash is a new cgroup at the same path:
 * it keeps its own values, never the old cgroup's original. */
static void test_recreated_then_restore(void **state)
{
	char q0[64], q1[64], q2[64], out[4096];
	pid_t hog;

	(void)state;
	CGT_NEED_ENV();
	hog = cap_then_crash("box", q0, q1, sizeof(q0));
	recreate("box", hog);
	assert_int_equal(
		cgt_write("box", cgt_quota_file(), operator_quota()), 0);
	assert_int_equal(restore(out, sizeof(out)), 0);
	quota_of("box", q2, sizeof(q2));
	assert_string_equal(q2, operator_quota());
	assert_non_null(strstr(out, "recreated"));
	assert_int_not_equal(access(statefile, F_OK), 0);
}

/* v1 allows renaming a cgroup: the renamed one is not at the recorded path
 * any more, a new one there is another cgroup.  Neither gets the original
 * written over what it holds. */
static void test_renamed_then_restore(void **state)
{
	char q0[64], q1[64], q2[64], q3[64], out[4096];
	char from[PATH_MAX * 2], to[PATH_MAX * 2];

	(void)state;
	CGT_NEED_ENV();
	/* registered for cleanup first, then freed for the rename */
	assert_int_equal(cgt_mkcg("moved"), 0);
	snprintf(from, sizeof(from), "%s/%s", cgt_hier()->root,
		 cgt_relpath("old"));
	snprintf(to, sizeof(to), "%s/%s", cgt_hier()->root,
		 cgt_relpath("moved"));
	assert_int_equal(rmdir(to), 0);
	cap_then_crash("old", q0, q1, sizeof(q0));
	if (rename(from, to)) {
		print_message("SKIP: rename of a cgroup refused here (%s)\n",
			      strerror(errno));
		skip();
	}
	assert_int_equal(cgt_mkcg("old"), 0);
	assert_int_equal(
		cgt_write("old", cgt_quota_file(), operator_quota()), 0);
	assert_int_equal(restore(out, sizeof(out)), 0);
	quota_of("old", q2, sizeof(q2));
	assert_string_equal(q2, operator_quota());
	quota_of("moved", q3, sizeof(q3));
	assert_string_equal(q3, q1); /* not found by path: reported, kept */
	assert_non_null(strstr(out, "recreated"));
	assert_int_not_equal(access(statefile, F_OK), 0);
}

/* An operator wrote the file before the agent noticed; then the crash. */
static void test_operator_write_then_restore(void **state)
{
	char q0[64], q1[64], q2[64], out[4096], err[256];
	struct cgw_state st;
	bool found = false;

	(void)state;
	CGT_NEED_ENV();
	cap_then_crash("ops", q0, q1, sizeof(q0));
	/* the state (or its record file) names the value the agent left */
	assert_int_equal(cgw_state_read(statefile, &st, err, sizeof(err)), 0);
	for (size_t i = 0; i < st.n; i++)
		if (!strcmp(st.e[i].file, cgt_quota_file()))
			found |= !strcmp(st.e[i].written, q1) ||
				 !strcmp(st.e[i].next, q1) ||
				 !strcmp(st.e[i].rwritten, q1) ||
				 !strcmp(st.e[i].rnext, q1);
	cgw_state_free(&st);
	assert_true(found);
	assert_int_equal(
		cgt_write("ops", cgt_quota_file(), operator_quota()), 0);
	assert_int_equal(restore(out, sizeof(out)), 0);
	quota_of("ops", q2, sizeof(q2));
	assert_string_equal(q2, operator_quota());
	assert_non_null(strstr(out, "changed by someone else, left as is"));
	assert_int_not_equal(access(statefile, F_OK), 0);
}

/* Crash, then the container is removed: --restore succeeds and removes
 * the state file; a new agent is never blocked by the gone cgroup. */
static void test_vanished_then_restore(void **state)
{
	char q0[64], q1[64], out[4096];
	pid_t hog;

	(void)state;
	CGT_NEED_ENV();
	hog = cap_then_crash("gone", q0, q1, sizeof(q0));
	remove_cg("gone", hog);
	assert_int_equal(restore(out, sizeof(out)), 0);
	assert_non_null(strstr(out, "cgroup gone"));
	assert_int_not_equal(access(statefile, F_OK), 0);
}

/* The same without --restore: the next agent drops the gone entry and
 * starts.  (A state with a value still to restore stops a start: the
 * operator decides; test_actuate's test_sigkill_then_restore.) */
static void test_vanished_then_start(void **state)
{
	const char *const args[] = { "--state-file", statefile, NULL };
	char q0[64], q1[64], cfg[512], err[8192];
	pid_t hog;

	(void)state;
	CGT_NEED_ENV();
	hog = cap_then_crash("gone", q0, q1, sizeof(q0));
	remove_cg("gone", hog);
	assert_int_equal(cgt_mkcg("other"), 0);
	snprintf(cfg, sizeof(cfg), "[other]\npath = %s\nmin_share = 5%%\n",
		 cgt_relpath("other"));
	assert_int_equal(cgt_agent_start(&agent, cfg, args), 0);
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
	agent.pid = 0;
	assert_true(cgt_agent_stderr(&agent, err, sizeof(err)) > 0);
	assert_non_null(strstr(err, "cgroup gone"));
	assert_int_not_equal(access(statefile, F_OK), 0);
}

/* Issue 12: every watched file's original is on file before the agent
 * attaches, and a write of an episode only puts a record in place: the
 * state file is not rewritten (same inode), yet the record names the
 * value the crash left, and --restore puts the original back. */
static void test_originals_on_file_before_attach(void **state)
{
	static const char *const act[] = { "\"type\":\"action\"", NULL };
	const char *const args[] = { "--state-file", statefile, NULL };
	struct cgt_load sat = { .nthreads = 2, .cpu = -1 };
	char q0[64], q1[64], q2[64], cfg[512], out[4096], err[256];
	struct stat s0, s1;
	struct cgw_state st;
	bool listed = false, named = false;

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("early"), 0);
	quota_of("early", q0, sizeof(q0));
	snprintf(
		cfg, sizeof(cfg),
		"[agent]\nwindow = %dms\ncooldown = %dms\n\n[early]\npath = %s\nmax_share = 25%%\n",
		10 * cgt_slow(), 50 * cgt_slow(), cgt_relpath("early"));
	assert_int_equal(cgt_agent_start(&agent, cfg, args), 0);
	/* started, nothing written yet: the originals are on file */
	assert_int_equal(stat(statefile, &s0), 0);
	assert_int_equal(cgw_state_read(statefile, &st, err, sizeof(err)), 0);
	for (size_t i = 0; i < st.n; i++)
		listed |= !strcmp(st.e[i].file, cgt_quota_file()) &&
			  !strcmp(st.e[i].value, q0) && !st.e[i].written[0] &&
			  !st.e[i].next[0];
	cgw_state_free(&st);
	assert_true(listed);
	assert_true(cgt_spawn("early", &sat, NULL) > 0);
	assert_non_null(cgt_agent_wait(&agent, act, 2000 * cgt_slow()));
	assert_int_equal(cgt_agent_stop(&agent, SIGKILL), 128 + SIGKILL);
	agent.pid = 0;
	quota_of("early", q1, sizeof(q1));
	assert_string_not_equal(q0, q1);
	/* the write did not replace the state file ... */
	assert_int_equal(stat(statefile, &s1), 0);
	print_message("state file inode %lu before, %lu after the write\n",
		      (unsigned long)s0.st_ino, (unsigned long)s1.st_ino);
	assert_int_equal(s0.st_ino, s1.st_ino);
	/* ... and its record file names the value the crash left */
	assert_int_equal(cgw_state_read(statefile, &st, err, sizeof(err)), 0);
	for (size_t i = 0; i < st.n; i++)
		named |= !strcmp(st.e[i].file, cgt_quota_file()) &&
			 (!strcmp(st.e[i].rwritten, q1) ||
			  !strcmp(st.e[i].rnext, q1));
	cgw_state_free(&st);
	assert_true(named);
	assert_int_equal(restore(out, sizeof(out)), 0);
	quota_of("early", q2, sizeof(q2));
	assert_string_equal(q2, q0);
	assert_int_not_equal(access(statefile, F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recreated_then_restore,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_renamed_then_restore,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_operator_write_then_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_originals_on_file_before_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vanished_then_restore,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_vanished_then_start, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
