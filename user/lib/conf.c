// SPDX-License-Identifier: MIT
/*
 * conf.c - configuration files of the daemons: "key = value" lines turned
 * into "--key=value" options before the command line (conf.h,
 * tessera.conf(5)).  Only the names and the flags' booleans are checked
 * here; every value goes through the daemon's own option parser.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

/* the settings conf_args put in the daemon's argv, for conf_where */
static struct conf loaded;

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static const struct option *find_opt(const struct option *opts,
				     const char *name)
{
	for (; opts->name; opts++)
		if (!strcmp(opts->name, name))
			return opts;
	return NULL;
}

/* 1 true, 0 false, -1 not a boolean */
static int parse_bool(const char *v)
{
	static const char *const t[] = { "yes", "true", "1" };
	static const char *const f[] = { "no", "false", "0" };

	for (size_t i = 0; i < 3; i++) {
		if (!strcasecmp(v, t[i]))
			return 1;
		if (!strcasecmp(v, f[i]))
			return 0;
	}
	return -1;
}

__attribute__((format(printf, 5, 6)))
static int line_err(char *err, size_t len, const char *path, int line,
		    const char *fmt, ...)
{
	int n = snprintf(err, len, "%s:%d: ", path, line);
	va_list ap;

	if (n < 0 || (size_t)n >= len)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int add_arg(struct conf *c, const char *name, const char *val,
		   int line)
{
	char **args = realloc(c->args, (size_t)(c->n + 1) * sizeof(*args));
	int *lines;
	char *a;

	if (!args)
		return -ENOMEM;
	c->args = args;
	lines = realloc(c->lines, (size_t)(c->n + 1) * sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	c->lines = lines;
	if (val ? asprintf(&a, "--%s=%s", name, val) < 0 :
		  asprintf(&a, "--%s", name) < 0)
		return -ENOMEM;
	c->args[c->n] = a;
	c->lines[c->n++] = line;
	return 0;
}

/* one line, comments and blanks apart: 0 or -1 with err set */
static int parse_line(struct conf *c, const struct option *opts, char *s,
		      int n, char *err, size_t len)
{
	const struct option *o;
	char *eq = strchr(s, '='), *key, *val = NULL;
	int b = 1, rc;

	if (eq) {
		*eq = '\0';
		val = trim(eq + 1);
	}
	key = trim(s);
	if (!*key)
		return line_err(err, len, c->path, n, "missing key before '='");
	o = find_opt(opts, key);
	if (o && (!strcmp(key, "help") || !strcmp(key, "config")))
		return line_err(err, len, c->path, n,
				"'%s' is not a key (command line only)", key);
	if (!o)
		return line_err(err, len, c->path, n, "unknown key '%s'", key);
	if (!val || !*val)
		return line_err(err, len, c->path, n,
				"missing value for '%s'", key);
	if (o->has_arg == no_argument && (b = parse_bool(val)) < 0)
		return line_err(err, len, c->path, n, "bad boolean '%s' for "
				"'%s' (yes, no, true, false, 1 or 0)", val,
				key);
	if (!b)			/* a false flag: not given */
		return 0;
	rc = add_arg(c, key, o->has_arg == no_argument ? NULL : val, n);
	if (rc)
		return line_err(err, len, c->path, n, "%s", strerror(-rc));
	return 0;
}

void conf_free(struct conf *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->args[i]);
	free(c->args);
	free(c->lines);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

int conf_parse(const char *path, const struct option *opts, struct conf *c,
	       char *err, size_t errlen)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0;
	int line = 0, rc = 0;

	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	if (!c->path) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -1;
	}
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		conf_free(c);
		return -1;
	}
	while (!rc && getline(&buf, &cap, f) >= 0) {
		char *s = trim(buf);

		line++;
		if (*s && *s != '#')
			rc = parse_line(c, opts, s, line, err, errlen);
	}
	if (!rc && ferror(f))
		rc = line_err(err, errlen, path, line + 1, "%s",
			      strerror(errno ? errno : EIO));
	free(buf);
	fclose(f);
	if (rc)
		conf_free(c);
	return rc;
}

/*
 * the --config of argv, by getopt_long over a copy (abbreviations, "--"
 * and option arguments as the daemon will see them): NULL without one,
 * "" if given twice
 */
static const char *find_config(const struct option *opts,
			       const char *shortopts, int argc, char **argv)
{
	char **copy = malloc((size_t)(argc + 1) * sizeof(*copy));
	const char *path = NULL;
	int save = opterr, idx, opt;

	if (!copy)
		return NULL;
	memcpy(copy, argv, (size_t)(argc + 1) * sizeof(*copy));
	opterr = 0;
	optind = 0;
	for (;;) {
		idx = -1;	/* set by long options only */
		opt = getopt_long(argc, copy, shortopts, opts, &idx);
		if (opt == -1)
			break;
		if (opt != '?' && opt != ':' && idx >= 0 && optarg &&
		    !strcmp(opts[idx].name, "config"))
			path = path ? "" : optarg;
	}
	opterr = save;
	optind = 0;
	free(copy);
	return path;
}

int conf_args(const char *prog, const struct option *opts,
	      const char *shortopts, int *argcp, char ***argvp)
{
	const char *path = find_config(opts, shortopts, *argcp, *argvp);
	char err[512], **argv;
	int argc = *argcp;

	if (!path)
		return 0;
	if (!*path) {
		fprintf(stderr, "%s: --config: given more than once\n", prog);
		return -1;
	}
	conf_free(&loaded);
	if (conf_parse(path, opts, &loaded, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return -1;
	}
	argv = calloc((size_t)(argc + loaded.n + 1), sizeof(*argv));
	if (!argv) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(ENOMEM));
		return -1;
	}
	argv[0] = (*argvp)[0];
	memcpy(argv + 1, loaded.args, (size_t)loaded.n * sizeof(*argv));
	memcpy(argv + 1 + loaded.n, *argvp + 1,
	       (size_t)(argc - 1) * sizeof(*argv));
	*argcp = argc + loaded.n;
	*argvp = argv;		/* kept: the daemon's settings point into it */
	optind = 0;
	return 0;
}

const char *conf_where(const char *s)
{
	static char where[600];

	if (!s)
		return "";
	for (int i = 0; i < loaded.n; i++) {
		const char *a = loaded.args[i];

		if (s >= a && s <= a + strlen(a)) {
			snprintf(where, sizeof(where), "%s:%d: ", loaded.path,
				 loaded.lines[i]);
			return where;
		}
	}
	return "";
}
