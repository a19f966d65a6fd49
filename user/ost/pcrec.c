// SPDX-License-Identifier: MIT
/*
 * pcrec.c - the record of precreated object ranges (pcrec.h).  In memory
 * the ranges are kept sorted and merged (adjacent ones too), so a lookup
 * is a binary search.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "pcrec.h"

#define PCREC_NAME	"precreated"

struct range {
	uint64_t first, end;		/* [first, end) */
};

struct pcrec {
	pthread_mutex_t lock;
	int fd;				/* O_APPEND */
	struct range *r;
	size_t n, cap;
};

/* index of the last range with first <= oid, or -1 */
static long find(const struct pcrec *p, uint64_t oid)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p->r[mid].first <= oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/* add [first, end) to the sorted set, merging what it touches */
static int insert(struct pcrec *p, uint64_t first, uint64_t end)
{
	long i = find(p, first);
	size_t at, j;

	if (i >= 0 && p->r[i].end >= first) {
		at = (size_t)i;			/* extends range i */
		if (end > p->r[at].end)
			p->r[at].end = end;
	} else {
		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 64;
			struct range *r = realloc(p->r, cap * sizeof(*r));

			if (!r)
				return -ENOMEM;
			p->r = r;
			p->cap = cap;
		}
		at = (size_t)(i + 1);
		memmove(&p->r[at + 1], &p->r[at], (p->n - at) * sizeof(*p->r));
		p->r[at] = (struct range){ first, end };
		p->n++;
	}
	/* swallow the ranges after it that it now reaches */
	for (j = at + 1; j < p->n && p->r[j].first <= p->r[at].end; j++)
		if (p->r[j].end > p->r[at].end)
			p->r[at].end = p->r[j].end;
	memmove(&p->r[at + 1], &p->r[j], (p->n - j) * sizeof(*p->r));
	p->n -= j - (at + 1);
	return 0;
}

static int load(struct pcrec *p)
{
	uint64_t rec[2];
	off_t off = 0;
	ssize_t n;
	int rc;

	for (;;) {
		n = pread(p->fd, rec, sizeof(rec), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n < (ssize_t)sizeof(rec))
			break;		/* the end, or a torn last record */
		off += n;
		rec[0] = le64toh(rec[0]);
		rec[1] = le64toh(rec[1]);
		if (!rec[0] || !rec[1] || rec[0] + rec[1] < rec[0])
			continue;	/* not a range: skip it */
		rc = insert(p, rec[0], rec[0] + rec[1]);
		if (rc)
			return rc;
	}
	/* a torn record goes, so that the next append is aligned */
	if (n > 0 && ftruncate(p->fd, off))
		return -errno;
	return 0;
}

int pcrec_open(int rootfd, struct pcrec **out)
{
	struct pcrec *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	p->fd = openat(rootfd, PCREC_NAME, O_RDWR | O_APPEND | O_CLOEXEC);
	if (p->fd < 0 && errno == ENOENT) {
		p->fd = openat(rootfd, PCREC_NAME, O_RDWR | O_APPEND |
			       O_CREAT | O_CLOEXEC, 0644);
		if (p->fd >= 0 && (fsync(p->fd) || fsync(rootfd))) {
			rc = -errno;
			goto fail;
		}
	}
	if (p->fd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = load(p);
	if (rc)
		goto fail;
	*out = p;
	return 0;
fail:
	pcrec_close(p);
	return rc;
}

void pcrec_close(struct pcrec *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	pthread_mutex_destroy(&p->lock);
	free(p->r);
	free(p);
}

static bool covered(struct pcrec *p, uint64_t first, uint64_t end)
{
	long i = find(p, first);

	return i >= 0 && p->r[i].end >= end;
}

int pcrec_add(struct pcrec *p, uint64_t first, uint64_t count)
{
	uint64_t rec[2] = { htole64(first), htole64(count) };
	struct stat st;
	ssize_t n;
	int rc = 0;

	if (!first || !count || first + count < first)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	if (covered(p, first, first + count))
		goto out;
	if (fstat(p->fd, &st)) {
		rc = -errno;
		goto out;
	}
	n = write(p->fd, rec, sizeof(rec));
	if (n != (ssize_t)sizeof(rec)) {
		rc = n < 0 ? -errno : -EIO;
		/* no partial record before the next one */
		if (ftruncate(p->fd, st.st_size))
			rc = -errno;
		goto out;
	}
	if (fdatasync(p->fd)) {
		rc = -errno;
		goto out;
	}
	rc = insert(p, first, first + count);
out:
	pthread_mutex_unlock(&p->lock);
	return rc;
}

bool pcrec_has(struct pcrec *p, uint64_t oid)
{
	bool has;
	long i;

	pthread_mutex_lock(&p->lock);
	i = find(p, oid);
	has = i >= 0 && oid < p->r[i].end;
	pthread_mutex_unlock(&p->lock);
	return has;
}
