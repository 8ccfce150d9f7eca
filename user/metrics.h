/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus endpoint ([agent] metrics = ADDRESS:PORT): GET /metrics
 * served by libmicrohttpd on a thread of its own, so that a scrape never
 * sits ahead of a breach on the event thread.
 *
 * The event thread publishes its counters (writes, reaction times, group
 * flags) under a mutex after each batch of events: a copy of a few words
 * per group, made after the writes that batch caused.  The scrape thread
 * takes a copy under the same mutex and reads the rest itself from the
 * kernel side (shares and breach flags from the mmapped slots, CPU and
 * wait time from the accounting map, the kernel counters), then formats
 * the page (core/metrics_fmt.c) with the mutex released.
 */
#ifndef CGW_METRICS_H
#define CGW_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "actuate.h"
#include "config.h"
#include "metrics_fmt.h"
#include "warden.h"

struct metrics {
	int listen_fd; /* -1: metrics off */
	int stop_fd; /* eventfd that ends the thread */
	bool running;
	pthread_t thread;
	struct MHD_Daemon *mhd;
	const struct cgw_config *cfg;
	struct warden *w;

	pthread_mutex_t lock; /* guards the published part below */
	size_t n; /* entries of the table of cgroups published so far */
	uint32_t *slots; /* per table entry */
	struct cgw_metrics pub; /* counters; groups unused */
	struct cgw_gstate_in *flags; /* per group */
	uint64_t (*breaches)[CGW_NR_KINDS]; /* per group */
};

/*
 * Binds and listens on the configured address, early: a port in use stops
 * the start before anything is loaded.  No-op when metrics are off.
 */
int metrics_bind(struct metrics *m, const struct cgw_config *cfg, char *err,
		 size_t errlen);

/* Starts the thread, after privileges were dropped (it inherits the
 * reduced set); groups are known from metrics_publish() on. */
int metrics_start(struct metrics *m, struct warden *w, char *err,
		  size_t errlen);

/* Event thread: publishes the agent's counters and group flags. */
void metrics_publish(struct metrics *m, const struct act_ctx *a);

/* Stops the thread and closes the socket; safe when never started. */
void metrics_stop(struct metrics *m);

#endif
