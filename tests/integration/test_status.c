// SPDX-License-Identifier: GPL-2.0
/*
 * `cgwarden status` against a running agent on real cgroups: a capped
 * cgroup shows as breached (or relaxing once it is back under its
 * maximum) with its quota file, original and current value; the socket
 * is 0600 in a 0700 directory the agent made; a second agent on the same
 * socket refuses to start; without an agent the client fails and names
 * the socket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgtest.h"

static struct cgt_agent agent;
static char statefile[64], sockdir[80], sockpath[128];

static int setup(void **state)
{
	(void)state;
	cgt_fixture_setup(statefile, sizeof(statefile), "status");
	snprintf(sockdir, sizeof(sockdir), "/tmp/cgwtest-run-%d", getpid());
	snprintf(sockpath, sizeof(sockpath), "%s/status.sock", sockdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cgt_fixture_teardown(&agent, statefile);
	unlink(sockpath);
	rmdir(sockdir);
	return 0;
}

/* Runs `cgwarden status ARGS...`; output in @out, returns the status. */
static int status(char *out, size_t len, const char *a1, const char *a2,
		  const char *a3)
{
	const char *argv[] = {
		cgt_bin("cgwarden"), "status", a1, a2, a3, NULL
	};

	return cgt_run(argv, out, len);
}

static void test_no_agent(void **state)
{
	char out[1024];

	(void)state;
	if (access(cgt_bin("cgwarden"), X_OK))
		skip();
	assert_int_equal(status(out, sizeof(out), "--socket",
				"/tmp/cgwtest-no-such.sock", NULL),
			 1);
	assert_non_null(
		strstr(out, "no agent answers on /tmp/cgwtest-no-such.sock"));
	/* the default socket comes from --state-file */
	assert_int_equal(status(out, sizeof(out), "--state-file",
				"/tmp/cgwtest-none", "--json"),
			 1);
	assert_non_null(strstr(out, "/tmp/cgwtest-none.sock"));
}

static void test_status_of_capped_group(void **state)
{
	static const char *const args[] = { "--state-file", statefile, NULL };
	static const char *const acted[] = { "\"type\":\"action\"",
					     "\"file\":\"cpu.", NULL };
	struct cgt_load sat = { .nthreads = 2, .cpu = -1 };
	char cfg[1024], quota0[64], out[16384], want[512];
	struct stat st;
	int s = cgt_slow();

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("batch"), 0);
	assert_int_equal(cgt_mkcg("web"), 0);
	assert_true(cgt_read("batch", cgt_quota_file(), quota0,
			     sizeof(quota0)) >= 0);
	quota0[strcspn(quota0, "\n")] = '\0';
	snprintf(
		cfg, sizeof(cfg),
		"[agent]\nwindow = %dms\ncooldown = %dms\nhold = %ds\nstatus_socket = %s\n\n"
		"[batch]\npath = %s\nmax_share = 25%%\n\n"
		"[web]\npath = %s\nmin_share = 20%%\n",
		10 * s, 50 * s, 30 * s, sockpath, cgt_relpath("batch"),
		cgt_relpath("web"));
	assert_int_equal(cgt_agent_start(&agent, cfg, args), 0);
	assert_int_equal(stat(sockdir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(sockpath, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	/* nothing yet */
	assert_int_equal(
		status(out, sizeof(out), "--socket", sockpath, "--json"), 0);
	assert_non_null(strstr(out, "\"changes\":[]"));
	assert_non_null(strstr(out, "\"name\":\"web\""));
	assert_non_null(strstr(out, "\"min_share_ppm\":200000"));

	assert_true(cgt_spawn("batch", &sat, NULL) > 0);
	if (!cgt_agent_wait(&agent, acted, 5000 * s)) {
		cgt_agent_dump_recent(&agent);
		fail_msg("the agent did not cap batch");
	}
	assert_int_equal(
		status(out, sizeof(out), "--socket", sockpath, "--json"), 0);
	print_message("status --json: %s", out);
	snprintf(want, sizeof(want), "\"name\":\"batch\",\"path\":\"%s\"",
		 cgt_relpath("batch"));
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "\"max_share_ppm\":250000"));
	/* still over its maximum, or under it with our cap in place */
	assert_true(strstr(out, "\"state\":\"breached\"}") ||
		    strstr(out, "\"state\":\"relaxing\"}"));
	snprintf(
		want, sizeof(want),
		"{\"group\":\"batch\",\"path\":\"%s\",\"file\":\"%s\",\"original\":\"%s\",\"current\":\"",
		cgt_relpath("batch"), cgt_quota_file(), quota0);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "\"released\":false}]}"));
	assert_non_null(strstr(out, "\"writes\":"));

	/* the same as text, and through the state file's default path */
	assert_int_equal(status(out, sizeof(out), "--socket", sockpath, NULL),
			 0);
	print_message("status:\n%s", out);
	snprintf(want, sizeof(want), "[batch] %s %s: %s -> ",
		 cgt_relpath("batch"), cgt_quota_file(), quota0);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "max 25.00%"));
}

/* A second agent must not take over a live socket. */
static void test_second_agent_refused(void **state)
{
	static const char *const args[] = { "--state-file", statefile, NULL };
	char cfg[512], other[80], out[4096];
	int s = cgt_slow();

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("solo"), 0);
	snprintf(
		cfg, sizeof(cfg),
		"[agent]\nwindow = %dms\ncooldown = %dms\nstatus_socket = %s\n\n[solo]\npath = %s\nmax_share = 50%%\n",
		10 * s, 50 * s, sockpath, cgt_relpath("solo"));
	assert_int_equal(cgt_agent_start(&agent, cfg, args), 0);
	snprintf(other, sizeof(other), "%s-2", statefile);
	{
		char cfgfile[] = "/tmp/cgwtest-cfg2-XXXXXX";
		int fd = mkstemp(cfgfile);
		const char *argv[] = { cgt_bin("cgwarden"), "-c",  cfgfile,
				       "--state-file",	    other, NULL };

		assert_true(fd >= 0);
		assert_int_equal(write(fd, cfg, strlen(cfg)),
				 (ssize_t)strlen(cfg));
		close(fd);
		assert_int_equal(cgt_run(argv, out, sizeof(out)), 1);
		unlink(cfgfile);
		cgt_unlink_state(other);
	}
	assert_non_null(strstr(out, "another cgwarden answers there"));
	/* the first one still answers */
	assert_int_equal(
		status(out, sizeof(out), "--socket", sockpath, "--json"), 0);
	assert_non_null(strstr(out, "\"name\":\"solo\""));
	/* and removes its socket on exit */
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
	assert_int_equal(access(sockpath, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_agent),
		cmocka_unit_test_setup_teardown(test_status_of_capped_group,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_agent_refused,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
