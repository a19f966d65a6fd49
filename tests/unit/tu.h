/* SPDX-License-Identifier: MIT */
/*
 * tu.h - a tiny unit test harness.  Each test case prints one line,
 * "PASS: unit: SUITE.CASE" or "FAIL: unit: SUITE.CASE: where", which
 * tests/check.sh counts.  Exit status is non-zero if any case failed.
 *
 *	TU_CASE(name) { TU_CHECK(x == 1); TU_EQ_U64(a, b); }
 *	int main(void) { TU_RUN(name); return tu_done(); }
 */
#ifndef TU_H
#define TU_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *tu_suite = "unit";
static int tu_failed_cases;
static int tu_case_failed;
static char tu_where[256];

#define TU_CASE(name) static void tu_case_##name(void)

#define TU_FAIL_AT(fmt, ...) do {					\
	if (!tu_case_failed)						\
		snprintf(tu_where, sizeof(tu_where), "%s:%d: " fmt,	\
			 __FILE__, __LINE__, __VA_ARGS__);		\
	tu_case_failed = 1;						\
} while (0)

#define TU_CHECK(cond) do {						\
	if (!(cond))							\
		TU_FAIL_AT("%s", #cond);				\
} while (0)

#define TU_EQ_U64(a, b) do {						\
	uint64_t tu_a = (uint64_t)(a), tu_b = (uint64_t)(b);		\
	if (tu_a != tu_b)						\
		TU_FAIL_AT("%s == %" PRIu64 ", expected %" PRIu64,	\
			   #a, tu_a, tu_b);				\
} while (0)

#define TU_EQ_INT(a, b) do {						\
	long long tu_a = (long long)(a), tu_b = (long long)(b);		\
	if (tu_a != tu_b)						\
		TU_FAIL_AT("%s == %lld, expected %lld", #a, tu_a, tu_b); \
} while (0)

#define TU_RUN(name) do {						\
	tu_case_failed = 0;						\
	tu_case_##name();						\
	if (tu_case_failed) {						\
		tu_failed_cases++;					\
		printf("FAIL: unit: %s.%s: %s\n", tu_suite, #name,	\
		       tu_where);					\
	} else {							\
		printf("PASS: unit: %s.%s\n", tu_suite, #name);		\
	}								\
	fflush(stdout);							\
} while (0)

static inline int tu_done(void)
{
	return tu_failed_cases ? 1 : 0;
}

#endif /* TU_H */
