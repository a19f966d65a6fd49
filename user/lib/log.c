// SPDX-License-Identifier: MIT
/* log.c - one line per event on stderr: "time PROG: message". */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "tnet.h"

const char *tlog_prog = "tessera";

void tlog_init(const char *prog)
{
	tlog_prog = prog;
}

void tlog(const char *fmt, ...)
{
	char line[1024], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one write per line so lines from threads do not interleave */
	fprintf(stderr, "%s.%03ld %s: %s\n", ts, now.tv_nsec / 1000000,
		tlog_prog, line);
}
