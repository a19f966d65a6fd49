// SPDX-License-Identifier: MIT
/*
 * test_ost_synctrack: the objects each client wrote unstably, for its
 * OBJ_SYNC_OWN (user/ost/synctrack.c, issue #12): a client gets its own
 * objects only, once; past the per-client bound, or after a write the
 * table had no room for, the answer is "sync the store" until one did.
 */
#include <stdlib.h>
#include <string.h>

#include "tu.h"
#include "../../user/ost/synctrack.h"

static void uuid_of(uint8_t u[16], unsigned i)
{
	memset(u, 0, 16);
	memcpy(u, &i, sizeof(i));
	u[15] = 0x5a;
}

/* 0 and the count, or 1 (store) */
static int take(struct synctrack *t, unsigned client, uint32_t *n,
		uint64_t *first, uint64_t *gen)
{
	uint8_t u[16];
	uint64_t *oids;
	int rc;

	uuid_of(u, client);
	rc = synctrack_take(t, u, &oids, n, gen);
	*first = oids && *n ? oids[0] : 0;
	free(oids);
	return rc;
}

static void note(struct synctrack *t, unsigned client, uint64_t oid)
{
	uint8_t u[16];

	uuid_of(u, client);
	synctrack_note(t, u, oid);
}

TU_CASE(own_objects_only_once)
{
	struct synctrack *t = synctrack_create();
	uint64_t first, gen;
	uint32_t n;

	note(t, 1, 10);
	note(t, 1, 10);			/* the same object once */
	note(t, 1, 11);
	note(t, 2, 20);
	TU_EQ_INT(take(t, 3, &n, &first, &gen), 0);	/* wrote nothing */
	TU_EQ_U64(n, 0);
	TU_EQ_INT(take(t, 1, &n, &first, &gen), 0);
	TU_EQ_U64(n, 2);
	TU_EQ_U64(first, 10);
	TU_EQ_INT(take(t, 1, &n, &first, &gen), 0);	/* taken */
	TU_EQ_U64(n, 0);
	TU_EQ_INT(take(t, 2, &n, &first, &gen), 0);
	TU_EQ_U64(n, 1);
	TU_EQ_U64(first, 20);
	synctrack_destroy(t);
}

TU_CASE(overflow_syncs_the_store)
{
	struct synctrack *t = synctrack_create();
	uint64_t first, gen;
	uint32_t n;

	for (uint64_t i = 1; i <= SYNCTRACK_OIDS + 1; i++)
		note(t, 1, i);
	note(t, 2, 5);
	TU_EQ_INT(take(t, 1, &n, &first, &gen), 1);
	TU_EQ_INT(take(t, 1, &n, &first, &gen), 0);	/* fresh again */
	TU_EQ_U64(n, 0);
	TU_EQ_INT(take(t, 2, &n, &first, &gen), 0);	/* others unaffected */
	TU_EQ_U64(n, 1);
	/* a store sync that failed: the next ones are the store's too */
	for (uint64_t i = 1; i <= SYNCTRACK_OIDS + 1; i++)
		note(t, 1, i);
	TU_EQ_INT(take(t, 1, &n, &first, &gen), 1);
	synctrack_store_failed(t);
	TU_EQ_INT(take(t, 1, &n, &first, &gen), 1);
	synctrack_store_synced(t, gen);
	TU_EQ_INT(take(t, 1, &n, &first, &gen), 0);
	TU_EQ_U64(n, 0);
	synctrack_destroy(t);
}

TU_CASE(untracked_writes_until_a_store_sync)
{
	struct synctrack *t = synctrack_create();
	uint64_t first, gen;
	uint32_t n;

	for (unsigned c = 0; c < SYNCTRACK_CLIENTS; c++)
		note(t, c, 100 + c);
	note(t, 9999, 7);		/* no room: untracked */
	TU_EQ_INT(take(t, 9999, &n, &first, &gen), 1);
	TU_EQ_INT(take(t, 5, &n, &first, &gen), 1);	/* may be anyone's */
	synctrack_store_synced(t, gen);
	TU_EQ_INT(take(t, 9999, &n, &first, &gen), 0);
	TU_EQ_U64(n, 0);
	TU_EQ_INT(take(t, 6, &n, &first, &gen), 0);
	TU_EQ_U64(n, 1);
	TU_EQ_U64(first, 106);
	synctrack_destroy(t);
}

int main(void)
{
	tu_suite = "ost_synctrack";
	TU_RUN(own_objects_only_once);
	TU_RUN(overflow_syncs_the_store);
	TU_RUN(untracked_writes_until_a_store_sync);
	return tu_done();
}
