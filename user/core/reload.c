// SPDX-License-Identifier: GPL-2.0
/* What a reload may change: reload.h. */
#include <stdio.h>
#include <string.h>

#include "reload.h"

bool cgw_reload_same_section(const struct cgw_group_cfg *a,
			     const struct cgw_group_cfg *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->path, b->path) &&
	       a->min_ppm == b->min_ppm && a->max_ppm == b->max_ppm &&
	       a->max_wait_ns == b->max_wait_ns && a->wait_pmil == b->wait_pmil &&
	       !strcmp(a->scope, b->scope);
}

int cgw_reload_find(const struct cgw_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ngroups; i++)
		if (!strcmp(cfg->groups[i].name, name))
			return (int)i;
	return -1;
}

static void add(char *out, size_t len, int *n, const char *key)
{
	size_t used = strlen(out);

	snprintf(out + used, len - used, "%s%s", *n ? ", " : "", key);
	(*n)++;
}

int cgw_reload_agent_diff(const struct cgw_config *old,
			  const struct cgw_config *new, char *out, size_t len)
{
	int n = 0;

	if (len)
		out[0] = '\0';
	if (old->window_ns != new->window_ns)
		add(out, len, &n, "window");
	if (old->cooldown_ns != new->cooldown_ns)
		add(out, len, &n, "cooldown");
	if (old->hold_ns != new->hold_ns)
		add(out, len, &n, "hold");
	if (old->margin_ppm != new->margin_ppm)
		add(out, len, &n, "margin");
	if (old->clear_windows != new->clear_windows)
		add(out, len, &n, "clear_windows");
	if (old->hyst_ppm != new->hyst_ppm)
		add(out, len, &n, "hysteresis");
	if (old->span_ns != new->span_ns)
		add(out, len, &n, "span");
	if (old->deadband_ppm != new->deadband_ppm)
		add(out, len, &n, "deadband");
	if (old->retake_ns != new->retake_ns)
		add(out, len, &n, "retake");
	if (strcmp(old->metrics, new->metrics))
		add(out, len, &n, "metrics");
	if (strcmp(old->status_socket, new->status_socket) ||
	    old->status_off != new->status_off)
		add(out, len, &n, "status_socket");
	return n;
}
