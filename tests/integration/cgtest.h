/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for integration tests on real cgroups: scratch cgroups, CPU-bound
 * workloads, the agent as a subprocess.  Everything created is registered
 * and removed by cgt_cleanup(), which also runs at exit and on SIGINT/TERM.
 */
#ifndef CGTEST_H
#define CGTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroupfs.h"

/* NULL when the test can run, else why it must be skipped. */
const char *cgt_skip_reason(void);

/* In a cmocka test: skip it, saying why, unless it can run here. */
#define CGT_NEED_ENV()                                         \
	do {                                                   \
		const char *why_ = cgt_skip_reason();          \
		if (why_) {                                    \
			print_message("SKIP: %s\n", why_);     \
			skip();                                \
		}                                              \
	} while (0)

/* The hierarchy under test (CGW_TEST_CGROUP_ROOT overrides detection). */
struct cgw_hier *cgt_hier(void);

/* Unique scratch prefix "cgwtest-<pid>" below the root. */
const char *cgt_prefix(void);

/* mkdir root/prefix/rel (parents too); returns 0 or -errno. */
int cgt_mkcg(const char *rel);
/* Writes @val to root/prefix/rel/file. */
int cgt_write(const char *rel, const char *file, const char *val);
int cgt_read(const char *rel, const char *file, char *buf, size_t len);
/* Path of rel relative to the hierarchy root ("cgwtest-123/rel"). */
const char *cgt_relpath(const char *rel);
/* CPU weight in the hierarchy's native unit: cpu.shares (v1) or
 * cpu.weight (v2, converted as 1024 -> 100). */
int cgt_set_weight(const char *rel, unsigned int shares_v1);

struct cgt_load {
	int nthreads;
	int cpu; /* pin every thread to this CPU, -1: no pinning */
	int sleep_us; /* >0: sleep this long after each ~50 us of work */
	/* the process moves itself in while it runs, and the load starts
	 * at once (default: it sleeps once after the move, so that the
	 * load starts inside the cgroup) */
	bool moved_running;
};

/*
 * Forks a process that joins cgroup @rel and runs the load.  Returns once
 * it runs inside the cgroup; @t_start_ns (optional) gets CLOCK_MONOTONIC
 * at that moment.
 */
pid_t cgt_spawn(const char *rel, const struct cgt_load *l,
		uint64_t *t_start_ns);
void cgt_kill(pid_t pid);
/* Capability sets of a process, from /proc/PID/status. */
struct cgt_caps {
	unsigned long long eff, prm, bnd;
	int nnp; /* NoNewPrivs */
};
/* Reads @pid's capabilities, again every 10 ms for up to @ms until its
 * effective set is empty: the agent logs "watching" just before it drops
 * them.  -errno if the status cannot be read. */
int cgt_read_caps(pid_t pid, struct cgt_caps *c, int ms);
/* The hierarchy's weight and quota files (cpu.shares/cpu.weight,
 * cpu.cfs_quota_us/cpu.max), from the agent's own table (core/cpuctl.h). */
const char *cgt_weight_file(void);
const char *cgt_quota_file(void);
/* Moves process @pid into @rel (and its cpuacct mirror on v1). */
int cgt_move(const char *rel, pid_t pid);
/* CPU time consumed so far by process @pid (all threads), from the
 * kernel's per-process clock. */
uint64_t cgt_proc_cpu_ns(pid_t pid);
/* Kernel's cumulative usage of cgroup @rel: cpu.stat usage_usec (v2) or
 * cpuacct.usage in a cpuacct hierarchy mirroring it (v1), or 0 if none. */
uint64_t cgt_kernel_usage_ns(const char *rel);

struct cgt_agent {
	pid_t pid;
	int out_fd; /* agent's stdout (JSON lines) */
	char errfile[256]; /* agent's stderr */
	char cfgfile[256]; /* its config (cgt_agent_start) */
	char buf[65536];
	size_t len;
	char recent[16][512]; /* last lines read, for failure reports */
	unsigned int nrecent;
};

/* Writes @config to a temp file and starts build/cgwarden -c it --json
 * plus @extra args (NULL-terminated).  Waits until it reports "watching". */
int cgt_agent_start(struct cgt_agent *a, const char *config,
		    const char *const *extra);
/* Starts @argv (argv[0] a path) like cgt_agent_start: stdout on a pipe,
 * stderr in a file, returns once it wrote "watching" on stderr. */
int cgt_agent_exec(struct cgt_agent *a, const char *const *argv);
/* Next stdout line containing every needle in @needles (NULL-terminated),
 * within @timeout_ms.  Returns a pointer valid until the next call, or
 * NULL on timeout/EOF. */
const char *cgt_agent_wait(struct cgt_agent *a, const char *const *needles,
			   int timeout_ms);
/* Prints the last lines the agent wrote on stdout (after a failure). */
void cgt_agent_dump_recent(const struct cgt_agent *a);
/* SIGTERM (or @sig), waits, returns the exit status (or 128+signal). */
int cgt_agent_stop(struct cgt_agent *a, int sig);
/* Reads the agent's stderr so far into @buf. */
int cgt_agent_stderr(struct cgt_agent *a, char *buf, size_t len);

/* Integer value of "key":N in a JSON line; -1 if absent. */
long long cgt_json_int(const char *line, const char *key);

/* The kernel's usage counter of @relroot (relative to the hierarchy root,
 * e.g. cgt_relpath(rel)), opened once and read with cgt_usage_read():
 * cheap enough to sample every millisecond. */
int cgt_usage_open(const char *relroot);
int cgt_usage_read(int fd, uint64_t *ns);
/* Removes cgroup @rel (after its tasks exit), in every hierarchy. */
int cgt_rmcg(const char *rel);

/* Runs a command and returns its exit status; output into @out. */
int cgt_run(const char *const *argv, char *out, size_t len);

/* Path of a built binary: $CGW_BUILD/name, default build/name. */
const char *cgt_bin(const char *name);

/* Timing factor: 1 on real hardware; under emulation (CGW_TEST_SLOW set,
 * e.g. inside qemu TCG) the value given, or 5.  Tests scale windows,
 * cooldowns and waits by it and assert the same properties. */
int cgt_slow(void);

void cgt_sleep_ms(int ms);
uint64_t cgt_now_ns(void);

/* Removes state file @file and the temporary files a SIGKILLed agent can
 * leave next to it (@file.tmp.PID, the status socket @file.sock). */
void cgt_unlink_state(const char *file);

/*
 * The fixture of a test that runs the agent: before it, a state-file path
 * unique to this process (/tmp/cgwtest-<tag>-<pid>, removed) in @buf;
 * after it, the agent stopped, everything cleaned up, the state file and
 * its temporaries removed, even when the test failed.
 */
void cgt_fixture_setup(char *buf, size_t len, const char *tag);
void cgt_fixture_teardown(struct cgt_agent *a, const char *statefile);

/* Has cgt_cleanup() SIGKILL (and reap) @pid, a process the test started
 * itself (e.g. prometheus): never wait for it elsewhere. */
int cgt_track(pid_t pid);

/* Kills every spawned process and removes every cgroup made. */
void cgt_cleanup(void);
/* The teardown of a test that keeps its inputs in a private directory
 * @dir: stops @a if it still runs, cgt_cleanup(), removes @dir.  0 or -1. */
int cgt_teardown_dir(struct cgt_agent *a, const char *dir);

#endif
