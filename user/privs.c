// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "log.h"
#include "privs.h"

static const cap_value_t kept[] = { CAP_BPF, CAP_DAC_OVERRIDE };
#define NKEPT ((int)(sizeof(kept) / sizeof(kept[0])))

static cap_t raised, lowered, bpf_only; /* NULL until privs_drop() */

static bool is_kept(cap_value_t c)
{
	for (int i = 0; i < NKEPT; i++)
		if (kept[i] == c)
			return true;
	return false;
}

static bool holds_setpcap(void)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t cur = cap_get_proc();

	if (cur && cap_get_flag(cur, CAP_SETPCAP, CAP_EFFECTIVE, &v))
		v = CAP_CLEAR;
	cap_free(cur);
	return v == CAP_SET;
}

static int fail(const char *what)
{
	int ret = errno ? -errno : -EPERM;

	cgw_log(CGW_LOG_ERR, "dropping capabilities: %s: %s", what,
		strerror(-ret));
	return ret;
}

int privs_drop(void)
{
	cap_value_t last = cap_max_bits();
	cap_t r = cap_init(), l = cap_init(), b = cap_init();
	static const cap_value_t bpf[] = { CAP_BPF };
	const char *what = NULL;
	int ret = 0;

	if (!r || !l || !b) {
		what = "cap_init";
		goto cleanup;
	}
	/*
	 * The bounding set first: it needs CAP_SETPCAP, still effective.
	 * A service manager may have left CAP_SETPCAP out of the bounding
	 * set already (systemd's CapabilityBoundingSet=): then it has
	 * narrowed the set itself, and trying would only fail with EPERM.
	 */
	if (!holds_setpcap())
		cgw_log(CGW_LOG_INFO,
			"no CAP_SETPCAP: bounding set left as the service manager set it");
	for (cap_value_t c = 0; c < last && !what && holds_setpcap(); c++)
		if (!is_kept(c) && cap_drop_bound(c) && errno != EINVAL)
			what = "cap_drop_bound";
	if (!what && (cap_set_flag(r, CAP_PERMITTED, NKEPT, kept, CAP_SET) ||
		      cap_set_flag(r, CAP_EFFECTIVE, NKEPT, kept, CAP_SET) ||
		      cap_set_flag(l, CAP_PERMITTED, NKEPT, kept, CAP_SET) ||
		      cap_set_flag(b, CAP_PERMITTED, NKEPT, kept, CAP_SET) ||
		      cap_set_flag(b, CAP_EFFECTIVE, 1, bpf, CAP_SET)))
		what = "cap_set_flag";
	/* permitted := kept, effective := none */
	if (!what && cap_set_proc(l))
		what = "cap_set_proc";
	if (!what && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		what = "PR_SET_NO_NEW_PRIVS";
cleanup:
	if (what) {
		ret = fail(what);
		cap_free(r);
		cap_free(l);
		cap_free(b);
		return ret;
	}
	raised = r;
	lowered = l;
	bpf_only = b;
	return 0;
}

void privs_raise(void)
{
	if (raised && cap_set_proc(raised))
		cgw_log(CGW_LOG_ERR, "raising capabilities: %s",
			strerror(errno));
}

void privs_raise_bpf(void)
{
	if (bpf_only && cap_set_proc(bpf_only))
		cgw_log(CGW_LOG_ERR, "raising CAP_BPF: %s", strerror(errno));
}

void privs_lower(void)
{
	if (lowered && cap_set_proc(lowered))
		cgw_log(CGW_LOG_ERR, "lowering capabilities: %s",
			strerror(errno));
}
