// SPDX-License-Identifier: GPL-2.0
/*
 * The yardstick for cgwarden's per-event cost: an empty program on the
 * same tracepoint.  scripts/bpf-cost loads it beside the agent and
 * compares run_time_ns / run_cnt of both from bpf_stats in one run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_switch")
int BPF_PROG(cgw_empty_switch)
{
	return 0;
}
