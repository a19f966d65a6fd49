// SPDX-License-Identifier: MIT
/*
 * test_replycache: the servers' per-client reply cache (user/lib/
 * replycache.c): a resent request gets the kept reply, a resend of one
 * still running waits for it, the per-client bound and the lease.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "replycache.h"
#include "tu.h"

static const uint8_t U1[16] = { 1 }, U2[16] = { 2 };

/* run a request to the end: begin must say RUN */
static int run(struct rcache *rc, const uint8_t *u, uint64_t xid,
	       uint16_t op, uint32_t status, const char *body)
{
	struct rcache_entry *t;
	struct rcache_reply r;

	if (rcache_begin(rc, u, xid, op, false, &t, &r) != RCACHE_RUN || !t)
		return -1;
	rcache_finish(rc, t, status, body, body ? (uint32_t)strlen(body) : 0);
	return 0;
}

TU_CASE(hit_replays_kept_reply)
{
	struct rcache *rc = rcache_create(16, 60000);
	struct rcache_entry *t;
	struct rcache_reply r;

	TU_EQ_INT(run(rc, U1, 5, 20, 0, "reply-of-5"), 0);
	TU_EQ_INT(rcache_begin(rc, U1, 5, 20, true, &t, &r), RCACHE_REPLAY);
	TU_EQ_U64(r.status, 0);
	TU_EQ_U64(r.body_len, 10);
	TU_CHECK(r.body && !memcmp(r.body, "reply-of-5", 10));
	rcache_reply_free(&r);
	/* an error status is kept as well */
	TU_EQ_INT(run(rc, U1, 6, 20, EEXIST, NULL), 0);
	TU_EQ_INT(rcache_begin(rc, U1, 6, 20, true, &t, &r), RCACHE_REPLAY);
	TU_EQ_U64(r.status, EEXIST);
	TU_EQ_U64(r.body_len, 0);
	rcache_reply_free(&r);
	/* another client's xid 5 is another request */
	TU_EQ_INT(rcache_begin(rc, U2, 5, 20, true, &t, &r), RCACHE_RUN);
	TU_CHECK(t != NULL);
	rcache_finish(rc, t, 0, NULL, 0);
	/* same xid, other opcode: not the same request, runs */
	TU_EQ_INT(rcache_begin(rc, U1, 5, 21, true, &t, &r), RCACHE_RUN);
	rcache_finish(rc, t, 0, NULL, 0);
	/* a resend of something never seen runs (and is recorded) */
	TU_EQ_INT(rcache_begin(rc, U1, 77, 20, true, &t, &r), RCACHE_RUN);
	TU_CHECK(t != NULL);
	rcache_finish(rc, t, 0, "x", 1);
	TU_EQ_INT(rcache_begin(rc, U1, 77, 20, true, &t, &r), RCACHE_REPLAY);
	rcache_reply_free(&r);
	rcache_free(rc);
}

TU_CASE(new_request_with_known_xid_replaces)
{
	struct rcache *rc = rcache_create(16, 60000);
	struct rcache_entry *t;
	struct rcache_reply r;

	TU_EQ_INT(run(rc, U1, 9, 20, 0, "old"), 0);
	/* not resent: the client means a new request (old kernel clients
	 * restart xids per connection); it runs and its reply is kept */
	TU_EQ_INT(run(rc, U1, 9, 20, 0, "new"), 0);
	TU_EQ_INT(rcache_begin(rc, U1, 9, 20, true, &t, &r), RCACHE_REPLAY);
	TU_CHECK(r.body_len == 3 && !memcmp(r.body, "new", 3));
	rcache_reply_free(&r);
	TU_EQ_U64(rcache_nentries(rc, U1), 1);
	rcache_free(rc);
}

struct waiter {
	struct rcache *rc;
	enum rcache_verdict v;
	struct rcache_reply r;
	int returned;
};

static void *wait_main(void *arg)
{
	struct waiter *w = arg;
	struct rcache_entry *t;

	w->v = rcache_begin(w->rc, U1, 42, 65, true, &t, &w->r);
	__atomic_store_n(&w->returned, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

TU_CASE(resend_waits_for_first_copy)
{
	struct rcache *rc = rcache_create(16, 60000);
	struct waiter w = { .rc = rc };
	struct rcache_entry *t;
	struct rcache_reply r;
	struct timespec until;
	pthread_t thr;

	TU_EQ_INT(rcache_begin(rc, U1, 42, 65, false, &t, &r), RCACHE_RUN);
	TU_CHECK(t != NULL);
	TU_EQ_INT(pthread_create(&thr, NULL, wait_main, &w), 0);
	usleep(200 * 1000);
	/* the first copy still runs: the resend must not have gone on */
	TU_EQ_INT(__atomic_load_n(&w.returned, __ATOMIC_SEQ_CST), 0);
	rcache_finish(rc, t, 0, "written", 7);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	TU_EQ_INT(pthread_timedjoin_np(thr, NULL, &until), 0);
	TU_EQ_INT(w.v, RCACHE_REPLAY);
	TU_EQ_U64(w.r.status, 0);
	TU_CHECK(w.r.body_len == 7 && !memcmp(w.r.body, "written", 7));
	rcache_reply_free(&w.r);
	rcache_free(rc);
}

TU_CASE(per_client_bound_drops_oldest)
{
	struct rcache *rc = rcache_create(4, 60000);
	struct rcache_entry *t;
	struct rcache_reply r;
	uint64_t x;

	for (x = 1; x <= 10; x++)
		TU_EQ_INT(run(rc, U1, x, 19, 0, "c"), 0);
	TU_EQ_U64(rcache_nentries(rc, U1), 4);
	/* 1..6 are gone: a resend runs; 7..10 are kept */
	TU_EQ_INT(rcache_begin(rc, U1, 6, 19, true, &t, &r), RCACHE_RUN);
	rcache_finish(rc, t, 0, NULL, 0);	/* now 7 went */
	TU_EQ_INT(rcache_begin(rc, U1, 10, 19, true, &t, &r), RCACHE_REPLAY);
	rcache_reply_free(&r);
	TU_EQ_U64(rcache_nentries(rc, U1), 4);
	/* a request still running is never evicted */
	TU_EQ_INT(rcache_begin(rc, U1, 100, 19, false, &t, &r), RCACHE_RUN);
	for (x = 200; x < 210; x++)
		TU_EQ_INT(run(rc, U1, x, 19, 0, NULL), 0);
	rcache_finish(rc, t, 0, "late", 4);
	TU_EQ_U64(rcache_nentries(rc, U1), 4);
	/* other clients have their own bound */
	TU_EQ_INT(run(rc, U2, 1, 19, 0, NULL), 0);
	TU_EQ_U64(rcache_nentries(rc, U2), 1);
	rcache_free(rc);
}

TU_CASE(lease_drops_idle_client)
{
	struct rcache *rc = rcache_create(16, 100);
	struct rcache_entry *t;
	struct rcache_reply r;

	rcache_client_up(rc, U1);
	rcache_client_up(rc, U1);		/* two connections */
	rcache_client_up(rc, U2);
	TU_EQ_INT(run(rc, U1, 1, 20, 0, "a"), 0);
	TU_EQ_INT(run(rc, U2, 1, 20, 0, "b"), 0);
	rcache_client_down(rc, U1);
	usleep(200 * 1000);
	TU_EQ_U64(rcache_sweep(rc), 0);		/* U1 has one connection up */
	rcache_client_down(rc, U1);
	rcache_client_down(rc, U2);
	usleep(50 * 1000);
	TU_EQ_U64(rcache_sweep(rc), 0);		/* within the lease */
	TU_EQ_INT(rcache_begin(rc, U1, 1, 20, true, &t, &r), RCACHE_REPLAY);
	rcache_reply_free(&r);
	/* U1 reconnects in time and keeps its replies; U2 does not */
	rcache_client_up(rc, U1);
	usleep(200 * 1000);
	TU_EQ_U64(rcache_sweep(rc), 1);
	TU_EQ_U64(rcache_nclients(rc), 1);
	TU_EQ_U64(rcache_nentries(rc, U1), 1);
	TU_EQ_U64(rcache_nentries(rc, U2), 0);
	rcache_client_down(rc, U1);
	usleep(200 * 1000);
	TU_EQ_U64(rcache_sweep(rc), 1);
	TU_EQ_U64(rcache_nclients(rc), 0);
	rcache_free(rc);
}

int main(void)
{
	tu_suite = "replycache";
	TU_RUN(hit_replays_kept_reply);
	TU_RUN(new_request_with_known_xid_replaces);
	TU_RUN(resend_waits_for_first_copy);
	TU_RUN(per_client_bound_drops_oldest);
	TU_RUN(lease_drops_idle_client);
	return tu_done();
}
