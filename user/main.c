// SPDX-License-Identifier: GPL-2.0
/*
 * cgwarden agent: loads the kernel side, watches the configured cgroups and
 * reports breach edges.  Life cycle as in libbpf-bootstrap: open, set
 * read-only config, load, attach, then wait on the ring buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "actuate.h"
#include "cgroupfs.h"
#include "config.h"
#include "follow.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "privs.h"
#include "probe.h"
#include "reload.h"
#include "restore.h"
#include "stale.h"
#include "state.h"
#include "status.h"
#include "trust.h"
#include "units.h"
#include "warden.h"

#define AGENT_BATCH 256
#define AGENT_BATCH_FULL (-ENOBUFS) /* stops ring_buffer__consume() */

struct agent {
	const char *config_path;
	const char *cgroup_root;
	int verbose;
	int json;
	int dry_run;
	int check;
	int trace_windows;
	int restore;
	int rt_priority;
	int probe;
	enum warden_clock clock;
	const char *state_file;
	struct cgw_config *cfg; /* the sections, as parsed */
	struct cgw_config *tab; /* the cgroups they select: follow.h */
	struct follow follow;
	struct cgw_hier hier;
	struct warden w;
	struct ring_buffer *rb;
	struct act_ctx act;
	int act_ready;
	int epfd, tfd;
	int wdfd; /* watchdog timerfd, -1 without WatchdogSec= */
	struct metrics metrics; /* [agent] metrics: the Prometheus endpoint */
	struct status_srv status; /* `cgwarden status` */
	/* records taken from the ring buffer, judged together (core/stale.h)
	 * before any is acted on; the loop goes back to epoll_pwait, where
	 * signals are delivered, after each batch */
	struct cgw_event batch[AGENT_BATCH];
	size_t nbatch;
	/* --trace-windows: each slot's wait histogram at its last window
	 * record, so that the next one reports the waits between the two */
	uint32_t (*whist)[CGW_HIST_BUCKETS];
	bool *whave;
};

static volatile sig_atomic_t exiting, want_stats, want_reload;

static void on_signal(int sig)
{
	exiting = sig;
}

static void on_usr1(int sig)
{
	(void)sig;
	want_stats = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	want_reload = 1;
}

/*
 * Every signal that could end the agent is handled on purpose:
 *  SIGINT, SIGTERM, SIGQUIT  restore every original, exit 0 (a SIGQUIT
 *                            core dump would leave the values behind)
 *  SIGHUP                    reload the configuration (reload()); an
 *                            invalid one is reported, the running one
 *                            stays
 *  SIGUSR1                   print the kernel-side counters
 *  SIGUSR2                   ignored
 *  SIGPIPE                   ignored: a --json reader that goes away makes
 *                            writes fail (EPIPE), it does not kill us
 * The handled ones are blocked except inside epoll_pwait: see run().
 */
static void setup_signals(sigset_t *waitmask)
{
	static const int term[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction usr1 = { .sa_handler = on_usr1 };
	struct sigaction hup = { .sa_handler = on_hup };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigset_t block;

	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(term) / sizeof(term[0]); i++)
		sigaddset(&block, term[i]);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	for (size_t i = 0; i < sizeof(term) / sizeof(term[0]); i++) {
		sigdelset(waitmask, term[i]);
		sigaction(term[i],
			  term[i] == SIGUSR1 ? &usr1 :
			  term[i] == SIGHUP  ? &hup :
					       &sa,
			  NULL);
	}
	sigaction(SIGUSR2, &ign, NULL);
	sigaction(SIGPIPE, &ign, NULL);
}

/*
 * epoll_pwait delivers a pending signal only when it has to wait: while
 * records are always ready (a flood) it returns them and the signal stays
 * pending.  After each full batch the loop takes a pending one here.
 */
static void take_pending_signal(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1 };
	static const struct timespec zero;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sig = sigtimedwait(&set, NULL, &zero);
	if (sig == SIGUSR1)
		want_stats = 1;
	else if (sig == SIGHUP)
		want_reload = 1;
	else if (sig > 0)
		exiting = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cgwarden -c FILE [-v] [--json] [--dry-run] [--cgroup-root DIR]\n"
		"       cgwarden --check -c FILE [--cgroup-root DIR]\n"
		"       cgwarden --restore [--state-file FILE]\n"
		"       cgwarden --probe [-c FILE] [--cgroup-root DIR]\n"
		"       cgwarden status [--json] [--socket PATH | --state-file FILE]\n"
		"\n"
		"Keeps CPU share promises made to cgroups: accounts CPU time per cgroup\n"
		"in the kernel (sched_switch), evaluates min_share/max_share over short\n"
		"windows there, and reports each breach edge.\n"
		"\n"
		"  -c, --config FILE      configuration (INI), see cgwarden(8)\n"
		"      --check            validate the configuration and exit\n"
		"      --json             one JSON object per event on stdout\n"
		"      --dry-run          log every action it would take, write nothing\n"
		"      --state-file FILE  originals of changed values, for --restore\n"
		"                         (default " CGW_STATE_DEFAULT ")\n"
		"      --restore          put back what a crashed agent changed, exit\n"
		"      --probe            print what this machine offers the agent\n"
		"                         (kernel, BPF, cgroups, capabilities), exit\n"
		"                         0 if it can run here\n"
		"      --rt-priority N    run at SCHED_FIFO priority N (1-99), memory\n"
		"                         locked: reacts in microseconds even when the\n"
		"                         CPUs it protects are saturated\n"
		"      --cgroup-root DIR  cgroup directory holding the cpu controller\n"
		"                         (default: detected from /proc/self/mountinfo)\n"
		"      --trace-windows    diagnostics: report every window of every cgroup\n"
		"                         (100 records/s per cgroup at 10 ms windows)\n"
		"      --window-clock C   what closes windows: timer (bpf_timer), perf (a\n"
		"                         cpu-clock event) or auto (perf on PREEMPT_RT,\n"
		"                         which refuses bpf_timer; timer elsewhere)\n"
		"  -v, --verbose          libbpf debug output and kernel-side counters\n"
		"  -h, --help             this text\n"
		"  -V, --version          version\n");
}

static int parse_args(struct agent *a, int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_JSON, OPT_DRY, OPT_ROOT, OPT_TRACE,
	       OPT_RESTORE, OPT_STATE, OPT_RT, OPT_CLOCK, OPT_PROBE };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "cgroup-root", required_argument, NULL, OPT_ROOT },
		{ "trace-windows", no_argument, NULL, OPT_TRACE },
		{ "restore", no_argument, NULL, OPT_RESTORE },
		{ "probe", no_argument, NULL, OPT_PROBE },
		{ "state-file", required_argument, NULL, OPT_STATE },
		{ "rt-priority", required_argument, NULL, OPT_RT },
		{ "window-clock", required_argument, NULL, OPT_CLOCK },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config_path = optarg;
			break;
		case OPT_CHECK:
			a->check = 1;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_DRY:
			a->dry_run = 1;
			break;
		case OPT_ROOT:
			a->cgroup_root = optarg;
			break;
		case OPT_TRACE:
			a->trace_windows = 1;
			break;
		case OPT_RESTORE:
			a->restore = 1;
			break;
		case OPT_PROBE:
			a->probe = 1;
			break;
		case OPT_STATE:
			a->state_file = optarg;
			break;
		case OPT_CLOCK:
			if (!strcmp(optarg, "timer"))
				a->clock = WARDEN_CLOCK_TIMER;
			else if (!strcmp(optarg, "perf"))
				a->clock = WARDEN_CLOCK_PERF;
			else if (!strcmp(optarg, "auto"))
				a->clock = WARDEN_CLOCK_AUTO;
			else {
				cgw_log(CGW_LOG_ERR,
					"--window-clock: '%s' is not timer, perf or auto",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_RT: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 99) {
				cgw_log(CGW_LOG_ERR,
					"--rt-priority: '%s' is not 1..99",
					optarg);
				return -EINVAL;
			}
			a->rt_priority = (int)v;
			break;
		}
		case 'v':
			a->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("cgwarden %s\n", CGW_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		cgw_log(CGW_LOG_ERR, "unexpected argument '%s'",
			argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	if (a->restore || a->probe)
		return 0;
	if (!a->config_path) {
		cgw_log(CGW_LOG_ERR, "no configuration given (-c FILE)");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static const char *kind_name(int kind)
{
	return kind == CGW_KIND_MIN  ? "min_share" :
	       kind == CGW_KIND_WAIT ? "max_wait" :
				       "max_share";
}

static const char *event_type(const struct cgw_event *e)
{
	switch (e->type) {
	case CGW_EV_CLEAR:
		return "clear";
	case CGW_EV_WINDOW:
		return "window";
	case CGW_EV_SURPLUS:
		return "surplus";
	case CGW_EV_SURPLUS_END:
		return "surplus_end";
	case CGW_EV_ACTIVE:
		return "active";
	case CGW_EV_IDLE:
		return "idle";
	default:
		return "breach";
	}
}

static const char *event_op(const struct cgw_event *e)
{
	switch (e->type) {
	case CGW_EV_BREACH:
	case CGW_EV_PERSIST:
		return e->kind == CGW_KIND_MIN ? "<" : ">";
	case CGW_EV_CLEAR:
		return e->kind == CGW_KIND_WAIT ? "<=" : "vs";
	default:
		return "vs";
	}
}

/* A broken promise is a warning; its end and the rest are routine. */
static int event_level(const struct cgw_event *e)
{
	switch (e->type) {
	case CGW_EV_BREACH:
	case CGW_EV_PERSIST:
		return CGW_LOG_WARNING;
	case CGW_EV_WINDOW:
		return CGW_LOG_DEBUG;
	case CGW_EV_CLEAR:
		return CGW_LOG_NOTICE;
	default:
		return CGW_LOG_INFO;
	}
}

/*
 * --trace-windows: the waits of @e's slot since its previous window record
 * (the window itself, when the agent keeps up), as a per-cgroup runqlat:
 * count, p50, p99 and the upper bound of the longest bucket.  One lookup
 * of the per-CPU histogram per record, only in this diagnostic mode.
 * False for the first record of a slot (nothing to difference yet).
 */
static bool window_waits(struct agent *a, const struct cgw_event *e,
			 struct cgw_hist_stats *hs)
{
	uint32_t h[CGW_HIST_BUCKETS], d[CGW_HIST_BUCKETS];
	bool have;
	int ret;

	if (!a->whist || e->slot >= CGW_MAX_SLOTS)
		return false;
	privs_raise_bpf(); /* a map lookup: see privs.h */
	ret = warden_wait_hist(&a->w, e->slot, h);
	privs_lower();
	if (ret)
		return false;
	have = a->whave[e->slot];
	for (int b = 0; b < CGW_HIST_BUCKETS; b++) {
		/* below the last: the slot was watched afresh since */
		if (h[b] < a->whist[e->slot][b])
			have = false;
		d[b] = h[b] - a->whist[e->slot][b];
	}
	memcpy(a->whist[e->slot], h, sizeof(h));
	a->whave[e->slot] = true;
	if (have)
		cgw_hist_stats(d, 990, 500, hs);
	return have;
}

/* One line per record on stderr, and a JSON object with --json.  @name is
 * the group's section, or "-" for a competitor's activity edge. */
static void print_event(struct agent *a, const char *name, const char *path,
			const struct cgw_event *e)
{
	const char *type = event_type(e);
	bool activity = e->type == CGW_EV_ACTIVE || e->type == CGW_EV_IDLE;
	struct cgw_hist_stats ws = { .count = 0 };
	bool waits = e->type == CGW_EV_WINDOW && window_waits(a, e, &ws);
	char win[32], wait[32];

	cgw_format_duration(e->window_ns, win, sizeof(win));
	cgw_format_duration(e->wait_ns, wait, sizeof(wait));
	if (!activity && e->kind == CGW_KIND_WAIT) {
		/* a wait record's fields are waits (cgwarden.h); the
		 * percentiles come from the span's histogram, which may
		 * already be a window newer than the record */
		uint32_t h[CGW_HIST_BUCKETS], pmil = 990;
		struct cgw_hist_stats hs = { .count = 0 };
		struct act_node *n = act_node_of_slot(&a->act, e->slot);

		if (n && n->group >= 0)
			pmil = a->tab->groups[n->group].wait_pmil;
		privs_raise_bpf(); /* a map lookup: see privs.h */
		if (!warden_wait_span(&a->w, e->slot, h))
			cgw_hist_stats(h, pmil, 500, &hs);
		privs_lower();
		cgw_log(event_level(e),
			"%s%s [%s] %s max_wait: %u of %u waits over %s above %u us; p%.1f %u us, p50 %u us, longest < %u us",
			type, e->type == CGW_EV_PERSIST ? " (persists)" : "",
			name, path, e->share_ppm, e->demand_ppm, win,
			e->limit_ppm, pmil / 10.0, hs.us[0], hs.us[1],
			hs.max_us);
	} else if (activity) {
		cgw_log(CGW_LOG_INFO,
			"%s competitor %s: share %u.%02u%% (last window %u.%02u%%) over %s",
			type, path, e->share_ppm / 10000,
			e->share_ppm / 100 % 100, e->win_share_ppm / 10000,
			e->win_share_ppm / 100 % 100, win);
	} else {
		cgw_log(event_level(e),
			"%s%s [%s] %s %s: share %u.%02u%% %s %u.%02u%%, demand %u.%02u%%, wait %s over %s",
			type, e->type == CGW_EV_PERSIST ? " (persists)" : "",
			name, path, kind_name(e->kind), e->share_ppm / 10000,
			e->share_ppm / 100 % 100, event_op(e),
			e->limit_ppm / 10000, e->limit_ppm / 100 % 100,
			e->demand_ppm / 10000, e->demand_ppm / 100 % 100, wait,
			win);
	}
	if (waits)
		cgw_log(CGW_LOG_DEBUG,
			"window [%s] %s: %llu waits, p50 %u us, p99 %u us, longest < %u us",
			name, path, (unsigned long long)ws.count, ws.us[1],
			ws.us[0], ws.max_us);
	if (!a->json)
		return;
	printf("{\"type\":\"%s\",\"name\":", type);
	cgw_json_str(stdout, name);
	printf(",\"path\":");
	cgw_json_str(stdout, path);
	printf(",\"kind\":\"%s\","
	       "\"share_ppm\":%u,\"limit_ppm\":%u,\"win_share_ppm\":%u,"
	       "\"demand_ppm\":%u,\"run_ns\":%llu,"
	       "\"wait_ns\":%llu,\"window_ns\":%llu,\"nr_cpus\":%u,"
	       "\"repeat\":%s,\"t_event_ns\":%llu",
	       activity ? "activity" : kind_name(e->kind), e->share_ppm,
	       e->limit_ppm, e->win_share_ppm, e->demand_ppm,
	       (unsigned long long)e->run_ns, (unsigned long long)e->wait_ns,
	       (unsigned long long)e->window_ns, e->nr_cpus,
	       e->type == CGW_EV_PERSIST ? "true" : "false",
	       (unsigned long long)e->t_event_ns);
	if (waits)
		printf(",\"waits\":%llu,\"wait_p50_us\":%u,\"wait_p99_us\":%u,"
		       "\"wait_max_us\":%u",
		       (unsigned long long)ws.count, ws.us[1], ws.us[0],
		       ws.max_us);
	printf("}\n");
	fflush(stdout);
}

static void dispatch_event(struct agent *a, const struct cgw_event *e,
			   uint64_t t_recv)
{
	struct act_node *n;
	const char *path;

	n = act_node_of_slot(&a->act, e->slot);
	if (!n || (n->group >= 0 && act_check_gone(&a->act, n)))
		return;
	if (e->type == CGW_EV_WINDOW) {
		if (n->group >= 0)
			print_event(a, a->tab->groups[n->group].name, n->rel,
				    e);
		return;
	}
	/* act first: the write is what the edge waits for */
	path = act_on_event(&a->act, e, t_recv);
	if (n->group >= 0)
		print_event(a, a->tab->groups[n->group].name, n->rel, e);
	else if (path)
		print_event(a, "-", path, e);
}

/* Copies a record into the batch; a full batch stops the consume. */
static int handle_event(void *ctx, void *data, size_t len)
{
	struct agent *a = ctx;

	if (len < sizeof(struct cgw_event))
		return 0;
	memcpy(&a->batch[a->nbatch++], data, sizeof(struct cgw_event));
	return a->nbatch == AGENT_BATCH ? AGENT_BATCH_FULL : 0;
}

/*
 * Acts on the batch, oldest first, without the records that are stale
 * by now: superseded by a later edge, or actions older than a window
 * judged on a span that has passed since (a stall, a backlog).  Old
 * window records are shed: under a flood the
 * agent sheds diagnostics, never a fresh action.
 */
static void run_batch(struct agent *a)
{
	static enum cgw_stale_why why[AGENT_BATCH];
	uint64_t now = cgw_now_ns();

	cgw_stale_judge(a->batch, a->nbatch, now, a->cfg->span_ns, why);
	for (size_t i = 0; i < a->nbatch; i++) {
		if (why[i] == CGW_STALE_SHED)
			a->act.shed++;
		else if (why[i] != CGW_STALE_KEEP)
			a->act.stale++;
		else
			dispatch_event(a, &a->batch[i], now);
	}
	a->nbatch = 0;
}

static void print_stats(struct agent *a)
{
	struct cgw_stats st;

	warden_stats(&a->w, &st);
	cgw_log(CGW_LOG_INFO,
		"kernel side: %llu windows evaluated, %llu events sent, %llu dropped (ring buffer full), %llu late windows, %llu stale-CPU corrections, %llu impossible waits rejected, %llu tasks first charged after a move while running, %llu tasks with more than %d watched ancestors (the outer ones not credited)",
		(unsigned long long)st.windows,
		(unsigned long long)st.events_sent,
		(unsigned long long)st.events_dropped,
		(unsigned long long)st.timer_late,
		(unsigned long long)st.stale_cpu,
		(unsigned long long)st.wait_rejected,
		(unsigned long long)st.moved_in,
		(unsigned long long)st.nest_overflow, CGW_MAX_NEST);
}

static int load_config(struct agent *a)
{
	struct cgw_diag *diag;
	char err[512];
	int ret, hret;

	hret = cgw_hier_open(a->cgroup_root, &a->hier, err, sizeof(err));
	if (hret)
		cgw_log(CGW_LOG_ERR, "%s", err);
	a->cfg = calloc(1, sizeof(*a->cfg));
	diag = calloc(1, sizeof(*diag));
	if (!a->cfg || !diag) {
		free(diag);
		return -ENOMEM;
	}
	ret = cgw_config_load(a->config_path, hret ? NULL : a->hier.root,
			      a->cfg, diag);
	for (size_t i = 0; i < diag->n; i++)
		cgw_log_plain(CGW_LOG_ERR, "%s", diag->msg[i]);
	if (diag->dropped)
		cgw_log_plain(CGW_LOG_ERR, "(%zu more errors)", diag->dropped);
	free(diag);
	return ret ? ret : hret;
}

/* The cgroups the sections select now (follow.h). */
static int resolve_groups(struct agent *a)
{
	a->tab = calloc(1, sizeof(*a->tab));
	if (!a->tab)
		return -ENOMEM;
	follow_init(&a->follow, &a->hier, a->cfg, a->tab);
	return follow_select(&a->follow);
}

static int start(struct agent *a)
{
	struct warden_opts o = {
		.window_ns = a->cfg->window_ns,
		.cooldown_ns = a->cfg->cooldown_ns,
		.clear_windows = a->cfg->clear_windows,
		.hyst_ppm = a->cfg->hyst_ppm,
		.verbose = a->verbose,
		.trace_windows = a->trace_windows,
		.clock = a->clock,
		.span_windows = (uint32_t)((a->cfg->span_ns + a->cfg->window_ns / 2) /
					   a->cfg->window_ns),
		.guard_ppm = a->cfg->margin_ppm,
	};
	char err[512];
	int ret;

	if (a->trace_windows) {
		a->whist = calloc(CGW_MAX_SLOTS, sizeof(*a->whist));
		a->whave = calloc(CGW_MAX_SLOTS, sizeof(*a->whave));
		if (!a->whist || !a->whave)
			return -ENOMEM;
	}

	ret = warden_probe(err, sizeof(err));
	if (!ret && probe_start_warnings(err, sizeof(err)))
		cgw_warn("%s", err);
	if (!ret)
		ret = warden_load(&a->w, &o, err, sizeof(err));
	if (ret) {
		cgw_log(CGW_LOG_ERR, "%s", err);
		return ret;
	}
	ret = act_init(&a->act, &a->hier, a->tab, &a->w, a->state_file,
		       a->dry_run, a->json);
	if (ret)
		return ret;
	a->act_ready = 1;
	for (size_t i = 0; i < a->tab->ngroups; i++) {
		const struct cgw_group_cfg *gc = &a->tab->groups[i];

		ret = act_watch_group(&a->act, (int)i);
		if (ret) {
			cgw_log(CGW_LOG_ERR, "[%s] %s: cannot watch: %s",
				gc->name, gc->path, strerror(-ret));
			return ret;
		}
	}
	/* before attach: no write of an episode waits for the disk */
	ret = act_record(&a->act);
	if (ret) {
		cgw_log(CGW_LOG_ERR,
			"%s: cannot record the originals; nothing attached",
			a->state_file);
		return ret;
	}
	/* from here on, cgroups created and removed are followed */
	ret = follow_start(&a->follow, &a->act);
	if (ret)
		return ret;
	a->rb = ring_buffer__new(warden_events_fd(&a->w), handle_event, a,
				 NULL);
	if (!a->rb) {
		ret = -errno;
		cgw_log(CGW_LOG_ERR, "cannot create ring buffer: %s",
			strerror(errno));
		return ret;
	}
	ret = warden_attach(&a->w, err, sizeof(err));
	if (ret) {
		cgw_log(CGW_LOG_ERR, "%s", err);
		return ret;
	}
	cgw_log(CGW_LOG_NOTICE,
		"watching %zu cgroup%s (%zu with competitors) on %s (%s), window %llu us (%s), cooldown %llu us%s",
		a->tab->ngroups, a->tab->ngroups == 1 ? "" : "s", a->act.nnodes,
		a->hier.root, cgw_mode_name(a->hier.mode),
		(unsigned long long)(a->cfg->window_ns / 1000),
		warden_clock_name(&a->w),
		(unsigned long long)(a->cfg->cooldown_ns / 1000),
		a->dry_run ? ", dry run" : "");
	return 0;
}

static int arm_timer(struct agent *a, uint64_t deadline)
{
	struct itimerspec its = {
		.it_value.tv_sec = (time_t)(deadline / 1000000000ull),
		.it_value.tv_nsec = (long)(deadline % 1000000000ull),
	};

	/* deadline 0 disarms: nothing pending, no wakeups */
	return timerfd_settime(a->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/*
 * Only when the unit sets WatchdogSec= (sd_watchdog_enabled()): a timer at
 * half the interval, i.e. 2 wakeups per WatchdogSec.  Without it the
 * agent makes no wakeups of its own at rest.
 */
static int setup_watchdog(struct agent *a)
{
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t usec = notify_watchdog_usec() / 2;
	struct itimerspec its = {
		.it_value.tv_sec = (time_t)(usec / 1000000),
		.it_value.tv_nsec = (long)(usec % 1000000) * 1000,
	};

	if (!usec)
		return 0;
	its.it_interval = its.it_value;
	a->wdfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (a->wdfd < 0 || timerfd_settime(a->wdfd, 0, &its, NULL))
		return -errno;
	ev.data.fd = a->wdfd;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->wdfd, &ev))
		return -errno;
	notify_watchdog();
	return 0;
}

static int setup_loop(struct agent *a)
{
	struct epoll_event ev = { .events = EPOLLIN };

	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (a->epfd < 0 || a->tfd < 0)
		return -errno;
	if (a->rb) {
		ev.data.fd = ring_buffer__epoll_fd(a->rb);
		if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			return -errno;
	}
	ev.data.fd = a->tfd;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->tfd, &ev))
		return -errno;
	ev.data.fd = follow_fd(&a->follow);
	if (ev.data.fd >= 0 &&
	    epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	ev.data.fd = a->status.fd;
	if (a->status.fd >= 0 &&
	    epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->status.fd, &ev))
		return -errno;
	return setup_watchdog(a);
}

/*
 * The Prometheus endpoint and the status socket are bound before anything
 * is loaded, so that a port in use or a second agent stops the start.
 */
static int open_endpoints(struct agent *a)
{
	char err[PATH_MAX + 256], path[CGW_SOCKET_PATH_MAX + 1];
	int ret;

	/* an idle agent (no groups) loads no kernel side to report on */
	ret = a->cfg->ngroups ?
		      metrics_bind(&a->metrics, a->tab, err, sizeof(err)) :
		      0;
	if (ret) {
		cgw_err("%s", err);
		return ret;
	}
	if (status_path(a->cfg, a->state_file, path, sizeof(path))) {
		cgw_err("status socket %s.sock: path too long (set status_socket)",
			a->state_file);
		return -ENAMETOOLONG;
	}
	return status_listen(&a->status, path);
}

/* After privileges are dropped: the metrics thread inherits the rest. */
static int start_metrics(struct agent *a)
{
	char err[256];
	int ret;

	ret = metrics_start(&a->metrics, &a->w, err, sizeof(err));
	if (ret) {
		cgw_err("%s", err);
		return ret;
	}
	if (a->cfg->metrics_addrlen)
		cgw_notice("metrics on http://%s/metrics", a->cfg->metrics);
	metrics_publish(&a->metrics, &a->act);
	return 0;
}

/*
 * SIGHUP: the configuration file again (core/reload.h says what may
 * change).  Nothing changes unless the whole new file is valid.
 */
static void reload(struct agent *a)
{
	struct cgw_config *cfg = calloc(1, sizeof(*cfg));
	struct cgw_diag *diag = calloc(1, sizeof(*diag));
	struct follow_counts c;
	char keys[256];
	int ret;

	if (!cfg || !diag) {
		cgw_err("%s: reload: out of memory; the running configuration stays",
			a->config_path);
		goto cleanup;
	}
	ret = cgw_config_load(a->config_path, a->hier.root, cfg, diag);
	for (size_t i = 0; i < diag->n; i++)
		cgw_log_plain(CGW_LOG_ERR, "%s", diag->msg[i]);
	if (ret) {
		cgw_err("%s: reload: invalid configuration; the running one stays in force",
			a->config_path);
		goto cleanup;
	}
	if (!a->act_ready) {
		cgw_warn(
			"%s: reload: the agent idles (it started without groups): restart it to apply the configuration",
			a->config_path);
		goto cleanup;
	}
	if (cgw_reload_agent_diff(a->tab, cfg, keys, sizeof(keys)))
		cgw_warn(
			"%s: reload: [agent] %s changed: compiled into the BPF program or bound at start; the running values stay until a restart",
			a->config_path, keys);
	follow_reload(&a->follow, cfg, &c);
	free(a->cfg);
	a->cfg = cfg;
	cfg = NULL;
	cgw_notice("%s: reloaded: sections %d added, %d removed, %d unchanged",
		   a->config_path, c.added, c.removed, c.unchanged);
cleanup:
	free(cfg);
	free(diag);
}

/*
 * Sleeps until the kernel side sends something, a relax step falls due,
 * or a signal arrives.  The signals are blocked except inside epoll_pwait,
 * so a signal cannot slip in between the flag test and the wait, and the
 * agent never wakes up on a timer of its own unless a relax is pending.
 */
static int run(struct agent *a, const sigset_t *waitmask)
{
	struct status_src src = { .act = &a->act,
				  .cfg = a->tab,
				  .hier = &a->hier,
				  .w = &a->w,
				  .dry_run = a->dry_run };
	struct epoll_event ev[4];
	uint64_t expirations;
	int n, ret = 0;

	ret = setup_loop(a);
	if (ret) {
		cgw_log(CGW_LOG_ERR, "event loop: %s", strerror(-ret));
		return ret;
	}
	while (!exiting) {
		if (want_reload) {
			want_reload = 0;
			reload(a);
			metrics_publish(&a->metrics, &a->act);
		}
		if (want_stats) {
			want_stats = 0;
			print_stats(a);
		}
		n = epoll_pwait(a->epfd, ev, 4, -1, waitmask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			cgw_log(CGW_LOG_ERR, "epoll_pwait: %s",
				strerror(errno));
			break;
		}
		if (a->wdfd >= 0 &&
		    read(a->wdfd, &expirations, sizeof(expirations)) > 0)
			notify_watchdog();
		ret = a->rb ? ring_buffer__consume(a->rb) : 0;
		if (a->nbatch)
			run_batch(a);
		if (ret == AGENT_BATCH_FULL)
			take_pending_signal();
		if (ret < 0 && ret != AGENT_BATCH_FULL) {
			cgw_log(CGW_LOG_ERR, "ring buffer: %s",
				strerror(-ret));
			break;
		}
		ret = 0;
		if (read(a->tfd, &expirations, sizeof(expirations)) < 0 &&
		    errno != EAGAIN)
			cgw_log(CGW_LOG_ERR, "timerfd: %s",
				strerror(errno));
		if (a->act_ready &&
		    arm_timer(a, act_tick(&a->act, cgw_now_ns())))
			cgw_log(CGW_LOG_ERR, "timerfd: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			if (ev[i].data.fd == follow_fd(&a->follow))
				follow_update(&a->follow);
		/* after the writes: a scrape copies what they changed */
		metrics_publish(&a->metrics, &a->act);
		for (int i = 0; i < n; i++)
			if (ev[i].data.fd == a->status.fd)
				status_answer(&a->status, &src);
		if (a->verbose && n)
			print_stats(a);
	}
	notify_stopping();
	if (exiting)
		cgw_log(CGW_LOG_NOTICE, "%s: %sexiting", strsignal(exiting),
			a->act_ready ? "restoring and " : "");
	return ret;
}

/*
 * After attach: keep only what the rest of the run needs (user/privs.h).
 * With --rt-priority, memory stays locked for future allocations
 * (MCL_FUTURE) without CAP_IPC_LOCK only under an unlimited
 * RLIMIT_MEMLOCK: raise it first.  Without CAP_SYS_RESOURCE (a service
 * whose bounding set leaves it out) a finite hard limit cannot be raised:
 * then what is mapped now stays locked (MCL_CURRENT, done while
 * CAP_IPC_LOCK is still held) and later allocations are not locked,
 * rather than failing once they pass the limit.  A warning, not an error.
 */
static int drop_privileges(struct agent *a)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (a->rt_priority && setrlimit(RLIMIT_MEMLOCK, &rl)) {
		int err = errno;

		if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_MEMLOCK, &rl);
		}
		if (mlockall(MCL_CURRENT)) {
			cgw_err("--rt-priority: mlockall: %s", strerror(errno));
			return -errno;
		}
		cgw_warn("--rt-priority: cannot lift RLIMIT_MEMLOCK (%s, hard limit %llu bytes): memory mapped so far stays locked, later allocations are not (set LimitMEMLOCK=infinity or grant CAP_SYS_RESOURCE)",
			 strerror(err), (unsigned long long)rl.rlim_max);
	}
	return privs_drop();
}

/*
 * Where the agent reads and writes: the state file's directory chain must
 * be trusted (core/trust.h), and every group is opened exactly as a start
 * opens it (openat2 beneath the root, no symlinks, no other mounts).
 */
static int check_paths(struct agent *a)
{
	char err[PATH_MAX + 256];
	int ret;

	if (cgw_trust_insecure())
		cgw_log(CGW_LOG_WARNING,
			"" CGW_TRUST_ENV "=1: owner and mode checks of the config and state file are OFF");
	ret = cgw_trust_dir_of(a->state_file, err, sizeof(err));
	if (ret) {
		cgw_log(CGW_LOG_ERR, "state file %s", err);
		return ret;
	}
	return resolve_groups(a);
}

static int set_realtime(int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	if (mlockall(MCL_CURRENT | MCL_FUTURE)) {
		cgw_log(CGW_LOG_ERR, "--rt-priority: mlockall: %s",
			strerror(errno));
		return -errno;
	}
	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		cgw_log(CGW_LOG_ERR, "--rt-priority: SCHED_FIFO %d: %s",
			prio, strerror(errno));
		return -errno;
	}
	return 0;
}

static void cleanup(struct agent *a);

/*
 * A configuration without groups (the commented example shipped in /etc)
 * is valid: the agent loads nothing into the kernel and just waits for a
 * signal, so that the service can be enabled before it is configured.
 */
static int idle(struct agent *a)
{
	cgw_notice("%s: no groups configured: idle, nothing loaded into the kernel",
		   a->config_path);
	return 0;
}

/* `--probe`: the table of requirements; with -c, the configured groups'
 * cpu controller too.  Exit 0 when the agent can run here. */
static int probe(struct agent *a)
{
	int ret = 0;

	if (a->config_path) {
		ret = load_config(a);
		if (ret)
			cgw_err("%s: invalid configuration", a->config_path);
	}
	if (probe_print(stdout, a->cgroup_root, ret ? NULL : a->cfg))
		ret = 1;
	cleanup(a);
	return ret ? 1 : 0;
}

static int restore_on_exit(struct agent *a)
{
	int failed;

	if (!a->act_ready)
		return 0;
	/* nothing more from the kernel side: detach, then restore */
	warden_detach(&a->w);
	failed = act_restore_all(&a->act);
	cgw_log(CGW_LOG_NOTICE,
		"%llu writes, %llu skipped (already right), %llu held back by the per-file cooldown/hold, %llu files released to someone else; %llu stale records dropped, %llu window records shed; %d not restored",
		(unsigned long long)a->act.writes,
		(unsigned long long)a->act.skipped,
		(unsigned long long)a->act.deferred,
		(unsigned long long)a->act.released,
		(unsigned long long)a->act.stale,
		(unsigned long long)a->act.shed, failed);
	return failed;
}

static void cleanup(struct agent *a)
{
	metrics_stop(&a->metrics); /* it reads the warden: first */
	status_close(&a->status);
	if (a->act_ready)
		act_free(&a->act);
	if (a->tfd >= 0)
		close(a->tfd);
	if (a->wdfd >= 0)
		close(a->wdfd);
	if (a->epfd >= 0)
		close(a->epfd);
	ring_buffer__free(a->rb);
	if (a->w.skel) {
		print_stats(a);
		warden_close(&a->w);
	}
	follow_close(&a->follow);
	free(a->tab);
	free(a->whist);
	free(a->whave);
	free(a->cfg);
	cgw_hier_close(&a->hier);
}

int main(int argc, char **argv)
{
	struct agent a = { .hier.root_fd = -1, .epfd = -1, .tfd = -1,
			   .wdfd = -1,
			   .metrics = { .listen_fd = -1, .stop_fd = -1 },
			   .status.fd = -1 };
	sigset_t waitmask;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "status"))
		return status_client(argc - 1, argv + 1);
	ret = parse_args(&a, argc, argv);
	if (ret)
		return 2;
	if (!a.state_file)
		a.state_file = CGW_STATE_DEFAULT;
	if (a.restore)
		return restore_from_state(a.state_file, a.cgroup_root, a.json);
	if (a.probe)
		return probe(&a);

	ret = load_config(&a);
	if (ret) {
		cgw_log(CGW_LOG_ERR, "%s: invalid configuration, nothing loaded",
			a.config_path);
		ret = 1;
		goto cleanup;
	}
	ret = check_paths(&a);
	if (ret) {
		ret = 1;
		goto cleanup;
	}
	if (a.check) {
		printf("%s: OK (%zu groups, %s at %s)\n", a.config_path,
		       a.cfg->ngroups, cgw_mode_name(a.hier.mode), a.hier.root);
		goto cleanup;
	}

	/* signals only interrupt the wait: see run() */
	setup_signals(&waitmask);

	/*
	 * Originals of a run that did not restore them must not be lost:
	 * values still to restore stop the start (the operator runs
	 * --restore).  Entries of cgroups gone since (a container removed
	 * after a crash) or no longer ours are dropped and never block it.
	 */
	if (!a.dry_run &&
	    restore_check_leftover(a.state_file, a.cgroup_root, a.json)) {
		ret = 1;
		goto cleanup;
	}
	ret = open_endpoints(&a);
	if (!ret && a.rt_priority)
		ret = set_realtime(a.rt_priority);
	if (!ret)
		ret = a.cfg->ngroups ? start(&a) : idle(&a);
	if (!ret)
		ret = drop_privileges(&a);
	/* an idle agent has no kernel side for the endpoint to read */
	if (!ret && a.cfg->ngroups)
		ret = start_metrics(&a);
	if (!ret) {
		if (a.cfg->ngroups)
			notify_ready("watching %zu cgroup%s on %s (%s)",
				     a.tab->ngroups,
				     a.tab->ngroups == 1 ? "" : "s",
				     a.hier.root, cgw_mode_name(a.hier.mode));
		else
			notify_ready("idle: no groups in %s", a.config_path);
		ret = run(&a, &waitmask);
	}
	if (restore_on_exit(&a))
		ret = 1;
	ret = ret ? 1 : 0;

cleanup:
	cleanup(&a);
	return ret;
}
