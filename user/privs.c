// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "privs.h"

static const cap_value_t kept[] = { CAP_BPF, CAP_DAC_OVERRIDE, CAP_IPC_LOCK };
/* CAP_IPC_LOCK, last, only with privs_drop(true) */
#define NKEPT_ALL ((int)(sizeof(kept) / sizeof(kept[0])))
static int nkept = NKEPT_ALL - 1;
#define NKEPT nkept

static cap_t raised, lowered, bpf_only; /* NULL until privs_drop() */

static bool is_kept(cap_value_t c)
{
	for (int i = 0; i < NKEPT; i++)
		if (kept[i] == c)
			return true;
	return false;
}

static int fail(const char *what)
{
	int ret = errno ? -errno : -EPERM;

	fprintf(stderr, "cgwarden: dropping capabilities: %s: %s\n", what,
		strerror(-ret));
	return ret;
}

int privs_drop(bool ipc_lock)
{
	cap_value_t last = cap_max_bits();
	cap_t r = cap_init(), l = cap_init(), b = cap_init();
	static const cap_value_t bpf[] = { CAP_BPF };
	const char *what = NULL;
	int ret = 0;

	if (ipc_lock)
		nkept = NKEPT_ALL;
	if (!r || !l || !b) {
		what = "cap_init";
		goto cleanup;
	}
	/* the bounding set first: it needs CAP_SETPCAP, still effective */
	for (cap_value_t c = 0; c < last && !what; c++)
		if (!is_kept(c) && cap_drop_bound(c) && errno != EINVAL)
			what = "cap_drop_bound";
	if (!what && (cap_set_flag(r, CAP_PERMITTED, NKEPT, kept, CAP_SET) ||
		      cap_set_flag(r, CAP_EFFECTIVE, NKEPT, kept, CAP_SET) ||
		      cap_set_flag(l, CAP_PERMITTED, NKEPT, kept, CAP_SET) ||
		      cap_set_flag(b, CAP_PERMITTED, NKEPT, kept, CAP_SET) ||
		      cap_set_flag(b, CAP_EFFECTIVE, 1, bpf, CAP_SET)))
		what = "cap_set_flag";
	/* permitted := kept, effective := none (but CAP_IPC_LOCK); the
	 * metrics thread's CAP_BPF set keeps CAP_IPC_LOCK effective too */
	if (!what && ipc_lock &&
	    (cap_set_flag(l, CAP_EFFECTIVE, 1, &kept[NKEPT_ALL - 1], CAP_SET) ||
	     cap_set_flag(b, CAP_EFFECTIVE, 1, &kept[NKEPT_ALL - 1], CAP_SET)))
		what = "cap_set_flag";
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
		fprintf(stderr, "cgwarden: raising capabilities: %s\n",
			strerror(errno));
}

void privs_raise_bpf(void)
{
	if (bpf_only && cap_set_proc(bpf_only))
		fprintf(stderr, "cgwarden: raising CAP_BPF: %s\n",
			strerror(errno));
}

void privs_lower(void)
{
	if (lowered && cap_set_proc(lowered))
		fprintf(stderr, "cgwarden: lowering capabilities: %s\n",
			strerror(errno));
}
