// SPDX-License-Identifier: GPL-2.0
/*
 * VM smoke test for the cgroup v2 cpu controller (run by scripts/vmtest).
 *
 * Checks that "cpu" is an available controller, creates a child cgroup,
 * writes/reads cpu.weight and cpu.max, moves itself into it, burns 0.5 s of
 * CPU and checks cpu.stat (usage_usec grew >= 300 ms, the 50% cpu.max quota
 * throttled us), then moves back and removes the cgroup.
 *
 * Build: gcc -static -O2 tests/vm/smoke.c -o smoke
 * Exit: 0 all checks passed, 1 a check failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CG_ROOT "/sys/fs/cgroup"

static int failures;
static char cg[256];

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("smoke: %s: ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failures++;
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = strlen(val);

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return n == len ? 0 : -EIO;
}

static const char *cgpath(const char *file)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", cg, file);
	return p;
}

/* Is word a whitespace-separated token of list? */
static int has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') && (p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n'))
			return 1;
		p += wl;
	}
	return 0;
}

/* Value of key in a flat-keyed file like cpu.stat, or -1. */
static long long stat_key(const char *file, const char *key)
{
	char buf[4096], *line, *save = NULL;

	if (read_file(cgpath(file), buf, sizeof(buf)))
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t kl = strlen(key);

		if (!strncmp(line, key, kl) && line[kl] == ' ')
			return atoll(line + kl + 1);
	}
	return -1;
}

static double ts_sec(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void write_check(const char *file, const char *val)
{
	char buf[256];
	int err = write_file(cgpath(file), val);

	check(!err, "write %s = \"%s\"%s%s", file, val, err ? ": " : "", err ? strerror(-err) : "");
	err = read_file(cgpath(file), buf, sizeof(buf));
	check(!err && !strcmp(buf, val), "read back %s = \"%s\" (want \"%s\")", file,
	      err ? strerror(-err) : buf, val);
}

int main(void)
{
	char buf[4096], pid[32];
	long long usage0, usage1, thr0, thr1;
	double cpu0, wall0, cpu1, wall1;
	volatile unsigned long spin = 0;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);

	err = read_file(CG_ROOT "/cgroup.controllers", buf, sizeof(buf));
	check(!err && has_word(buf, "cpu"), "cgroup.controllers contains \"cpu\" (\"%s\")",
	      err ? strerror(-err) : buf);
	err = read_file(CG_ROOT "/cgroup.subtree_control", buf, sizeof(buf));
	check(!err && has_word(buf, "cpu"), "cgroup.subtree_control contains \"cpu\" (\"%s\")",
	      err ? strerror(-err) : buf);
	if (failures)
		goto out;

	snprintf(cg, sizeof(cg), CG_ROOT "/vmsmoke.%d", (int)getpid());
	err = mkdir(cg, 0755) ? -errno : 0;
	check(!err, "mkdir %s%s%s", cg, err ? ": " : "", err ? strerror(-err) : "");
	if (err)
		goto out;

	write_check("cpu.weight", "200");
	write_check("cpu.max", "50000 100000");

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	err = write_file(cgpath("cgroup.procs"), pid);
	check(!err, "move pid %s into %s%s%s", pid, cg, err ? ": " : "", err ? strerror(-err) : "");
	err = read_file("/proc/self/cgroup", buf, sizeof(buf));
	check(!err && strstr(buf, cg + strlen(CG_ROOT)), "/proc/self/cgroup = \"%s\"", err ? "?" : buf);

	usage0 = stat_key("cpu.stat", "usage_usec");
	thr0 = stat_key("cpu.stat", "nr_throttled");
	cpu0 = ts_sec(CLOCK_PROCESS_CPUTIME_ID);
	wall0 = ts_sec(CLOCK_MONOTONIC);
	while (ts_sec(CLOCK_PROCESS_CPUTIME_ID) - cpu0 < 0.5) {
		for (int i = 0; i < 100000; i++)
			spin++;
	}
	cpu1 = ts_sec(CLOCK_PROCESS_CPUTIME_ID);
	wall1 = ts_sec(CLOCK_MONOTONIC);
	usage1 = stat_key("cpu.stat", "usage_usec");
	thr1 = stat_key("cpu.stat", "nr_throttled");
	printf("smoke: burned %.3f s CPU in %.3f s wall\n", cpu1 - cpu0, wall1 - wall0);
	check(usage0 >= 0 && usage1 - usage0 >= 300000,
	      "cpu.stat usage_usec grew by >= 300000 (%lld -> %lld, +%lld)", usage0, usage1,
	      usage1 - usage0);
	check(thr0 >= 0 && thr1 > thr0, "cpu.max throttled us: nr_throttled %lld -> %lld", thr0, thr1);

	err = write_file(CG_ROOT "/cgroup.procs", pid);
	check(!err, "move back to the root cgroup%s%s", err ? ": " : "", err ? strerror(-err) : "");
	err = rmdir(cg) ? -errno : 0;
	check(!err, "rmdir %s%s%s", cg, err ? ": " : "", err ? strerror(-err) : "");

out:
	printf("smoke: %s (%d failure%s)\n", failures ? "FAILED" : "PASSED", failures,
	       failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
