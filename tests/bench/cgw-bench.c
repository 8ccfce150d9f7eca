// SPDX-License-Identifier: GPL-2.0
/*
 * cgwarden benchmarks on real cgroups, real load and real writes.  Each
 * subcommand prints a human summary on stdout and, with -o FILE, one JSON
 * object for scripts/bench-report.  CPU time is always the kernel's
 * (cpuacct.usage on v1, cpu.stat usage_usec on v2), never cgwarden's own
 * BPF, except where the BPF side is what is measured (accuracy).
 *
 *   latency   breach -> written, over many breaches, every CPU saturated
 *   compare   the study's scenario (c4 starts next to c1..c3) handled by
 *             cgwarden, by a polling agent at 100 ms and at 10 ms, and by
 *             the static path (stop, recreate the cgroup, restart)
 *   poll      the polling agent itself (compare runs it as a subprocess)
 *   accuracy  BPF per-cgroup CPU time against the kernel's, 1 s windows
 *   rest      the agent's wakeups, CPU and memory when nothing is breached
 *   pingpong  a context-switch-heavy workload with and without cgwarden
 *
 * Scratch cgroups live under cgwtest-<pid>/ and are removed on every exit
 * (cgtest.c), with the processes and agents started here.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgtest.h"
#include "policy.h"
#include "warden.h"

#define NSEC 1000000000ull
#define MSEC 1000000ull

static struct {
	const char *out; /* JSON result file */
	const char *dir; /* where .dat files go */
	int count; /* -n: breaches, trials, runs, seconds */
	int rt_prio; /* -p */
	int ncpu;
	uint32_t min_ppm; /* poll -m */
} opt = { .rt_prio = 50, .min_ppm = 500000 };

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("cgw-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cgt_cleanup();
	exit(1);
}

/* --- statistics ----------------------------------------------------- */

struct stats {
	size_t n;
	double min, p50, p90, p99, max, mean, sd;
};

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentiles; sorts @v. */
static void stats_of(double *v, size_t n, struct stats *s)
{
	double sum = 0, sq = 0;

	memset(s, 0, sizeof(*s));
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_dbl);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	s->n = n;
	s->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (v[i] - s->mean) * (v[i] - s->mean);
	s->sd = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
	s->min = v[0];
	s->max = v[n - 1];
#define RANK(p) v[(size_t)ceil((p) / 100.0 * (double)n) - 1]
	s->p50 = RANK(50);
	s->p90 = RANK(90);
	s->p99 = RANK(99);
#undef RANK
}

static void json_stats(FILE *f, const char *key, const struct stats *s)
{
	fprintf(f,
		"\"%s\":{\"count\":%zu,\"min\":%.3f,\"p50\":%.3f,\"p90\":%.3f,"
		"\"p99\":%.3f,\"max\":%.3f,\"mean\":%.3f,\"sd\":%.3f}",
		key, s->n, s->min, s->p50, s->p90, s->p99, s->max, s->mean,
		s->sd);
}

static void print_stats(const char *what, const char *unit,
			const struct stats *s)
{
	printf("  %-28s n=%-5zu min %9.1f  p50 %9.1f  p90 %9.1f  p99 %9.1f  max %9.1f %s\n",
	       what, s->n, s->min, s->p50, s->p90, s->p99, s->max, unit);
}

static FILE *open_out(void)
{
	FILE *f;

	if (!opt.out)
		return NULL;
	f = fopen(opt.out, "w");
	if (!f)
		die("%s: %s", opt.out, strerror(errno));
	return f;
}

static void close_out(FILE *f)
{
	bool bad;

	if (!f)
		return;
	bad = ferror(f);
	if (fclose(f) || bad)
		die("%s: write failed", opt.out);
}

/* A data file next to the JSON result. */
static FILE *open_dat(const char *name, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", opt.dir, name);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	return f;
}

/* The string value of "key":"..." in a JSON line, into @buf. */
static const char *json_str(const char *line, const char *key, char *buf,
			    size_t len)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(line, pat);
	if (!p || len < 2) {
		snprintf(buf, len, "?");
		return buf;
	}
	p += strlen(pat);
	e = strchr(p, '"');
	snprintf(buf, len, "%.*s", (int)(e ? e - p : 0), p);
	return buf;
}

static void set_fifo(int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	if (prio && sched_setscheduler(0, SCHED_FIFO, &sp))
		die("SCHED_FIFO %d: %s", prio, strerror(errno));
}

static void need_env(void)
{
	const char *why = cgt_skip_reason();

	if (why)
		die("cannot run here: %s", why);
	opt.ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/*
 * The agent's state file.  Its default, /run/cgwarden/state, is on tmpfs
 * on a Debian system, where the fsync before a first write costs nothing;
 * the benchmark uses a tmpfs too (/dev/shm) unless CGW_BENCH_STATE_DIR
 * names another directory, e.g. on disk to see what the fsync costs.
 */
static const char *state_dir(void)
{
	const char *d = getenv("CGW_BENCH_STATE_DIR");
	struct statfs fs;

	if (d && *d)
		return d;
	if (!statfs("/dev/shm", &fs) && fs.f_type == TMPFS_MAGIC)
		return "/dev/shm";
	return "/tmp";
}

static bool state_on_tmpfs(void)
{
	struct statfs fs;

	return !statfs(state_dir(), &fs) && fs.f_type == TMPFS_MAGIC;
}

static char *state_file(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/cgwtest-bench-state-%d", state_dir(),
		 getpid());
	unlink(path);
	return path;
}

static void agent_start(struct cgt_agent *a, const char *cfg, bool rt)
{
	char prio[16];
	const char *extra[] = { "--state-file", state_file(),
				rt ? "--rt-priority" : NULL, prio, NULL };
	int ret;

	snprintf(prio, sizeof(prio), "%d", opt.rt_prio);
	ret = cgt_agent_start(a, cfg, extra);
	if (ret)
		die("cgwarden did not start: %s", strerror(-ret));
}

static void agent_stop(struct cgt_agent *a)
{
	int st = cgt_agent_stop(a, SIGTERM);

	if (st)
		die("the agent exited with status %d", st);
}

/* --- latency ---------------------------------------------------------- */

/*
 * c1, c2 and c3 each run one busy thread per CPU at weights 2:1:1, c1
 * promised half; c4 (weight 4, the same load) is stopped and continued
 * every LAT_TOGGLE_MS.  Each time it runs, c1 falls to a quarter and the
 * agent raises c1's weight (the competitor's edge or the breach); each time
 * it stops, the surplus edge lets the agent (hold = 0) step back.  A real
 * change every toggle, so every write the agent makes is one it should
 * make: a controller that does not write on noise gives no other way to
 * collect a thousand breach -> write delays.
 */
#define LAT_TOGGLE_MS 120

static int cmd_latency(void)
{
	struct cgt_load l = { .cpu = -1 };
	struct cgt_agent a;
	char cfg[1024], reason[64], path[PATH_MAX];
	const char *want[] = { "\"t_event_ns\":", NULL };
	size_t cap = (size_t)opt.count + 64, n = 0, breaches = 0, writes = 0;
	size_t by_raise = 0, by_cap = 0, by_other = 0;
	double *us = calloc(cap, sizeof(*us));
	double *dl = calloc(cap, sizeof(*dl)); /* event -> agent has it */
	double *sv = calloc(cap, sizeof(*sv)), *ns = calloc(cap, sizeof(*ns));
	size_t nsv = 0, nns = 0;
	struct stats sdl, ssv, sns;
	uint64_t t0, limit = 600 * NSEC, toggle_at, last_write;
	size_t toggles = 0;
	bool c4_on;
	pid_t c4 = -1;
	struct stats s;
	FILE *f, *dat;

	need_env();
	if (!us || !dl || !sv || !ns)
		die("out of memory");
	l.nthreads = opt.ncpu;
	for (int i = 1; i <= 4; i++) {
		static const unsigned int w[] = { 2048, 1024, 1024, 4096 };
		char g[8];

		snprintf(g, sizeof(g), "c%d", i);
		if (cgt_mkcg(g) || cgt_set_weight(g, w[i - 1]))
			die("cannot create cgroup %s", g);
		c4 = cgt_spawn(g, &l, NULL);
		if (c4 < 0)
			die("cannot start the load in %s", g);
	}
	/* c4 starts stopped: the first toggle starts it */
	kill(c4, SIGSTOP);
	c4_on = false;
	snprintf(cfg, sizeof(cfg),
		 "[agent]\nwindow = 10ms\ncooldown = 10ms\nhold = 0ms\nmargin = 5%%\n"
		 "[c1]\npath = %s\nmin_share = 50%%\n",
		 cgt_relpath("c1"));
	agent_start(&a, cfg, opt.rt_prio > 0);
	t0 = cgt_now_ns();
	last_write = t0;
	toggle_at = t0 + 1000 * MSEC;
	while (writes < (size_t)opt.count) {
		uint64_t now = cgt_now_ns();
		const char *line;
		long long te, tw;

		if (now >= toggle_at) {
			c4_on = !c4_on;
			kill(c4, c4_on ? SIGCONT : SIGSTOP);
			toggles++;
			toggle_at = now + LAT_TOGGLE_MS * MSEC;
			if (now - last_write > 5 * NSEC) {
				static char log[1 << 22];
				int len = cgt_agent_stderr(&a, log,
							   sizeof(log));
				const char *tail = log;

				/* the agent's last lines say why it stopped */
				if (len > 3000)
					tail = log + len - 3000;
				fprintf(stderr, "agent stderr (end):\n%s\n",
					len > 0 ? tail : "(none)");
				/* and whether it runs, sleeps, or where */
				snprintf(log, sizeof(log),
					 "grep -E 'State|ctxt' /proc/%d/status; cat /proc/%d/wchan; echo; cat /proc/%d/stack; bpftool prog show | grep -A2 cgw_",
					 (int)a.pid, (int)a.pid, (int)a.pid);
				if (system(log))
					fprintf(stderr, "(no /proc view)\n");
				die("no write for 5 s (%zu writes so far)",
				    writes);
			}
		}
		line = cgt_agent_wait(&a, want,
				      (int)((toggle_at - now) / MSEC) + 1);
		if (!line)
			continue;
		if (cgt_now_ns() - t0 > limit)
			die("%zu writes in %llu s: too slow, giving up", writes,
			    limit / NSEC);
		if (strstr(line, "\"type\":\"breach\"")) {
			breaches++;
			continue;
		}
		if (!strstr(line, "\"type\":\"action\""))
			continue;
		te = cgt_json_int(line, "t_event_ns");
		tw = cgt_json_int(line, "t_written_ns");
		if (te <= 0 || tw < te) /* relax steps have no breach */
			continue;
		json_str(line, "reason", reason, sizeof(reason));
		if (!strncmp(reason, "setpoint", 8) ||
		    !strncmp(reason, "feedback", 8))
			by_raise++;
		else if (strstr(reason, "cap") || strstr(reason, "escalat"))
			by_cap++;
		else
			by_other++;
		dl[n] = (double)(cgt_json_int(line, "t_recv_ns") - te) / 1e3;
		us[n] = (double)(tw - te) / 1e3;
		if (strstr(line, "\"saved_original\":true"))
			sv[nsv++] = us[n];
		else
			ns[nns++] = us[n];
		n++;
		writes++;
		last_write = cgt_now_ns();
	}
	kill(c4, SIGCONT);
	agent_stop(&a);
	cgt_cleanup();

	dat = open_dat("latency-us.dat", path, sizeof(path));
	for (size_t i = 0; i < n; i++)
		fprintf(dat, "%.3f\n", us[i]);
	fclose(dat);
	stats_of(us, n, &s);
	stats_of(dl, n, &sdl);
	stats_of(sv, nsv, &ssv);
	stats_of(ns, nns, &sns);
	printf("latency: breach detected in the kernel -> value written, %d CPUs saturated, agent %s, state file on %s (%s)\n",
	       opt.ncpu, opt.rt_prio ? "SCHED_FIFO" : "SCHED_OTHER",
	       state_dir(), state_on_tmpfs() ? "tmpfs" : "not tmpfs");
	print_stats("breach -> written", "us", &s);
	print_stats(" of which breach -> agent", "us", &sdl);
	print_stats(" original already saved", "us", &sns);
	print_stats(" original saved first", "us", &ssv);
	printf("  %zu breach events, %zu writes (%zu raise, %zu cap, %zu other) in %.1f s, c4 toggled %zu times (every %d ms)\n",
	       breaches, writes, by_raise, by_cap, by_other,
	       (double)(cgt_now_ns() - t0) / 1e9, toggles, LAT_TOGGLE_MS);
	f = open_out();
	if (f) {
		fprintf(f,
			"{\"part\":\"latency\",\"rt_priority\":%d,\"window_ns\":%llu,"
			"\"cpus\":%d,\"breaches\":%zu,\"writes\":%zu,\"state_tmpfs\":%s,",
			opt.rt_prio, 10 * MSEC, opt.ncpu, breaches, writes,
			state_on_tmpfs() ? "true" : "false");
		json_stats(f, "breach_to_written_us", &s);
		fputc(',', f);
		json_stats(f, "breach_to_agent_us", &sdl);
		fputc(',', f);
		json_stats(f, "written_no_fsync_us", &sns);
		fputc(',', f);
		json_stats(f, "written_after_fsync_us", &ssv);
		fprintf(f,
			",\"by_reason\":{\"raise\":%zu,\"cap\":%zu,\"other\":%zu},"
			"\"samples_file\":\"latency-us.dat\"}\n",
			by_raise, by_cap, by_other);
		close_out(f);
	}
	free(us);
	free(dl);
	free(sv);
	free(ns);
	return 0;
}

/* --- the sampler: every group's kernel usage every millisecond ------------ */

#define NGROUPS 4
#define SAMPLE_NS MSEC

struct sample {
	uint64_t t;
	uint64_t u[NGROUPS];
};

static struct sampler {
	pthread_t th;
	atomic_int stop;
	atomic_int gen[NGROUPS]; /* bumped when a group's cgroup is recreated */
	int fd[NGROUPS];
	uint64_t base[NGROUPS], last[NGROUPS];
	struct sample *s;
	size_t n, cap;
	int prio;
} smp;

static const char *const group_names[NGROUPS] = { "c1", "c2", "c3", "c4" };

static void *sampler_run(void *arg)
{
	int gen[NGROUPS] = { 0 };
	struct timespec next;

	(void)arg;
	if (smp.prio) {
		struct sched_param sp = { .sched_priority = smp.prio };

		pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&smp.stop) && smp.n < smp.cap) {
		struct sample *s = &smp.s[smp.n];

		for (int g = 0; g < NGROUPS; g++) {
			uint64_t v;

			if (atomic_load(&smp.gen[g]) != gen[g]) {
				/* a new cgroup counts from 0: continue the series */
				gen[g] = atomic_load(&smp.gen[g]);
				if (smp.fd[g] >= 0)
					close(smp.fd[g]);
				smp.fd[g] = cgt_usage_open(
					cgt_relpath(group_names[g]));
				smp.base[g] = smp.last[g];
			}
			if (smp.fd[g] >= 0 && !cgt_usage_read(smp.fd[g], &v))
				smp.last[g] = smp.base[g] + v;
			s->u[g] = smp.last[g];
		}
		s->t = cgt_now_ns();
		smp.n++;
		next.tv_nsec += SAMPLE_NS;
		if (next.tv_nsec >= (long)NSEC) {
			next.tv_nsec -= NSEC;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
	}
	return NULL;
}

static void sampler_start(int prio, size_t seconds)
{
	memset(&smp, 0, sizeof(smp));
	smp.prio = prio;
	smp.cap = seconds * (NSEC / SAMPLE_NS);
	smp.s = calloc(smp.cap, sizeof(*smp.s));
	if (!smp.s)
		die("out of memory");
	for (int g = 0; g < NGROUPS; g++) {
		smp.fd[g] = cgt_usage_open(cgt_relpath(group_names[g]));
		if (smp.fd[g] < 0)
			die("%s: no kernel usage counter (cpuacct.usage/cpu.stat)",
			    group_names[g]);
	}
	if (pthread_create(&smp.th, NULL, sampler_run, NULL))
		die("cannot start the sampler thread");
}

static void sampler_stop(void)
{
	atomic_store(&smp.stop, 1);
	pthread_join(smp.th, NULL);
	for (int g = 0; g < NGROUPS; g++)
		if (smp.fd[g] >= 0)
			close(smp.fd[g]);
}

/*
 * End of the first window of >= 10 ms that starts at or after @from in
 * which group 0 got >= @min_ppm of the machine; 0 if none.
 */
static uint64_t first_window_at_min(uint64_t from, uint32_t min_ppm)
{
	size_t j = 0;

	for (size_t i = 0; i < smp.n; i++) {
		double share;

		if (smp.s[i].t < from)
			continue;
		if (j < i)
			j = i;
		while (j < smp.n && smp.s[j].t < smp.s[i].t + 10 * MSEC)
			j++;
		if (j >= smp.n)
			break;
		share = (double)(smp.s[j].u[0] - smp.s[i].u[0]) /
			((double)(smp.s[j].t - smp.s[i].t) * opt.ncpu);
		if (share * 1e6 >= min_ppm)
			return smp.s[j].t;
	}
	return 0;
}

/* Every group's share per 100 ms bin, t relative to @t0. */
static void write_series(const char *name, uint64_t t0, const char *what)
{
	char path[PATH_MAX];
	FILE *f = open_dat(name, path, sizeof(path));
	size_t i = 0;

	fprintf(f, "# %s\n# CPU share (%% of %d CPUs) per 100 ms bin from the kernel's counters\n# t_s c1 c2 c3 c4\n",
		what, opt.ncpu);
	while (i < smp.n) {
		size_t j = i;

		while (j + 1 < smp.n && smp.s[j].t < smp.s[i].t + 100 * MSEC)
			j++;
		if (smp.s[j].t - smp.s[i].t < 90 * MSEC)
			break; /* a short last bin */
		fprintf(f, "%.3f",
			((double)smp.s[j].t - (double)t0) / 1e9);
		for (int g = 0; g < NGROUPS; g++)
			fprintf(f, " %.2f",
				100.0 * (double)(smp.s[j].u[g] - smp.s[i].u[g]) /
					((double)(smp.s[j].t - smp.s[i].t) *
					 opt.ncpu));
		fputc('\n', f);
		i = j;
	}
	fclose(f);
}

/* --- compare: the study's scenario under four reallocation methods --------- */

enum method { M_CGWARDEN, M_POLL100, M_POLL10, M_STATIC, M_NR };
static const char *const method_name[M_NR] = { "cgwarden", "poll100", "poll10",
					       "static" };

/*
 * Two scenarios.  "study" is the 2015 study's: c1..c3 at weights 2:1:1
 * (c1 holds 50%), c4 at weight 1 takes c1 to 40%, c1 is promised 50%.
 * Its 10 ms shares swing by +-20 points on this kind of machine (CFS
 * spreads a group's weight over CPUs by PELT load, 4 ms ticks), so c1 is
 * in breach now and then before c4 as well: good for the share-over-time
 * figures, not for timing a reaction to c4.  "arrival" times it: c4 is a
 * heavy newcomer (weight 8: c1 drops from 50% to 17%) and c1's promise
 * (25%) lies below the swings before c4.  A trial in which the agent wrote
 * before c4 started is discarded and run again (and counted).
 */
struct scenario {
	const char *name;
	unsigned int w[NGROUPS]; /* v1 shares; v2 gets the same ratio */
	uint32_t min_ppm;
};
static const struct scenario study = { "study", { 2048, 1024, 1024, 1024 },
				       500000 };
static const struct scenario arrival = { "arrival",
					 { 2048, 1024, 1024, 8192 },
					 250000 };
#define MARGIN_PPM 50000u
#define STATIC_DELAY_MS 1000
#define BEFORE_MS 500
#define AFTER_MS 3000

struct trial {
	double onset_written_ms; /* first write (static: running again) */
	double onset_restored_ms; /* first 10 ms window with c1 >= 50% */
	double breach_written_us; /* cgwarden only */
	double realloc_ms; /* static only: stop -> running again */
	double marker_s; /* first write, relative to onset */
	int early; /* writes before c4 started */
	double c1_end_pct; /* c1's share over the trial's last 2 s */
	/* c1's share in each 10 ms window before c4 (series trials) */
	struct stats pre;
	double pre_below_min, pre_below_40; /* fraction of those windows */
};

/* c1's 10 ms shares before @onset, from the sampler. */
static void pre_onset_windows(uint64_t onset, uint32_t min_ppm,
			      struct trial *tr)
{
	double *v = calloc(smp.n / 10 + 1, sizeof(double));
	size_t n = 0, below_min = 0, below_40 = 0, i = 0;

	if (!v)
		die("out of memory");
	while (i < smp.n && smp.s[i].t < onset) {
		size_t j = i;

		while (j < smp.n && smp.s[j].t < smp.s[i].t + 10 * MSEC)
			j++;
		if (j >= smp.n || smp.s[j].t > onset)
			break;
		v[n] = 100.0 * (double)(smp.s[j].u[0] - smp.s[i].u[0]) /
		       ((double)(smp.s[j].t - smp.s[i].t) * opt.ncpu);
		below_min += v[n] * 1e4 < min_ppm;
		below_40 += v[n] < 40;
		n++;
		i = j;
	}
	stats_of(v, n, &tr->pre);
	tr->pre_below_min = n ? (double)below_min / (double)n : 0;
	tr->pre_below_40 = n ? (double)below_40 / (double)n : 0;
	free(v);
}

/* The weight the study's operator gives the recreated c1: what the same
 * policy computes for c1 against c2..c4 all saturating. */
static uint64_t static_weight(const struct scenario *sc)
{
	bool v1 = cgt_hier()->mode == CGW_MODE_V1;
	struct cgw_sib s[NGROUPS];
	unsigned int sum = 0;
	struct cgw_raise r;

	for (int g = 0; g < NGROUPS; g++)
		sum += sc->w[g];
	for (int g = 0; g < NGROUPS; g++) {
		s[g].weight = cgw_cpuctl_weight_of_shares(cgt_hier()->mode,
							  sc->w[g]);
		s[g].share_ppm = (uint32_t)(1000000ull * sc->w[g] / sum);
		s[g].wait_ns = 0;
	}
	if (cgw_policy_raise(s, NGROUPS, 0, sc->min_ppm + MARGIN_PPM, 5000,
			     cgw_cpuctl_weight_min(cgt_hier()->mode),
			     cgw_cpuctl_weight_max(cgt_hier()->mode), &r))
		die("policy refused the static weight");
	return r.weight;
}

/* The polling agent (cmd_poll) as a subprocess, protecting names[0]. */
static void poll_agent_start(struct cgt_agent *a, int interval_ms,
			     uint32_t min_ppm, int rt_prio,
			     const char *const names[NGROUPS])
{
	char iv[16], prio[16], mp[16], self[PATH_MAX], rel[NGROUPS][PATH_MAX];
	const char *argv[16];
	int n = 0, ret;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len <= 0)
		die("/proc/self/exe: %s", strerror(errno));
	self[len] = '\0';
	snprintf(iv, sizeof(iv), "%d", interval_ms);
	snprintf(prio, sizeof(prio), "%d", rt_prio);
	argv[n++] = self;
	argv[n++] = "poll";
	argv[n++] = "-i";
	argv[n++] = iv;
	argv[n++] = "-p";
	argv[n++] = prio;
	snprintf(mp, sizeof(mp), "%u", min_ppm);
	argv[n++] = "-m";
	argv[n++] = mp;
	for (int g = 0; g < NGROUPS; g++) {
		snprintf(rel[g], sizeof(rel[g]), "%s", cgt_relpath(names[g]));
		argv[n++] = rel[g];
	}
	argv[n] = NULL;
	ret = cgt_agent_exec(a, argv);
	if (ret)
		die("the polling agent did not start: %s", strerror(-ret));
}

static void run_trial(enum method m, const struct scenario *sc,
		      struct trial *tr, bool series)
{
	const unsigned int *w = sc->w;
	struct cgt_load l = { .nthreads = opt.ncpu, .cpu = -1 };
	const char *want[] = { "\"type\":\"action\"", NULL };
	struct cgt_agent a = { 0 };
	const char *early;
	uint64_t onset, written = 0, restored, end;
	pid_t c1;
	char cfg[512];

	memset(tr, 0, sizeof(*tr));
	for (int g = 0; g < NGROUPS; g++)
		if (cgt_mkcg(group_names[g]) ||
		    cgt_set_weight(group_names[g], w[g]))
			die("cannot create cgroup %s", group_names[g]);
	if (m == M_CGWARDEN) {
		snprintf(cfg, sizeof(cfg),
			 "[agent]\nwindow = 10ms\ncooldown = 50ms\nmargin = 5%%\nhold = 1s\n"
			 "[c1]\npath = %s\nmin_share = %u.%u%%\n",
			 cgt_relpath("c1"), sc->min_ppm / 10000,
			 sc->min_ppm / 1000 % 10);
		agent_start(&a, cfg, opt.rt_prio > 0);
	}
	c1 = cgt_spawn("c1", &l, NULL);
	if (c1 < 0 || cgt_spawn("c2", &l, NULL) < 0 ||
	    cgt_spawn("c3", &l, NULL) < 0)
		die("cannot start the load");
	int before_ms = series ? 2000 : BEFORE_MS;

	cgt_sleep_ms(1000);
	/* the poller has no run-queue wait to tell a starting c1 from one
	 * that wants no CPU: start it on the steady state */
	if (m == M_POLL100 || m == M_POLL10)
		poll_agent_start(&a, m == M_POLL100 ? 100 : 10, sc->min_ppm,
				 opt.rt_prio, group_names);
	sampler_start(opt.rt_prio > 1 ? opt.rt_prio - 1 : 0,
		      (size_t)(before_ms + STATIC_DELAY_MS + AFTER_MS) / 1000 + 2);
	cgt_sleep_ms(before_ms);
	/* writes before c4 (c1 started first, alone for a moment) */
	while (a.pid && (early = cgt_agent_wait(&a, want, 0))) {
		fprintf(stderr, "compare: %s: a write before c4: %s\n",
			method_name[m], early);
		tr->early++;
	}
	if (cgt_spawn("c4", &l, &onset) < 0)
		die("cannot start c4");

	if (m == M_STATIC) {
		char v[32];
		uint64_t t0, t_run;

		while (cgt_now_ns() < onset + STATIC_DELAY_MS * MSEC)
			cgt_sleep_ms(1);
		/* the study's path: stop, recreate with new values, restart */
		t0 = cgt_now_ns();
		cgt_kill(c1);
		if (cgt_rmcg("c1") || cgt_mkcg("c1"))
			die("cannot recreate c1");
		snprintf(v, sizeof(v), "%" PRIu64, static_weight(sc));
		if (cgt_write("c1", cgt_weight_file(), v))
			die("cannot set c1's weight");
		atomic_fetch_add(&smp.gen[0], 1);
		if (cgt_spawn("c1", &l, &t_run) < 0)
			die("cannot restart c1");
		written = t_run;
		tr->realloc_ms = (double)(t_run - t0) / 1e6;
	} else if (a.pid) {
		const char *line;

		while ((line = cgt_agent_wait(&a, want, AFTER_MS)) &&
		       (uint64_t)cgt_json_int(line, "t_written_ns") < onset) {
			fprintf(stderr,
				"compare: %s: a write before c4: %s\n",
				method_name[m], line);
			tr->early++;
		}
		if (!line) {
			cgt_agent_dump_recent(&a);
			die("%s: no write within %d ms of c4's start",
			    method_name[m], AFTER_MS);
		}
		written = (uint64_t)cgt_json_int(line, "t_written_ns");
		if (m == M_CGWARDEN)
			tr->breach_written_us =
				(double)(written - (uint64_t)cgt_json_int(
							   line, "t_event_ns")) /
				1e3;
	}
	end = (m == M_STATIC ? written : onset) + AFTER_MS * MSEC;
	while (cgt_now_ns() < end)
		cgt_sleep_ms(10);
	sampler_stop();
	if (a.pid)
		agent_stop(&a);

	tr->onset_written_ms = (double)(written - onset) / 1e6;
	tr->marker_s = (double)(written - onset) / 1e9;
	restored = first_window_at_min(written, sc->min_ppm);
	tr->onset_restored_ms =
		restored ? (double)(restored - onset) / 1e6 : NAN;
	for (size_t i = 0; i + 1 < smp.n; i++) {
		struct sample *z = &smp.s[smp.n - 1];

		if (smp.s[i].t >= z->t - 2 * NSEC) {
			tr->c1_end_pct = 100.0 * (double)(z->u[0] - smp.s[i].u[0]) /
					 ((double)(z->t - smp.s[i].t) * opt.ncpu);
			break;
		}
	}
	if (series) {
		char name[64], what[128];

		pre_onset_windows(onset, sc->min_ppm, tr);

		snprintf(name, sizeof(name), "series-%s-%s.dat", sc->name,
			 method_name[m]);
		snprintf(what, sizeof(what),
			 "%s, %s: weights %u:%u:%u:%u, c1 promised %u%%, c4 starts at t=0",
			 sc->name, method_name[m], w[0], w[1], w[2], w[3],
			 sc->min_ppm / 10000);
		write_series(name, onset, what);
	}
	free(smp.s);
	cgt_cleanup();
}

static void json_sc(FILE *f, const struct scenario *sc)
{
	fprintf(f, "{\"weights\":[%u,%u,%u,%u],\"min_share_pct\":%.1f,\"target_pct\":%.1f}",
		sc->w[0], sc->w[1], sc->w[2], sc->w[3], sc->min_ppm / 1e4,
		(sc->min_ppm + MARGIN_PPM) / 1e4);
}

static int cmd_compare(const char *only)
{
	struct trial *t, st;
	double v[4][64];
	struct stats s[4];
	int trials = opt.count ? opt.count : 5;
	bool first = true;
	FILE *f;

	need_env();
	if (trials > 64)
		trials = 64;
	t = calloc((size_t)trials, sizeof(*t));
	if (!t)
		die("out of memory");
	printf("compare (\"arrival\"): c1..c3 saturate %d CPUs at weights 2:1:1, c1 promised 25%%;\n"
	       "  c4 (weight 8) starts and takes c1 from 50%% to 17%%; %d trials per method\n",
	       opt.ncpu, trials);
	f = open_out();
	if (f) {
		fprintf(f, "{\"part\":\"compare\",\"trials\":%d,\"cpus\":%d,\"scenario\":",
			trials, opt.ncpu);
		json_sc(f, &arrival);
		fprintf(f, ",\"study\":");
		json_sc(f, &study);
		fprintf(f, ",\"agents\":{");
	}
	for (int m = 0; m < M_NR; m++) {
		size_t nv[4] = { 0 };
		int discarded = 0;

		if (only && strcmp(only, method_name[m]))
			continue;
		for (int i = 0; i < trials; i++) {
			run_trial((enum method)m, &arrival, &t[i], false);
			fprintf(stderr,
				"compare: %-8s trial %d: onset->written %8.2f ms, onset->restored %8.2f ms%s\n",
				method_name[m], i + 1, t[i].onset_written_ms,
				t[i].onset_restored_ms,
				t[i].early ? " (wrote before c4: discarded)" : "");
			if (t[i].early && ++discarded <= 2 * trials)
				i--;
			else if (t[i].early)
				die("%s: wrote before c4 in %d trials", method_name[m],
				    discarded);
		}
		for (int k = 0; k < 4; k++) {
			for (int i = 0; i < trials; i++) {
				double x = k == 0 ? t[i].onset_written_ms :
					   k == 1 ? t[i].onset_restored_ms :
					   k == 2 ? t[i].breach_written_us :
						    t[i].realloc_ms;

				if (!isnan(x))
					v[k][nv[k]++] = x;
			}
			stats_of(v[k], nv[k], &s[k]);
		}
		printf(" %s%s\n", method_name[m],
		       m == M_POLL100 ? " (reads usage every 100 ms, same policy)" :
		       m == M_POLL10  ? " (reads usage every 10 ms, same policy)" :
		       m == M_STATIC  ? " (1 s after c4: stop c1, recreate its cgroup, restart)" :
					"");
		print_stats("onset -> written", "ms", &s[0]);
		print_stats("onset -> restored", "ms", &s[1]);
		if (m == M_CGWARDEN)
			print_stats("breach -> written", "us", &s[2]);
		if (m == M_STATIC)
			print_stats("stop -> running again", "ms", &s[3]);
		if (s[1].n < (size_t)trials)
			printf("  %zu of %d trials never restored c1 to its minimum in a 10 ms window\n",
			       (size_t)trials - s[1].n, trials);
		if (discarded)
			printf("  %d trials discarded: the agent wrote before c4 started\n",
			       discarded);
		if (!f)
			continue;
		fprintf(f, "%s\"%s\":{", first ? "" : ",", method_name[m]);
		first = false;
		if (m == M_POLL100 || m == M_POLL10)
			fprintf(f, "\"interval_ms\":%d,", m == M_POLL100 ? 100 : 10);
		if (m == M_STATIC)
			fprintf(f, "\"delay_ms\":%d,\"static_weight\":%" PRIu64 ",",
				STATIC_DELAY_MS, static_weight(&arrival));
		fprintf(f, "\"restored_trials\":%zu,\"discarded_trials\":%d,",
			s[1].n, discarded);
		json_stats(f, "onset_to_written_ms", &s[0]);
		fputc(',', f);
		json_stats(f, "onset_to_restored_ms", &s[1]);
		if (m == M_CGWARDEN) {
			fputc(',', f);
			json_stats(f, "breach_to_written_us", &s[2]);
		}
		if (m == M_STATIC) {
			fputc(',', f);
			json_stats(f, "reallocation_ms", &s[3]);
		}
		fputc('}', f);
	}
	if (f)
		fprintf(f, "},\"series\":{");
	/* the study itself, once each way, for its Figures 3 and 4 */
	printf("study: weights 2:1:1, c1 promised 50%%, c4 (weight 1) starts; c1's share over the last 2 s\n");
	first = true;
	for (int m = 0; m < M_NR; m++) {
		if ((m != M_STATIC && m != M_CGWARDEN) ||
		    (only && strcmp(only, method_name[m])))
			continue;
		run_trial((enum method)m, &study, &st, true);
		printf("  %-8s c1 %.1f%%, first write %.1f ms after c4%s\n",
		       method_name[m], st.c1_end_pct, st.marker_s * 1e3,
		       st.early ? " (it also wrote before c4)" : "");
		printf("           before c4, c1's %zu windows of 10 ms: min %.1f%%, p50 %.1f%%, max %.1f%%; %.0f%% below 50%%, %.0f%% below 40%%\n",
		       st.pre.n, st.pre.min, st.pre.p50, st.pre.max,
		       100 * st.pre_below_min, 100 * st.pre_below_40);
		if (f) {
			fprintf(f,
				"%s\"%s\":{\"file\":\"series-study-%s.dat\",\"t_s\":%.4f,"
				"\"c1_end_pct\":%.2f,\"early_writes\":%d,"
				"\"pre_c4_below_min\":%.4f,\"pre_c4_below_40\":%.4f,",
				first ? "" : ",", method_name[m], method_name[m],
				st.marker_s, st.c1_end_pct, st.early,
				st.pre_below_min, st.pre_below_40);
			json_stats(f, "pre_c4_window_pct", &st.pre);
			fputc('}', f);
		}
		first = false;
	}
	if (f) {
		fprintf(f, "}}\n");
		close_out(f);
	}
	free(t);
	return 0;
}

/* --- poll: what a user would write instead of cgwarden ------------------ */

static volatile sig_atomic_t poll_exit;

static void on_term(int sig)
{
	(void)sig;
	poll_exit = 1;
}

static int write_weight(const char *dir, uint64_t v)
{
	char path[PATH_MAX * 2], buf[32];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, cgt_weight_file());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(buf, sizeof(buf), "%" PRIu64 "\n", v);
	ret = cgw_write_fd(fd, buf);
	close(fd);
	return ret;
}

static int read_weight(const char *dir, uint64_t *v)
{
	char path[PATH_MAX * 2], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", dir, cgt_weight_file());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = cgw_read_fd(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return -EIO;
	*v = strtoull(buf, NULL, 10);
	return 0;
}

/*
 * Every interval: read each cgroup's kernel usage, compute shares over the
 * interval, and if the first cgroup is below its minimum, raise its weight
 * with cgwarden's own policy (cgw_policy_raise, one step at most x4, one
 * write per interval).  Restores the original weight on SIGTERM.
 */
static int cmd_poll(int interval_ms, char **paths, int n)
{
	bool v1;
	char dir[NGROUPS][PATH_MAX * 2];
	int fd[NGROUPS];
	uint64_t u0[NGROUPS], orig, cur;
	uint64_t t_prev, period = (uint64_t)interval_ms * MSEC;
	struct timespec next;
	struct sigaction sa = { .sa_handler = on_term };

	need_env();
	if (n != NGROUPS)
		die("poll: needs %d cgroup paths (the protected one first)",
		    NGROUPS);
	v1 = cgt_hier()->mode == CGW_MODE_V1;
	for (int g = 0; g < n; g++) {
		snprintf(dir[g], sizeof(dir[g]), "%s/%s", cgt_hier()->root,
			 paths[g]);
		fd[g] = cgt_usage_open(paths[g]);
		if (fd[g] < 0 || cgt_usage_read(fd[g], &u0[g]))
			die("poll: %s: no kernel usage counter", paths[g]);
	}
	if (read_weight(dir[0], &orig))
		die("poll: %s: cannot read its weight", paths[0]);
	cur = orig;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (opt.rt_prio) {
		if (mlockall(MCL_CURRENT | MCL_FUTURE))
			die("poll: mlockall: %s", strerror(errno));
		set_fifo(opt.rt_prio);
	}
	fprintf(stderr, "cgw-bench poll: watching %s every %d ms\n", paths[0],
		interval_ms);
	t_prev = cgt_now_ns();
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!poll_exit) {
		struct cgw_sib s[NGROUPS];
		struct cgw_raise r;
		uint64_t now, want;

		next.tv_nsec += (long)(period % NSEC);
		next.tv_sec += (time_t)(period / NSEC);
		if (next.tv_nsec >= (long)NSEC) {
			next.tv_nsec -= NSEC;
			next.tv_sec++;
		}
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				    NULL))
			continue; /* a signal: check poll_exit */
		now = cgt_now_ns();
		for (int g = 0; g < n; g++) {
			uint64_t u;

			if (cgt_usage_read(fd[g], &u))
				die("poll: %s vanished", paths[g]);
			s[g].share_ppm = (uint32_t)((double)(u - u0[g]) * 1e6 /
						    ((double)(now - t_prev) *
						     opt.ncpu));
			s[g].wait_ns = 0; /* polling sees no run-queue wait */
			if (read_weight(dir[g], &s[g].weight))
				die("poll: %s vanished", paths[g]);
			u0[g] = u;
		}
		t_prev = now;
		/* below the minimum while using CPU (a poller sees no wait) */
		if (s[0].share_ppm >= opt.min_ppm || s[0].share_ppm < 5000)
			continue;
		if (cgw_policy_raise(s, NGROUPS, 0, opt.min_ppm + MARGIN_PPM, 5000,
				     v1 ? CGW_SHARES_MIN : CGW_WEIGHT_MIN,
				     v1 ? CGW_SHARES_MAX : CGW_WEIGHT_MAX, &r))
			continue;
		want = r.weight > 4 * s[0].weight ? 4 * s[0].weight : r.weight;
		if (want <= s[0].weight)
			continue;
		if (write_weight(dir[0], want))
			die("poll: cannot write %s's weight", paths[0]);
		cur = want;
		printf("{\"type\":\"action\",\"path\":\"%s\",\"old\":%" PRIu64
		       ",\"new\":%" PRIu64 ",\"reason\":\"raise\",\"t_event_ns\":%" PRIu64
		       ",\"t_written_ns\":%" PRIu64 "}\n",
		       paths[0], s[0].weight, want, now, cgt_now_ns());
		fflush(stdout);
	}
	if (cur != orig && write_weight(dir[0], orig))
		die("poll: cannot restore %s's weight", paths[0]);
	return 0;
}

/* --- accuracy: BPF against the kernel, per cgroup, per 1 s window -------- */

static int cmd_accuracy(void)
{
	static const struct {
		const char *rel;
		struct cgt_load l;
	} grp[] = {
		{ "hog", { .nthreads = 1, .cpu = 1 } },
		{ "pair", { .nthreads = 2, .cpu = 0 } },
		{ "switchy", { .nthreads = 4, .cpu = -1, .sleep_us = 100 } },
		{ "sleepy", { .nthreads = 1, .cpu = -1, .sleep_us = 2000 } },
	};
	enum { NG = sizeof(grp) / sizeof(grp[0]) };
	struct warden_opts o = { .window_ns = 10 * MSEC,
				 .cooldown_ns = 50 * MSEC,
				 .clear_windows = 2,
				 .hyst_ppm = 10000 };
	struct warden w = { 0 };
	uint32_t slot[NG];
	uint64_t b0[NG], k0[NG];
	int secs = opt.count ? opt.count : 20;
	size_t n = 0;
	double *rel = calloc((size_t)secs * NG, sizeof(double));
	double *absr = calloc((size_t)secs * NG, sizeof(double));
	double *absus = calloc((size_t)secs * NG, sizeof(double));
	double worst[NG] = { 0 };
	struct stats sr, sa, su;
	char err[512];
	FILE *f;

	need_env();
	if (!rel || !absr || !absus)
		die("out of memory");
	if (opt.ncpu < 2)
		die("accuracy: needs 2 CPUs");
	if (warden_probe(err, sizeof(err)) ||
	    warden_load(&w, &o, err, sizeof(err)))
		die("%s", err);
	for (int i = 0; i < NG; i++) {
		uint64_t id;
		const char *r;

		if (cgt_mkcg(grp[i].rel))
			die("cannot create %s", grp[i].rel);
		r = cgt_relpath(grp[i].rel);
		if (cgw_hier_cgid(cgt_hier(), r, &id) ||
		    warden_watch(&w, id, 0, 0, 0, &slot[i]))
			die("cannot watch %s", grp[i].rel);
	}
	if (warden_attach(&w, err, sizeof(err)))
		die("%s", err);
	for (int i = 0; i < NG; i++)
		if (cgt_spawn(grp[i].rel, &grp[i].l, NULL) < 0)
			die("cannot start the load in %s", grp[i].rel);
	cgt_sleep_ms(300);
	for (int i = 0; i < NG; i++) {
		warden_usage(&w, slot[i], &b0[i], NULL);
		k0[i] = cgt_kernel_usage_ns(grp[i].rel);
	}
	for (int s = 0; s < secs; s++) {
		cgt_sleep_ms(1000);
		for (int i = 0; i < NG; i++) {
			uint64_t b, k;
			double e;

			warden_usage(&w, slot[i], &b, NULL);
			k = cgt_kernel_usage_ns(grp[i].rel);
			if (k <= k0[i])
				die("%s: the kernel counted no CPU time", grp[i].rel);
			e = ((double)(b - b0[i]) - (double)(k - k0[i])) /
			    (double)(k - k0[i]) * 100;
			rel[n] = e;
			absr[n] = fabs(e);
			absus[n] = fabs((double)(b - b0[i]) -
					(double)(k - k0[i])) / 1e3;
			if (fabs(e) > fabs(worst[i]))
				worst[i] = e;
			n++;
			b0[i] = b;
			k0[i] = k;
		}
	}
	warden_close(&w);
	cgt_cleanup();
	stats_of(rel, n, &sr);
	stats_of(absr, n, &sa);
	stats_of(absus, n, &su);
	printf("accuracy: BPF per-cgroup CPU time vs the kernel's (%s), %d x 1 s windows, %d cgroups\n",
	       cgt_hier()->mode == CGW_MODE_V1 ? "cpuacct.usage" :
						  "cpu.stat usage_usec",
	       secs, (int)NG);
	print_stats("|error|", "%", &sa);
	print_stats("error (signed)", "%", &sr);
	print_stats("|error|", "us", &su);
	for (int i = 0; i < NG; i++)
		printf("  worst window of %-8s %+.3f%%\n", grp[i].rel, worst[i]);
	f = open_out();
	if (f) {
		fprintf(f, "{\"part\":\"accuracy\",\"window_s\":1,\"samples\":%zu,\"cgroups\":%d,",
			n, (int)NG);
		json_stats(f, "abs_err_pct", &sa);
		fputc(',', f);
		json_stats(f, "signed_err_pct", &sr);
		fputc(',', f);
		json_stats(f, "abs_err_us", &su);
		fprintf(f, ",\"worst_pct\":{");
		for (int i = 0; i < NG; i++)
			fprintf(f, "%s\"%s\":%.4f", i ? "," : "", grp[i].rel,
				worst[i]);
		fprintf(f, "}}\n");
		close_out(f);
	}
	free(rel);
	free(absr);
	free(absus);
	return 0;
}

/* --- rest: the agent when nothing is breached ------------------------------ */

struct proc_snap {
	uint64_t switches; /* voluntary + involuntary, every thread */
	uint64_t cpu_ns; /* schedstat: time on CPU, every thread */
	int threads;
};

static uint64_t status_field(const char *path, const char *key)
{
	char line[256];
	FILE *f = fopen(path, "re");
	uint64_t v = 0;
	size_t kl = strlen(key);

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = strtoull(line + kl + 1, NULL, 10);
	fclose(f);
	return v;
}

static void snap_proc(pid_t pid, struct proc_snap *s)
{
	char dir[64], path[384], buf[256];
	struct dirent *e;
	DIR *d;

	memset(s, 0, sizeof(*s));
	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	d = opendir(dir);
	if (!d)
		die("%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		int fd;
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		s->threads++;
		snprintf(path, sizeof(path), "%s/%s/status", dir, e->d_name);
		s->switches += status_field(path, "voluntary_ctxt_switches") +
			       status_field(path, "nonvoluntary_ctxt_switches");
		snprintf(path, sizeof(path), "%s/%s/schedstat", dir, e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			s->cpu_ns += strtoull(buf, NULL, 10);
		}
		close(fd);
	}
	closedir(d);
}

struct rest {
	double wps, cpu;
	uint64_t switches, rss, hwm;
	int threads, events;
};

/* Wakeups, CPU and memory of the running agent @a over @secs. */
static void measure_rest(struct cgt_agent *a, int secs, struct rest *r)
{
	const char *any[] = { "\"type\":", NULL };
	struct proc_snap a0, a1;
	uint64_t t0, t1;
	char status[64];

	cgt_sleep_ms(2000);
	snap_proc(a->pid, &a0);
	t0 = cgt_now_ns();
	cgt_sleep_ms(secs * 1000);
	snap_proc(a->pid, &a1);
	t1 = cgt_now_ns();
	snprintf(status, sizeof(status), "/proc/%d/status", a->pid);
	r->rss = status_field(status, "VmRSS");
	r->hwm = status_field(status, "VmHWM");
	r->events = 0;
	while (cgt_agent_wait(a, any, 0))
		r->events++;
	r->switches = a1.switches - a0.switches;
	r->threads = a1.threads;
	r->wps = (double)r->switches / ((double)(t1 - t0) / 1e9);
	r->cpu = (double)(a1.cpu_ns - a0.cpu_ns) / (double)(t1 - t0) * 100;
}

static void print_rest(const char *who, const struct rest *r)
{
	printf("  %-16s wakeups %7.2f/s (%" PRIu64 " context switches, %d thread%s), CPU %.4f%%, RSS %" PRIu64
	       " kB (peak %" PRIu64 " kB), %d events\n",
	       who, r->wps, r->switches, r->threads, r->threads == 1 ? "" : "s",
	       r->cpu, r->rss, r->hwm, r->events);
}

static void json_rest(FILE *f, const struct rest *r)
{
	fprintf(f,
		"\"wakeups_per_s\":%.3f,\"switches\":%" PRIu64 ",\"cpu_pct\":%.5f,"
		"\"rss_kb\":%" PRIu64 ",\"hwm_kb\":%" PRIu64 ",\"threads\":%d,\"events\":%d",
		r->wps, r->switches, r->cpu, r->rss, r->hwm, r->threads,
		r->events);
}

/*
 * cgwarden watching four cgroups (one busy within its limits, three idle)
 * when no promise is broken; then, for comparison, the 10 ms polling
 * agent of `compare` watching the same four.
 */
static int cmd_rest(void)
{
	static const char *const names[NGROUPS] = { "idle", "busy", "idle2",
						    "idle3" };
	struct cgt_load busy = { .nthreads = 1, .cpu = -1 };
	int secs = opt.count ? opt.count : 10;
	struct rest rc, rp;
	struct cgt_agent a;
	char cfg[1024];
	FILE *f;

	need_env();
	for (int i = 0; i < NGROUPS; i++)
		if (cgt_mkcg(names[i]))
			die("cannot create cgroup %s", names[i]);
	/* busy uses one CPU: above its minimum, below its maximum */
	snprintf(cfg, sizeof(cfg),
		 "[agent]\nwindow = 10ms\n"
		 "[idle]\npath = %s\nmin_share = 50%%\n"
		 "[busy]\npath = %s\nmin_share = 10%%\nmax_share = 90%%\n"
		 "[idle2]\npath = %s\nmax_share = 50%%\n"
		 "[idle3]\npath = %s\nmin_share = 25%%\n",
		 cgt_relpath("idle"), cgt_relpath("busy"), cgt_relpath("idle2"),
		 cgt_relpath("idle3"));
	if (cgt_spawn("busy", &busy, NULL) < 0)
		die("cannot start the load");
	agent_start(&a, cfg, false);
	measure_rest(&a, secs, &rc);
	agent_stop(&a);

	poll_agent_start(&a, 10, opt.min_ppm, 0, names);
	measure_rest(&a, secs, &rp);
	agent_stop(&a);
	cgt_cleanup();

	printf("rest: 4 cgroups watched (one busy within its limits, three idle), %d s\n",
	       secs);
	print_rest("cgwarden", &rc);
	print_rest("poll every 10 ms", &rp);
	f = open_out();
	if (f) {
		fprintf(f, "{\"part\":\"rest\",\"seconds\":%d,\"cgroups\":%d,",
			secs, NGROUPS);
		json_rest(f, &rc);
		fprintf(f, ",\"poll10\":{");
		json_rest(f, &rp);
		fprintf(f, "}}\n");
		close_out(f);
	}
	return 0;
}

/* --- pingpong: a context-switch-heavy workload, with and without ---------- */

#define ROUNDTRIPS 100000

/* Two processes in cgroup "pp", both on CPU 0, bouncing a byte through
 * two pipes: two context switches per round trip.  Returns ns/round trip. */
static double pingpong_once(void)
{
	int res[2];
	double ns = 0;
	pid_t p;

	if (pipe2(res, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	p = fork();
	if (p < 0)
		die("fork: %s", strerror(errno));
	if (p == 0) {
		int ab[2], ba[2];
		char c = 0, pid[32];
		cpu_set_t set;
		uint64_t t0;
		pid_t q;

		snprintf(pid, sizeof(pid), "%d", getpid());
		CPU_ZERO(&set);
		CPU_SET(0, &set);
		if (cgt_write("pp", "cgroup.procs", pid) ||
		    sched_setaffinity(0, sizeof(set), &set) || pipe(ab) ||
		    pipe(ba))
			_exit(1);
		q = fork();
		if (q == 0) {
			close(ab[1]);
			close(ba[0]);
			while (read(ab[0], &c, 1) == 1 && write(ba[1], &c, 1) == 1)
				;
			_exit(0);
		}
		close(ab[0]);
		close(ba[1]);
		t0 = cgt_now_ns();
		for (int i = 0; i < ROUNDTRIPS; i++)
			if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
				_exit(2);
		ns = (double)(cgt_now_ns() - t0) / ROUNDTRIPS;
		close(ab[1]);
		waitpid(q, NULL, 0);
		_exit(write(res[1], &ns, sizeof(ns)) == sizeof(ns) ? 0 : 3);
	}
	close(res[1]);
	if (read(res[0], &ns, sizeof(ns)) != sizeof(ns))
		ns = 0;
	close(res[0]);
	waitpid(p, NULL, 0);
	if (ns <= 0)
		die("pingpong: the workload failed");
	return ns;
}

static int cmd_pingpong(void)
{
	int runs = opt.count ? opt.count : 20;
	double *with = calloc((size_t)runs, sizeof(double));
	double *without = calloc((size_t)runs, sizeof(double));
	size_t nw = 0, nwo = 0;
	struct stats sw, so;
	char cfg[256];
	FILE *f;

	need_env();
	if (!with || !without)
		die("out of memory");
	if (cgt_mkcg("pp"))
		die("cannot create cgroup pp");
	snprintf(cfg, sizeof(cfg),
		 "[agent]\nwindow = 10ms\n[pp]\npath = %s\nmin_share = 10%%\n",
		 cgt_relpath("pp"));
	printf("pingpong: 2 processes on CPU 0 bounce a byte through pipes, %d round trips per run, %d runs alternating\n",
	       ROUNDTRIPS, runs);
	for (int i = 0; i < runs; i++) {
		struct cgt_agent a;
		double ns;

		if (i % 2) {
			agent_start(&a, cfg, false);
			ns = pingpong_once();
			agent_stop(&a);
			with[nw++] = ns;
		} else {
			ns = pingpong_once();
			without[nwo++] = ns;
		}
		fprintf(stderr, "pingpong: run %2d %-8s %8.1f ns/round trip\n",
			i + 1, i % 2 ? "with" : "without", ns);
	}
	cgt_cleanup();
	stats_of(with, nw, &sw);
	stats_of(without, nwo, &so);
	print_stats("without cgwarden", "ns/rt", &so);
	print_stats("with cgwarden", "ns/rt", &sw);
	printf("  median overhead %+.1f ns per round trip (%+.2f%%), %+.1f ns per switch; sd %.1f / %.1f ns\n",
	       sw.p50 - so.p50, (sw.p50 - so.p50) / so.p50 * 100,
	       (sw.p50 - so.p50) / 2, so.sd, sw.sd);
	f = open_out();
	if (f) {
		fprintf(f, "{\"part\":\"pingpong\",\"runs\":%d,\"roundtrips\":%d,",
			runs, ROUNDTRIPS);
		json_stats(f, "without_ns", &so);
		fputc(',', f);
		json_stats(f, "with_ns", &sw);
		fprintf(f, ",\"overhead_pct\":%.3f,\"overhead_ns_per_switch\":%.2f}\n",
			(sw.p50 - so.p50) / so.p50 * 100, (sw.p50 - so.p50) / 2);
		close_out(f);
	}
	free(with);
	free(without);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cgw-bench COMMAND [-o FILE.json] [-n N] [-p RTPRIO]\n"
		"  latency   [-n WRITES]   breach -> written (default 1000)\n"
		"  compare   [-n TRIALS] [-a METHOD]  cgwarden, poll100, poll10, static\n"
		"  accuracy  [-n SECONDS]  BPF vs kernel CPU time, 1 s windows\n"
		"  rest      [-n SECONDS]  the agent's wakeups, CPU, memory at rest\n"
		"  pingpong  [-n RUNS]     switch-heavy workload with and without\n"
		"  poll -i MS -m PPM CG1 CG2 CG3 CG4   the polling agent (used by compare)\n"
		"-p 0 runs the agents at normal priority (default SCHED_FIFO 50).\n"
		"Data files (.dat) go next to -o FILE.  Run as root.\n");
}

int main(int argc, char **argv)
{
	const char *cmd, *only = NULL;
	static char dir[PATH_MAX];
	int interval = 100, c;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "o:n:p:i:a:m:")) != -1) {
		switch (c) {
		case 'o':
			opt.out = optarg;
			break;
		case 'n':
			opt.count = atoi(optarg);
			if (opt.count <= 0)
				die("-n %s: not a positive number", optarg);
			break;
		case 'p':
			opt.rt_prio = atoi(optarg);
			if (opt.rt_prio < 0 || opt.rt_prio > 98)
				die("-p %s: not 0..98", optarg);
			break;
		case 'i':
			interval = atoi(optarg);
			if (interval <= 0)
				die("-i %s: not a positive number of ms", optarg);
			break;
		case 'a':
			only = optarg;
			break;
		case 'm':
			opt.min_ppm = (uint32_t)atoi(optarg);
			if (opt.min_ppm == 0 || opt.min_ppm > 1000000)
				die("-m %s: not a share in ppm", optarg);
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	snprintf(dir, sizeof(dir), "%s", opt.out ? opt.out : "");
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	opt.dir = dir[0] ? dir : "/";
	if (!strcmp(cmd, "latency")) {
		if (!opt.count)
			opt.count = 1000;
		return cmd_latency();
	}
	if (!strcmp(cmd, "compare")) {
		if (only) {
			bool ok = false;

			for (int m = 0; m < M_NR; m++)
				ok |= !strcmp(only, method_name[m]);
			if (!ok)
				die("-a %s: not cgwarden, poll100, poll10 or static",
				    only);
		}
		return cmd_compare(only);
	}
	if (!strcmp(cmd, "poll"))
		return cmd_poll(interval, argv + optind, argc - optind);
	if (!strcmp(cmd, "accuracy"))
		return cmd_accuracy();
	if (!strcmp(cmd, "rest"))
		return cmd_rest();
	if (!strcmp(cmd, "pingpong"))
		return cmd_pingpong();
	fprintf(stderr, "cgw-bench: unknown command '%s'\n", cmd);
	usage(stderr);
	return 1;
}
