/* SPDX-License-Identifier: MIT */
/*
 * mds_tu.h - what the MDS unit tests share (test_mds_store.c,
 * test_mds_handlers.c): a scratch directory per program, stores opened
 * there with fake OSTs registered.  Static inline: each program has its
 * own copy and uses what it needs.
 */
#ifndef MDS_TU_H
#define MDS_TU_H

#include <stdio.h>
#include <stdlib.h>

#include "../../user/mds/store.h"

static char root_dir[] = "/tmp/tess_mds_test.XXXXXX";
static int ndirs;

static inline const char *newdir(void)
{
	static char path[300];

	snprintf(path, sizeof(path), "%s/s%d", root_dir, ndirs++);
	return path;
}

static inline struct mds_store *open_at(const char *dir, bool nosync)
{
	struct mds_store_opts o = { .dir = dir, .nosync = nosync,
				    .map_size = 256u << 20 };
	struct mds_store *s = NULL;
	char err[256];

	if (mds_store_open(&s, &o, err, sizeof(err)))
		fprintf(stderr, "open %s: %s\n", dir, err);
	return s;
}

static inline int add_osts(struct mds_store *s, int first, int n)
{
	uint8_t uuid[16] = { 0 };
	char addr[64];
	int i, rc;

	for (i = first; i < first + n; i++) {
		uuid[0] = (uint8_t)i;
		snprintf(addr, sizeof(addr), "127.0.0.1:%d@tcp", 17431 + i);
		rc = mds_ost_register(s, (uint32_t)i, addr, uuid, false);
		if (rc)
			return rc;
	}
	return 0;
}

static inline struct mds_store *open_new(int nosts)
{
	struct mds_store *s = open_at(newdir(), true);

	if (s && add_osts(s, 0, nosts)) {
		mds_store_free(s);
		return NULL;
	}
	return s;
}

#define N(str) str, (uint32_t)strlen(str)
#define ROOT TESS_ROOT_INO

static inline uint64_t orphans(struct mds_store *s)
{
	uint64_t n = 0;

	mds_orphan_count(s, &n);
	return n;
}

/* the scratch directory: made first, removed at the end */
static inline int mds_tu_setup(const char *prog)
{
	if (!mkdtemp(root_dir)) {
		perror("mkdtemp");
		return -1;
	}
	tlog_init(prog);
	return 0;
}

static inline void mds_tu_cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root_dir);
}

#endif
