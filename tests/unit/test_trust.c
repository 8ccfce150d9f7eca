// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/core/trust.c, in a private mkdtemp() directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "trust.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	unsetenv(CGW_TRUST_ENV);
	snprintf(dir, sizeof(dir), "/tmp/cgw-test-trust-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	unsetenv(CGW_TRUST_ENV);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static const char *make(const char *name, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static int open_says(const char *path, const char *what)
{
	char err[512] = "";
	int fd = cgw_trust_open(path, err, sizeof(err));

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (what && !strstr(err, what))
		fail_msg("'%s' does not say '%s'", err, what);
	if (strncmp(err, path, strlen(path)))
		fail_msg("'%s' does not name %s", err, path);
	return fd;
}

static void test_regular_file(void **state)
{
	(void)state;
	assert_int_equal(open_says(make("ok", 0600), NULL), 0);
	assert_int_equal(open_says(make("ok644", 0644), NULL), 0);
	assert_int_equal(open_says(make("g", 0620), "group or others"), -EPERM);
	assert_int_equal(open_says(make("o", 0602), "group or others"), -EPERM);
}

static void test_not_regular(void **state)
{
	char path[128], target[128];
	struct timespec t0, t1;

	(void)state;
	snprintf(target, sizeof(target), "%s", make("t", 0600));
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(open_says(path, "symbolic link"), -EPERM);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(open_says(path, "not a regular file"), -EPERM);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 1);
	assert_int_equal(open_says(dir, NULL), -EISDIR);
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(open_says(path, "cannot open"), -ENOENT);
}

static void test_owner_and_dirs(void **state)
{
	char sub[128], path[160], err[512];

	(void)state;
	if (geteuid()) {
		print_message("SKIP: chown needs root\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s", make("nobody", 0600));
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(open_says(path, "owned by uid 65534"), -EPERM);
	/* the escape hatch turns owner and mode checks off, nothing else */
	setenv(CGW_TRUST_ENV, "1", 1);
	assert_int_equal(open_says(path, NULL), 0);
	unsetenv(CGW_TRUST_ENV);

	snprintf(sub, sizeof(sub), "%s/open", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(chmod(sub, 0777), 0);
	snprintf(path, sizeof(path), "%s/f", sub);
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(open_says(path, "directory writable"), -EPERM);
	assert_int_equal(cgw_trust_dir_of(path, err, sizeof(err)), -EPERM);
	/* sticky like /tmp: nobody can replace our file in it */
	assert_int_equal(chmod(sub, 01777), 0);
	assert_int_equal(open_says(path, NULL), 0);
	assert_int_equal(chmod(sub, 0755), 0);
	assert_int_equal(chown(sub, 65534, 65534), 0);
	assert_int_equal(open_says(path, "owned by another user"), -EPERM);
	/* a directory to be created below a trusted one is fine */
	snprintf(path, sizeof(path), "%s/new/dir/state", dir);
	assert_int_equal(cgw_trust_dir_of(path, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regular_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_owner_and_dirs, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
