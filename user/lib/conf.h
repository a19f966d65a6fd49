/* SPDX-License-Identifier: MIT */
/*
 * conf.h - configuration files of the daemons (tessera.conf(5)).
 *
 * A file is lines of "key = value", "#" comment lines and blank lines.
 * Every long option of the daemon is a key, the same name without "--";
 * a flag (no_argument) takes yes/no/true/false/1/0.  The file's settings
 * become "--key=value" options placed before the real command line, and
 * the daemon's own getopt_long loop validates both: one set of rules, and
 * the command line, seen last, wins.
 *
 *	if (conf_args(PROG, opts, "h", &argc, &argv))
 *		return 2;
 *	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1)
 *		... a value refused: "PROG: <conf_where(optarg)>--opt: why",
 *		    exit 2 ...
 */
#ifndef TESS_CONF_H
#define TESS_CONF_H

#include <getopt.h>
#include <stddef.h>

/* the settings of one file, in file order */
struct conf {
	char *path;
	char **args;		/* "--key=value"; "--key" for a true flag */
	int *lines;		/* the line of each */
	int n;
};

/*
 * conf_parse - read PATH against the long options OPTS ("help" and
 * "config" are not keys).  Returns 0 with C filled (conf_free it), or -1
 * with "PATH:LINE: reason" (or "PATH: error") in ERR: unknown key 'k',
 * missing value for 'k', bad boolean 'v' for 'k' (...).
 */
int conf_parse(const char *path, const struct option *opts, struct conf *c,
	       char *err, size_t errlen);
void conf_free(struct conf *c);

/*
 * conf_args - with --config PATH (or --config=PATH, found by getopt_long
 * over OPTS and SHORTOPTS) in *argvp, replace *argcp and *argvp by argv[0],
 * the file's settings, then argv[1..], and remember the settings for
 * conf_where.  Without --config nothing changes.  optind is reset for the
 * caller's loop.  Returns 0, or -1 after printing "PROG: PATH:LINE: reason"
 * on stderr (the caller exits 2).
 */
int conf_args(const char *prog, const struct option *opts,
	      const char *shortopts, int *argcp, char ***argvp);

/*
 * conf_where - "PATH:LINE: " if S points into a setting conf_args took
 * from the file (an optarg of the caller's loop), else "" (NULL too)
 */
const char *conf_where(const char *s);

#endif /* TESS_CONF_H */
