// SPDX-License-Identifier: MIT
/*
 * test_mds_opens: open counts per (client, inode), the grace period after
 * start-up and the client lease (user/mds/opens.c).
 */
#include <pthread.h>
#include <unistd.h>

#include "../../user/mds/opens.h"
#include "tu.h"

static const uint8_t A[16] = { 0xa }, B[16] = { 0xb };
static int released;

static void hook(void *arg)
{
	(void)arg;
	released++;
}

TU_CASE(counts_per_client_and_inode)
{
	struct mds_opens *o;

	TU_EQ_INT(mds_opens_create(&o, 100, hook, NULL), 0);
	TU_EQ_U64(mds_opens_open(o, A, 7), 0);
	TU_EQ_U64(mds_opens_open(o, A, 7), 1);
	TU_EQ_U64(mds_opens_open(o, B, 7), 2);
	TU_EQ_U64(mds_opens_open(o, B, 8), 0);
	TU_EQ_U64(mds_opens_count(o, A, 7), 2);
	TU_EQ_U64(mds_opens_count(o, NULL, 7), 3);
	TU_CHECK(!mds_opens_close(o, A, 7));
	TU_CHECK(!mds_opens_close(o, A, 7));		/* B still has it */
	TU_CHECK(!mds_opens_close(o, A, 7));		/* none left: no-op */
	TU_EQ_U64(mds_opens_count(o, NULL, 7), 1);
	TU_CHECK(mds_opens_close(o, B, 7));
	TU_EQ_U64(mds_opens_count(o, NULL, 7), 0);
	TU_EQ_U64(mds_opens_count(o, NULL, 8), 1);
	mds_opens_free(o);
}

TU_CASE(grace_period_then_only_opens_are_busy)
{
	struct mds_opens *o;

	released = 0;
	TU_EQ_INT(mds_opens_create(&o, 150, hook, NULL), 0);
	TU_CHECK(mds_opens_in_grace(o));
	TU_CHECK(mds_opens_busy(o, 99));	/* nothing known yet */
	mds_opens_connected(o, A);		/* A is alive */
	mds_opens_open(o, A, 5);
	usleep(250 * 1000);
	TU_CHECK(!mds_opens_in_grace(o));
	mds_opens_expire(o);
	TU_EQ_INT(released, 1);			/* the end of the grace */
	TU_CHECK(!mds_opens_busy(o, 99));
	TU_CHECK(mds_opens_busy(o, 5));
	mds_opens_close(o, A, 5);
	TU_CHECK(!mds_opens_busy(o, 5));
	mds_opens_free(o);
}

TU_CASE(lease_drops_opens_of_gone_client)
{
	struct mds_opens *o;

	released = 0;
	TU_EQ_INT(mds_opens_create(&o, 150, hook, NULL), 0);
	usleep(200 * 1000);
	mds_opens_expire(o);			/* grace over */
	released = 0;
	mds_opens_connected(o, A);
	mds_opens_connected(o, A);
	mds_opens_connected(o, B);
	mds_opens_open(o, A, 1);
	mds_opens_open(o, B, 2);
	mds_opens_disconnected(o, A);
	mds_opens_disconnected(o, B);
	usleep(250 * 1000);
	mds_opens_expire(o);
	/* A has a connection up: keeps its open; B's lease ran out */
	TU_CHECK(mds_opens_busy(o, 1));
	TU_CHECK(!mds_opens_busy(o, 2));
	TU_EQ_INT(released, 1);
	/* B is back: starts with nothing */
	mds_opens_connected(o, B);
	TU_EQ_U64(mds_opens_count(o, B, 2), 0);
	/* A drops off and comes back in time: keeps its open */
	mds_opens_disconnected(o, A);
	usleep(50 * 1000);
	mds_opens_connected(o, A);
	mds_opens_expire(o);
	TU_EQ_U64(mds_opens_count(o, A, 1), 1);
	/* A drops off and returns late, before any expire pass: its opens
	 * are gone all the same */
	mds_opens_disconnected(o, A);
	usleep(250 * 1000);
	released = 0;
	mds_opens_connected(o, A);
	TU_EQ_U64(mds_opens_count(o, A, 1), 0);
	TU_EQ_INT(released, 1);
	mds_opens_free(o);
}

TU_CASE(thread_ends_lease_by_itself)
{
	struct mds_opens *o;
	int i;

	released = 0;
	TU_EQ_INT(mds_opens_create(&o, 100, hook, NULL), 0);
	TU_EQ_INT(mds_opens_start(o), 0);
	mds_opens_connected(o, A);
	mds_opens_open(o, A, 3);
	mds_opens_disconnected(o, A);
	for (i = 0; i < 100 && mds_opens_busy(o, 3); i++)
		usleep(20 * 1000);
	TU_CHECK(!mds_opens_busy(o, 3));
	TU_CHECK(__atomic_load_n(&released, __ATOMIC_SEQ_CST) >= 1);
	mds_opens_free(o);
}

static uint64_t dropped_ino[4];
static int ndropped;

static void on_dropped(void *arg, uint64_t ino)
{
	(void)arg;
	if (ndropped < 4)
		dropped_ino[ndropped++] = ino;
}

struct opener {
	struct mds_opens *o;
	int done;
};

static void *open_9(void *arg)
{
	struct opener *op = arg;

	mds_opens_open(op->o, B, 9);
	__atomic_store_n(&op->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* trims: hold only what nobody has open; an OPEN waits for the unhold */
TU_CASE(hold_excludes_open)
{
	struct mds_opens *o;
	struct opener op = { 0 };
	pthread_t t;

	TU_EQ_INT(mds_opens_create(&o, 100, hook, NULL), 0);
	TU_CHECK(!mds_opens_hold(o, 9));	/* the grace period */
	usleep(150 * 1000);
	mds_opens_expire(o);
	mds_opens_open(o, A, 8);
	TU_CHECK(!mds_opens_hold(o, 8));	/* open */
	TU_CHECK(mds_opens_hold(o, 9));
	TU_CHECK(!mds_opens_hold(o, 10));	/* one at a time */
	op.o = o;
	TU_EQ_INT(pthread_create(&t, NULL, open_9, &op), 0);
	usleep(100 * 1000);
	TU_EQ_INT(__atomic_load_n(&op.done, __ATOMIC_SEQ_CST), 0);
	mds_opens_unhold(o);
	pthread_join(t, NULL);
	TU_EQ_INT(op.done, 1);
	TU_EQ_U64(mds_opens_count(o, B, 9), 1);
	mds_opens_free(o);
}

/* a lease that runs out names the inodes its client had open */
TU_CASE(lease_end_names_dropped_inodes)
{
	struct mds_opens *o;

	ndropped = 0;
	TU_EQ_INT(mds_opens_create(&o, 100, hook, NULL), 0);
	mds_opens_set_dropped_fn(o, on_dropped, NULL);
	mds_opens_connected(o, A);
	mds_opens_open(o, A, 21);
	mds_opens_open(o, A, 21);
	mds_opens_connected(o, B);
	mds_opens_open(o, B, 22);
	mds_opens_disconnected(o, A);
	usleep(150 * 1000);
	mds_opens_expire(o);
	TU_EQ_INT(ndropped, 1);
	TU_EQ_U64(dropped_ino[0], 21);
	TU_EQ_U64(mds_opens_count(o, B, 22), 1);
	mds_opens_free(o);
}

int main(void)
{
	tu_suite = "mds_opens";
	TU_RUN(counts_per_client_and_inode);
	TU_RUN(grace_period_then_only_opens_are_busy);
	TU_RUN(lease_drops_opens_of_gone_client);
	TU_RUN(thread_ends_lease_by_itself);
	TU_RUN(hold_excludes_open);
	TU_RUN(lease_end_names_dropped_inodes);
	return tu_done();
}
