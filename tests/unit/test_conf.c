// SPDX-License-Identifier: MIT
/*
 * Userspace tests of user/lib/conf.c, the configuration files of
 * tessera-mds and tessera-ost: a good file (comments, blank lines, spaces
 * around '=', '=' and '#' inside a value, every boolean spelling), each
 * class of bad line with its exact "PATH:LINE: reason", and conf_args:
 * the file's settings before the command line (which wins), --config
 * found as getopt_long finds it, and conf_where naming the line of a
 * value an option parser refuses.
 */
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "tu.h"

/* an option table like a daemon's */
static const struct option opts[] = {
	{ "dir", required_argument, NULL, 'd' },
	{ "count", required_argument, NULL, 'c' },
	{ "listen", required_argument, NULL, 'l' },
	{ "nosync", no_argument, NULL, 'n' },
	{ "replace", no_argument, NULL, 'r' },
	{ "config", required_argument, NULL, 'K' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static char path[64];

/* write TEXT to a fresh file, its name in path */
static void file(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/tess-conf.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		TU_FAIL_AT("cannot write %s", path);
	if (fd >= 0)
		close(fd);
}

static void str_eq(const char *got, const char *want)
{
	if (!got || strcmp(got, want))
		TU_FAIL_AT("got \"%s\", expected \"%s\"", got ? got : "(null)",
			   want);
}

TU_CASE(good_file)
{
	static const char *const want[] = {
		"--dir=/srv/tessera mds", "--nosync", "--count=-1",
		"--listen=a=b#c", "--replace", "--nosync", "--nosync",
		"--nosync",
	};
	struct conf c;
	char err[256] = "";

	file("# the MDS\n"
	     "\n"
	     "   \t\n"
	     "  dir   =   /srv/tessera mds  \n"
	     "nosync = yes\n"
	     "\t# indented comment\n"
	     "count=-1\n"
	     "replace = no\n"
	     "listen = a=b#c\n"
	     "replace = TRUE\n"
	     "nosync = 1\n"
	     "nosync=true\r\n"
	     "nosync = false\n"
	     "nosync = 0\n"
	     "nosync = Yes");		/* no newline at the end */
	TU_EQ_INT(conf_parse(path, opts, &c, err, sizeof(err)), 0);
	str_eq(err, "");
	TU_EQ_INT(c.n, 8);
	for (int i = 0; i < c.n && i < 8; i++)
		str_eq(c.args[i], want[i]);
	if (c.n == 8) {
		TU_EQ_INT(c.lines[0], 4);
		TU_EQ_INT(c.lines[1], 5);
		TU_EQ_INT(c.lines[2], 7);
		TU_EQ_INT(c.lines[3], 9);
		TU_EQ_INT(c.lines[7], 15);
	}
	conf_free(&c);
	unlink(path);
}

TU_CASE(only_comments)
{
	struct conf c;
	char err[256] = "";

	file("# nothing set\n\n#dir = /x\n");
	TU_EQ_INT(conf_parse(path, opts, &c, err, sizeof(err)), 0);
	TU_EQ_INT(c.n, 0);
	conf_free(&c);
	unlink(path);
}

/* TEXT is refused with "path:REASON" */
static void refused(const char *text, const char *reason)
{
	struct conf c;
	char err[256] = "", want[256];

	file(text);
	snprintf(want, sizeof(want), "%s:%s", path, reason);
	TU_EQ_INT(conf_parse(path, opts, &c, err, sizeof(err)), -1);
	str_eq(err, want);
	TU_EQ_INT(c.n, 0);		/* nothing kept */
	unlink(path);
}

TU_CASE(unknown_key)
{
	refused("dir = /x\n# ok\nfoo = 1\ncount = 2\n", "3: unknown key 'foo'");
	refused("stripe count = 1\n", "1: unknown key 'stripe count'");
	refused("--dir = /x\n", "1: unknown key '--dir'");
	refused("di = /x\n", "1: unknown key 'di'");	/* no abbreviations */
	refused("DIR = /x\n", "1: unknown key 'DIR'");
}

TU_CASE(command_line_only_keys)
{
	refused("\nconfig = /etc/other.conf\n",
		"2: 'config' is not a key (command line only)");
	refused("help = yes\n", "1: 'help' is not a key (command line only)");
}

TU_CASE(missing_value)
{
	refused("dir = /x\ncount =\n", "2: missing value for 'count'");
	refused("count =   \t\n", "1: missing value for 'count'");
	refused("\n\ndir\n", "3: missing value for 'dir'");
	refused("nosync\n", "1: missing value for 'nosync'");
	refused("nosync =\n", "1: missing value for 'nosync'");
}

TU_CASE(missing_key)
{
	refused("dir = /x\n = /y\n", "2: missing key before '='");
}

TU_CASE(bad_boolean)
{
	refused("nosync = yes\nreplace = maybe\n", "2: bad boolean 'maybe' for "
		"'replace' (yes, no, true, false, 1 or 0)");
	refused("nosync = yes # fast\n", "1: bad boolean 'yes # fast' for "
		"'nosync' (yes, no, true, false, 1 or 0)");
	refused("nosync = 2\n", "1: bad boolean '2' for 'nosync' (yes, no, "
		"true, false, 1 or 0)");
}

TU_CASE(missing_file)
{
	struct conf c;
	char err[256] = "";

	TU_EQ_INT(conf_parse("/nonexistent/tess.conf", opts, &c, err,
			     sizeof(err)), -1);
	str_eq(err, "/nonexistent/tess.conf: No such file or directory");
}

/*
 * a daemon's option loop over ARGV: count must be digits, else
 * "<where>--count: not a number" in err; the last dir, count and listen
 */
struct parsed {
	const char *dir, *count, *listen;
	int nosync;
	char err[256];
};

static int daemon_loop(int argc, char **argv, struct parsed *p)
{
	int opt;

	memset(p, 0, sizeof(*p));
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': p->dir = optarg; break;
		case 'l': p->listen = optarg; break;
		case 'n': p->nosync = 1; break;
		case 'K': break;
		case 'c':
			if (strspn(optarg, "0123456789") != strlen(optarg)) {
				snprintf(p->err, sizeof(p->err),
					 "%s--count: not a number",
					 conf_where(optarg));
				return -1;
			}
			p->count = optarg;
			break;
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

TU_CASE(args_command_line_wins)
{
	char *argv0[] = { "d", "--dir", "/cmd", "--config", path, NULL };
	char **argv = argv0;
	int argc = 5;
	struct parsed p;

	file("dir = /file\ncount = 7\nnosync = yes\nlisten = 1.2.3.4\n");
	TU_EQ_INT(conf_args("d", opts, "h", &argc, &argv), 0);
	TU_EQ_INT(argc, 9);
	TU_CHECK(argv != argv0);
	if (argc == 9) {
		str_eq(argv[0], "d");
		str_eq(argv[1], "--dir=/file");
		str_eq(argv[4], "--listen=1.2.3.4");
		str_eq(argv[5], "--dir");
		TU_CHECK(!argv[9]);
	}
	TU_EQ_INT(daemon_loop(argc, argv, &p), 0);
	str_eq(p.dir, "/cmd");		/* the command line wins */
	str_eq(p.count, "7");
	str_eq(p.listen, "1.2.3.4");
	TU_EQ_INT(p.nosync, 1);
	str_eq(conf_where(p.dir), "");
	str_eq(conf_where(NULL), "");
	{
		char want[128];

		snprintf(want, sizeof(want), "%s:4: ", path);
		str_eq(conf_where(p.listen), want);
	}
	unlink(path);
}

TU_CASE(args_value_refused_names_line)
{
	char *argv0[] = { "d", "--config=", NULL };
	char **argv = argv0, arg[96], want[160];
	int argc = 2;
	struct parsed p;

	file("# x\ndir = /file\n\ncount = 12z\n");
	snprintf(arg, sizeof(arg), "--config=%s", path);
	argv0[1] = arg;
	TU_EQ_INT(conf_args("d", opts, "h", &argc, &argv), 0);
	TU_EQ_INT(daemon_loop(argc, argv, &p), -1);
	snprintf(want, sizeof(want), "%s:4: --count: not a number", path);
	str_eq(p.err, want);

	/* the same value on the command line names no line */
	{
		char *a2[] = { "d", "--count", "12z", NULL };

		optind = 0;
		TU_EQ_INT(daemon_loop(3, a2, &p), -1);
		str_eq(p.err, "--count: not a number");
	}
	unlink(path);
}

TU_CASE(args_without_config)
{
	char *argv0[] = { "d", "--dir", "/x", "--", "--config", NULL };
	char **argv = argv0;
	int argc = 5;

	/* after "--", and as an option's argument, it is no --config */
	TU_EQ_INT(conf_args("d", opts, "h", &argc, &argv), 0);
	TU_CHECK(argv == argv0);
	TU_EQ_INT(argc, 5);
	TU_EQ_INT(optind, 0);
	{
		char *a2[] = { "d", "--dir", "--config", NULL };
		char **av = a2;
		int ac = 3;

		TU_EQ_INT(conf_args("d", opts, "h", &ac, &av), 0);
		TU_CHECK(av == a2);
	}
}

TU_CASE(args_refused)
{
	char *twice[] = { "d", "--config", "/a", "--conf=/b", NULL };
	char *bad[] = { "d", "--config", path, NULL };
	char **argv = twice;
	int argc = 4;

	/* messages on stderr: "d: --config: given more than once", ... */
	TU_EQ_INT(conf_args("d", opts, "h", &argc, &argv), -1);
	TU_CHECK(argv == twice);
	file("count = 1\nbogus = 2\n");
	argv = bad;
	argc = 3;
	TU_EQ_INT(conf_args("d", opts, "h", &argc, &argv), -1);
	TU_CHECK(argv == bad);
	TU_EQ_INT(argc, 3);
	unlink(path);
}

int main(void)
{
	tu_suite = "conf";
	TU_RUN(good_file);
	TU_RUN(only_comments);
	TU_RUN(unknown_key);
	TU_RUN(command_line_only_keys);
	TU_RUN(missing_value);
	TU_RUN(missing_key);
	TU_RUN(bad_boolean);
	TU_RUN(missing_file);
	TU_RUN(args_command_line_wins);
	TU_RUN(args_value_refused_names_line);
	TU_RUN(args_without_config);
	TU_RUN(args_refused);
	return tu_done();
}
