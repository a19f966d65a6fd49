/* SPDX-License-Identifier: MIT */
/*
 * fuzz_req.h - what the request-handler fuzzers (fuzz_mds.c, fuzz_ost.c)
 * share: an input is a sequence of requests, each
 *
 *	struct fz_rec (8 bytes), then body_len bytes of body, then
 *	bulk_len bytes of bulk
 *
 * (lengths cut to what the input holds).  Each request goes the way
 * tnet_recv_frame sends a received frame: TESS_HF_CRED block taken off,
 * tess_msg_check, and only then the daemon's handler; tests/fuzz/seeds.py
 * writes valid sequences.  Body and bulk are exact-size heap copies, so
 * that ASan sees a handler read past either.
 */
#ifndef TESS_FUZZ_REQ_H
#define TESS_FUZZ_REQ_H

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tess_wire.h"
#include "tnet.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_REQS	16	/* requests per input */

/* fz_rec.flags */
#define FZ_CRED		0x01	/* the body ends with a tess_cred block */
#define FZ_ROLE_SHIFT	1	/* 2 bits: TESS_ROLE_CLIENT + value */
#define FZ_FAR_PEER	0x08	/* from 192.0.2.1 (squashed), else 127.0.0.1 */
#define FZ_PEER2	0x10	/* the second client instance (uuid) */
#define FZ_OLD_PROTO	0x20	/* a protocol 2 connection */
/*
 * Without FZ_CRED: the caller's ids from fz_rec.pad, as if the body had
 * ended with a block (cheap for the fuzzer to reach users other than
 * root): uid 0 or 1000..1002 (bits 0-1), gid likewise (bits 2-3), and
 * 0..3 supplementary groups 1000.. (bits 4-5).
 */
#define FZ_USER		0x40

struct fz_rec {			/* little-endian */
	uint16_t opcode;
	uint8_t flags;
	uint8_t pad;
	uint16_t body_len;
	uint16_t bulk_len;
};

/* one request taken from the input */
struct fz_req {
	struct tnet_msg msg;
	uint8_t flags;
	void *body;		/* malloc'ed, exactly f.body_len bytes */
	void *bulk;		/* malloc'ed, exactly f.bulk_len bytes, or NULL */
};

static inline void *fz_dup(const uint8_t *p, size_t n)
{
	void *d = malloc(n ? n : 1);

	if (!d)
		abort();
	memcpy(d, p, n);
	return d;
}

static inline uint32_t fz_id(unsigned bits)
{
	return bits ? 999 + bits : 0;
}

/* the ids FZ_USER gives */
static inline void fz_user(struct tess_cred *c, uint8_t pad)
{
	uint32_t n = (pad >> 4) & 3;

	memset(c, 0, sizeof(*c));
	c->magic = cpu_to_le32(TESS_CRED_MAGIC);
	c->uid = cpu_to_le32(fz_id(pad & 3));
	c->gid = cpu_to_le32(fz_id((pad >> 2) & 3));
	c->ngroups = cpu_to_le32(n);
	for (uint32_t i = 0; i < n; i++)
		c->groups[i] = cpu_to_le32(1000 + i);
}

/*
 * The next request of *data (advanced past it): 1 when *r holds one that
 * passed the receive checks, 0 when it was refused (skip it), -1 at the
 * end of the input.
 */
static inline int fz_next(const uint8_t **data, size_t *size, uint64_t xid,
			  struct fz_req *r)
{
	struct fz_rec rec;
	size_t body, bulk;
	int rc;

	memset(r, 0, sizeof(*r));
	if (*size < sizeof(rec))
		return -1;
	memcpy(&rec, *data, sizeof(rec));
	*data += sizeof(rec);
	*size -= sizeof(rec);
	body = le16_to_cpu(rec.body_len);
	body = body < *size ? body : *size;
	r->body = fz_dup(*data, body);
	*data += body;
	*size -= body;
	bulk = le16_to_cpu(rec.bulk_len);
	bulk = bulk < *size ? bulk : *size;
	if (bulk)
		r->bulk = fz_dup(*data, bulk);
	*data += bulk;
	*size -= bulk;

	r->flags = rec.flags;
	r->msg.f.opcode = le16_to_cpu(rec.opcode);
	r->msg.f.flags = TESS_HF_REQUEST |
			 ((rec.flags & FZ_CRED) ? TESS_HF_CRED : 0);
	r->msg.f.xid = xid;
	r->msg.f.body_len = (uint32_t)body;
	r->msg.f.bulk_len = (uint32_t)bulk;
	r->msg.body = r->body;
	r->msg.bulk = r->bulk;
	/* as tnet_recv_frame: an opcode it does not know is refused; and
	 * serve_request answers a HELLO or AUTH after the handshake itself */
	if (r->msg.f.opcode >= TESS_OP_MAX || r->msg.f.opcode == 0 ||
	    r->msg.f.opcode == TESS_OP_HELLO || r->msg.f.opcode == TESS_OP_AUTH)
		return 0;
	if (rec.flags & FZ_CRED) {
		if (tnet_cred_take(&r->msg.f, r->msg.body, &r->msg.cred))
			return 0;
		r->msg.has_cred = true;
	} else if (rec.flags & FZ_USER) {
		fz_user(&r->msg.cred, rec.pad);
		r->msg.has_cred = true;
	}
	rc = tess_msg_check(&r->msg.f, r->msg.body);
	if (rc && getenv("FUZZ_LOG"))
		fprintf(stderr, "fuzz: %s refused by tess_msg_check: %d\n",
			tess_op_name(r->msg.f.opcode), rc);
	return rc ? 0 : 1;
}

static inline void fz_req_free(struct fz_req *r)
{
	free(r->body);
	free(r->bulk);
	r->body = r->bulk = NULL;
}

/* the server-side connection a request came on */
static inline void fz_conn(struct tnet_conn *c, uint8_t flags)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->role = TESS_ROLE_CLIENT + ((flags >> FZ_ROLE_SHIFT) & 3);
	c->version = (flags & FZ_OLD_PROTO) ? 2 : TESS_PROTO_VERSION;
	c->features = TESS_FEAT_BULK_CRC | TESS_FEAT_CRED;
	c->peer_uuid[0] = (flags & FZ_PEER2) ? 2 : 1;
	snprintf(c->peer, sizeof(c->peer), "%s:1023",
		 (flags & FZ_FAR_PEER) ? "192.0.2.1" : "127.0.0.1");
}

/*
 * What goes back must pass the client's checks: a reply the daemon
 * builds and its own peers would refuse is a bug, reported as a crash.
 */
static inline void fz_check_reply(const struct tnet_conn *c,
				  const struct tnet_msg *req, int status,
				  const struct tnet_reply *rep)
{
	struct tess_frame f;
	int rc;

	if (status)
		return;		/* sent without a body (tnet_server) */
	memset(&f, 0, sizeof(f));
	f.opcode = req->f.opcode;
	f.version = c->version;
	f.flags = TESS_HF_REPLY;
	f.xid = req->f.xid;
	f.body_len = rep->body.len;
	f.bulk_len = rep->bulk_len;
	rc = tess_msg_check(&f, rep->body.data);
	if (rc) {
		fprintf(stderr, "fuzz: the reply to %s (%u bytes, bulk %u) "
			"fails tess_msg_check: %d\n", tess_op_name(f.opcode),
			f.body_len, f.bulk_len, rc);
		abort();
	}
}

/*
 * A new directory NAME.XXXXXX under $FUZZ_TMPDIR (run.sh: /dev/shm when
 * it can, a store on tmpfs runs several times faster), else /tmp; it and
 * everything under it are removed at exit.
 */
static char fz_root[256];

static inline void fz_rm_tree(const char *dir);

static inline void fz_rm_root(void)
{
	fz_rm_tree(fz_root);
}

static inline const char *fz_mkroot(const char *name)
{
	const char *tmp = getenv("FUZZ_TMPDIR");

	snprintf(fz_root, sizeof(fz_root), "%s/%s.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp", name);
	if (!mkdtemp(fz_root)) {
		fprintf(stderr, "%s: mkdtemp %s: %s\n", name, fz_root,
			strerror(errno));
		exit(1);
	}
	atexit(fz_rm_root);
	return fz_root;
}

static inline int fz_rm_one(const char *path, const struct stat *st,
			    int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path))
		fprintf(stderr, "fuzz: remove %s: %s\n", path, strerror(errno));
	return 0;
}

/* remove dir and everything under it */
static inline void fz_rm_tree(const char *dir)
{
	nftw(dir, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif /* TESS_FUZZ_REQ_H */
