// SPDX-License-Identifier: GPL-2.0
/*
 * The state-file reader (core/state.c) and the check of what a state file
 * may ask for (cgw_state_check, core/cpuctl.c) on arbitrary bytes.  A file
 * the reader accepts must survive a write and read back unchanged.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_entry(const struct cgw_state_entry *a,
		       const struct cgw_state_entry *b)
{
	return a->cgid == b->cgid && !strcmp(a->path, b->path) &&
	       !strcmp(a->file, b->file) && !strcmp(a->value, b->value) &&
	       !strcmp(a->written, b->written) && !strcmp(a->next, b->next);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgw_state st, back;
	char err[512], out[64];
	const char *file = fuzz_file(data, size);

	if (cgw_state_read(file, &st, err, sizeof(err)))
		return 0;
	cgw_state_check(file, &st, CGW_MODE_V1, "/sys/fs/cgroup/cpu", err,
			sizeof(err));
	cgw_state_check(file, &st, CGW_MODE_V2, "/sys/fs/cgroup", err,
			sizeof(err));
	snprintf(out, sizeof(out), "%s.out", file);
	if (st.n && cgw_state_write(out, &st, err, sizeof(err)) == 0) {
		if (cgw_state_read(out, &back, err, sizeof(err)) ||
		    back.n != st.n || strcmp(back.root, st.root) ||
		    strcmp(back.mode, st.mode))
			abort();
		for (size_t i = 0; i < st.n; i++)
			if (!same_entry(&st.e[i], &back.e[i]))
				abort();
		cgw_state_free(&back);
	}
	cgw_state_free(&st);
	return 0;
}
