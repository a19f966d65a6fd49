// SPDX-License-Identifier: MIT
/*
 * tessctl_check.c - `tessctl check`, a small lfsck: the objects of the
 * OSTs against the owners the MDS knows.
 *
 *   1. every OST lists its object ids (OBJ_LIST, in pages);
 *   2. the MDS lists every object it knows an owner of (OBJ_SCAN, in
 *      pages): the objects of each file's layout, of the orphans being
 *      destroyed, and the ranges precreated and not handed out yet;
 *   3. a file's object no OST has is "missing" (only on OSTs whose store
 *      precreates: on an older store a never-written object is absent
 *      too), an object no one owns is an "orphan";
 *   4. each finding is checked again with OBJ_GETATTR, so that a file
 *      created or an orphan destroyed while the lists were taken is not
 *      reported.
 *
 * One line per finding on stdout:
 *   missing ost N oid 0xOID ino INO
 *   orphan ost N oid 0xOID
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessctl_check.h"
#include "tnet.h"

#define LIST_PAGE	TESS_OBJ_LIST_MAX
#define SCAN_PAGE	TESS_OBJ_SCAN_MAX

struct ost_objs {
	uint32_t index;
	bool precreated;		/* the store tells lost from unwritten */
	uint64_t *oid;			/* sorted */
	bool *owned;
	size_t n, cap;
};

struct check {
	struct tess_client *c;
	struct ost_objs *osts;
	int nosts;
	unsigned findings;
};

static int push(struct ost_objs *o, uint64_t oid)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 1024;
		uint64_t *v = realloc(o->oid, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		o->oid = v;
		o->cap = cap;
	}
	o->oid[o->n++] = oid;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* every object id of one OST */
static int list_ost(struct check *k, struct ost_objs *o)
{
	struct tess_obj_list_req r = { .max = cpu_to_le32(LIST_PAGE) };
	uint64_t after = 0;
	uint32_t flags = 0;
	int rc;

	do {
		struct tnet_call call = { .op = TESS_OP_OBJ_LIST, .body = &r,
					  .body_len = sizeof(r) };
		const struct tess_obj_list_rep *rep;
		const uint8_t *p;
		uint32_t n;

		r.after = cpu_to_le64(after);
		rc = tess_ost_call(k->c, o->index, &call);
		if (rc)
			return rc;
		rep = call.reply.body;
		n = le32_to_cpu(rep->count);
		flags = le32_to_cpu(rep->flags);
		p = (const uint8_t *)(rep + 1);
		for (uint32_t i = 0; i < n; i++, p += 8) {
			uint64_t v;

			memcpy(&v, p, 8);
			after = le64_to_cpu(v);
			rc = push(o, after);
			if (rc)
				return rc;
		}
		if (!n && !(flags & TESS_OBJL_EOF))
			return -EPROTO;		/* no progress */
	} while (!(flags & TESS_OBJL_EOF));
	o->precreated = flags & TESS_OBJL_PRECREATED;
	qsort(o->oid, o->n, sizeof(*o->oid), cmp_u64);
	o->owned = calloc(o->n ? o->n : 1, sizeof(*o->owned));
	return o->owned ? 0 : -ENOMEM;
}

static struct ost_objs *find_ost(struct check *k, uint32_t idx)
{
	for (int i = 0; i < k->nosts; i++)
		if (k->osts[i].index == idx)
			return &k->osts[i];
	return NULL;
}

/* index of the first oid >= oid */
static size_t lower(const struct ost_objs *o, uint64_t oid)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (o->oid[mid] < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* does the object exist now (a second look at a finding) */
static int exists_now(struct check *k, uint32_t idx, uint64_t oid)
{
	uint64_t size;
	int rc = tess_obj_stat(k->c, idx, oid, &size);

	return rc == 0 ? 1 : rc == -ENOENT ? 0 : rc;
}

static void owner(struct check *k, const struct tess_obj_owner *w)
{
	uint32_t idx = le32_to_cpu(w->ost_idx), kind = le32_to_cpu(w->kind);
	uint64_t oid = le64_to_cpu(w->oid), ino = le64_to_cpu(w->ino);
	uint64_t end = oid + le32_to_cpu(w->count);
	struct ost_objs *o = find_ost(k, idx);
	size_t at, i;
	bool present;

	if (!o) {
		if (kind == TESS_OWN_FILE) {
			printf("missing ost %u oid %#" PRIx64 " ino %" PRIu64
			       " (no such OST)\n", idx, oid, ino);
			k->findings++;
		}
		return;
	}
	at = lower(o, oid);
	present = at < o->n && o->oid[at] == oid;
	for (i = at; i < o->n && o->oid[i] < end; i++)
		o->owned[i] = true;
	/* an orphan's object may be gone already; a free one is not used */
	if (kind != TESS_OWN_FILE || present || !o->precreated)
		return;
	if (exists_now(k, idx, oid) == 0) {
		printf("missing ost %u oid %#" PRIx64 " ino %" PRIu64 "\n", idx,
		       oid, ino);
		k->findings++;
	}
}

/* every owner the MDS knows, marking the objects they own */
static int scan_mds(struct check *k)
{
	struct tess_obj_scan_req r = { .max = cpu_to_le32(SCAN_PAGE) };
	uint64_t cookie = 0;
	bool eof = false;
	int rc;

	while (!eof) {
		struct tnet_call call = { .op = TESS_OP_OBJ_SCAN, .body = &r,
					  .body_len = sizeof(r) };
		const struct tess_obj_scan_rep *rep;
		const struct tess_obj_owner *w;
		uint32_t n;

		r.cookie = cpu_to_le64(cookie);
		rc = tess_mds_call(k->c, &call);
		if (rc)
			return rc;
		rep = call.reply.body;
		n = le32_to_cpu(rep->count);
		eof = le32_to_cpu(rep->eof);
		w = (const struct tess_obj_owner *)(rep + 1);
		for (uint32_t i = 0; i < n; i++) {
			struct tess_obj_owner copy;

			memcpy(&copy, &w[i], sizeof(copy));
			owner(k, &copy);
		}
		if (!eof && le64_to_cpu(rep->cookie) == cookie)
			return -EPROTO;		/* no progress */
		cookie = le64_to_cpu(rep->cookie);
	}
	return 0;
}

static void report_orphans(struct check *k)
{
	for (int i = 0; i < k->nosts; i++) {
		struct ost_objs *o = &k->osts[i];

		for (size_t j = 0; j < o->n; j++) {
			if (o->owned[j] || exists_now(k, o->index, o->oid[j]) == 0)
				continue;
			printf("orphan ost %u oid %#" PRIx64 "\n", o->index,
			       o->oid[j]);
			k->findings++;
		}
	}
}

int tessctl_check(struct tess_client *c)
{
	static struct tess_ost list[TESS_MAX_OSTS];
	struct check k = { .c = c };
	int n, rc = 0, i;

	n = tess_ost_list(c, list, TESS_MAX_OSTS);
	if (n < 0) {
		fprintf(stderr, "tessctl: check: OST list: %s\n", strerror(-n));
		return 2;
	}
	k.osts = calloc(n ? (size_t)n : 1, sizeof(*k.osts));
	if (!k.osts)
		return 2;
	k.nosts = n;
	/* the OSTs first: what is created meanwhile has an owner by then */
	for (i = 0; i < n && !rc; i++) {
		k.osts[i].index = list[i].index;
		rc = list_ost(&k, &k.osts[i]);
		if (rc)
			fprintf(stderr, "tessctl: check: OST %u: cannot list "
				"objects: %s\n", list[i].index, strerror(-rc));
		else if (!k.osts[i].precreated)
			fprintf(stderr, "tessctl: check: OST %u: its store "
				"predates precreation: missing objects are not "
				"checked there\n", list[i].index);
	}
	if (!rc) {
		rc = scan_mds(&k);
		if (rc)
			fprintf(stderr, "tessctl: check: MDS object scan: %s\n",
				strerror(-rc));
	}
	if (!rc)
		report_orphans(&k);
	for (i = 0; i < n; i++) {
		free(k.osts[i].oid);
		free(k.osts[i].owned);
	}
	free(k.osts);
	if (rc)
		return 2;
	fflush(stdout);
	return k.findings ? 1 : 0;
}
