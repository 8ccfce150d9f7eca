// SPDX-License-Identifier: GPL-2.0
/*
 * The per-cgroup run-queue wait histogram (issue 16) on a real workload: a
 * periodic task (tests/helpers/cgw-web, 1 ms period, 100 us of work) in a
 * watched cgroup beside CPU-bound tasks saturating every CPU, for 3 s.
 *  - Its number of waits against the kernel's own count of the task's
 *    arrivals on a CPU (/proc/PID/schedstat, third field): every arrival
 *    ends one wait.
 *  - The sum of those waits against the kernel's run_delay of the task
 *    (/proc/PID/schedstat, second field).
 *  - Its shape against runqlat (Debian's libbpf-tools), a peer that stamps
 *    wake-ups itself with bpf_ktime_get_ns(), filtered to the same process
 *    over the same interval: per log2 bucket, the two shares of samples
 *    agree within 5 points, with the buckets below 64 us taken as one.
 *    Below that the two clocks disagree by design: a wake-up that preempts
 *    the running task makes the kernel skip the next rq clock update
 *    (rq_clock_skip_update() in wakeup_preempt()), so the kernel's own
 *    run_delay, and cgwarden, which follows it, see ~0 us where runqlat's
 *    wall clock sees 4-31 us (its own probes included).  Measured: 99.9 %
 *    of waits in 0-1 us here, 99.5 % in 4-15 us for runqlat (another run:
 *    3.9 % in 16-31 us); the same 0.03 % in 2-4 ms.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgtest.h"
#include "warden.h"

#define MEASURE_S 3
/* buckets below 2^MERGED us are compared as one (see the top) */
#define MERGED 6

static struct warden w;
static pid_t rq_pid = -1;
static struct cgt_agent agent;
static char statefile[64];

static int setup(void **state)
{
	(void)state;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (rq_pid > 0) {
		kill(rq_pid, SIGKILL);
		waitpid(rq_pid, NULL, 0);
	}
	rq_pid = -1;
	if (w.skel)
		warden_close(&w);
	if (statefile[0])
		cgt_fixture_teardown(&agent, statefile);
	statefile[0] = '\0';
	cgt_cleanup();
	return 0;
}

/* Runs @argv inside cgroup @rel; the child is killed by cgt_cleanup(). */
static pid_t spawn_in(const char *rel, char *const *argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (cgt_move(rel, getpid()))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid > 0)
		cgt_track(pid);
	return pid;
}

/* Arrivals on a CPU of task @pid (the third field of its schedstat), and
 * its run-queue wait so far (the second) in @delay_ns. */
static uint64_t arrivals(pid_t pid, uint64_t *delay_ns)
{
	unsigned long long run, delay = 0, pcount = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu %llu", &run, &delay, &pcount) != 3)
		pcount = delay = 0;
	fclose(f);
	*delay_ns = delay;
	return pcount;
}

static void hist_now(uint32_t slot, uint32_t *h)
{
	assert_int_equal(warden_wait_hist(&w, slot, h), 0);
}

/* Starts runqlat on @pid for MEASURE_S seconds, once; returns its stdout,
 * positioned after the "Tracing" line (NULL if it does not start). */
static FILE *start_runqlat(pid_t pid)
{
	char spid[16], secs[8], line[256];
	int fd[2];
	FILE *f;

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	snprintf(secs, sizeof(secs), "%d", MEASURE_S);
	if (pipe(fd))
		return NULL;
	rq_pid = fork();
	if (rq_pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		/* line-buffered: "Tracing" must arrive when it is printed,
		 * not when runqlat exits */
		execlp("stdbuf", "stdbuf", "-oL", "runqlat", "-p", spid, secs,
		       "1", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	f = fdopen(fd[0], "r");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "Tracing"))
			return f;
	fclose(f);
	return NULL;
}

/* Reads runqlat's histogram ("lo -> hi : count |...|") into @h by the
 * log2 bucket of lo; returns the number of samples. */
static uint64_t read_runqlat(FILE *f, uint64_t *h)
{
	unsigned long long lo, hi, n;
	uint64_t total = 0;
	char line[256];

	while (fgets(line, sizeof(line), f)) {
		uint32_t b = 0;

		if (sscanf(line, " %llu -> %llu : %llu", &lo, &hi, &n) != 3)
			continue;
		while (b < CGW_HIST_BUCKETS - 1 && (2ull << b) <= lo)
			b++;
		h[b] += n;
		total += n;
	}
	return total;
}

static void test_wait_histogram(void **state)
{
	struct warden_opts o = {
		.window_ns = 10000000ull * (uint64_t)cgt_slow(),
		.cooldown_ns = 50000000ull * (uint64_t)cgt_slow(),
		.clear_windows = 2,
		.hyst_ppm = 10000,
	};
	struct cgt_load sat = { .nthreads = 4, .cpu = -1 };
	uint32_t h0[CGW_HIST_BUCKETS], h1[CGW_HIST_BUCKETS];
	uint64_t rq[CGW_HIST_BUCKETS] = { 0 }, ours = 0, nrq, a0, a1;
	uint64_t d0, d1, w0, w1, run;
	double sum_o = 0, sum_r = 0;
	char bin[PATH_MAX], *web[] = { bin, "-d", "30", NULL };
	double worst = 0;
	uint32_t slot;
	uint64_t id;
	char err[512];
	pid_t pid;
	FILE *f;

	(void)state;
	CGT_NEED_ENV();
	snprintf(bin, sizeof(bin), "%s", cgt_bin("tests/cgw-web"));
	assert_int_equal(cgt_mkcg("web"), 0);
	assert_int_equal(cgt_mkcg("batch"), 0);
	assert_int_equal(warden_probe(err, sizeof(err)), 0);
	assert_int_equal(warden_load(&w, &o, err, sizeof(err)), 0);
	assert_int_equal(cgw_hier_cgid(cgt_hier(), cgt_relpath("web"), &id), 0);
	assert_int_equal(warden_watch(&w, id, 0, 0, 0, &slot), 0);
	assert_int_equal(warden_attach(&w, err, sizeof(err)), 0);
	assert_true(cgt_spawn("batch", &sat, NULL) > 0);
	pid = spawn_in("web", web);
	assert_true(pid > 0);
	cgt_sleep_ms(300);
	f = start_runqlat(pid);
	hist_now(slot, h0);
	a0 = arrivals(pid, &d0);
	assert_int_equal(warden_usage(&w, slot, &run, &w0), 0);
	if (!f) {
		print_message(
			"SKIP: runqlat (Debian's libbpf-tools) did not start; the count is still checked\n");
		cgt_sleep_ms(MEASURE_S * 1000);
		nrq = 0;
	} else {
		nrq = read_runqlat(f, rq);
		fclose(f);
	}
	hist_now(slot, h1);
	a1 = arrivals(pid, &d1);
	assert_int_equal(warden_usage(&w, slot, &run, &w1), 0);
	for (int b = 0; b < CGW_HIST_BUCKETS; b++)
		ours += (uint32_t)(h1[b] - h0[b]);
	print_message(
		"waits: cgwarden %llu, kernel arrivals %llu, runqlat %llu\n",
		(unsigned long long)ours, (unsigned long long)(a1 - a0),
		(unsigned long long)nrq);
	/* about 1,000 wake-ups a second, plus preemptions */
	assert_true(a1 - a0 > 500ull * MEASURE_S / (uint64_t)cgt_slow());
	assert_true((double)ours >= 0.95 * (double)(a1 - a0));
	assert_true((double)ours <= 1.05 * (double)(a1 - a0));
	print_message("wait: cgwarden %.3f ms, kernel run_delay %.3f ms\n",
		      (double)(w1 - w0) / 1e6, (double)(d1 - d0) / 1e6);
	/* a wait in progress at either end counts in cgwarden's figure (it
	 * includes waits still going on) before run_delay has it: a few ms */
	assert_true((double)(w1 - w0) >= 0.95 * (double)(d1 - d0) - 5e6);
	assert_true((double)(w1 - w0) <= 1.05 * (double)(d1 - d0) + 5e6);
	if (!nrq) {
		if (f)
			print_message("SKIP: runqlat printed no histogram\n");
		skip();
	}
	print_message("  usecs         cgwarden   runqlat\n");
	for (int b = 0; b < CGW_HIST_BUCKETS; b++) {
		double po = (double)(uint32_t)(h1[b] - h0[b]) / (double)ours;
		double pr = (double)rq[b] / (double)nrq;

		if (b < MERGED) { /* one bucket below 64 us (the top) */
			sum_o += po;
			sum_r += pr;
			if (b < MERGED - 1)
				continue;
			po = sum_o;
			pr = sum_r;
		}
		if (!pr && !po)
			continue;
		print_message("  %6llu..%-6llu %7.2f%%  %7.2f%%\n",
			      (unsigned long long)(b < MERGED ?
							   0 :
							   cgw_bucket_lo_us(b)),
			      (unsigned long long)cgw_bucket_hi_us(b) - 1,
			      100 * po, 100 * pr);
		if (po - pr > worst || pr - po > worst)
			worst = po > pr ? po - pr : pr - po;
	}
	print_message("worst bucket difference: %.2f points\n", 100 * worst);
	assert_true(nrq > 500ull * MEASURE_S / (uint64_t)cgt_slow());
	assert_true(worst <= 0.05);
}

/* Runs @argv inside cgroup @rel with its stdout on a pipe (*@fd). */
static pid_t spawn_piped(const char *rel, char *const *argv, int *fd)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		if (cgt_move(rel, getpid()))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	if (pid > 0)
		cgt_track(pid);
	*fd = p[0];
	return pid;
}

/* The writes reported so far; those to cpu.idle also into *@idle. */
static int count_actions(struct cgt_agent *a, int *idle)
{
	static const char *const act[] = { "\"type\":\"action\"", NULL };
	const char *line;
	int n = 0;

	if (idle)
		*idle = 0;
	while ((line = cgt_agent_wait(a, act, 50))) {
		n++;
		if (idle && strstr(line, "\"file\":\"cpu.idle\""))
			(*idle)++;
	}
	return n;
}

/*
 * The promise kept, and what it cost: web (1 ms period, 100 us of work)
 * with max_wait = 1ms beside four cgroups saturating both CPUs at equal
 * weights.  Ground truth: web's own lateness against its deadlines after
 * the first second (without the agent: p99 4.8-5.9 ms here), and the
 * batch cgroups' share from the kernel.  The agent raises web's weight a
 * few times, writes nothing more while the competitors stay busy, and
 * steps the weight back once they stop.
 */
static void test_max_wait_kept(void **state)
{
	struct cgt_load sat = { .nthreads = 2, .cpu = -1 };
	const char *batch[] = { "b1", "b2", "b3", "b4" };
	char bin[PATH_MAX], secs[16], warm[16], out[512], body[512];
	char *web[] = { bin, "-d", secs, "-W", warm, NULL };
	const char *args[] = { "--state-file", statefile, NULL };
	unsigned long long nsamp = 0, p50 = 0, p99 = 0, max = 0;
	char before[32], after[32];
	uint64_t u0[4], u1[4], t0, t1, uw;
	double cap, wshare;
	pid_t bpid[4];
	char now[32];
	double share = 0;
	int fd = -1, writes, idle, st;
	ssize_t len;
	pid_t pid;

	(void)state;
	CGT_NEED_ENV();
	snprintf(bin, sizeof(bin), "%s", cgt_bin("tests/cgw-web"));
	snprintf(secs, sizeof(secs), "%d", 5 * cgt_slow());
	snprintf(warm, sizeof(warm), "%d", 1 * cgt_slow());
	cgt_fixture_setup(statefile, sizeof(statefile), "wait-state");
	assert_int_equal(cgt_mkcg("web"), 0);
	assert_true(cgt_read("web", cgt_weight_file(), before, sizeof(before)) >
		    0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(cgt_mkcg(batch[i]), 0);
	snprintf(body, sizeof(body),
		 "[agent]\nwindow = %dms\ncooldown = %dms\nhold = %dms\n\n"
		 "[web]\npath = %s\nmax_wait = 1ms\nscope = %s\n",
		 10 * cgt_slow(), 50 * cgt_slow(), 1000 * cgt_slow(),
		 cgt_relpath("web"), cgt_prefix());
	assert_int_equal(cgt_agent_start(&agent, body, args), 0);
	for (int i = 0; i < 4; i++)
		assert_true((bpid[i] = cgt_spawn(batch[i], &sat, NULL)) > 0);
	cgt_sleep_ms(500);
	for (int i = 0; i < 4; i++)
		u0[i] = cgt_kernel_usage_ns(batch[i]);
	uw = cgt_kernel_usage_ns("web");
	t0 = cgt_now_ns();
	pid = spawn_piped("web", web, &fd);
	assert_true(pid > 0);
	len = read(fd, out, sizeof(out) - 1);
	close(fd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	t1 = cgt_now_ns();
	for (int i = 0; i < 4; i++) {
		u1[i] = cgt_kernel_usage_ns(batch[i]);
		share += (double)(u1[i] - u0[i]);
	}
	cap = (double)(t1 - t0) * (double)sysconf(_SC_NPROCESSORS_ONLN);
	share /= cap;
	wshare = (double)(cgt_kernel_usage_ns("web") - uw) / cap;
	assert_true(len > 0);
	out[len] = '\0';
	assert_int_equal(
		sscanf(out, "samples %llu p50_us %llu p99_us %llu max_us %llu",
		       &nsamp, &p50, &p99, &max),
		4);
	writes = count_actions(&agent, &idle);
	print_message(
		"web lateness after 1 s: %llu samples, p50 %llu us, p99 %llu us, max %llu us; shares: batch %.1f%%, web %.1f%%, outside (noise floor) %.1f%%; writes %d (cpu.idle %d)\n",
		nsamp, p50, p99, max, 100 * share, 100 * wshare,
		100 * (1 - share - wshare), writes, idle);
	/* pressure gone: the competitors stop, and after the hold the
	 * weight steps back (halving, one step per cooldown) */
	for (int i = 0; i < 4; i++)
		cgt_kill(bpid[i]);
	for (int i = 0; i < 60; i++) {
		cgt_sleep_ms(100 * cgt_slow());
		assert_true(cgt_read("web", cgt_weight_file(), now,
				     sizeof(now)) > 0);
		if (!strcmp(now, before))
			break;
	}
	print_message("weight %s -> %s once the competitors stopped\n", before,
		      now);
	assert_string_equal(now, before); /* relaxed while running */
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
	assert_true(cgt_read("web", cgt_weight_file(), after, sizeof(after)) >
		    0);
	assert_string_equal(after, before); /* and still so after exit */
	/* 1x -> 16x, then nothing; under TCG the waits are the emulator's
	 * and outlast the raise: then each competitor is made idle once */
	assert_true(writes - idle <= 5);
	assert_true(idle <= 4);
	/* web takes ~6 %: the promise must not cost the batch more.  Under
	 * TCG web takes 10-13 % and the agent, the test and the kernel
	 * (outside above) 4-20 % of the emulated machine: batch 68-87 %
	 * measured there */
	assert_true(share >= (cgt_slow() > 1 ? 0.6 : 0.75));
	if (cgt_slow() > 1) {
		/* under TCG web's lateness is mostly the emulator's, not run-
		 * queue waits: the 6.1-rt guest once saw p99 2.75 ms lateness
		 * with its waits inside the promise (no breach, no write) */
		print_message(
			"emulated CPUs: breach and lateness not judged\n");
		return;
	}
	assert_true(writes >= 1); /* equal weights break the promise */
	assert_true(nsamp > 3000);
	assert_true(p99 <= 1000);
}

/*
 * Observation without a promise: with --trace-windows, each window record
 * of a watched cgroup carries the waits since the previous one (count,
 * p50, p99, longest bucket).  A periodic task (1 ms period) is stopped
 * (SIGSTOP) twice for a quiet spell with 1 s of running between: the waits
 * of the records whose window closed between the middles of the two quiet
 * spells against the kernel's count of the task's arrivals on a CPU
 * between them (/proc/PID/schedstat, read in the quiet): nothing runs at
 * either edge, so the two must agree (within 1 % and 3 waits).
 */
static void test_window_waits(void **state)
{
	static const char *const winrec[] = { "\"type\":\"window\"", NULL };
	const char *args[] = { "--state-file", statefile, "--trace-windows",
			       NULL };
	char bin[PATH_MAX], secs[16], body[512];
	char *web[] = { bin, "-d", secs, "-W", "0", NULL };
	uint64_t a0, a1, t0, t1, delay, sum = 0, d;
	const int quiet = 300 * cgt_slow(); /* 30 windows */
	long long max_p99 = 0;
	const char *line;
	int n = 0;
	pid_t pid;

	(void)state;
	CGT_NEED_ENV();
	cgt_fixture_setup(statefile, sizeof(statefile), "winwait-state");
	assert_int_equal(cgt_mkcg("web"), 0);
	snprintf(bin, sizeof(bin), "%s", cgt_bin("tests/cgw-web"));
	snprintf(secs, sizeof(secs), "%d", 5 * cgt_slow());
	/* max_share = 100% never breaches: a group watched, nothing more */
	snprintf(
		body, sizeof(body),
		"[agent]\nwindow = %dms\n\n[web]\npath = %s\nmax_share = 100%%\n",
		10 * cgt_slow(), cgt_relpath("web"));
	assert_int_equal(cgt_agent_start(&agent, body, args), 0);
	pid = spawn_in("web", web);
	assert_true(pid > 0);
	cgt_sleep_ms(500 * cgt_slow());
	kill(pid, SIGSTOP);
	cgt_sleep_ms(quiet / 2);
	t0 = cgt_now_ns();
	cgt_sleep_ms(quiet / 2);
	a0 = arrivals(pid, &delay);
	kill(pid, SIGCONT);
	cgt_sleep_ms(1000 * cgt_slow());
	kill(pid, SIGSTOP);
	cgt_sleep_ms(quiet / 2);
	t1 = cgt_now_ns();
	cgt_sleep_ms(quiet / 2);
	a1 = arrivals(pid, &delay);
	kill(pid, SIGCONT);
	while ((line = cgt_agent_wait(&agent, winrec, 100 * cgt_slow()))) {
		long long t = cgt_json_int(line, "t_event_ns");
		long long w = cgt_json_int(line, "waits");

		if (t > (long long)t1)
			break; /* records keep coming, one per window */
		if (t <= (long long)t0 || w < 0)
			continue;
		sum += (uint64_t)w;
		n++;
		if (cgt_json_int(line, "wait_p99_us") > max_p99)
			max_p99 = cgt_json_int(line, "wait_p99_us");
	}
	print_message(
		"window records: %d over %.2f s, %llu waits (highest p99 %lld us); kernel arrivals %llu\n",
		n, (double)(t1 - t0) / 1e9, (unsigned long long)sum, max_p99,
		(unsigned long long)(a1 - a0));
	assert_true(a1 > a0 + 100);
	assert_true(n >= 20);
	d = sum > a1 - a0 ? sum - (a1 - a0) : a1 - a0 - sum;
	assert_true(d <= 3 + (a1 - a0) / 100);
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
}

/* Every batch cgroup's cpu.idle reads @v and, for "0", its weight its
 * original @orig again (the kernel reset it when cpu.idle went to 0). */
static bool batch_is(const char *const *b, char (*orig)[32], int n,
		     const char *v)
{
	char cur[32];

	for (int i = 0; i < n; i++) {
		if (cgt_read(b[i], "cpu.idle", cur, sizeof(cur)) <= 0 ||
		    strcmp(cur, v))
			return false;
		if (!strcmp(v, "0") &&
		    (cgt_read(b[i], cgt_weight_file(), cur, sizeof(cur)) <= 0 ||
		     strcmp(cur, orig[i])))
			return false;
	}
	return true;
}

/*
 * The second stage of a wait promise: max_wait = 20us is beyond what
 * web's weight does here (16 times the weight: p99 115-420 us), so once
 * the raise is at its bound the agent makes the three busy competitors
 * SCHED_IDLE (cpu.idle = 1).  Their weights (2048:1024:512 shares) are
 * reset by the kernel when cpu.idle goes back to 0: the agent puts them
 * back, on relax once they stop (@crash false), or `--restore` after a
 * SIGKILL (@crash true).  Ground truth: the files themselves, web's own
 * lateness and the batch share from the kernel.
 */
static void max_wait_idle(bool crash)
{
	static const char *const idled[] = {
		"\"file\":\"cpu.idle\",\"old\":\"0\",\"new\":\"1\"", NULL
	};
	struct cgt_load sat = { .nthreads = 2, .cpu = -1 };
	const char *const batch[] = { "b1", "b2", "b3" };
	const unsigned int shares[] = { 2048, 1024, 512 };
	char bin[PATH_MAX], secs[16], warm[16], out[512], body[512];
	char *web[] = { bin, "-d", secs, "-W", warm, NULL };
	const char *args[] = { "--state-file", statefile, NULL };
	const char *rargv[] = { cgt_bin("cgwarden"), "--restore",
				"--state-file", statefile, NULL };
	char orig[3][32], before[32], raised[32], rout[4096];
	unsigned long long nsamp = 0, p50 = 0, p99 = 0, max = 0;
	uint64_t u0[3], u1[3], t0, t1, uw;
	double cap, wshare;
	int fd = -1, n = 0, later, st;
	pid_t bpid[3];
	double share = 0;
	ssize_t len;
	pid_t pid;

	CGT_NEED_ENV();
	cgt_fixture_setup(statefile, sizeof(statefile), "idle-state");
	assert_int_equal(cgt_mkcg("web"), 0);
	if (cgt_read("web", "cpu.idle", out, sizeof(out)) <= 0) {
		print_message("SKIP: this kernel has no cpu.idle (5.15+)\n");
		skip();
	}
	assert_true(cgt_read("web", cgt_weight_file(), before, sizeof(before)) >
		    0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(cgt_mkcg(batch[i]), 0);
		assert_int_equal(cgt_set_weight(batch[i], shares[i]), 0);
		assert_true(cgt_read(batch[i], cgt_weight_file(), orig[i],
				     sizeof(orig[i])) > 0);
	}
	snprintf(bin, sizeof(bin), "%s", cgt_bin("tests/cgw-web"));
	snprintf(secs, sizeof(secs), "%d", 8 * cgt_slow());
	snprintf(warm, sizeof(warm), "%d", 2 * cgt_slow());
	snprintf(body, sizeof(body),
		 "[agent]\nwindow = %dms\ncooldown = %dms\nhold = %dms\n\n"
		 "[web]\npath = %s\nmax_wait = 20us\nscope = %s\n",
		 10 * cgt_slow(), 50 * cgt_slow(), 1000 * cgt_slow(),
		 cgt_relpath("web"), cgt_prefix());
	assert_int_equal(cgt_agent_start(&agent, body, args), 0);
	for (int i = 0; i < 3; i++)
		assert_true((bpid[i] = cgt_spawn(batch[i], &sat, NULL)) > 0);
	cgt_sleep_ms(500);
	for (int i = 0; i < 3; i++)
		u0[i] = cgt_kernel_usage_ns(batch[i]);
	uw = cgt_kernel_usage_ns("web");
	t0 = cgt_now_ns();
	pid = spawn_piped("web", web, &fd);
	assert_true(pid > 0);
	/* raised to its bound first, then each competitor made idle */
	while (n < 3 && cgt_agent_wait(&agent, idled, 6000 * cgt_slow()))
		n++;
	if (n < 3)
		cgt_agent_dump_recent(&agent);
	assert_int_equal(n, 3);
	assert_true(cgt_read("web", cgt_weight_file(), raised, sizeof(raised)) >
		    0);
	assert_int_equal(strtoull(raised, NULL, 10),
			 16 * strtoull(before, NULL, 10));
	assert_true(batch_is(batch, orig, 3, "1"));
	if (crash) {
		assert_int_equal(cgt_agent_stop(&agent, SIGKILL),
				 128 + SIGKILL);
		close(fd);
		assert_int_equal(cgt_run(rargv, rout, sizeof(rout)), 0);
		print_message("%s", rout);
		/* cpu.idle 0 and each weight at its original, not the
		 * kernel's default; web's weight too */
		assert_true(batch_is(batch, orig, 3, "0"));
		assert_true(cgt_read("web", cgt_weight_file(), raised,
				     sizeof(raised)) > 0);
		assert_string_equal(raised, before);
		return;
	}
	len = read(fd, out, sizeof(out) - 1);
	close(fd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	t1 = cgt_now_ns();
	for (int i = 0; i < 3; i++) {
		u1[i] = cgt_kernel_usage_ns(batch[i]);
		share += (double)(u1[i] - u0[i]);
	}
	cap = (double)(t1 - t0) * (double)sysconf(_SC_NPROCESSORS_ONLN);
	share /= cap;
	wshare = (double)(cgt_kernel_usage_ns("web") - uw) / cap;
	later = count_actions(&agent, NULL);
	assert_true(len > 0);
	out[len] = '\0';
	assert_int_equal(
		sscanf(out, "samples %llu p50_us %llu p99_us %llu max_us %llu",
		       &nsamp, &p50, &p99, &max),
		4);
	print_message(
		"web lateness after %s s: %llu samples, p50 %llu us, p99 %llu us, max %llu us; shares: batch %.1f%%, web %.1f%%, outside (noise floor) %.1f%%; writes after the idle marks %d\n",
		warm, nsamp, p50, p99, max, 100 * share, 100 * wshare,
		100 * (1 - share - wshare), later);
	/* web takes ~6 %: the batch keeps the rest (TCG: see above) */
	assert_true(share >= (cgt_slow() > 1 ? 0.6 : 0.75));
	/* the competitors stop: after the hold, cpu.idle back to 0 and the
	 * weight the kernel reset back to its original, agent running */
	for (int i = 0; i < 3; i++)
		cgt_kill(bpid[i]);
	for (int i = 0; i < 60 && !batch_is(batch, orig, 3, "0"); i++)
		cgt_sleep_ms(100 * cgt_slow());
	assert_true(batch_is(batch, orig, 3, "0"));
	assert_int_equal(cgt_agent_stop(&agent, SIGTERM), 0);
	assert_true(batch_is(batch, orig, 3, "0"));
	assert_true(cgt_read("web", cgt_weight_file(), raised, sizeof(raised)) >
		    0);
	assert_string_equal(raised, before);
	if (cgt_slow() == 1)
		assert_int_equal(later, 0); /* nothing while nothing changes */
}

static void test_max_wait_idle(void **state)
{
	(void)state;
	max_wait_idle(false);
}

static void test_max_wait_idle_crash(void **state)
{
	(void)state;
	max_wait_idle(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wait_histogram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_max_wait_kept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_window_waits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_max_wait_idle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_max_wait_idle_crash, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("waits", tests, NULL, NULL);
}
