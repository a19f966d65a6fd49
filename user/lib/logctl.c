// SPDX-License-Identifier: MIT
/*
 * logctl.c - --log-level, --log-file and SIGHUP for the daemons (issue #14).
 *
 * Both daemons take SIGHUP in their sigwait loop (no work in a signal
 * handler) and call tlog_reload: the --log-file is opened again (after
 * logrotate moved it) and --config is read again for the one setting that
 * can change at run time, log-level.  A --log-level on the command line
 * wins over the file, as at start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "logctl.h"
#include "tnet.h"

int tlog_options(const char *level, const char *file, char *err,
		 size_t errlen)
{
	int l = level ? tlog_parse_level(level) : LOG_INFO;
	int rc;

	if (l < LOG_ERR) {
		snprintf(err, errlen, "'%s': err, warning, notice, info or "
			 "debug", level);
		return -1;
	}
	tlog_set_level(l);
	if (file) {
		rc = tlog_set_file(file);
		if (rc) {
			snprintf(err, errlen, "%s: %s", file, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

void tlog_reload(const char *config, const struct option *opts,
		 bool level_on_cmdline)
{
	char err[512];
	const char *val = NULL;
	struct conf c;
	int rc, l;

	rc = tlog_reopen();
	if (rc)
		tlog_level(LOG_ERR, "SIGHUP: cannot reopen the log file: %s",
			   strerror(-rc));
	if (!config) {
		tlog_level(LOG_NOTICE, "SIGHUP: log file reopened, log level "
			   "%s", tlog_level_name(tlog_get_level()));
		return;
	}
	if (conf_parse(config, opts, &c, err, sizeof(err))) {
		tlog_level(LOG_ERR, "SIGHUP: %s; log level stays %s", err,
			   tlog_level_name(tlog_get_level()));
		return;
	}
	for (int i = 0; i < c.n; i++)
		if (!strncmp(c.args[i], "--log-level=", 12))
			val = c.args[i] + 12;	/* the last one wins */
	l = val ? tlog_parse_level(val) : LOG_INFO;
	if (level_on_cmdline) {
		tlog_level(LOG_NOTICE, "SIGHUP: %s read again; --log-level "
			   "on the command line wins, log level stays %s",
			   config, tlog_level_name(tlog_get_level()));
	} else if (l < LOG_ERR) {
		tlog_level(LOG_ERR, "SIGHUP: %s: log-level '%s' is not err, "
			   "warning, notice, info or debug; log level stays "
			   "%s", config, val, tlog_level_name(tlog_get_level()));
	} else {
		int old = tlog_get_level();

		/* said at the more verbose of the two levels */
		if (l > old)
			tlog_set_level(l);
		tlog_level(LOG_NOTICE, "SIGHUP: %s read again, log level %s "
			   "(was %s; other settings change only at a restart)",
			   config, tlog_level_name(l), tlog_level_name(old));
		tlog_set_level(l);
	}
	conf_free(&c);
}
