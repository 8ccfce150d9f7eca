// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgtest.h"
#include "cpuctl.h"

#define MAX_PIDS 64

static struct cgw_hier hier = { .root_fd = -1 };
static int hier_ok;
static char prefix[64];
static char acct_root[PATH_MAX]; /* v1 cpuacct mount, for ground truth */
/* every cgroup a test made, to remove in reverse order (test_flap makes
 * 200: a fixed table of 64 left 136 of them and the prefix behind) */
static char **made;
static int nmade, made_cap;
static pid_t pids[MAX_PIDS];
static int npids;
#define MAX_TMP 16
static char tmpfiles[MAX_TMP][256];
static int ntmp;

uint64_t cgt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cgt_slow(void)
{
	const char *s = getenv("CGW_TEST_SLOW");
	int v;

	if (!s || !*s || !strcmp(s, "0"))
		return 1;
	v = atoi(s);
	return v >= 2 ? v : 5;
}

void cgt_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

const char *cgt_bin(const char *name)
{
	static char path[PATH_MAX];
	const char *dir = getenv("CGW_BUILD");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "build", name);
	return path;
}

static int write_file(const char *path, const char *val);

static void on_fatal(int sig)
{
	cgt_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void find_acct_root(void)
{
	char line[4096], mnt[PATH_MAX], fstype[64], sopts[1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s %*s %1023s", fstype, sopts) != 2)
			continue;
		if (!strcmp(fstype, "cgroup") && strstr(sopts, "cpuacct")) {
			snprintf(acct_root, sizeof(acct_root), "%s", mnt);
			break;
		}
	}
	fclose(f);
}

const char *cgt_skip_reason(void)
{
	static char why[512];
	char err[400];

	if (geteuid() != 0)
		return "needs root (cgroups and BPF)";
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return "kernel has no BTF (/sys/kernel/btf/vmlinux)";
	if (access(cgt_bin("cgwarden"), X_OK))
		return "build/cgwarden is not built (run make)";
	if (!hier_ok) {
		if (cgw_hier_open(getenv("CGW_TEST_CGROUP_ROOT"), &hier, err,
				  sizeof(err))) {
			snprintf(why, sizeof(why), "no usable cpu cgroup: %s",
				 err);
			return why;
		}
		hier_ok = 1;
		snprintf(prefix, sizeof(prefix), "cgwtest-%d", getpid());
		if (hier.mode == CGW_MODE_V1)
			find_acct_root();
		atexit(cgt_cleanup);
		signal(SIGINT, on_fatal);
		signal(SIGTERM, on_fatal);
		signal(SIGABRT, on_fatal);
		signal(SIGSEGV, on_fatal);
	}
	return NULL;
}

struct cgw_hier *cgt_hier(void)
{
	return &hier;
}

const char *cgt_prefix(void)
{
	return prefix;
}

const char *cgt_relpath(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;
	char *p = buf[i++ % 4];

	snprintf(p, PATH_MAX, "%s%s%s", prefix, rel[0] ? "/" : "", rel);
	return p;
}

/* Remembers @path for cgt_cleanup(); -ENOMEM if it cannot. */
static int track_made(const char *path)
{
	if (nmade == made_cap) {
		int cap = made_cap ? made_cap * 2 : 64;
		char **m = realloc(made, (size_t)cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		made = m;
		made_cap = cap;
	}
	made[nmade] = strdup(path);
	if (!made[nmade])
		return -ENOMEM;
	nmade++;
	return 0;
}

static int mkdir_p(const char *root, const char *rel, int track)
{
	char path[PATH_MAX], *p;

	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= PATH_MAX)
		return -ENAMETOOLONG;
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0755) == 0) {
			if (track && track_made(path))
				return -ENOMEM;
		} else if (errno != EEXIST) {
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0755)) {
		if (errno != EEXIST)
			return -errno;
	} else if (track && track_made(path)) {
		return -ENOMEM;
	}
	return 0;
}

/* cgroup v2: a child has cpu.weight/cpu.max only if every ancestor below
 * the root enables +cpu for its children. */
static int enable_cpu(const char *r)
{
	char path[PATH_MAX], *p;
	int ret = 0;

	if (snprintf(path, sizeof(path), "%s/%s", hier.root, r) >= PATH_MAX)
		return -ENAMETOOLONG;
	for (p = path + strlen(hier.root) + 1; !ret && (p = strchr(p, '/'));
	     p++) {
		char ctl[PATH_MAX + 32];

		*p = '\0';
		snprintf(ctl, sizeof(ctl), "%s/cgroup.subtree_control", path);
		ret = write_file(ctl, "+cpu");
		*p = '/';
	}
	return ret;
}

int cgt_mkcg(const char *rel)
{
	const char *r = cgt_relpath(rel);
	int ret = mkdir_p(hier.root, r, 1);

	if (!ret && hier.mode == CGW_MODE_V2)
		ret = enable_cpu(r);

	if (!ret && acct_root[0])
		ret = mkdir_p(acct_root, r, 1);
	return ret;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno ?: -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int cgt_write(const char *rel, const char *file, const char *val)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s/%s", hier.root, cgt_relpath(rel),
		 file);
	return write_file(path, val);
}

int cgt_read(const char *rel, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX * 2];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s/%s", hier.root, cgt_relpath(rel),
		 file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = cgw_read_fd(fd, buf, len);
	close(fd);
	return n;
}

const char *cgt_weight_file(void)
{
	return cgw_cpuctl_weight_name(hier.mode);
}

const char *cgt_quota_file(void)
{
	return cgw_cpuctl_quota_name(hier.mode);
}

int cgt_set_weight(const char *rel, unsigned int shares)
{
	char v[32];

	/* v2: the same ratio, by the agent's own conversion */
	snprintf(v, sizeof(v), "%llu",
		 (unsigned long long)cgw_cpuctl_weight_of_shares(hier.mode,
								 shares));
	return cgt_write(rel, cgt_weight_file(), v);
}

static void *spin_thread(void *arg)
{
	const struct cgt_load *l = arg;
	volatile uint64_t x = 0;

	for (;;) {
		if (l->sleep_us > 0) {
			uint64_t end = cgt_now_ns() + 50000;

			while (cgt_now_ns() < end)
				x++;
			usleep((useconds_t)l->sleep_us);
		} else {
			x++;
		}
	}
	return NULL;
}

int cgt_read_caps(pid_t pid, struct cgt_caps *c, int ms)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	for (int i = 0;; i++) {
		*c = (struct cgt_caps){ ~0ULL, ~0ULL, ~0ULL, -1 };
		f = fopen(path, "re");
		if (!f)
			return -errno;
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "CapEff: %llx", &c->eff);
			sscanf(line, "CapPrm: %llx", &c->prm);
			sscanf(line, "CapBnd: %llx", &c->bnd);
			sscanf(line, "NoNewPrivs: %d", &c->nnp);
		}
		fclose(f);
		if (!c->eff || i * 10 >= ms)
			return 0;
		cgt_sleep_ms(10);
	}
}

int cgt_move(const char *rel, pid_t pid)
{
	char val[32], path[PATH_MAX * 2];
	int ret;

	snprintf(val, sizeof(val), "%d", (int)pid);
	ret = cgt_write(rel, "cgroup.procs", val);
	if (ret || !acct_root[0])
		return ret;
	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", acct_root,
		 cgt_relpath(rel));
	return write_file(path, val);
}

static void child_run(const char *rel, const struct cgt_load *l, int ready)
{
	uint64_t t;
	pthread_t th;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (cgt_move(rel, getpid()))
		_exit(10);
	/* a task moved while it runs is seen in its new cgroup from its next
	 * switch (the BPF essay): sleep once, so the load starts inside */
	if (!l->moved_running)
		usleep(1000);
	if (l->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(l->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			_exit(12);
	}
	/* the load starts with the first thread: stamp before it */
	t = cgt_now_ns();
	for (int i = 1; i < l->nthreads; i++)
		if (pthread_create(&th, NULL, spin_thread, (void *)l))
			_exit(13);
	if (write(ready, &t, sizeof(t)) != sizeof(t))
		_exit(14);
	close(ready);
	spin_thread((void *)l);
	_exit(0);
}

pid_t cgt_spawn(const char *rel, const struct cgt_load *l,
		uint64_t *t_start_ns)
{
	int p[2];
	uint64_t t;
	pid_t pid;

	if (npids >= MAX_PIDS || pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		child_run(rel, l, p[1]);
	}
	close(p[1]);
	pids[npids++] = pid;
	if (read(p[0], &t, sizeof(t)) != sizeof(t)) {
		close(p[0]);
		cgt_kill(pid);
		return -1;
	}
	close(p[0]);
	if (t_start_ns)
		*t_start_ns = t;
	return pid;
}

void cgt_kill(pid_t pid)
{
	for (int i = 0; i < npids; i++) {
		if (pids[i] != pid)
			continue;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pids[i] = pids[--npids];
		return;
	}
}

uint64_t cgt_proc_cpu_ns(pid_t pid)
{
	struct timespec ts;
	clockid_t cid;

	if (clock_getcpuclockid(pid, &cid) || clock_gettime(cid, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Path of the kernel's usage counter of @rel (relative to the hierarchy
 * root, no prefix): cpu.stat (v2) or cpuacct.usage (v1). */
static int usage_path(const char *relroot, char *path, size_t len)
{
	if (hier.mode == CGW_MODE_V2)
		snprintf(path, len, "%s/%s/cpu.stat", hier.root, relroot);
	else if (acct_root[0])
		snprintf(path, len, "%s/%s/cpuacct.usage", acct_root, relroot);
	else
		return -ENOENT;
	return 0;
}

int cgt_usage_open(const char *relroot)
{
	char path[PATH_MAX * 2];
	int fd;

	if (usage_path(relroot, path, sizeof(path)))
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int cgt_usage_read(int fd, uint64_t *ns)
{
	char buf[4096], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	if (hier.mode == CGW_MODE_V2) {
		p = strstr(buf, "usage_usec ");
		if (!p)
			return -EIO;
		*ns = strtoull(p + 11, NULL, 10) * 1000;
	} else {
		*ns = strtoull(buf, NULL, 10);
	}
	return 0;
}

uint64_t cgt_kernel_usage_ns(const char *rel)
{
	int fd = cgt_usage_open(cgt_relpath(rel));
	uint64_t ns = 0;

	if (fd < 0)
		return 0;
	if (cgt_usage_read(fd, &ns))
		ns = 0;
	close(fd);
	return ns;
}

int cgt_rmcg(const char *rel)
{
	char path[PATH_MAX * 2];
	int ret = 0;

	for (int h = 0; h < 2; h++) {
		const char *root = h ? acct_root : hier.root;

		if (!root[0] || (h && hier.mode == CGW_MODE_V2))
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, cgt_relpath(rel));
		for (int i = 0; rmdir(path); i++) {
			if (errno != EBUSY || i >= 1000) {
				if (errno != ENOENT)
					ret = -errno;
				break;
			}
			usleep(100); /* its tasks are still exiting */
		}
	}
	return ret;
}

/* Temporary files, removed by cgt_cleanup(); when there are too many
 * (a benchmark starts dozens of agents), the oldest goes first. */
static void tmp_add(const char *path)
{
	if (ntmp == MAX_TMP) {
		unlink(tmpfiles[0]);
		memmove(tmpfiles[0], tmpfiles[1],
			sizeof(tmpfiles[0]) * (MAX_TMP - 1));
		ntmp--;
	}
	snprintf(tmpfiles[ntmp++], sizeof(tmpfiles[0]), "%s", path);
}

static void tmp_del(const char *path)
{
	unlink(path);
	for (int i = 0; i < ntmp; i++)
		if (!strcmp(tmpfiles[i], path)) {
			memcpy(tmpfiles[i], tmpfiles[--ntmp],
			       sizeof(tmpfiles[0]));
			return;
		}
}

int cgt_agent_start(struct cgt_agent *a, const char *config,
		    const char *const *extra)
{
	char cfgpath[] = "/tmp/cgwtest-cfg-XXXXXX";
	const char *argv[32];
	int fd, n = 0, ret;

	fd = mkstemp(cfgpath);
	if (fd < 0)
		return -errno;
	if (write(fd, config, strlen(config)) != (ssize_t)strlen(config)) {
		close(fd);
		unlink(cfgpath);
		return -EIO;
	}
	close(fd);

	argv[n++] = cgt_bin("cgwarden");
	argv[n++] = "-c";
	argv[n++] = cfgpath;
	argv[n++] = "--json";
	if (hier.root[0] && getenv("CGW_TEST_CGROUP_ROOT")) {
		argv[n++] = "--cgroup-root";
		argv[n++] = hier.root;
	}
	/* CGW_TEST_CLOCK=timer|perf runs the suite on one window clock */
	if (getenv("CGW_TEST_CLOCK")) {
		argv[n++] = "--window-clock";
		argv[n++] = getenv("CGW_TEST_CLOCK");
	}
	for (int i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	ret = cgt_agent_exec(a, argv);
	snprintf(a->cfgfile, sizeof(a->cfgfile), "%s", cfgpath);
	tmp_add(a->cfgfile);
	return ret;
}

int cgt_agent_exec(struct cgt_agent *a, const char *const *argv)
{
	char errpath[] = "/tmp/cgwtest-err-XXXXXX";
	int out[2], errfd;
	static const char *const started[] = { "watching", NULL };
	char errbuf[8192];

	memset(a, 0, sizeof(*a));
	errfd = mkstemp(errpath);
	if (errfd < 0)
		return -errno;
	snprintf(a->errfile, sizeof(a->errfile), "%s", errpath);
	tmp_add(a->errfile);
	if (pipe2(out, O_CLOEXEC)) {
		close(errfd);
		return -errno;
	}
	a->pid = fork();
	if (a->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(out[1], 1);
		dup2(errfd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(errfd);
	a->out_fd = out[0];
	if (npids < MAX_PIDS)
		pids[npids++] = a->pid;
	/* "watching" goes to stderr: poll the file for it */
	for (int i = 0; i < 400; i++) {
		int st;

		if (cgt_agent_stderr(a, errbuf, sizeof(errbuf)) > 0 &&
		    strstr(errbuf, started[0]))
			return 0;
		if (waitpid(a->pid, &st, WNOHANG) == a->pid) {
			for (int j = 0; j < npids; j++)
				if (pids[j] == a->pid)
					pids[j] = pids[--npids];
			a->pid = 0;
			fprintf(stderr, "%s exited early:\n%s\n", argv[0],
				errbuf);
			return -ECHILD;
		}
		cgt_sleep_ms(25);
	}
	return -ETIMEDOUT;
}

const char *cgt_agent_wait(struct cgt_agent *a, const char *const *needles,
			   int timeout_ms)
{
	static char line[4096];
	uint64_t deadline = cgt_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		char *nl;

		while ((nl = memchr(a->buf, '\n', a->len))) {
			size_t l = (size_t)(nl - a->buf);
			int all = 1;

			snprintf(line, sizeof(line), "%.*s", (int)l, a->buf);
			snprintf(a->recent[a->nrecent++ % 16], 512, "%.500s", line);
			memmove(a->buf, nl + 1, a->len - l - 1);
			a->len -= l + 1;
			for (int i = 0; needles[i]; i++)
				all &= strstr(line, needles[i]) != NULL;
			if (all)
				return line;
		}
		uint64_t now = cgt_now_ns();
		struct pollfd pfd = { .fd = a->out_fd, .events = POLLIN };
		ssize_t n;

		if (now >= deadline)
			return NULL;
		if (poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1) <= 0)
			continue;
		if (a->len >= sizeof(a->buf) - 1)
			a->len = 0; /* absurd line: drop */
		n = read(a->out_fd, a->buf + a->len, sizeof(a->buf) - 1 - a->len);
		if (n <= 0)
			return NULL;
		a->len += (size_t)n;
	}
}

void cgt_agent_dump_recent(const struct cgt_agent *a)
{
	unsigned int n = a->nrecent < 16 ? a->nrecent : 16;

	for (unsigned int i = a->nrecent - n; i < a->nrecent; i++)
		fprintf(stderr, "  agent: %s\n", a->recent[i % 16]);
}

int cgt_agent_stop(struct cgt_agent *a, int sig)
{
	int st = 0;

	if (a->pid <= 0)
		return -1;
	kill(a->pid, sig ? sig : SIGTERM);
	waitpid(a->pid, &st, 0);
	for (int i = 0; i < npids; i++)
		if (pids[i] == a->pid)
			pids[i] = pids[--npids];
	a->pid = 0;
	close(a->out_fd);
	if (a->cfgfile[0])
		tmp_del(a->cfgfile);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

int cgt_agent_stderr(struct cgt_agent *a, char *buf, size_t len)
{
	int fd = open(a->errfile, O_RDONLY | O_CLOEXEC), n;

	if (fd < 0)
		return -errno;
	n = cgw_read_fd(fd, buf, len);
	close(fd);
	return n;
}

long long cgt_json_int(const char *line, const char *key)
{
	char pat[128];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

int cgt_run(const char *const *argv, char *out, size_t len)
{
	int p[2], st;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	while (got + 1 < len && (n = read(p[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int cgt_teardown_dir(struct cgt_agent *a, const char *dir)
{
	char cmd[128];

	if (a->pid > 0)
		cgt_agent_stop(a, SIGTERM);
	a->pid = 0;
	cgt_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

void cgt_unlink_state(const char *file)
{
	char pat[PATH_MAX];
	glob_t g;

	unlink(file);
	snprintf(pat, sizeof(pat), "%s.sock", file); /* the status socket */
	unlink(pat);
	snprintf(pat, sizeof(pat), "%s.rec", file); /* the record file */
	unlink(pat);
	snprintf(pat, sizeof(pat), "%s.tmp.*", file);
	if (!glob(pat, 0, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
	}
}

int cgt_track(pid_t pid)
{
	if (npids >= MAX_PIDS)
		return -ENOSPC;
	pids[npids++] = pid;
	return 0;
}

void cgt_fixture_setup(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/cgwtest-%s-%d", tag, getpid());
	cgt_unlink_state(buf);
}

void cgt_fixture_teardown(struct cgt_agent *a, const char *statefile)
{
	if (a->pid > 0)
		cgt_agent_stop(a, SIGTERM);
	a->pid = 0;
	cgt_cleanup();
	cgt_unlink_state(statefile);
}

void cgt_cleanup(void)
{
	while (npids > 0) {
		pid_t pid = pids[--npids];

		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	/* children before parents; a cgroup empties as its tasks exit */
	while (nmade > 0) {
		char *p = made[--nmade];

		for (int i = 0; i < 100 && rmdir(p) && errno == EBUSY; i++)
			cgt_sleep_ms(10);
		free(p);
	}
	while (ntmp > 0)
		unlink(tmpfiles[--ntmp]);
}
