// SPDX-License-Identifier: GPL-2.0
/*
 * Requirement checks (probe.h).  Each check fills one line: what, status,
 * and the detail that says what was found or what to do.  BPF features are
 * probed with libbpf (libbpf_probe_bpf_map_type/_helper), which loads a
 * tiny map or program: that needs CAP_BPF (or root) like the agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "cgroupfs.h"
#include "config.h"
#include "probe.h"
#include "select.h"

struct line {
	const char *what;
	enum probe_status st;
	char detail[512];
};

/* Longer details (paths) are cut: the table is for reading. */
static void __attribute__((format(printf, 3, 4)))
set_line(struct line *l, enum probe_status st, const char *fmt, ...)
{
	va_list ap;

	l->st = st;
	va_start(ap, fmt);
	vsnprintf(l->detail, sizeof(l->detail), fmt, ap);
	va_end(ap);
}

/* First line of a small file, without the newline; -errno if unreadable. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		ret = -EIO;
	fclose(f);
	if (!ret)
		buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

static void check_btf(struct line *l)
{
	l->what = "kernel BTF";
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		set_line(
			l, PROBE_FAIL,
			"kernel BTF is missing (/sys/kernel/btf/vmlinux: %s): cgwarden needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			strerror(errno));
	else
		set_line(l, PROBE_OK, "/sys/kernel/btf/vmlinux");
}

static bool cap_eff(cap_t c, cap_value_t v)
{
	cap_flag_value_t f = CAP_CLEAR;

	return c && !cap_get_flag(c, v, CAP_EFFECTIVE, &f) && f == CAP_SET;
}

/* Without CAP_BPF a probe can fail for want of privilege, not of the
 * feature: the kernel may refuse an unprivileged map or program type. */
static bool bpf_capable(void)
{
	cap_t c = cap_get_proc();
	bool ok = cap_eff(c, CAP_SYS_ADMIN) ||
		  (cap_eff(c, CAP_BPF) && cap_eff(c, CAP_PERFMON));

	cap_free(c);
	return ok;
}

/* One libbpf probe result @r: 1 supported, 0 not, < 0 could not probe. */
static void probed(struct line *l, int r, const char *lacks)
{
	if (r > 0)
		set_line(l, PROBE_OK, "supported");
	else if (r == 0 && bpf_capable())
		set_line(l, PROBE_FAIL, "%s", lacks);
	else
		set_line(
			l, PROBE_FAIL,
			"cannot probe for %s: %s (needs root or CAP_BPF+CAP_PERFMON)",
			l->what, r ? strerror(-r) : "not privileged");
}

static void check_map(struct line *l, enum bpf_map_type type, const char *what,
		      const char *since)
{
	char lacks[128];

	l->what = what;
	snprintf(lacks, sizeof(lacks), "kernel lacks %s (Linux %s)", what,
		 since);
	probed(l, libbpf_probe_bpf_map_type(type, NULL), lacks);
}

static void check_helper(struct line *l, enum bpf_func_id id, const char *what,
			 const char *since)
{
	char lacks[128];

	l->what = what;
	snprintf(lacks, sizeof(lacks), "kernel lacks the %s helper (Linux %s)",
		 what, since);
	probed(l, libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, id, NULL),
	       lacks);
}

static bool kernel_is_rt(void)
{
	char buf[8];

	return read_line("/sys/kernel/realtime", buf, sizeof(buf)) == 0 &&
	       buf[0] == '1';
}

/* What closes windows: bpf_timer, or on PREEMPT_RT (which refuses it in
 * the program's context) a perf cpu-clock event. */
static void check_clock(struct line *l)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 10000000,
		.disabled = 1,
	};
	int timer = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE,
					    BPF_FUNC_timer_init, NULL);
	int perf_prog =
		libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_PERF_EVENT, NULL);
	int fd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1,
			      PERF_FLAG_FD_CLOEXEC);
	int perf_err = fd < 0 ? errno : 0;
	bool perf = fd >= 0 && perf_prog > 0;

	if (fd >= 0)
		close(fd);
	l->what = "window clock";
	if (timer <= 0 && !bpf_capable())
		set_line(
			l, PROBE_FAIL,
			"cannot probe for bpf_timer (needs root or CAP_BPF+CAP_PERFMON)");
	else if (timer <= 0)
		set_line(l, PROBE_FAIL, "kernel lacks bpf_timer (Linux 5.15)");
	else if (kernel_is_rt() && !perf)
		set_line(
			l, PROBE_FAIL,
			"PREEMPT_RT refuses bpf_timer and the perf cpu-clock is unavailable (%s)",
			perf_err ? strerror(perf_err) :
				   "no perf_event programs");
	else if (kernel_is_rt())
		set_line(l, PROBE_OK,
			 "perf cpu-clock (PREEMPT_RT refuses bpf_timer)");
	else
		set_line(l, PROBE_OK, "bpf_timer%s",
			 perf ? " (perf cpu-clock also available)" : "");
}

/*
 * "confidentiality" lockdown refuses bpf_probe_read_kernel(), which the
 * CO-RE reads of the BPF side use; "integrity" leaves BPF alone.
 */
static void check_lockdown(struct line *l)
{
	char buf[128];

	l->what = "lockdown";
	if (read_line("/sys/kernel/security/lockdown", buf, sizeof(buf)))
		set_line(l, PROBE_OK, "no lockdown LSM");
	else if (strstr(buf, "[confidentiality]"))
		set_line(
			l, PROBE_FAIL,
			"confidentiality: the kernel refuses BPF reads of kernel memory");
	else
		set_line(l, PROBE_OK, "%s", buf);
}

/* A sched_ext scheduler decides on its own: cpu.weight and cpu.max are
 * only honoured if it implements cgroup support. */
static void check_sched_ext(struct line *l)
{
	char st[32], ops[64] = "?";

	l->what = "sched_ext";
	if (read_line("/sys/kernel/sched_ext/state", st, sizeof(st)))
		set_line(l, PROBE_OK, "not in this kernel");
	else if (strcmp(st, "enabled"))
		set_line(l, PROBE_OK, "%s", st);
	else {
		read_line("/sys/kernel/sched_ext/root/ops", ops, sizeof(ops));
		set_line(
			l, PROBE_WARN,
			"BPF scheduler '%s' active: weights and caps may be ignored, promises may not be kept",
			ops);
	}
}

static void check_release(struct line *l)
{
	struct utsname u;

	l->what = "kernel";
	uname(&u);
	set_line(l, PROBE_OK, "%s %s%s", u.release, u.machine,
		 kernel_is_rt() ? " PREEMPT_RT" : "");
}

/* v1, v2 or hybrid (v1 controllers beside a v2 mount), from mountinfo. */
static void check_cgroup_mode(struct line *l)
{
	char line[4096];
	bool v1 = false, v2 = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	l->what = "cgroup mode";
	if (!f) {
		set_line(l, PROBE_FAIL, "/proc/self/mountinfo: %s",
			 strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *dash = strstr(line, " - ");

		if (!dash)
			continue;
		if (!strncmp(dash, " - cgroup2 ", 11))
			v2 = true;
		else if (!strncmp(dash, " - cgroup ", 10))
			v1 = true;
	}
	fclose(f);
	if (v1 && v2)
		set_line(l, PROBE_OK, "hybrid (v1 controllers and a v2 mount)");
	else if (v2)
		set_line(l, PROBE_OK, "v2 (unified)");
	else if (v1)
		set_line(l, PROBE_OK, "v1 (legacy)");
	else
		set_line(l, PROBE_FAIL, "no cgroup filesystem mounted");
}

/* Is "cpu" among the words of @dir/@file under the hierarchy root? */
static int has_cpu(const struct cgw_hier *h, const char *dir, const char *file)
{
	char rel[PATH_MAX + 32], buf[512], *tok, *save;
	int fd, n;

	snprintf(rel, sizeof(rel), "%s%s%s", dir, *dir ? "/" : "", file);
	fd = cgw_hier_openat(h, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	n = cgw_read_fd(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return n;
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, "cpu"))
			return 1;
	return 0;
}

/* The parent of @path ("" for a top-level cgroup). */
static void parent_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (n >= len)
		n = len - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

/*
 * The cpu controller: found (cgw_hier_open, as a start finds it), and on
 * v2 enabled for the children of each configured group's parent (their
 * cpu.weight exists only then); without a configuration, at the root.
 */
static int check_cpu(struct line *lines, int max, const char *root,
		     const struct cgw_config *cfg)
{
	struct cgw_hier h = { .root_fd = -1 };
	char err[512], parent[PATH_MAX];
	int n = 0, r;

	lines[n].what = "cpu controller";
	if (cgw_hier_open(root, &h, err, sizeof(err))) {
		set_line(&lines[n], PROBE_FAIL, "%s", err);
		return 1;
	}
	set_line(&lines[n], PROBE_OK, "%s at %s", cgw_mode_name(h.mode),
		 h.root);
	n++;
	if (h.mode == CGW_MODE_V2 && !cfg) {
		lines[n].what = "cpu for children";
		r = has_cpu(&h, "", "cgroup.subtree_control");
		if (r > 0)
			set_line(&lines[n], PROBE_OK,
				 "enabled in %s/cgroup.subtree_control",
				 h.root);
		else
			set_line(
				&lines[n], PROBE_WARN,
				"not enabled in %s/cgroup.subtree_control: top-level cgroups have no cpu.weight",
				h.root);
		n++;
	}
	for (size_t i = 0;
	     cfg && h.mode == CGW_MODE_V2 && i < cfg->ngroups && n < max; i++) {
		const char *path = cfg->groups[i].path;
		/* a pattern: the directory of its leading components free
		 * of globs, where its matches live (deeper levels are
		 * checked as cgroups appear) */
		bool pat = cgw_sel_is_pattern(path);

		lines[n].what = "cpu for group";
		if (pat)
			cgw_sel_fixed_prefix(path, parent, sizeof(parent));
		else
			parent_of(path, parent, sizeof(parent));
		r = has_cpu(&h, parent, "cgroup.subtree_control");
		if (r > 0 && pat)
			set_line(&lines[n], PROBE_OK,
				 "[%s] %s: enabled in %s/%s%scgroup.subtree_control",
				 cfg->groups[i].name, path, h.root, parent,
				 *parent ? "/" : "");
		else if (r > 0)
			set_line(&lines[n], PROBE_OK, "[%s] %s",
				 cfg->groups[i].name, path);
		else if (pat && r == -ENOENT)
			set_line(&lines[n], PROBE_WARN,
				 "[%s] %s: %s/%s does not exist yet: matches are watched once created",
				 cfg->groups[i].name, path, h.root, parent);
		else
			set_line(
				&lines[n], PROBE_FAIL,
				"[%s] %s: cpu is not enabled in %s/%s%scgroup.subtree_control",
				cfg->groups[i].name, cfg->groups[i].path,
				h.root, parent, *parent ? "/" : "");
		n++;
	}
	cgw_hier_close(&h);
	return n;
}

static int check_caps(struct line *l)
{
	cap_t c = cap_get_proc();
	bool admin = cap_eff(c, CAP_SYS_ADMIN);
	bool bpf = admin || cap_eff(c, CAP_BPF);
	bool perfmon = admin || cap_eff(c, CAP_PERFMON);
	bool dac = cap_eff(c, CAP_DAC_OVERRIDE);
	bool rt = cap_eff(c, CAP_SYS_NICE) && cap_eff(c, CAP_IPC_LOCK);
	bool setpcap = cap_eff(c, CAP_SETPCAP);

	cap_free(c);
	l[0].what = "capabilities";
	if (!bpf || !perfmon)
		set_line(&l[0], PROBE_FAIL, "missing%s%s: run as root",
			 bpf ? "" : " CAP_BPF", perfmon ? "" : " CAP_PERFMON");
	else if (!dac)
		set_line(
			&l[0], PROBE_WARN,
			"CAP_BPF, CAP_PERFMON; no CAP_DAC_OVERRIDE: cgroups delegated to other users cannot be written");
	else
		set_line(&l[0], PROBE_OK,
			 "CAP_BPF, CAP_PERFMON, CAP_DAC_OVERRIDE%s",
			 setpcap ? ", CAP_SETPCAP (narrows its bounding set)" :
				   "");
	l[1].what = "--rt-priority";
	if (rt)
		set_line(&l[1], PROBE_OK, "CAP_SYS_NICE, CAP_IPC_LOCK");
	else
		set_line(&l[1], PROBE_WARN,
			 "needs CAP_SYS_NICE and CAP_IPC_LOCK (optional)");
	return 2;
}

/* The kernel checks, in the order a start runs them. */
static int kernel_lines(struct line *l)
{
	int n = 0;

	check_btf(&l[n++]);
	check_map(&l[n++], BPF_MAP_TYPE_RINGBUF, "BPF ring buffer", "5.8");
	check_map(&l[n++], BPF_MAP_TYPE_TASK_STORAGE, "task local storage",
		  "5.11");
	check_helper(&l[n++], BPF_FUNC_loop, "bpf_loop", "5.17");
	check_clock(&l[n++]);
	check_lockdown(&l[n++]);
	return n;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int probe_kernel(char *err, size_t errlen)
{
	struct line l[8] = {};
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	int n = kernel_lines(l);

	libbpf_set_print(old);
	for (int i = 0; i < n; i++)
		if (l[i].st == PROBE_FAIL) {
			snprintf(err, errlen, "%s", l[i].detail);
			return strstr(l[i].detail, "cannot probe") ? -EPERM :
								     -ENOTSUP;
		}
	return 0;
}

int probe_start_warnings(char *msg, size_t len)
{
	struct line l = {};

	check_sched_ext(&l);
	if (l.st == PROBE_OK)
		return 0;
	snprintf(msg, len, "sched_ext: %s", l.detail);
	return 1;
}

int probe_print(FILE *out, const char *cgroup_root,
		const struct cgw_config *cfg)
{
	static const char *const word[] = { "ok", "warn", "FAIL" };
	struct line l[64] = {};
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	int n = 0, failed = 0;

	check_release(&l[n++]);
	n += kernel_lines(&l[n]);
	check_sched_ext(&l[n++]);
	check_cgroup_mode(&l[n++]);
	n += check_cpu(&l[n], 64 - n - 2, cgroup_root, cfg);
	n += check_caps(&l[n]);
	libbpf_set_print(old);
	fprintf(out, "%-20s %-6s %s\n", "REQUIREMENT", "STATUS", "DETAIL");
	for (int i = 0; i < n; i++) {
		fprintf(out, "%-20s %-6s %s\n", l[i].what, word[l[i].st],
			l[i].detail);
		failed += l[i].st == PROBE_FAIL;
	}
	fprintf(out, "%s\n",
		failed ? "cgwarden cannot run here: see the FAIL lines" :
			 "cgwarden can run here");
	return failed;
}
