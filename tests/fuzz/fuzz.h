/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libFuzzer targets read their input from a file, as the agent does: the
 * parsers under test take a path and open it through core/trust.c.  One
 * private 0600 file per process, rewritten for every input.
 */
#ifndef CGW_FUZZ_H
#define CGW_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_path[64];

static void fuzz_unlink(void)
{
	char out[80];

	snprintf(out, sizeof(out), "%s.out", fuzz_path);
	unlink(fuzz_path);
	unlink(out);
}

static const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	const char *path = fuzz_path;

	if (fd < 0) {
		snprintf(fuzz_path, sizeof(fuzz_path), "/tmp/cgw-fuzz-XXXXXX");
		fd = mkstemp(fuzz_path);
		if (fd < 0)
			abort();
		atexit(fuzz_unlink);
	}
	if (ftruncate(fd, 0) ||
	    (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

#endif
