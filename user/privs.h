/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Least privilege after start (bpftune's pattern, with libcap).  Once the
 * BPF programs are attached and the cgroup files are open, the agent keeps
 * only what the rest of the run needs, permitted but not effective:
 *   CAP_BPF           map lookups/updates (warden_watch/unwatch/stats/
 *                     usage/last_window); kernels before 6.5 refuse every
 *                     bpf() call without it when unprivileged BPF is off
 *   CAP_DAC_OVERRIDE  opening a newly found cgroup's files when the
 *                     cgroup was delegated to another user
 * Everything else leaves the permitted and the bounding set, no_new_privs
 * is set, and privs_raise()/privs_lower() bracket each privileged call.
 */
#ifndef CGW_PRIVS_H
#define CGW_PRIVS_H

/* Drops to the minimum above.  Returns 0 or -errno with a message. */
int privs_drop(void);

/* Makes the kept capabilities effective / not effective again.  No-ops
 * before privs_drop() (then everything is still effective). */
void privs_raise(void);
void privs_lower(void);
/*
 * CAP_BPF alone, for a thread that only reads maps (the metrics thread:
 * kernels before 6.5 refuse every bpf() command without it while
 * unprivileged BPF is disabled).  Capabilities are per thread: a thread
 * started after privs_drop() inherits the dropped set, and raising here
 * affects only the calling thread.
 */
void privs_raise_bpf(void);

#endif
