/* SPDX-License-Identifier: MIT */
/*
 * tessctl_interval.c: the -i SECONDS [-n COUNT] of `tessctl stats` and
 * `tessctl stats --servers`: the first report has the totals, then one
 * every SECONDS with the change per second over the interval, COUNT
 * times (default: until killed).
 */
#ifndef TESSCTL_INTERVAL_H
#define TESSCTL_INTERVAL_H

#include <stdbool.h>

struct interval {
	double secs;		/* 0: one report */
	long count;		/* intervals after the first report; -1 forever */
};

#define INTERVAL_INIT	{ 0, -1 }

/* getopt's o and optarg for 'i' and 'n': 0, or 2 (usage, said on stderr) */
int interval_opt(struct interval *iv, int o, const char *arg);
/* after the options: 0, or 2 when -n came without -i */
int interval_check(const struct interval *iv);
/* after report round (0 = the totals): false when that was the last */
bool interval_more(const struct interval *iv, long round);
/* CLOCK_MONOTONIC, seconds */
double interval_now(void);
/* sleep until the next report of round (0 = the totals) at start */
void interval_wait(const struct interval *iv, double start, long round);

#endif
