/* SPDX-License-Identifier: MIT */
/* logctl.h - --log-level, --log-file and SIGHUP for the daemons (logctl.c) */
#ifndef TESS_LOGCTL_H
#define TESS_LOGCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* apply --log-level LEVEL (NULL: info) and --log-file FILE (NULL: stderr);
 * 0, or -1 with the reason in err */
int tlog_options(const char *level, const char *file, char *err,
		 size_t errlen);
/*
 * SIGHUP: reopen the --log-file, then read CONFIG (NULL: none) against
 * OPTS again and apply its log-level (info if it has none) unless the
 * command line gave one.  Logs what it did; the daemon goes on whatever.
 */
void tlog_reload(const char *config, const struct option *opts,
		 bool level_on_cmdline);

#endif /* TESS_LOGCTL_H */
