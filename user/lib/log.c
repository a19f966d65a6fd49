// SPDX-License-Identifier: MIT
/*
 * log.c - one line per event: "TIME LEVEL PROG: message".
 *
 *   2026-11-30T06:35:00.123Z info tessera-mds: message
 *
 * TIME is ISO 8601 in UTC with milliseconds, LEVEL one of err, warning,
 * notice, info, debug (syslog's LOG_* numbers; lines above the level set
 * by tlog_set_level are dropped).  The line goes to file descriptor 2:
 * stderr, or the --log-file that tlog_set_file put there (dup2, so that
 * anything else written to stderr lands in the same file); tlog_reopen
 * opens that path again (after logrotate moved it).  When fd 2 is the
 * journal (JOURNAL_STREAM names its device:inode, sd_journal_stream_fd(3))
 * the line is "<N>PROG: message": journald reads the priority from <N>
 * and adds its own time stamp.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tnet.h"

const char *tlog_prog = "tessera";

static _Atomic int log_level = LOG_INFO;
static _Atomic int to_journal = -1;	/* -1: not checked yet */
static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER;
static char *log_path;			/* --log-file, NULL: stderr */

static const char *const level_names[8] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"
};

/* is fd 2 the stream JOURNAL_STREAM ("DEV:INO") names? */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st))
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void tlog_init(const char *prog)
{
	tlog_prog = prog;
	atomic_store(&to_journal, stderr_is_journal());
}

int tlog_parse_level(const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < 8; i++)
		if (!strcasecmp(s, level_names[i]))
			return i;
	if (!strcasecmp(s, "error"))
		return LOG_ERR;
	if (!strcasecmp(s, "warn"))
		return LOG_WARNING;
	return -1;
}

const char *tlog_level_name(int level)
{
	return level >= 0 && level < 8 ? level_names[level] : "?";
}

void tlog_set_level(int level)
{
	if (level >= LOG_EMERG && level <= LOG_DEBUG)
		atomic_store(&log_level, level);
}

int tlog_get_level(void)
{
	return atomic_load(&log_level);
}

/* open PATH for appending and put it on fd 2 */
static int open_on_stderr(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		return -errno;
	if (fd != STDERR_FILENO) {
		if (dup2(fd, STDERR_FILENO) < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		close(fd);
	}
	return 0;
}

int tlog_set_file(const char *path)
{
	char *p = strdup(path);
	int rc;

	if (!p)
		return -ENOMEM;
	pthread_mutex_lock(&file_lock);
	rc = open_on_stderr(path);
	if (!rc) {
		free(log_path);
		log_path = p;
		atomic_store(&to_journal, 0);
	} else {
		free(p);
	}
	pthread_mutex_unlock(&file_lock);
	return rc;
}

int tlog_reopen(void)
{
	int rc = 0;

	pthread_mutex_lock(&file_lock);
	if (log_path)
		rc = open_on_stderr(log_path);
	pthread_mutex_unlock(&file_lock);
	return rc;
}

static void vlog(int level, const char *fmt, va_list ap)
{
	char line[1280], ts[32];
	struct timespec now;
	struct tm tm;
	int n;

	if (level < LOG_EMERG)
		level = LOG_EMERG;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	if (level > atomic_load(&log_level))
		return;
	if (atomic_load(&to_journal) == 1) {
		n = snprintf(line, sizeof(line), "<%d>%s: ", level, tlog_prog);
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line, sizeof(line), "%s.%03ldZ %s %s: ", ts,
			     now.tv_nsec / 1000000, level_names[level],
			     tlog_prog);
	}
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	/* one write per line so lines from threads do not interleave; a
	 * reopen (dup2) in between lands the line in one file or the other */
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere to say so */
	}
}

void tlog_level(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void tlog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}
