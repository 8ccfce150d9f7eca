// SPDX-License-Identifier: GPL-2.0
/*
 * Per-cgroup CPU time measured by the BPF side against the kernel's own
 * accounting, over 2 s of real CPU load on real cgroups:
 *  - "solo": one CPU-bound thread pinned alone on CPU 1 that never yields
 *    (its time is only seen through the window timer's in-progress claims);
 *  - "par/c1", "par/c2": two children on CPU 0, and their watched parent
 *    "par" credited for both.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgtest.h"
#include "warden.h"

#define MEASURE_MS 2000
#define TOLERANCE 0.02

struct probe {
	const char *rel;
	uint32_t slot;
	pid_t pids[2];
	int npids;
	uint64_t bpf0, clk0, acct0;
	uint64_t bpf1, clk1, acct1;
};

static struct warden w;

static int setup(void **state)
{
	(void)state;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (w.skel)
		warden_close(&w);
	cgt_cleanup();
	return 0;
}

static void sample(struct probe *p, int end)
{
	uint64_t run = 0, clk = 0;

	assert_int_equal(warden_usage(&w, p->slot, &run, NULL), 0);
	for (int i = 0; i < p->npids; i++)
		clk += cgt_proc_cpu_ns(p->pids[i]);
	if (end) {
		p->bpf1 = run;
		p->clk1 = clk;
		p->acct1 = cgt_kernel_usage_ns(p->rel);
	} else {
		p->bpf0 = run;
		p->clk0 = clk;
		p->acct0 = cgt_kernel_usage_ns(p->rel);
	}
}

static void check(const struct probe *p)
{
	double bpf = (double)(p->bpf1 - p->bpf0);
	double clk = (double)(p->clk1 - p->clk0);
	double err = (bpf - clk) / clk;

	print_message("%-7s bpf %8.1f ms  process clocks %8.1f ms  error %+.3f%%",
		      p->rel, bpf / 1e6, clk / 1e6, err * 100);
	if (p->acct1) {
		double acct = (double)(p->acct1 - p->acct0);

		print_message("  kernel cgroup usage %8.1f ms  error %+.3f%%",
			      acct / 1e6, (bpf - acct) / acct * 100);
		assert_true(bpf > acct * (1 - TOLERANCE));
		assert_true(bpf < acct * (1 + TOLERANCE));
	}
	print_message("\n");
	/* a saturated CPU over 2 s: at least 0.5 s, or the load never ran */
	assert_true(clk > MEASURE_MS * 1e6 / 4);
	assert_true(bpf > clk * (1 - TOLERANCE));
	assert_true(bpf < clk * (1 + TOLERANCE));
}

static void test_accuracy(void **state)
{
	struct warden_opts o = {
		.window_ns = 10000000ull * (uint64_t)cgt_slow(),
		.cooldown_ns = 50000000ull * (uint64_t)cgt_slow(),
		.clear_windows = 2,
		.hyst_ppm = 10000,
		.clock = getenv("CGW_TEST_CLOCK") &&
					 !strcmp(getenv("CGW_TEST_CLOCK"), "perf") ?
				 WARDEN_CLOCK_PERF :
				 WARDEN_CLOCK_AUTO,
	};
	struct cgt_load solo = { .nthreads = 1, .cpu = 1 };
	struct cgt_load child = { .nthreads = 1, .cpu = 0 };
	struct probe p[4] = {
		{ .rel = "solo" }, { .rel = "par" },
		{ .rel = "par/c1" }, { .rel = "par/c2" },
	};
	struct cgw_stats st;
	char err[512];

	(void)state;
	CGT_NEED_ENV();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		print_message("SKIP: needs 2 CPUs\n");
		skip();
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(cgt_mkcg(p[i].rel), 0);

	assert_int_equal(warden_probe(err, sizeof(err)), 0);
	assert_int_equal(warden_load(&w, &o, err, sizeof(err)), 0);
	for (int i = 0; i < 4; i++) {
		uint64_t id;
		const char *rel = cgt_relpath(p[i].rel);

		assert_int_equal(cgw_hier_cgid(cgt_hier(), rel, &id), 0);
		assert_int_equal(warden_watch(&w, id, 0,
					      0, 0, &p[i].slot),
				 0);
	}
	assert_int_equal(warden_attach(&w, err, sizeof(err)), 0);

	p[0].pids[p[0].npids++] = cgt_spawn("solo", &solo, NULL);
	p[2].pids[p[2].npids++] = cgt_spawn("par/c1", &child, NULL);
	p[3].pids[p[3].npids++] = cgt_spawn("par/c2", &child, NULL);
	p[1].pids[0] = p[2].pids[0];
	p[1].pids[1] = p[3].pids[0];
	p[1].npids = 2;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < p[i].npids; j++)
			assert_true(p[i].pids[j] > 0);

	cgt_sleep_ms(300); /* every task switched in once: slots cached */
	for (int i = 0; i < 4; i++)
		sample(&p[i], 0);
	cgt_sleep_ms(MEASURE_MS);
	for (int i = 0; i < 4; i++)
		sample(&p[i], 1);
	warden_stats(&w, &st);
	print_message("kernel side: %llu windows, %llu stale-CPU corrections\n",
		      (unsigned long long)st.windows,
		      (unsigned long long)st.stale_cpu);
	for (int i = 0; i < 4; i++)
		check(&p[i]);
}

/*
 * A CPU-bound process that moves itself into a watched cgroup while it runs
 * (a shell's `echo $$ > cgroup.procs`, then work), on CPUs saturated by
 * unwatched tasks.  It came onto its CPU unwatched, and that CPU's switches
 * were all between unwatched tasks, which the program skips without reading
 * the clock.  When it first leaves, the cgroup is charged its run since the
 * move, not the wall time since the CPU last charged anybody (that once
 * gave the cgroup 124 % of the machine).  Ground truth: the cgroup's kernel
 * usage over the same interval.
 */
static void test_moved_while_running(void **state)
{
	struct warden_opts o = {
		.window_ns = 10000000ull * (uint64_t)cgt_slow(),
		.cooldown_ns = 50000000ull * (uint64_t)cgt_slow(),
		.clear_windows = 2,
		.hyst_ppm = 10000,
	};
	struct cgt_load hogs = { .nthreads = 2, .cpu = -1 };
	struct cgt_load spin = { .nthreads = 1, .cpu = -1,
				 .moved_running = true };
	struct probe p = { .rel = "dst" };
	struct cgw_stats st;
	uint64_t id, clk = 0;
	double bpf, acct;
	char err[512];

	(void)state;
	CGT_NEED_ENV();
	assert_int_equal(cgt_mkcg("src"), 0);
	assert_int_equal(cgt_mkcg("dst"), 0);
	assert_int_equal(warden_probe(err, sizeof(err)), 0);
	assert_int_equal(warden_load(&w, &o, err, sizeof(err)), 0);
	assert_int_equal(cgw_hier_cgid(cgt_hier(), cgt_relpath("dst"), &id),
			 0);
	assert_int_equal(warden_watch(&w, id, 0, 0, 0, &p.slot), 0);
	assert_int_equal(warden_attach(&w, err, sizeof(err)), 0);
	assert_true(cgt_spawn("src", &hogs, NULL) > 0);
	cgt_sleep_ms(300); /* CPUs busy with unwatched tasks only */
	sample(&p, 0); /* no process in dst yet: all three are 0 */
	/* eight short-lived movers, each a first sight */
	for (int i = 0; i < 8; i++) {
		pid_t pid = cgt_spawn("dst", &spin, NULL);

		assert_true(pid > 0);
		cgt_sleep_ms(MEASURE_MS / 16);
		/* stopped: it leaves its CPU (charged), its clock stands */
		assert_int_equal(kill(pid, SIGSTOP), 0);
		cgt_sleep_ms(20);
		clk += cgt_proc_cpu_ns(pid);
	}
	sample(&p, 1);
	warden_stats(&w, &st);
	bpf = (double)(p.bpf1 - p.bpf0);
	acct = (double)(p.acct1 - p.acct0);
	print_message("kernel side: %llu tasks first charged after a move\n",
		      (unsigned long long)st.moved_in);
	/* the movers' own clocks also hold their time before the move (a
	 * fork and a cgroup write each, ms under TCG): only a bound */
	print_message("dst     bpf %8.1f ms  kernel cgroup usage %8.1f ms  error %+.3f%%  (the movers' clocks, before the move included: %.1f ms)\n",
		      bpf / 1e6, acct / 1e6, (bpf - acct) / acct * 100,
		      (double)clk / 1e6);
	if (!p.acct1) {
		print_message("SKIP: no kernel usage counter for dst\n");
		skip();
	}
	assert_true(acct > MEASURE_MS * 1e6 / 8); /* the load ran */
	assert_true(bpf > acct * (1 - TOLERANCE));
	assert_true(bpf < acct * (1 + TOLERANCE));
	assert_true(bpf < (double)clk * (1 + TOLERANCE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accuracy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moved_while_running, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("accounting", tests, NULL, NULL);
}
