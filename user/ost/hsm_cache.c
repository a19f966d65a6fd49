// SPDX-License-Identifier: MIT
/*
 * hsm_cache.c - the OST's bounded cache of data restored from S3
 * (hsm_cache.h).
 *
 * Locking: c->lock guards the table of objects and their stamps; it is
 * taken under hsm.c's lock (touch, forget) and never held while calling
 * into hsm.c.  c->shrink serialises releasing: the background thread and
 * restores that found the store full do not each release on their own
 * account what one of them already freed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "hsm.h"
#include "hsm_cache.h"

#define HT_BITS		12
#define HT_SIZE		(1u << HT_BITS)
#define TICK_MS		1000	/* the background thread's look at the store */
#define ROOM_MIN	(4u << 20)	/* a full store: free at least this */

struct ent {
	struct ent *next;
	uint64_t oid;
	uint64_t stamp;			/* last read or restore, ns (realtime) */
};

struct hsm_cache {
	int root;
	unsigned high, low;
	struct ost_hsm *hsm;
	pthread_mutex_t lock;		/* the table */
	pthread_cond_t kick;
	bool kicked;
	struct ent *ht[HT_SIZE];
	size_t count;
	pthread_mutex_t shrink;		/* one releaser at a time */
};

struct cand {				/* a snapshot entry */
	uint64_t oid, stamp;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct ent **slot(struct hsm_cache *c, uint64_t oid)
{
	return &c->ht[(oid * 0x9e3779b97f4a7c15ULL) >> (64 - HT_BITS)];
}

/* set oid's stamp (c->lock held); stamp 0 on a new entry only: "old" */
static void stamp_locked(struct hsm_cache *c, uint64_t oid, uint64_t stamp,
			 bool only_new)
{
	struct ent **pp = slot(c, oid), *e;

	for (e = *pp; e; e = e->next)
		if (e->oid == oid)
			break;
	if (e) {
		if (!only_new)
			e->stamp = stamp;
		return;
	}
	e = malloc(sizeof(*e));
	if (!e)
		return;		/* not tracked: not released by watermarks */
	e->oid = oid;
	e->stamp = stamp;
	e->next = *pp;
	*pp = e;
	c->count++;
}

void hsm_cache_touch(struct hsm_cache *c, uint64_t oid)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	stamp_locked(c, oid, now_ns(), false);
	pthread_mutex_unlock(&c->lock);
}

void hsm_cache_forget(struct hsm_cache *c, uint64_t oid)
{
	struct ent **pp, *e;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	for (pp = slot(c, oid); (e = *pp) != NULL; pp = &e->next)
		if (e->oid == oid) {
			*pp = e->next;
			free(e);
			c->count--;
			break;
		}
	pthread_mutex_unlock(&c->lock);
}

void hsm_cache_kick(struct hsm_cache *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->kicked = true;
	pthread_cond_signal(&c->kick);
	pthread_mutex_unlock(&c->lock);
}

struct space {				/* the store as df counts it */
	uint64_t used, avail;		/* bytes */
};

static int store_space(const struct hsm_cache *c, struct space *s)
{
	struct statvfs v;

	if (fstatvfs(c->root, &v))
		return -errno;
	s->used = (uint64_t)(v.f_blocks - v.f_bfree) * v.f_frsize;
	s->avail = (uint64_t)v.f_bavail * v.f_frsize;
	return 0;
}

/* more than pct percent of the store used? */
static bool above(const struct space *s, unsigned pct)
{
	return s->used * 100 > (s->used + s->avail) * pct;
}

static unsigned pct_used(const struct space *s)
{
	uint64_t total = s->used + s->avail;

	return total ? (unsigned)(s->used * 100 / total) : 0;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->stamp != y->stamp)
		return x->stamp < y->stamp ? -1 : 1;
	return x->oid < y->oid ? -1 : x->oid > y->oid;
}

/* every tracked object, least recently read first; NULL when none */
static struct cand *snapshot(struct hsm_cache *c, size_t *n)
{
	struct cand *v;
	size_t k = 0;

	pthread_mutex_lock(&c->lock);
	v = c->count ? malloc(c->count * sizeof(*v)) : NULL;
	for (uint32_t i = 0; v && i < HT_SIZE; i++)
		for (struct ent *e = c->ht[i]; e; e = e->next)
			v[k++] = (struct cand){ e->oid, e->stamp };
	pthread_mutex_unlock(&c->lock);
	if (v)
		qsort(v, k, sizeof(*v), cand_cmp);
	*n = k;
	return v;
}

/*
 * Release objects, least recently read first, until done(c, arg) says
 * enough (c->shrink held).  *freed gets the bytes released; returns the
 * number of objects released.
 */
static unsigned shrink(struct hsm_cache *c,
		       bool (*done)(const struct hsm_cache *, uint64_t),
		       uint64_t arg, uint64_t *freed, unsigned *kept)
{
	size_t n, i;
	struct cand *v = snapshot(c, &n);
	unsigned released = 0;

	*freed = 0;
	*kept = 0;
	for (i = 0; v && i < n && !done(c, arg); i++) {
		uint64_t b = 0;
		int rc = ost_hsm_evict(c->hsm, v[i].oid, &b);

		if (!rc) {
			released++;
			*freed += b;
		} else if (rc == -ENODATA) {
			hsm_cache_forget(c, v[i].oid);	/* nothing to release */
		} else {
			(*kept)++;	/* pinned, dirty or in use: stays */
		}
	}
	free(v);
	return released;
}

static bool at_low(const struct hsm_cache *c, uint64_t unused)
{
	struct space s = { 0, 0 };

	(void)unused;
	return store_space(c, &s) || !above(&s, c->low);
}

static bool has_room(const struct hsm_cache *c, uint64_t want)
{
	struct space s = { 0, 0 };

	return store_space(c, &s) || s.avail >= want;
}

/* enough for a user's write: room for it, and (watermarks on) at low */
static bool write_done(const struct hsm_cache *c, uint64_t want)
{
	return has_room(c, want) && (!c->high || at_low(c, 0));
}

/*
 * Release until done(c, 4 x need, at least ROOM_MIN) holds, for a
 * restore or a user's write (what).  True if there is room for need;
 * *released: how many objects went.
 */
static bool room_for(struct hsm_cache *c, uint64_t need,
		     bool (*done)(const struct hsm_cache *, uint64_t),
		     const char *what, unsigned *released)
{
	uint64_t want = need * 4 > ROOM_MIN ? need * 4 : ROOM_MIN, freed;
	unsigned kept;
	bool ok;

	*released = 0;
	if (!c || !c->hsm)
		return false;
	pthread_mutex_lock(&c->shrink);
	if (done(c, want)) {	/* someone else just made room */
		pthread_mutex_unlock(&c->shrink);
		return true;
	}
	*released = shrink(c, done, want, &freed, &kept);
	ok = has_room(c, need);
	pthread_mutex_unlock(&c->shrink);
	tlog("hsm cache: store full: released %u objects (%" PRIu64
	     " bytes) for a %s of %" PRIu64 " bytes%s", *released, freed,
	     what, need, ok ? "" : "; still no room (the rest is pinned, "
	     "written or in use)");
	return ok;
}

bool hsm_cache_make_room(struct hsm_cache *c, uint64_t need)
{
	unsigned released;

	return room_for(c, need, has_room, "restore", &released);
}

bool hsm_cache_write_room(struct hsm_cache *c, uint64_t need)
{
	unsigned released;
	bool ok = room_for(c, need, write_done, "write", &released);

	return released > 0 || ok;
}

/* the background thread: keep the store between low and high */
static void watermark_round(struct hsm_cache *c)
{
	struct space before, after;
	unsigned released, kept;
	uint64_t freed;

	if (store_space(c, &before) || !above(&before, c->high))
		return;
	pthread_mutex_lock(&c->shrink);
	released = shrink(c, at_low, 0, &freed, &kept);
	pthread_mutex_unlock(&c->shrink);
	if (store_space(c, &after))
		after = before;
	tlog("hsm cache: store %u%% used (--cache-high %u%%): released %u "
	     "objects (%" PRIu64 " bytes), now %u%%%s", pct_used(&before),
	     c->high, released, freed, pct_used(&after),
	     above(&after, c->low) && kept ?
	     " (the rest is pinned, written or in use)" : "");
}

/* learn every object with a sidecar: O/xx/<oid>.hsm, stamped by mtime */
static void learn_store(struct hsm_cache *c)
{
	size_t found = 0;

	for (unsigned d = 0; d < 256; d++) {
		char dir[8];
		struct dirent *de;
		DIR *dp;
		int fd;

		snprintf(dir, sizeof(dir), "O/%02x", d);
		fd = openat(c->root, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		dp = fdopendir(fd);
		if (!dp) {
			close(fd);
			continue;
		}
		while ((de = readdir(dp)) != NULL) {
			struct stat sb;
			char *end;
			uint64_t oid = strtoull(de->d_name, &end, 16);

			if (end == de->d_name || strcmp(end, ".hsm") ||
			    fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW))
				continue;
			pthread_mutex_lock(&c->lock);
			stamp_locked(c, oid, (uint64_t)sb.st_mtim.tv_sec *
				     1000000000u + (uint64_t)sb.st_mtim.tv_nsec,
				     true);
			pthread_mutex_unlock(&c->lock);
			found++;
		}
		closedir(dp);
	}
	tlog("hsm cache: %zu HSM objects in the store; restored data is "
	     "released %s", found, c->high ? "above --cache-high" :
	     "only when the store is full (--cache-high 0)");
}

static void *cache_main(void *arg)
{
	struct hsm_cache *c = arg;

	learn_store(c);
	for (;;) {
		struct timespec dl;

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += TICK_MS / 1000;
		pthread_mutex_lock(&c->lock);
		while (!c->kicked)
			if (pthread_cond_timedwait(&c->kick, &c->lock, &dl))
				break;
		c->kicked = false;
		pthread_mutex_unlock(&c->lock);
		if (c->high)
			watermark_round(c);
	}
	return NULL;
}

int hsm_cache_create(struct hsm_cache **out, int root, unsigned high,
		     unsigned low)
{
	struct hsm_cache *c;

	if (high > 100 || (high && low >= high))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->root = root;
	c->high = high;
	c->low = low;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->shrink, NULL);
	pthread_cond_init(&c->kick, NULL);
	*out = c;
	return 0;
}

int hsm_cache_start(struct hsm_cache *c, struct ost_hsm *h)
{
	pthread_t t;

	c->hsm = h;
	if (pthread_create(&t, NULL, cache_main, c))
		return -EAGAIN;
	pthread_detach(t);
	return 0;
}
