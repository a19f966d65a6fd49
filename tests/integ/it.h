/* SPDX-License-Identifier: MIT */
/*
 * it.h - helpers for the integration test programs.  Each check prints
 * "PASS: integ: NAME" or "FAIL: integ: NAME: why"; the program exits
 * non-zero if any failed.  The MDS address and key file come from the
 * environment (TESS_MDS, TESS_KEY), set by tests/integ/run.sh.
 */
#ifndef IT_H
#define IT_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tess_client.h"

static int it_failed;

static inline void it_result(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void it_result(int ok, const char *name, const char *fmt, ...)
{
	char why[512] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	if (ok) {
		printf("PASS: integ: %s\n", name);
	} else {
		printf("FAIL: integ: %s: %s\n", name, why);
		it_failed = 1;
	}
	fflush(stdout);
}

/* expect rc == want (0 or -errno) */
#define IT_RC(name, expr, want) do {					\
	long it_rc = (long)(expr);					\
	it_result(it_rc == (long)(want), name, "%s = %ld (%s), expected %ld", \
		  #expr, it_rc, it_rc < 0 ? strerror((int)-it_rc) : "ok", \
		  (long)(want));					\
} while (0)

/* a client with RPC timeout timeout_ms; exits on failure */
static inline struct tess_client *it_connect_ms(int timeout_ms)
{
	const char *mds = getenv("TESS_MDS"), *key = getenv("TESS_KEY");
	struct tess_client *c;
	char err[256];
	int rc;

	if (!mds || !key) {
		fprintf(stderr, "TESS_MDS and TESS_KEY must be set\n");
		exit(2);
	}
	rc = tess_client_open(mds, key, timeout_ms, &c, err, sizeof(err));
	if (rc) {
		printf("FAIL: integ: connect: %s\n", err);
		exit(1);
	}
	return c;
}

static inline struct tess_client *it_connect(void)
{
	return it_connect_ms(20000);
}

/* deterministic pseudo-random bytes */
static inline uint64_t it_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* len deterministic pseudo-random bytes from seed */
static inline void it_fill(uint8_t *buf, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t r = it_rand(&seed);

		memcpy(buf + i, &r, len - i < 8 ? len - i : 8);
	}
}

#endif
