// SPDX-License-Identifier: GPL-2.0
/*
 * cgw-empty OBJECT: loads and attaches the empty sched_switch program of
 * OBJECT (build/empty.bpf.o) and holds it until SIGINT/SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	int ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: cgw-empty build/empty.bpf.o\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "cgw-empty: cannot load %s\n", argv[1]);
		goto cleanup;
	}
	prog = bpf_object__find_program_by_name(obj, "cgw_empty_switch");
	link = prog ? bpf_program__attach(prog) : NULL;
	if (!link) {
		fprintf(stderr, "cgw-empty: cannot attach\n");
		goto cleanup;
	}
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	ret = 0;
cleanup:
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return ret;
}
