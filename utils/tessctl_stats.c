// SPDX-License-Identifier: MIT
/*
 * tessctl_stats.c - `tessctl stats [MOUNT...] [-i SECONDS [-n COUNT]]
 * [--json]`: the per OST counters of the object data RPCs of mounted
 * Tessera file systems (issue #11), read from the mount's directory
 * /sys/fs/tessera/<fsname>-<major>:<minor>/ (kmod/stats.c describes its
 * files).  A MOUNT is found by its st_dev; without one, every Tessera
 * mount of /proc/self/mountinfo.  With -i, after the first table, the
 * change per second over each interval (COUNT times, default forever).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "tessctl_interval.h"
#include "tessctl_stats.h"

#ifndef SYSFS_DIR
#define SYSFS_DIR	"/sys/fs/tessera"
#endif
#define MAX_KEYS	16
#define MAX_HIST	8
#define MAX_BUCKETS	40
#define MAX_MOUNTS	64

struct hist {
	char kind[32];			/* read_lat_us, write_pages, ... */
	unsigned int n;
	uint64_t low[MAX_BUCKETS], count[MAX_BUCKETS];
};

struct ost {
	unsigned int idx;
	unsigned int nkeys;
	char key[MAX_KEYS][32];
	uint64_t val[MAX_KEYS];
	unsigned int nhist;
	struct hist hist[MAX_HIST];
};

struct snap {
	unsigned int nost;
	struct ost *ost;
	char rasize[32];
};

struct mnt {
	const char *path;		/* as given, or from mountinfo */
	char dir[PATH_MAX];		/* its sysfs directory */
	char name[256];			/* its name there */
	struct snap prev, cur;
};

static void stats_err(const char *mount, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void stats_err(const char *mount, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tessctl: stats: %s: ", mount);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* the whole of a sysfs file, NUL-terminated; NULL and errno on failure */
static char *read_all(const char *path)
{
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap);
	FILE *f;
	size_t n;

	if (!buf)
		return NULL;
	f = fopen(path, "r");
	if (!f) {
		free(buf);
		return NULL;
	}
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				fclose(f);
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		fclose(f);
		free(buf);
		errno = e;
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static struct ost *snap_ost(struct snap *s, unsigned int idx)
{
	struct ost *o;

	for (unsigned int i = 0; i < s->nost; i++)
		if (s->ost[i].idx == idx)
			return &s->ost[i];
	o = realloc(s->ost, (s->nost + 1) * sizeof(*o));
	if (!o)
		return NULL;
	s->ost = o;
	o = &s->ost[s->nost++];
	memset(o, 0, sizeof(*o));
	o->idx = idx;
	return o;
}

static uint64_t ost_get(const struct ost *o, const char *key)
{
	for (unsigned int i = 0; o && i < o->nkeys; i++)
		if (!strcmp(o->key[i], key))
			return o->val[i];
	return 0;
}

static const struct hist *ost_hist(const struct ost *o, const char *kind)
{
	for (unsigned int i = 0; o && i < o->nhist; i++)
		if (!strcmp(o->hist[i].kind, kind))
			return &o->hist[i];
	return NULL;
}

static uint64_t hist_get(const struct hist *h, uint64_t low)
{
	for (unsigned int i = 0; h && i < h->n; i++)
		if (h->low[i] == low)
			return h->count[i];
	return 0;
}

/* "ost IDX key value key value ..." lines of stats */
static int parse_stats(struct snap *s, char *text)
{
	char *save, *line, *tok, *ts;
	unsigned int idx;
	struct ost *o;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		tok = strtok_r(line, " ", &ts);
		if (!tok || strcmp(tok, "ost"))
			continue;
		tok = strtok_r(NULL, " ", &ts);
		if (!tok || sscanf(tok, "%u", &idx) != 1)
			return -EPROTO;
		o = snap_ost(s, idx);
		if (!o)
			return -ENOMEM;
		while ((tok = strtok_r(NULL, " ", &ts)) && o->nkeys < MAX_KEYS) {
			char *v = strtok_r(NULL, " ", &ts);

			if (!v)
				return -EPROTO;
			snprintf(o->key[o->nkeys], sizeof(o->key[0]), "%s", tok);
			o->val[o->nkeys++] = strtoull(v, NULL, 10);
		}
	}
	return 0;
}

/* "ost IDX KIND LOW:COUNT ..." lines of rpc_hist */
static int parse_hist(struct snap *s, char *text)
{
	char *save, *line, *tok, *ts;
	unsigned int idx;
	struct hist *h;
	struct ost *o;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		tok = strtok_r(line, " ", &ts);
		if (!tok || strcmp(tok, "ost"))
			continue;
		tok = strtok_r(NULL, " ", &ts);
		if (!tok || sscanf(tok, "%u", &idx) != 1)
			return -EPROTO;
		tok = strtok_r(NULL, " ", &ts);
		o = snap_ost(s, idx);
		if (!o)
			return -ENOMEM;
		if (!tok || o->nhist >= MAX_HIST)
			continue;
		h = &o->hist[o->nhist++];
		snprintf(h->kind, sizeof(h->kind), "%s", tok);
		while ((tok = strtok_r(NULL, " ", &ts)) && h->n < MAX_BUCKETS) {
			if (sscanf(tok, "%" SCNu64 ":%" SCNu64, &h->low[h->n],
				   &h->count[h->n]) != 2)
				return -EPROTO;
			h->n++;
		}
	}
	return 0;
}

static int cmp_ost(const void *a, const void *b)
{
	const struct ost *x = a, *y = b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* read the mount's stats, rpc_hist and rasize into m->cur */
static int snap_read(struct mnt *m)
{
	char path[PATH_MAX + 16], *text;
	int err;

	free(m->cur.ost);
	memset(&m->cur, 0, sizeof(m->cur));
	snprintf(path, sizeof(path), "%s/stats", m->dir);
	text = read_all(path);
	if (!text) {
		stats_err(m->path, "%s: %s", path, strerror(errno));
		return -1;
	}
	err = parse_stats(&m->cur, text);
	free(text);
	snprintf(path, sizeof(path), "%s/rpc_hist", m->dir);
	text = err ? NULL : read_all(path);
	if (!err && !text) {
		stats_err(m->path, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!err)
		err = parse_hist(&m->cur, text);
	free(text);
	if (err) {
		stats_err(m->path, "%s: cannot parse: %s", m->dir, strerror(-err));
		return -1;
	}
	qsort(m->cur.ost, m->cur.nost, sizeof(*m->cur.ost), cmp_ost);
	snprintf(path, sizeof(path), "%s/rasize", m->dir);
	text = read_all(path);
	if (text)
		text[strcspn(text, "\n")] = '\0';
	snprintf(m->cur.rasize, sizeof(m->cur.rasize), "%s", text ? text : "?");
	free(text);
	return 0;
}

/* the sysfs directory of the mount whose st_dev is @dev */
static int find_dir(struct mnt *m, dev_t dev)
{
	char suffix[64];
	struct dirent *d;
	size_t ls, ln;
	DIR *dir;

	snprintf(suffix, sizeof(suffix), "-%u:%u", major(dev), minor(dev));
	ls = strlen(suffix);
	dir = opendir(SYSFS_DIR);
	if (!dir) {
		stats_err(m->path, "%s: %s (is tessera.ko loaded?)", SYSFS_DIR,
			  strerror(errno));
		return -1;
	}
	while ((d = readdir(dir))) {
		ln = strlen(d->d_name);
		if (ln > ls && !strcmp(d->d_name + ln - ls, suffix)) {
			snprintf(m->name, sizeof(m->name), "%s", d->d_name);
			snprintf(m->dir, sizeof(m->dir), "%s/%s", SYSFS_DIR,
				 d->d_name);
			closedir(dir);
			return 0;
		}
	}
	closedir(dir);
	stats_err(m->path, "no %s/*%s: not a Tessera mount", SYSFS_DIR, suffix);
	return -1;
}

/* "\040" and the like of mountinfo, in place */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
			*w++ = (char)strtol((char[]){ s[1], s[2], s[3], 0 }, NULL, 8);
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* every tessera mount point of /proc/self/mountinfo; -1 on failure */
static int list_mounts(char paths[][PATH_MAX], int max)
{
	char line[8192], mp[PATH_MAX], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int n = 0;
	char *sep;

	if (!f) {
		fprintf(stderr, "tessctl: stats: /proc/self/mountinfo: %s\n",
			strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) && n < max) {
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s", fstype) != 1 ||
		    strcmp(fstype, "tessera"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		unescape(mp);
		snprintf(paths[n++], PATH_MAX, "%s", mp);
	}
	fclose(f);
	return n;
}

static const char *const cols[] = {
	"read_rpcs", "read_bytes", "write_rpcs", "write_bytes",
	"read_errors", "write_errors", "in_flight", "max_in_flight",
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

/* in_flight and max_in_flight are levels, not counts: never a rate */
static bool is_level(const char *key)
{
	return strstr(key, "in_flight") != NULL;
}

static void print_table(const struct mnt *m, double secs)
{
	const struct ost *o, *p;

	if (secs > 0)
		printf("%s (%s): per second over %.1f s\n", m->path, m->name, secs);
	else
		printf("%s (%s): rasize %s\n", m->path, m->name, m->cur.rasize);
	printf("%-5s", "OST");
	for (size_t c = 0; c < NCOLS; c++)
		printf(" %13s", cols[c]);
	printf("\n");
	for (unsigned int i = 0; i < m->cur.nost; i++) {
		o = &m->cur.ost[i];
		p = NULL;
		for (unsigned int j = 0; secs > 0 && j < m->prev.nost; j++)
			if (m->prev.ost[j].idx == o->idx)
				p = &m->prev.ost[j];
		printf("%-5u", o->idx);
		for (size_t c = 0; c < NCOLS; c++) {
			uint64_t v = ost_get(o, cols[c]);

			if (secs > 0 && !is_level(cols[c]))
				printf(" %13.0f", (double)(v - ost_get(p, cols[c])) / secs);
			else
				printf(" %13" PRIu64, v);
		}
		printf("\n");
	}
}

static void json_hist(const struct hist *h, const struct hist *ph, double secs)
{
	printf("{");
	for (unsigned int b = 0; h && b < h->n; b++) {
		printf("%s\"%" PRIu64 "\": ", b ? ", " : "", h->low[b]);
		if (secs > 0)
			printf("%.3f", (double)(h->count[b] - hist_get(ph, h->low[b])) / secs);
		else
			printf("%" PRIu64, h->count[b]);
	}
	printf("}");
}

static void print_json(const struct mnt *m, double secs, bool first)
{
	static const char *const kinds[] = {
		"read_lat_us", "write_lat_us", "read_pages", "write_pages",
	};
	const struct ost *o, *p;

	/* mount paths and sysfs names: no quotes or control characters */
	printf("%s{\"mount\": \"%s\", \"sysfs\": \"%s\", \"rasize\": \"%s\", ",
	       first ? "" : ", ", m->path, m->dir, m->cur.rasize);
	if (secs > 0)
		printf("\"interval\": %.3f, \"per_second\": true, ", secs);
	printf("\"osts\": [");
	for (unsigned int i = 0; i < m->cur.nost; i++) {
		o = &m->cur.ost[i];
		p = NULL;
		for (unsigned int j = 0; secs > 0 && j < m->prev.nost; j++)
			if (m->prev.ost[j].idx == o->idx)
				p = &m->prev.ost[j];
		printf("%s{\"ost\": %u", i ? ", " : "", o->idx);
		for (unsigned int k = 0; k < o->nkeys; k++) {
			if (secs > 0 && !is_level(o->key[k]))
				printf(", \"%s\": %.3f", o->key[k],
				       (double)(o->val[k] - ost_get(p, o->key[k])) / secs);
			else
				printf(", \"%s\": %" PRIu64, o->key[k], o->val[k]);
		}
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			printf(", \"%s\": ", kinds[k]);
			json_hist(ost_hist(o, kinds[k]), ost_hist(p, kinds[k]), secs);
		}
		printf("}");
	}
	printf("]}");
}

static bool json_safe(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: tessctl stats [MOUNT...] [-i SECONDS [-n COUNT]] [--json]\n"
		"       tessctl [--mds HOST[:PORT]@NET] --key FILE stats --servers [MOUNT]\n"
		"               [-i SECONDS [-n COUNT]] [--json]\n");
}

int tessctl_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static char paths[MAX_MOUNTS][PATH_MAX];
	struct mnt *mnts = NULL;
	struct interval iv = INTERVAL_INIT;
	double start, t0, t1 = 0;
	bool json = false;
	int o, n = 0, rc = 0;

	optind = 0;	/* re-initialise: main parsed with "+" */
	while ((o = getopt_long(argc, argv, "i:n:h", opts, NULL)) != -1) {
		switch (o) {
		case 'i':
		case 'n':
			if (interval_opt(&iv, o, optarg))
				return 2;
			break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (interval_check(&iv))
		return 2;
	if (optind < argc) {
		n = argc - optind;
		if (n > MAX_MOUNTS) {
			fprintf(stderr, "tessctl: stats: at most %d mounts\n", MAX_MOUNTS);
			return 2;
		}
		for (int i = 0; i < n; i++)
			snprintf(paths[i], PATH_MAX, "%s", argv[optind + i]);
	} else {
		n = list_mounts(paths, MAX_MOUNTS);
		if (n < 0)
			return 1;
		if (!n) {
			fprintf(stderr, "tessctl: stats: no Tessera mount\n");
			return 1;
		}
	}
	mnts = calloc(n, sizeof(*mnts));
	if (!mnts) {
		fprintf(stderr, "tessctl: stats: %s\n", strerror(ENOMEM));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct mnt *m = &mnts[i];
		struct stat st;

		m->path = paths[i];
		if (stat(m->path, &st)) {
			stats_err(m->path, "%s", strerror(errno));
			rc = 1;
			continue;
		}
		if (find_dir(m, st.st_dev) || snap_read(m)) {
			rc = 1;
			m->dir[0] = '\0';
			continue;
		}
		if (json && !json_safe(m->path)) {
			stats_err(m->path, "a path JSON would need escaped");
			rc = 1;
			m->dir[0] = '\0';
		}
	}
	/* the totals since mount, then the rates of each interval */
	start = t0 = interval_now();
	for (long round = 0;; round++) {
		bool first = true;

		if (json)
			printf("{\"mounts\": [");
		for (int i = 0; i < n; i++) {
			if (!mnts[i].dir[0])
				continue;
			if (json)
				print_json(&mnts[i], round ? t1 - t0 : 0, first);
			else
				print_table(&mnts[i], round ? t1 - t0 : 0);
			first = false;
		}
		if (json)
			printf("]}\n");
		fflush(stdout);
		if (!interval_more(&iv, round))
			break;
		if (round)
			t0 = t1;
		interval_wait(&iv, start, round);
		t1 = interval_now();
		for (int i = 0; i < n; i++) {
			struct mnt *m = &mnts[i];

			if (!m->dir[0])
				continue;
			free(m->prev.ost);
			m->prev = m->cur;
			memset(&m->cur, 0, sizeof(m->cur));
			if (snap_read(m)) {
				rc = 1;
				m->dir[0] = '\0';
			}
		}
		if (!json)
			printf("\n");
	}
	for (int i = 0; i < n; i++) {
		free(mnts[i].prev.ost);
		free(mnts[i].cur.ost);
	}
	free(mnts);
	return rc;
}
