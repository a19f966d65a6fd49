// SPDX-License-Identifier: MIT
/* test_log.c - log lines (log.c, logctl.c; issue #14): the format, levels,
 * --log-file and its reopen, the journal's <N> prefix, SIGHUP's re-read
 * of log-level from a config file. */
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logctl.h"
#include "tnet.h"
#include "tu.h"

static char dir[] = "/tmp/test_log.XXXXXX";
static char path[256], moved[256], conf[256];

static char *slurp(const char *p)
{
	static char buf[65536];
	FILE *f = fopen(p, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static bool matches(const char *s, const char *re)
{
	regex_t r;
	bool ok;

	if (regcomp(&r, re, REG_EXTENDED | REG_NEWLINE | REG_NOSUB))
		return false;
	ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

TU_CASE(parse_levels)
{
	TU_EQ_INT(tlog_parse_level("err"), LOG_ERR);
	TU_EQ_INT(tlog_parse_level("error"), LOG_ERR);
	TU_EQ_INT(tlog_parse_level("warning"), LOG_WARNING);
	TU_EQ_INT(tlog_parse_level("WARN"), LOG_WARNING);
	TU_EQ_INT(tlog_parse_level("notice"), LOG_NOTICE);
	TU_EQ_INT(tlog_parse_level("info"), LOG_INFO);
	TU_EQ_INT(tlog_parse_level("debug"), LOG_DEBUG);
	TU_EQ_INT(tlog_parse_level("chatty"), -1);
	TU_EQ_INT(tlog_parse_level(""), -1);
	TU_EQ_INT(tlog_parse_level(NULL), -1);
	TU_CHECK(!strcmp(tlog_level_name(LOG_WARNING), "warning"));
}

TU_CASE(format_and_file)
{
	char err[256];

	TU_EQ_INT(tlog_options("info", path, err, sizeof(err)), 0);
	tlog("hello %d", 42);
	tlog_level(LOG_ERR, "it broke");
	tlog_level(LOG_DEBUG, "not shown");
	TU_CHECK(matches(slurp(path), "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
			 "[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z info test_log: hello 42$"));
	TU_CHECK(matches(slurp(path), "Z err test_log: it broke$"));
	TU_CHECK(!strstr(slurp(path), "not shown"));
	TU_CHECK(tlog_options("chatty", NULL, err, sizeof(err)) == -1);
	TU_CHECK(strstr(err, "'chatty'") != NULL);
}

TU_CASE(level_warning_drops_info)
{
	tlog_set_level(LOG_WARNING);
	tlog("info dropped");
	tlog_level(LOG_NOTICE, "notice dropped");
	tlog_level(LOG_WARNING, "warning kept");
	tlog_set_level(LOG_INFO);
	TU_CHECK(!strstr(slurp(path), "dropped"));
	TU_CHECK(strstr(slurp(path), "warning test_log: warning kept") != NULL);
}

TU_CASE(reopen_after_move)
{
	TU_EQ_INT(rename(path, moved), 0);
	tlog("before reopen");
	TU_EQ_INT(tlog_reopen(), 0);
	tlog("after reopen");
	TU_CHECK(strstr(slurp(moved), "before reopen") != NULL);
	TU_CHECK(!strstr(slurp(moved), "after reopen"));
	TU_CHECK(strstr(slurp(path), "after reopen") != NULL);
}

TU_CASE(sighup_reads_level)
{
	static const struct option opts[] = {
		{ "log-level", required_argument, NULL, 'V' },
		{ "log-file", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 }
	};
	FILE *f = fopen(conf, "w");

	TU_CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "log-level = debug\n");
	fclose(f);
	tlog_reload(conf, opts, false);
	TU_EQ_INT(tlog_get_level(), LOG_DEBUG);
	tlog_reload(conf, opts, true);		/* the command line wins */
	f = fopen(conf, "w");
	fprintf(f, "log-level = loud\n");
	fclose(f);
	tlog_reload(conf, opts, false);		/* refused: stays */
	TU_EQ_INT(tlog_get_level(), LOG_DEBUG);
	f = fopen(conf, "w");
	fprintf(f, "# none\n");
	fclose(f);
	tlog_reload(conf, opts, false);		/* none: the default */
	TU_EQ_INT(tlog_get_level(), LOG_INFO);
	TU_CHECK(strstr(slurp(path), "err test_log: SIGHUP: ") != NULL);
}

TU_CASE(journal_prefix)
{
	struct stat st;
	char js[64];

	TU_EQ_INT(fstat(STDERR_FILENO, &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	tlog_init("test_log");
	tlog_level(LOG_WARNING, "to the journal");
	unsetenv("JOURNAL_STREAM");
	tlog_init("test_log");
	tlog("not to the journal");
	TU_CHECK(matches(slurp(path), "^<4>test_log: to the journal$"));
	TU_CHECK(matches(slurp(path), "Z info test_log: not to the journal$"));
	setenv("JOURNAL_STREAM", "1:2", 1);	/* another stream: not it */
	tlog_init("test_log");
	tlog("dev:ino differ");
	unsetenv("JOURNAL_STREAM");
	TU_CHECK(matches(slurp(path), "Z info test_log: dev:ino differ$"));
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/log", dir);
	snprintf(moved, sizeof(moved), "%s/log.1", dir);
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	unsetenv("JOURNAL_STREAM");
	tlog_init("test_log");
	tu_suite = "log";
	TU_RUN(parse_levels);
	TU_RUN(format_and_file);
	TU_RUN(level_warning_drops_info);
	TU_RUN(reopen_after_move);
	TU_RUN(sighup_reads_level);
	TU_RUN(journal_prefix);
	unlink(path);
	unlink(moved);
	unlink(conf);
	rmdir(dir);
	return tu_done();
}
