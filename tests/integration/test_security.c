// SPDX-License-Identifier: GPL-2.0
/*
 * Trust boundaries of a root agent (issue 10), one test per finding:
 * what --restore may write, who may have written the state file and the
 * config, NUL bytes, capabilities, SIGHUP (a reload), and --check opening the groups
 * exactly like a start.  Every bad input must be refused with zero writes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/capability.h>

#include "cgtest.h"
#include "state.h"

static struct cgt_agent agent;
static char dir[64]; /* a private 0700 directory for inputs */
static char statefile[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cgwtest-trust-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(statefile, sizeof(statefile), "%s/state", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return cgt_teardown_dir(&agent, dir);
}

/* Runs cgwarden @args (NULL-terminated, at most 8), killed after 5 s: a
 * start that should have been refused shows up as exit 124. */
static int run_agent(const char *const *args, char *out, size_t len)
{
	const char *argv[16] = { "timeout", "5", cgt_bin("cgwarden") };
	int n = 3;

	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	return cgt_run(argv, out, len);
}

static int restore(const char *file, char *out, size_t len)
{
	const char *const args[] = { "--restore", "--state-file", file, NULL };
	int rc = run_agent(args, out, len);

	print_message("%s", out);
	return rc;
}

/* One state entry of cgroup @rel (its real id) asking for @file = @value,
 * as if the agent had written @written there. */
static void entry(struct cgw_state_entry *e, const char *rel, const char *file,
		  const char *value, const char *written)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s",
		 rel[0] ? cgt_relpath(rel) : "");
	snprintf(e->file, sizeof(e->file), "%s", file);
	snprintf(e->value, sizeof(e->value), "%s", value);
	snprintf(e->written, sizeof(e->written), "%s", written);
	assert_int_equal(cgw_hier_cgid(cgt_hier(), e->path, &e->cgid), 0);
}

static void write_state(const char *file, struct cgw_state_entry *e, size_t n)
{
	struct cgw_state st = { .n = n, .e = e };
	char err[512];

	snprintf(st.root, sizeof(st.root), "%s", cgt_hier()->root);
	snprintf(st.mode, sizeof(st.mode), "%s",
		 cgw_mode_name(cgt_hier()->mode));
	assert_int_equal(cgw_state_write(file, &st, err, sizeof(err)), 0);
}

static void read_val(const char *rel, const char *file, char *buf, size_t len)
{
	assert_true(cgt_read(rel, file, buf, len) >= 0);
}

/* @name at the hierarchy root ("" if it cannot be read). */
static void root_file(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", cgt_hier()->root, name);
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	cgw_read_fd(fd, buf, len);
	close(fd);
}

/* A good entry: "box" holds 3000 (what we "wrote"), its original 1500. */
static void good_entry(struct cgw_state_entry *e)
{
	const char *w = cgt_hier()->mode == CGW_MODE_V2 ? "300" : "3000";
	const char *o = cgt_hier()->mode == CGW_MODE_V2 ? "150" : "1500";

	assert_int_equal(cgt_write("box", cgt_weight_file(), w), 0);
	entry(e, "box", cgt_weight_file(), o, w);
}

/* Findings 1 and 2: unmanaged files, out-of-range values, escaping paths,
 * a foreign root or mode, each after a good entry: zero writes, exit 1. */
static void test_restore_only_managed(void **state)
{
	struct cgw_state_entry e[2];
	char before[64], after[64], ra0[4096] = "", ra1[4096] = "", out[8192];
	(void)state;
	CGT_NEED_ENV();

	/* after CGT_NEED_ENV(): cgt_hier() is set up there */
	const bool v1 = cgt_hier()->mode == CGW_MODE_V1;
	struct {
		const char *rel, *file, *value;
	} bad[] = {
		{ "box", "cgroup.procs", "1" },
		{ "box", "tasks", "1" },
		{ "box", "notify_on_release", "1" },
		{ "box", "cpu.cfs_period_us", "2000" },
		{ "", "release_agent", "/tmp/cgwtest-pwned" },
		{ "", "cgroup.kill", "1" },
		{ "box", cgt_weight_file(), "999999999" },
		{ "box", cgt_weight_file(), "0" },
		{ "box", cgt_weight_file(), "-5" },
		{ "box", cgt_quota_file(), v1 ? "12" : "12 100000" },
		{ "box", v1 ? "cpu.weight" : "cpu.shares", "100" },
		/* cpu.idle is managed: 0 or 1 only */
		{ "box", "cpu.idle", "2" },
		{ "box", "cpu.idle", "-1" },
	};

	assert_int_equal(cgt_mkcg("box"), 0);
	if (v1)
		root_file("release_agent", ra0, sizeof(ra0));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		good_entry(&e[0]);
		read_val("box", cgt_weight_file(), before, sizeof(before));
		memset(&e[1], 0, sizeof(e[1]));
		snprintf(e[1].path, sizeof(e[1].path), "%s",
			 bad[i].rel[0] ? cgt_relpath(bad[i].rel) : "");
		snprintf(e[1].file, sizeof(e[1].file), "%s", bad[i].file);
		snprintf(e[1].value, sizeof(e[1].value), "%s", bad[i].value);
		e[1].cgid = e[0].cgid;
		write_state(statefile, e, 2);
		print_message("entry %s/%s = %s\n", bad[i].rel, bad[i].file,
			      bad[i].value);
		assert_int_equal(restore(statefile, out, sizeof(out)), 1);
		read_val("box", cgt_weight_file(), after, sizeof(after));
		assert_string_equal(before, after); /* zero writes */
		assert_int_equal(access(statefile, F_OK), 0); /* kept */
	}
	/* paths that leave the hierarchy, a root and a mode not the agent's */
	for (int k = 0; k < 4; k++) {
		struct cgw_state st = { .n = 2, .e = e };
		char err[512];

		good_entry(&e[0]);
		good_entry(&e[1]);
		snprintf(st.root, sizeof(st.root), "%s", cgt_hier()->root);
		snprintf(st.mode, sizeof(st.mode), "%s",
			 cgw_mode_name(cgt_hier()->mode));
		if (k == 0)
			snprintf(e[1].path, sizeof(e[1].path), "%s/../..",
				 cgt_relpath("box"));
		else if (k == 1)
			snprintf(e[1].path, sizeof(e[1].path), "/%s",
				 cgt_relpath("box"));
		else if (k == 2)
			snprintf(st.root, sizeof(st.root), "/tmp");
		else
			snprintf(st.mode, sizeof(st.mode), "%s",
				 v1 ? "cgroup-v2" : "cgroup-v1");
		assert_int_equal(
			cgw_state_write(statefile, &st, err, sizeof(err)), 0);
		assert_int_equal(restore(statefile, out, sizeof(out)), 1);
		read_val("box", cgt_weight_file(), after, sizeof(after));
		assert_string_equal(before, after);
	}
	if (v1) {
		root_file("release_agent", ra1, sizeof(ra1));
		assert_string_equal(ra0, ra1);
	}
	/* and the good entry alone is restored */
	good_entry(&e[0]);
	write_state(statefile, e, 1);
	assert_int_equal(restore(statefile, out, sizeof(out)), 0);
	read_val("box", cgt_weight_file(), after, sizeof(after));
	assert_string_equal(after, e[0].value);
}

/* Finding 3: a state file that others could have written is not read. */
static void test_state_file_trust(void **state)
{
	struct cgw_state_entry e;
	char before[64], after[64], out[8192], path[512], open_dir[256];
	uint64_t t0;

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("box"), 0);
	good_entry(&e);
	read_val("box", cgt_weight_file(), before, sizeof(before));
	write_state(statefile, &e, 1);

	for (int k = 0; k < 5; k++) {
		const char *file = statefile;

		snprintf(path, sizeof(path), "%s/other", dir);
		unlink(path);
		switch (k) {
		case 0: /* a symlink to a good file */
			assert_int_equal(symlink(statefile, path), 0);
			file = path;
			break;
		case 1: /* owned by nobody */
			assert_int_equal(chown(statefile, 65534, 65534), 0);
			break;
		case 2: /* world-writable */
			assert_int_equal(chown(statefile, 0, 0), 0);
			assert_int_equal(chmod(statefile, 0666), 0);
			break;
		case 3: /* in a 0777 directory */
			assert_int_equal(chmod(statefile, 0600), 0);
			snprintf(open_dir, sizeof(open_dir), "%s/open", dir);
			assert_int_equal(mkdir(open_dir, 0777), 0);
			assert_int_equal(chmod(open_dir, 0777), 0);
			snprintf(path, sizeof(path), "%s/state", open_dir);
			write_state(path, &e, 1);
			file = path;
			break;
		case 4: /* a FIFO nobody writes: must not hang */
			assert_int_equal(mkfifo(path, 0600), 0);
			file = path;
			break;
		}
		t0 = cgt_now_ns();
		assert_int_equal(restore(file, out, sizeof(out)), 1);
		assert_true(cgt_now_ns() - t0 < 1000000000ull);
		assert_non_null(strstr(out, "not trusted"));
		read_val("box", cgt_weight_file(), after, sizeof(after));
		assert_string_equal(before, after);
	}
}

static void config_file(const char *path, const char *body, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* Findings 4 and 5: unsafe configs and NUL bytes, by --check and start;
 * and a state file in a world-writable directory stops a start. */
static void test_config_trust(void **state)
{
	char body[512], cfg[512], link[512], odir[256], out[8192], st2[512];
	char want_buf[600];
	const char *check[] = { "--check", "-c", cfg, NULL };
	const char *start[] = { "-c", cfg, "--state-file", statefile, NULL };

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("box"), 0);
	snprintf(body, sizeof(body), "[box]\npath = %s\nmin_share = 5%%\n",
		 cgt_relpath("box"));
	snprintf(cfg, sizeof(cfg), "%s/cfg.ini", dir);
	config_file(cfg, body, 0600);
	assert_int_equal(run_agent(check, out, sizeof(out)), 0);

	for (int k = 0; k < 6; k++) {
		const char *want = "not trusted";

		snprintf(cfg, sizeof(cfg), "%s/cfg.ini", dir);
		config_file(cfg, body, 0600);
		switch (k) {
		case 0:
			assert_int_equal(chown(cfg, 65534, 65534), 0);
			break;
		case 1:
			assert_int_equal(chmod(cfg, 0666), 0);
			break;
		case 2:
			assert_int_equal(chmod(cfg, 0620), 0);
			break;
		case 3:
			snprintf(odir, sizeof(odir), "%s/open", dir);
			mkdir(odir, 0777);
			assert_int_equal(chmod(odir, 0777), 0);
			snprintf(cfg, sizeof(cfg), "%s/cfg.ini", odir);
			config_file(cfg, body, 0600);
			break;
		case 4:
			snprintf(link, sizeof(link), "%s/link.ini", dir);
			unlink(link);
			assert_int_equal(symlink(cfg, link), 0);
			snprintf(cfg, sizeof(cfg), "%s", link);
			break;
		case 5: { /* NUL inside a comment line hides a key */
			char nul[600];
			int n = snprintf(nul, sizeof(nul),
					 "[box]\npath = %s\n; harmless",
					 cgt_relpath("box"));
			int fd;

			memcpy(nul + n, "\0\nmax_share = 1%\n", 17);
			unlink(cfg);
			fd = open(cfg, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
			assert_true(fd >= 0);
			assert_int_equal(write(fd, nul, (size_t)n + 17),
					 n + 17);
			close(fd);
			snprintf(want_buf, sizeof(want_buf), "%s:3: NUL byte",
				 cfg);
			want = want_buf;
			break;
		}
		}
		print_message("config shape %d\n", k);
		assert_int_equal(run_agent(check, out, sizeof(out)), 1);
		print_message("%s", out);
		assert_non_null(strstr(out, want));
		assert_int_equal(run_agent(start, out, sizeof(out)), 1);
		assert_non_null(strstr(out, want));
	}
	/* a good config, but the state file in a world-writable directory */
	snprintf(cfg, sizeof(cfg), "%s/cfg.ini", dir);
	snprintf(body, sizeof(body), "[box]\npath = %s\nmin_share = 5%%\n",
		 cgt_relpath("box"));
	config_file(cfg, body, 0600);
	snprintf(odir, sizeof(odir), "%s/open2", dir);
	assert_int_equal(mkdir(odir, 0777), 0);
	assert_int_equal(chmod(odir, 0777), 0);
	snprintf(st2, sizeof(st2), "%s/state", odir);
	start[3] = st2;
	assert_int_equal(run_agent(start, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "not trusted"));
}

/* Finding 8: --check opens the groups like a start (tmpfs over a cgroup). */
static void test_check_containment(void **state)
{
	char body[512], cfg[512], out[8192], path[PATH_MAX * 2];
	const char *check[] = { "--check", "-c", cfg, NULL };

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("box/in"), 0);
	snprintf(path, sizeof(path), "%s/%s", cgt_hier()->root,
		 cgt_relpath("box"));
	if (mount("cgwtest", path, "tmpfs", 0, "size=64k")) {
		print_message("SKIP: cannot mount tmpfs over a cgroup: %s\n",
			      strerror(errno));
		skip();
	}
	assert_int_equal(mkdir(strcat(path, "/in"), 0755), 0);
	snprintf(body, sizeof(body), "[in]\npath = %s\nmin_share = 5%%\n",
		 cgt_relpath("box/in"));
	snprintf(cfg, sizeof(cfg), "%s/cfg.ini", dir);
	config_file(cfg, body, 0600);
	int rc = run_agent(check, out, sizeof(out));

	print_message("%s", out);
	*strrchr(path, '/') = '\0';
	assert_int_equal(umount(path), 0);
	assert_int_equal(rc, 1);
}

/* Finding 6: after start, nothing effective, CAP_BPF and CAP_DAC_OVERRIDE
 * permitted, the bounding set the same, no_new_privs. */
static void test_capabilities(void **state)
{
	const char *const args[] = { "--state-file", statefile, NULL };
	const unsigned long long want =
		(1ULL << CAP_BPF) | (1ULL << CAP_DAC_OVERRIDE);
	struct cgt_caps c;
	char body[256];

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("box"), 0);
	snprintf(body, sizeof(body), "[box]\npath = %s\nmin_share = 5%%\n",
		 cgt_relpath("box"));
	assert_int_equal(cgt_agent_start(&agent, body, args), 0);
	assert_int_equal(cgt_read_caps(agent.pid, &c, 2000), 0);
	print_message("CapEff %llx CapPrm %llx CapBnd %llx NoNewPrivs %d\n",
		      c.eff, c.prm, c.bnd, c.nnp);
	assert_int_equal(c.eff, 0);
	assert_int_equal(c.prm, want);
	assert_int_equal(c.bnd, want);
	assert_int_equal(c.nnp, 1);
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
	agent.pid = 0;
}

/*
 * Finding 7: SIGHUP is never a kill without restoring.  It reloads the
 * configuration now: an unchanged group keeps what the agent wrote, the
 * agent goes on, and its exit restores every original.
 */
static void test_sighup_reloads(void **state)
{
	static const char *const act[] = { "\"type\":\"action\"", NULL };
	const char *const args[] = { "--state-file", statefile, NULL };
	struct cgt_load sat = { .nthreads = 2, .cpu = -1 };
	char body[256], q0[64], q1[64], q2[64], err[65536];

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("hog"), 0);
	read_val("hog", cgt_quota_file(), q0, sizeof(q0));
	snprintf(
		body, sizeof(body),
		"[agent]\nwindow = %dms\ncooldown = %dms\n[hog]\npath = %s\nmax_share = 25%%\n",
		10 * cgt_slow(), 50 * cgt_slow(), cgt_relpath("hog"));
	assert_int_equal(cgt_agent_start(&agent, body, args), 0);
	assert_true(cgt_spawn("hog", &sat, NULL) > 0);
	assert_non_null(cgt_agent_wait(&agent, act, 2000 * cgt_slow()));
	read_val("hog", cgt_quota_file(), q1, sizeof(q1));
	assert_int_equal(kill(agent.pid, SIGHUP), 0);
	for (int i = 0; i < 200 * cgt_slow(); i++) {
		if (cgt_agent_stderr(&agent, err, sizeof(err)) >= 0 &&
		    strstr(err, "reloaded"))
			break;
		cgt_sleep_ms(10);
	}
	assert_non_null(strstr(err, "sections 0 added, 0 removed, 1 unchanged"));
	assert_int_equal(kill(agent.pid, 0), 0); /* still running */
	read_val("hog", cgt_quota_file(), q2, sizeof(q2));
	assert_string_equal(q1, q2); /* its cap kept */
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
	agent.pid = 0;
	read_val("hog", cgt_quota_file(), q1, sizeof(q1));
	assert_string_equal(q0, q1);
	assert_int_not_equal(access(statefile, F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_restore_only_managed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_file_trust, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_trust, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_containment, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_capabilities, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sighup_reloads, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
