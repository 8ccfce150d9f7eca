// SPDX-License-Identifier: GPL-2.0
/*
 * cgw-burn: CPU load for demos and benchmarks.
 *   cgw-burn [-t THREADS] [-d SECONDS] [-s SLEEP_US] [-p CPU]
 * Spins THREADS threads (default: online CPUs) for SECONDS (default: until
 * killed).  With -s, each thread sleeps SLEEP_US after every ~50 us of
 * work.  On exit (timeout or SIGTERM/SIGINT) prints the process CPU time
 * from CLOCK_PROCESS_CPUTIME_ID and the wall time, as "cpu_ns wall_ns".
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int sleep_us;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *burn(void *arg)
{
	volatile uint64_t x = 0;

	(void)arg;
	while (!stop) {
		if (sleep_us > 0) {
			uint64_t end = now_ns(CLOCK_MONOTONIC) + 50000;

			while (now_ns(CLOCK_MONOTONIC) < end)
				x++;
			usleep((useconds_t)sleep_us);
		} else {
			for (int i = 0; i < 100000; i++)
				x++;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = sysconf(_SC_NPROCESSORS_ONLN);
	double secs = 0;
	int c, cpu = -1;
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	pthread_t th;

	while ((c = getopt(argc, argv, "t:d:s:p:")) != -1) {
		switch (c) {
		case 't':
			threads = strtol(optarg, NULL, 10);
			break;
		case 'd':
			secs = strtod(optarg, NULL);
			break;
		case 's':
			sleep_us = atoi(optarg);
			break;
		case 'p':
			cpu = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: cgw-burn [-t THREADS] [-d SECONDS] [-s SLEEP_US] [-p CPU]\n");
			return 2;
		}
	}
	if (threads < 1 || threads > 1024) {
		fprintf(stderr, "cgw-burn: -t must be 1..1024\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("cgw-burn: sched_setaffinity");
			return 1;
		}
	}
	for (long i = 1; i < threads; i++) {
		if (pthread_create(&th, NULL, burn, NULL)) {
			fprintf(stderr, "cgw-burn: cannot start thread %ld\n", i);
			return 1;
		}
		pthread_detach(th);
	}
	if (secs > 0) {
		signal(SIGALRM, on_signal);
		alarm((unsigned int)(secs + 0.999));
	}
	burn(NULL);
	printf("%llu %llu\n",
	       (unsigned long long)now_ns(CLOCK_PROCESS_CPUTIME_ID),
	       (unsigned long long)(now_ns(CLOCK_MONOTONIC) - t0));
	return 0;
}
