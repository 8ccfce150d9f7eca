// SPDX-License-Identifier: GPL-2.0
/*
 * What running under a service manager needs (issue 11): --probe, a
 * configuration without groups that idles, --restore with nothing to
 * restore, and a start under a unit-like bounding set (no CAP_SETPCAP, no
 * CAP_SYS_RESOURCE) with a finite hard RLIMIT_MEMLOCK and --rt-priority.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/capability.h>

#include "cgtest.h"

static struct cgt_agent agent;
static char dir[64]; /* a private 0700 directory for inputs */
static char statefile[128], cfgfile[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cgwtest-svc-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(statefile, sizeof(statefile), "%s/state", dir);
	snprintf(cfgfile, sizeof(cfgfile), "%s/cgwarden.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return cgt_teardown_dir(&agent, dir);
}

/* util-linux and coreutils tools the tests drive the agent with; the qemu
 * guests have busybox only. */
#define NEED_TOOL(path)                                                     \
	do {                                                                \
		if (access(path, X_OK)) {                                   \
			print_message("SKIP: %s is not installed\n", path); \
			skip();                                             \
		}                                                           \
	} while (0)

static void write_cfg(const char *text)
{
	int fd = open(cfgfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

/* Every requirement has a line; here the agent can run, so exit 0. */
static void test_probe_ok(void **state)
{
	static const char *const lines[] = {
		"kernel BTF ",	 "BPF ring buffer ",	  "task local storage ",
		"bpf_loop ",	 "window clock ",	  "lockdown ",
		"sched_ext ",	 "cgroup mode ",	  "cpu controller ",
		"capabilities ", "cgwarden can run here",
	};
	const char *argv[] = { cgt_bin("cgwarden"), "--probe", NULL };
	static char out[8192];
	int st;

	(void)state;
	CGT_NEED_ENV();
	st = cgt_run(argv, out, sizeof(out));
	print_message("%s", out);
	assert_int_equal(st, 0);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_non_null(strstr(out, lines[i]));
	assert_null(strstr(out, " FAIL "));
}

/* With a configuration, on v2: each group's parent has cpu enabled for
 * its children; a pattern's matches live under its fixed prefix. */
static void test_probe_patterns(void **state)
{
	const char *argv[] = { cgt_bin("cgwarden"), "--probe", "-c", cfgfile,
			       NULL };
	static char out[8192];
	char body[512], want[256];

	(void)state;
	CGT_NEED_ENV();
	if (cgt_hier()->mode != CGW_MODE_V2) {
		print_message("SKIP: per-group cpu checks are for cgroup v2\n");
		skip();
	}
	assert_int_equal(cgt_mkcg("box"), 0);
	snprintf(body, sizeof(body),
		 "[box]\npath = %s\nmin_share = 5%%\n"
		 "[all]\npath = %s/*\nmax_share = 90%%\n"
		 "[later]\npath = %s/nothere/*\nmax_share = 90%%\n",
		 cgt_relpath("box"), cgt_prefix(), cgt_prefix());
	write_cfg(body);
	assert_int_equal(cgt_run(argv, out, sizeof(out)), 0);
	print_message("%s", out);
	snprintf(want, sizeof(want), "[all] %s/*: enabled in ", cgt_prefix());
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "[later] %s/nothere/*: ", cgt_prefix());
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "does not exist yet"));
	assert_null(strstr(out, " FAIL "));
}

/* Without privileges the agent cannot run: exit 1, naming the line. */
static void test_probe_unprivileged(void **state)
{
	const char *argv[] = {
		"/usr/bin/setpriv",  "--reuid=65534",	"--regid=65534",
		"--clear-groups",    "--inh-caps=-all", "--bounding-set=-all",
		cgt_bin("cgwarden"), "--probe",		NULL
	};
	static char out[8192];
	int st;

	(void)state;
	CGT_NEED_ENV();
	NEED_TOOL("/usr/bin/setpriv");
	st = cgt_run(argv, out, sizeof(out));
	print_message("%s", out);
	assert_int_equal(st, 1);
	assert_non_null(strstr(out, "FAIL   missing CAP_BPF CAP_PERFMON"));
	assert_non_null(strstr(out, "cgwarden cannot run here"));
}

/* The packaged config has no groups: --check passes, the agent idles
 * (nothing loaded) and exits 0 on SIGTERM; --restore without a state file
 * (ExecStopPost after every stop) exits 0. */
static void test_idle_and_restore_nothing(void **state)
{
	const char *check[] = { cgt_bin("cgwarden"), "--check", "-c", cfgfile,
				NULL };
	/* a shell, not timeout(1): busybox's (the qemu guests) has no
	 * --preserve-status, and the agent's own exit status is the point */
	const char *run[] = { "/bin/sh",
			      "-c",
			      "\"$0\" \"$@\" & p=$!; sleep 1; kill -TERM $p; wait $p",
			      cgt_bin("cgwarden"),
			      "-c",
			      cfgfile,
			      "--state-file",
			      statefile,
			      NULL };
	const char *restore[] = { cgt_bin("cgwarden"), "--restore",
				  "--state-file", statefile, NULL };
	static char out[8192];

	(void)state;
	CGT_NEED_ENV();
	write_cfg("; nothing configured yet\n;[web]\n;path = shop/web\n");
	assert_int_equal(cgt_run(check, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "OK (0 groups"));
	assert_int_equal(cgt_run(run, out, sizeof(out)), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, "no groups configured: idle"));
	assert_int_equal(cgt_run(restore, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "nothing to restore"));
}

/*
 * A unit's CapabilityBoundingSet= without CAP_SETPCAP and CAP_SYS_RESOURCE
 * and a finite LimitMEMLOCK=: the agent must start with --rt-priority
 * (warning about the memlock limit, leaving the bounding set as it is),
 * keep its minimum, and restore and exit 0.
 */
static void test_unit_like_limits(void **state)
{
	struct rlimit rl;
	char memlock[64];
	const char *argv[] = { "/usr/bin/setpriv",
			       "--bounding-set=-setpcap,-sys_resource",
			       "/usr/bin/prlimit",
			       memlock,
			       cgt_bin("cgwarden"),
			       "-c",
			       cfgfile,
			       "--json",
			       "--state-file",
			       statefile,
			       "--rt-priority",
			       "1",
			       NULL };
	const unsigned long long want =
		(1ULL << CAP_BPF) | (1ULL << CAP_DAC_OVERRIDE);
	struct cgt_caps c;
	char body[256];
	static char err[16384];

	(void)state;
	CGT_NEED_ENV();
#ifdef __SANITIZE_ADDRESS__
	/* mlockall() would try to lock ASan's terabytes of shadow memory */
	print_message("SKIP: --rt-priority under AddressSanitizer\n");
	skip();
#endif
	NEED_TOOL("/usr/bin/setpriv");
	NEED_TOOL("/usr/bin/prlimit");
	/* finite, and not above the current hard limit (lowering needs no
	 * privilege, raising would) */
	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (64ULL << 20))
		rl.rlim_max = 64ULL << 20;
	snprintf(memlock, sizeof(memlock), "--memlock=%llu:%llu",
		 (unsigned long long)rl.rlim_max,
		 (unsigned long long)rl.rlim_max);
	assert_int_equal(cgt_mkcg("box"), 0);
	snprintf(body, sizeof(body), "[box]\npath = %s\nmin_share = 5%%\n",
		 cgt_relpath("box"));
	write_cfg(body);
	assert_int_equal(cgt_agent_exec(&agent, argv), 0);
	assert_int_equal(cgt_read_caps(agent.pid, &c, 2000), 0);
	print_message("CapEff %llx CapPrm %llx CapBnd %llx\n", c.eff, c.prm,
		      c.bnd);
	assert_int_equal(c.eff, 0);
	assert_int_equal(c.prm, want);
	/* left as the "service manager" set it */
	assert_true(c.bnd & (1ULL << CAP_SYS_ADMIN));
	assert_false(c.bnd & (1ULL << CAP_SETPCAP));
	cgt_agent_stderr(&agent, err, sizeof(err));
	print_message("%s", err);
	assert_non_null(strstr(err, "cannot lift RLIMIT_MEMLOCK"));
	assert_null(strstr(err, "dropping capabilities"));
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
	agent.pid = 0;
}

/* Next datagram on @fd within @ms into @buf, or NULL. */
static const char *notify_recv(int fd, char *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return NULL;
	n = recv(fd, buf, len - 1, 0);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/*
 * Type=notify as systemd runs it: $NOTIFY_SOCKET, and a watchdog
 * ($WATCHDOG_USEC for this very pid).  READY=1 with a STATUS once
 * attached, WATCHDOG=1 at half the interval, STOPPING=1 on SIGTERM.
 */
static void test_sd_notify(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char body[256], cmd[1024], msg[512];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	bool ready = false, watchdog = false, stopping = false;
	int fd;

	(void)state;
#ifndef HAVE_LIBSYSTEMD
	print_message("SKIP: built without libsystemd (STATIC=1)\n");
	skip();
#endif
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("box"), 0);
	snprintf(body, sizeof(body), "[box]\npath = %s\nmin_share = 5%%\n",
		 cgt_relpath("box"));
	write_cfg(body);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* WATCHDOG_PID must be the agent's: the shell execs it */
	snprintf(
		cmd, sizeof(cmd),
		"NOTIFY_SOCKET=%s WATCHDOG_USEC=200000 WATCHDOG_PID=$$ exec %s -c %s --state-file %s",
		sa.sun_path, cgt_bin("cgwarden"), cfgfile, statefile);
	assert_int_equal(cgt_agent_exec(&agent, argv), 0);
	for (int i = 0; i < 10 && !(ready && watchdog); i++) {
		if (!notify_recv(fd, msg, sizeof(msg), 500 * cgt_slow()))
			break;
		print_message("notify: %s\n", msg);
		ready |= !strncmp(msg, "READY=1\nSTATUS=watching 1 cgroup", 32);
		watchdog |= !strcmp(msg, "WATCHDOG=1");
	}
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
	agent.pid = 0;
	while (notify_recv(fd, msg, sizeof(msg), 100))
		stopping |= !strncmp(msg, "STOPPING=1", 10);
	close(fd);
	assert_true(ready);
	assert_true(watchdog);
	assert_true(stopping);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_patterns, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_probe_unprivileged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_idle_and_restore_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unit_like_limits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sd_notify, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
