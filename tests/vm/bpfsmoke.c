// SPDX-License-Identifier: GPL-2.0
/*
 * VM smoke test for BPF (run by scripts/vmtest): load and attach a
 * tp_btf/sched_switch program that counts context switches into a global,
 * sleep 0.2 s and check the count is > 0.
 *
 * Build: tests/vm/build-smoke OUTDIR
 * Exit: 0 pass, 1 fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bpfsmoke.skel.h"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	fprintf(stderr, "libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

int main(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 200 * 1000 * 1000 };
	struct bpfsmoke_bpf *skel;
	unsigned long long n;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);

	printf("bpfsmoke: /sys/kernel/btf/vmlinux %s\n",
	       access("/sys/kernel/btf/vmlinux", R_OK) ? "MISSING" : "present");

	skel = bpfsmoke_bpf__open_and_load();
	if (!skel) {
		printf("bpfsmoke: FAIL: open/load tp_btf/sched_switch: %s\n", strerror(errno));
		return 1;
	}
	printf("bpfsmoke: ok  : loaded tp_btf/sched_switch program\n");

	err = bpfsmoke_bpf__attach(skel);
	if (err) {
		printf("bpfsmoke: FAIL: attach: %s\n", strerror(-err));
		bpfsmoke_bpf__destroy(skel);
		return 1;
	}
	printf("bpfsmoke: ok  : attached\n");

	nanosleep(&ts, NULL);
	n = __atomic_load_n(&skel->bss->switches, __ATOMIC_RELAXED);
	bpfsmoke_bpf__destroy(skel);

	printf("bpfsmoke: %s: %llu sched_switch events in 0.2 s\n", n > 0 ? "ok  " : "FAIL", n);
	printf("bpfsmoke: %s\n", n > 0 ? "PASSED" : "FAILED");
	return n > 0 ? 0 : 1;
}
