// SPDX-License-Identifier: MIT
/*
 * tessctl_interval.c - the -i SECONDS [-n COUNT] of `tessctl stats` and
 * `tessctl stats --servers` (tessctl_interval.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tessctl_interval.h"

int interval_opt(struct interval *iv, int o, const char *arg)
{
	char *end;

	if (o == 'i') {
		iv->secs = strtod(arg, &end);
		if (*end || !(iv->secs > 0) || iv->secs > 86400) {
			fprintf(stderr, "tessctl: stats: -i %s: not a number of seconds in (0, 86400]\n",
				arg);
			return 2;
		}
		return 0;
	}
	iv->count = strtol(arg, &end, 10);
	if (*end || iv->count < 1) {
		fprintf(stderr, "tessctl: stats: -n %s: not a positive count\n",
			arg);
		return 2;
	}
	return 0;
}

int interval_check(const struct interval *iv)
{
	if (iv->count > 0 && !iv->secs) {
		fprintf(stderr, "tessctl: stats: -n needs -i\n");
		return 2;
	}
	return 0;
}

bool interval_more(const struct interval *iv, long round)
{
	return iv->secs > 0 && round != iv->count;
}

double interval_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The reports keep to start + k * SECONDS, so that the time a report
 * takes (a server that does not answer) does not stretch the next
 * interval; one already late starts at once.
 */
void interval_wait(const struct interval *iv, double start, long round)
{
	double left = start + (double)(round + 1) * iv->secs - interval_now();
	struct timespec ts;

	if (left <= 0)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}
