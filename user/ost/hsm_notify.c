// SPDX-License-Identifier: MIT
/*
 * hsm_notify.c - the OST's HSM news to the MDS (an object fully
 * present, first written, released): a queue and the thread that sends it.
 *
 * Part of the OST's HSM (hsm.h); the locking and the invariants are
 * described at the top of hsm.c, what the files share in hsm_int.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <unistd.h>

#include "hsm_int.h"

/* ---- MDS notifications ---- */

void hsm_notify(struct ost_hsm *h, const struct note *n)
{
	if (!h->have_mds)
		return;
	if (h->n_count == NOTE_QMAX) {
		tlog("hsm: MDS notification queue full; dropping the news "
		     "about ino %" PRIu64, n->ino);
		return;
	}
	h->nq[(h->n_head + h->n_count) % NOTE_QMAX] = *n;
	h->n_count++;
	pthread_cond_signal(&h->note_cond);
}

/* an object just became fully present: tell the MDS (lock held) */
void hsm_check_complete(struct ost_hsm *h, struct hobj *o)
{
	struct note n = { 0 };

	if (!o->loaded || o->complete_sent || o->npresent < o->h.nchunks)
		return;
	o->complete_sent = true;
	n.ino = o->h.ino;
	n.valid = TESS_HSMS_STRIPE;
	n.stripe = o->h.stripe;
	memcpy(n.etag, o->h.etag, sizeof(n.etag));
	tlog("hsm: oid %#" PRIx64 " (ino %" PRIu64 " stripe %u): every chunk "
	     "present", o->oid, o->h.ino, o->h.stripe);
	hsm_notify(h, &n);
}

static int send_note(struct tnet_conn *c, const struct note *n)
{
	uint8_t body[sizeof(struct tess_hsm_set_req) + TESS_S3_ETAG_MAX];
	struct tess_hsm_set_req r = { 0 };
	struct tnet_call call = { .op = TESS_OP_HSM_SET, .body = body };
	size_t el = n->valid & TESS_HSMS_STRIPE ? strlen(n->etag) : 0;

	r.ino = cpu_to_le64(n->ino);
	r.valid = cpu_to_le32(n->valid);
	r.state_set = cpu_to_le32(n->set);
	r.stripe = cpu_to_le32(n->stripe);
	r.etag_len = cpu_to_le16((uint16_t)el);
	memcpy(body, &r, sizeof(r));
	memcpy(body + sizeof(r), n->etag, el);
	call.body_len = (uint32_t)(sizeof(r) + el);
	return tnet_call(c, &call);
}

void *hsm_notifier_main(void *arg)
{
	struct ost_hsm *h = arg;
	struct tnet_conn *c = NULL;
	uint8_t uuid[16];
	char eb[128];
	int backoff = 250;

	tnet_random(uuid, sizeof(uuid));
	for (;;) {
		struct note n;
		int rc, err;

		pthread_mutex_lock(&h->lock);
		while (!h->n_count)
			pthread_cond_wait(&h->note_cond, &h->lock);
		n = h->nq[h->n_head];
		pthread_mutex_unlock(&h->lock);

		if (!c)
			c = tnet_connect(&h->mds, &h->key, TESS_ROLE_OST, uuid,
					 MDS_TIMEOUT_MS, &err);
		rc = c ? send_note(c, &n) : err;
		if (c && tnet_conn_dead(c)) {
			tnet_close(c);
			c = NULL;
		}
		if (rc && (!c || rc == -ETIMEDOUT)) {
			/* the MDS is away: keep the note, try again */
			usleep((useconds_t)backoff * 1000);
			backoff = backoff < 4000 ? backoff * 2 : 4000;
			continue;
		}
		backoff = 250;
		if (rc)
			tlog_level(LOG_WARNING, "hsm: MDS refused the news about ino %" PRIu64
			     " (%s): %s", n.ino, n.valid & TESS_HSMS_STRIPE ?
			     "object present" : n.valid & TESS_HSMS_UNPRESENT ?
			     "released" : "dirty", estr(rc, eb, sizeof(eb)));
		pthread_mutex_lock(&h->lock);
		h->n_head = (h->n_head + 1) % NOTE_QMAX;
		h->n_count--;
		pthread_mutex_unlock(&h->lock);
	}
	return NULL;
}
