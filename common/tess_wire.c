// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tess_wire.c - encoding and checking of Tessera frames.
 *
 * Everything that arrives from a peer goes through tess_hdr_decode() and
 * tess_msg_check() before any handler reads it, so handlers may trust the
 * fixed part of a body and the lengths it declares.
 */
#include "tess_wire.h"

static const char *const op_names[TESS_OP_MAX] = {
	[TESS_OP_HELLO] = "hello",
	[TESS_OP_AUTH] = "auth",
	[TESS_OP_PING] = "ping",
	[TESS_OP_STATS] = "stats",
	[TESS_OP_LOOKUP] = "lookup",
	[TESS_OP_GETATTR] = "getattr",
	[TESS_OP_SETATTR] = "setattr",
	[TESS_OP_CREATE] = "create",
	[TESS_OP_MKDIR] = "mkdir",
	[TESS_OP_UNLINK] = "unlink",
	[TESS_OP_RMDIR] = "rmdir",
	[TESS_OP_RENAME] = "rename",
	[TESS_OP_LINK] = "link",
	[TESS_OP_SYMLINK] = "symlink",
	[TESS_OP_READLINK] = "readlink",
	[TESS_OP_READDIR] = "readdir",
	[TESS_OP_STATFS] = "statfs",
	[TESS_OP_GETXATTR] = "getxattr",
	[TESS_OP_SETXATTR] = "setxattr",
	[TESS_OP_LISTXATTR] = "listxattr",
	[TESS_OP_REMOVEXATTR] = "removexattr",
	[TESS_OP_GET_LAYOUT] = "get_layout",
	[TESS_OP_SET_LAYOUT] = "set_layout",
	[TESS_OP_OST_REGISTER] = "ost_register",
	[TESS_OP_OST_LIST] = "ost_list",
	[TESS_OP_OBJ_READ] = "obj_read",
	[TESS_OP_OBJ_WRITE] = "obj_write",
	[TESS_OP_OBJ_PUNCH] = "obj_punch",
	[TESS_OP_OBJ_GETATTR] = "obj_getattr",
	[TESS_OP_OBJ_DESTROY] = "obj_destroy",
	[TESS_OP_OBJ_SYNC] = "obj_sync",
	[TESS_OP_OBJ_STATFS] = "obj_statfs",
	[TESS_OP_HSM_SET] = "hsm_set",
	[TESS_OP_HSM_GET] = "hsm_get",
	[TESS_OP_OPEN] = "open",
	[TESS_OP_CLOSE] = "close",
	[TESS_OP_OBJ_HSM_SET] = "obj_hsm_set",
	[TESS_OP_OBJ_HSM_GET] = "obj_hsm_get",
	[TESS_OP_OST_REPLACE] = "ost_replace",
	[TESS_OP_OBJ_SCAN] = "obj_scan",
	[TESS_OP_OST_LEAVE] = "ost_leave",
	[TESS_OP_HSM_STATS] = "hsm_stats",
	[TESS_OP_OBJ_PRECREATE] = "obj_precreate",
	[TESS_OP_OBJ_LIST] = "obj_list",
	[TESS_OP_OBJ_SYNC_OWN] = "obj_sync_own",
};

const char *tess_op_name(u16 op)
{
	if (op < TESS_OP_MAX && op_names[op])
		return op_names[op];
	return "unknown";
}
TESS_EXPORT(tess_op_name);

void tess_hdr_encode(struct tess_hdr *h, const struct tess_frame *f)
{
	h->magic = cpu_to_le32(TESS_MAGIC);
	h->version = cpu_to_le16(f->version ? f->version : TESS_PROTO_VERSION);
	h->opcode = cpu_to_le16(f->opcode);
	h->xid = cpu_to_le64(f->xid);
	h->flags = cpu_to_le32(f->flags);
	h->status = cpu_to_le32(f->status);
	h->body_len = cpu_to_le32(f->body_len);
	h->bulk_len = cpu_to_le32(f->bulk_len);
	h->body_crc = cpu_to_le32(f->body_crc);
	h->bulk_crc = cpu_to_le32(f->bulk_crc);
	h->reserved = 0;
}
TESS_EXPORT(tess_hdr_encode);

int tess_hdr_decode(const struct tess_hdr *h, struct tess_frame *f)
{
	u32 dir;

	if (le32_to_cpu(h->magic) != TESS_MAGIC)
		return -EPROTO;
	f->version = le16_to_cpu(h->version);
	if (f->version < TESS_PROTO_MIN || f->version > TESS_PROTO_VERSION)
		return -EPROTO;
	f->opcode = le16_to_cpu(h->opcode);
	f->xid = le64_to_cpu(h->xid);
	f->flags = le32_to_cpu(h->flags);
	f->status = le32_to_cpu(h->status);
	f->body_len = le32_to_cpu(h->body_len);
	f->bulk_len = le32_to_cpu(h->bulk_len);
	f->body_crc = le32_to_cpu(h->body_crc);
	f->bulk_crc = le32_to_cpu(h->bulk_crc);

	if (f->flags & ~TESS_HF_KNOWN || h->reserved)
		return -EBADMSG;
	dir = f->flags & (TESS_HF_REQUEST | TESS_HF_REPLY);
	if (dir != TESS_HF_REQUEST && dir != TESS_HF_REPLY)
		return -EBADMSG;
	if (f->status > 4095)
		return -EBADMSG;
	if (f->body_len > TESS_MAX_BODY || f->bulk_len > TESS_MAX_BULK)
		return -EMSGSIZE;
	if (f->opcode >= TESS_OP_MAX || !op_names[f->opcode])
		return -EOPNOTSUPP;
	return 0;
}
TESS_EXPORT(tess_hdr_decode);

u32 tess_body_crc2(const struct tess_hdr *h, const void *body, u32 len,
		   const void *tail, u32 tail_len)
{
	struct tess_hdr tmp = *h;
	u32 crc;

	tmp.body_crc = 0;
	tmp.bulk_crc = 0;
	crc = tess_crc_update(tess_crc_init(), &tmp, sizeof(tmp));
	if (len)
		crc = tess_crc_update(crc, body, len);
	if (tail_len)
		crc = tess_crc_update(crc, tail, tail_len);
	return tess_crc_final(crc);
}
TESS_EXPORT(tess_body_crc2);

u32 tess_body_crc(const struct tess_hdr *h, const void *body, u32 len)
{
	return tess_body_crc2(h, body, len, NULL, 0);
}
TESS_EXPORT(tess_body_crc);

void tess_hdr_seal(struct tess_hdr *h, const void *body, u32 len)
{
	h->body_crc = cpu_to_le32(tess_body_crc(h, body, len));
}
TESS_EXPORT(tess_hdr_seal);

int tess_name_check(const char *name, u32 len)
{
	if (len == 0)
		return -EINVAL;
	if (len > TESS_NAME_MAX)
		return -ENAMETOOLONG;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return -EINVAL;
	if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
		return -EINVAL;
	return 0;
}
TESS_EXPORT(tess_name_check);

static int xattr_name_check(const char *name, u32 len)
{
	if (len == 0)
		return -EINVAL;
	if (len > TESS_XATTR_NAME_MAX)
		return -ERANGE;
	if (memchr(name, '\0', len))
		return -EINVAL;
	return 0;
}

/* a string of 1..max bytes without NUL */
static int str_check(const char *s, u32 len, u32 max)
{
	if (len == 0 || len > max)
		return -EINVAL;
	if (memchr(s, '\0', len))
		return -EINVAL;
	return 0;
}

int tess_layout_check(const struct tess_layout *l, u32 len)
{
	u32 count, nobjs, size, pattern;

	if (len < sizeof(*l) || (len - sizeof(*l)) % sizeof(struct tess_ost_obj))
		return -EBADMSG;
	nobjs = (len - sizeof(*l)) / sizeof(struct tess_ost_obj);
	count = le16_to_cpu(l->stripe_count);
	size = le32_to_cpu(l->stripe_size);
	pattern = le32_to_cpu(l->pattern);
	if (count > TESS_MAX_STRIPES || nobjs > TESS_MAX_STRIPES)
		return -EINVAL;
	if (nobjs && nobjs != count)
		return -EBADMSG;
	if (pattern != 0 && pattern != TESS_LAYOUT_RAID0)
		return -EINVAL;
	if (size && (size < TESS_STRIPE_SIZE_MIN || size > TESS_STRIPE_SIZE_MAX ||
		     size % TESS_STRIPE_SIZE_MIN))
		return -EINVAL;
	/* a layout that names objects is complete */
	if (nobjs && (pattern != TESS_LAYOUT_RAID0 || !size))
		return -EINVAL;
	return 0;
}
TESS_EXPORT(tess_layout_check);

/*
 * The S3 origin strings of an HSM body: bucket, key, etag in that order.
 * need: bit 0 bucket, bit 1 key, bit 2 etag must be present; the others
 * must have length 0.
 */
#define ORIGIN_BUCKET	1u
#define ORIGIN_KEY	2u
#define ORIGIN_ETAG	4u
#define ORIGIN_ALL	7u

static int pull_origin(struct tess_cursor *c, u32 need, u32 blen, u32 klen,
		       u32 elen)
{
	const u32 lens[3] = { blen, klen, elen };
	const u32 max[3] = { TESS_S3_BUCKET_MAX, TESS_S3_KEY_MAX,
			     TESS_S3_ETAG_MAX };
	u32 i;

	for (i = 0; i < 3; i++) {
		const char *p;
		int err;

		if (!(need & (1u << i))) {
			if (lens[i])
				return -EINVAL;
			continue;
		}
		p = tess_pull(c, lens[i]);
		if (!p)
			return -EBADMSG;
		err = str_check(p, lens[i], max[i]);
		if (err)
			return err;
		if (i == 0 && memchr(p, '/', lens[i]))
			return -EINVAL;
	}
	return 0;
}

/*
 * The origin's location after its strings (TESS_FEAT_HSM_LOC): an
 * endpoint "http[s]://HOST[:PORT]" (HOST: letters, digits, '.', '-', or
 * an IPv6 literal in brackets; nothing else: no path, user or query)
 * and a region of lower-case letters, digits and '-'.  Only with a new
 * origin (origin true); flags TESS_HSM_LOC_KNOWN.
 */
static bool loc_char(char ch, bool region)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')
		return true;
	if (region)
		return false;
	return (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == ':' ||
	       ch == '[' || ch == ']';
}

static int pull_loc(struct tess_cursor *c, bool origin, u32 elen, u32 rlen,
		    u32 flags)
{
	const char *p;
	u32 i, skip;

	if (flags & ~TESS_HSM_LOC_KNOWN)
		return -EINVAL;
	if (!origin && (elen || rlen || flags))
		return -EINVAL;
	if (elen > TESS_S3_ENDPOINT_MAX || rlen > TESS_S3_REGION_MAX)
		return -EINVAL;
	if (elen) {
		p = tess_pull(c, elen);
		if (!p)
			return -EBADMSG;
		if (elen > 7 && !memcmp(p, "http://", 7))
			skip = 7;
		else if (elen > 8 && !memcmp(p, "https://", 8))
			skip = 8;
		else
			return -EINVAL;
		for (i = skip; i < elen; i++)
			if (!loc_char(p[i], false))
				return -EINVAL;
	}
	if (rlen) {
		p = tess_pull(c, rlen);
		if (!p)
			return -EBADMSG;
		for (i = 0; i < rlen; i++)
			if (!loc_char(p[i], true))
				return -EINVAL;
	}
	return 0;
}

/* an object geometry of an OBJ_HSM_SET */
static int hsm_geom_check(u32 stripe, u32 count, u32 size)
{
	if (!count || count > TESS_MAX_STRIPES || stripe >= count)
		return -EINVAL;
	if (size < TESS_STRIPE_SIZE_MIN || size > TESS_STRIPE_SIZE_MAX ||
	    size % TESS_STRIPE_SIZE_MIN)
		return -EINVAL;
	return 0;
}

static int check_hsm_set(struct tess_cursor *c)
{
	const struct tess_hsm_set_req *r = tess_pull(c, sizeof(*r));
	u32 valid, need = 0;

	if (!r)
		return -EBADMSG;
	valid = le32_to_cpu(r->valid);
	if (!valid || valid & ~TESS_HSMS_KNOWN)
		return -EINVAL;
	if ((le32_to_cpu(r->state_set) | le32_to_cpu(r->state_clear)) &
	    ~TESS_HSM_ALL)
		return -EINVAL;
	if (le32_to_cpu(r->stripe) >= TESS_MAX_STRIPES)
		return -EINVAL;
	if (le32_to_cpu(r->mtime_nsec) >= 1000000000u ||
	    le64_to_cpu(r->size) > (1ULL << 62))
		return -EINVAL;
	if ((valid & TESS_HSMS_REMOVE) && valid != TESS_HSMS_REMOVE)
		return -EINVAL;
	if (valid & TESS_HSMS_ORIGIN)
		need = ORIGIN_ALL;
	else if (valid & TESS_HSMS_STRIPE)
		need = ORIGIN_ETAG;
	if ((valid & TESS_HSMS_ATTRS) && !(valid & TESS_HSMS_ORIGIN))
		return -EINVAL;
	return pull_origin(c, need, le16_to_cpu(r->bucket_len),
			   le16_to_cpu(r->key_len), le16_to_cpu(r->etag_len));
}

static int check_obj_hsm_set(struct tess_cursor *c)
{
	const struct tess_obj_hsm_set_req *r = tess_pull(c, sizeof(*r));
	u32 mode, need = 0;
	int err;

	if (!r)
		return -EBADMSG;
	mode = le32_to_cpu(r->mode);
	switch (mode) {
	case TESS_OHSM_STUB:
	case TESS_OHSM_ARCHIVED:
		need = ORIGIN_ALL;
		err = hsm_geom_check(le32_to_cpu(r->stripe),
				     le16_to_cpu(r->stripe_count),
				     le32_to_cpu(r->stripe_size));
		if (err)
			return err;
		if (le64_to_cpu(r->file_size) > (1ULL << 62))
			return -EFBIG;
		break;
	case TESS_OHSM_RELEASE:
	case TESS_OHSM_REMOVE:
	case TESS_OHSM_PIN:
	case TESS_OHSM_UNPIN:
		break;
	default:
		return -EINVAL;
	}
	err = pull_origin(c, need, le16_to_cpu(r->bucket_len),
			  le16_to_cpu(r->key_len), le16_to_cpu(r->etag_len));
	if (err)
		return err;
	return pull_loc(c, need == ORIGIN_ALL, le16_to_cpu(r->endpoint_len),
			r->region_len, r->loc_flags);
}

/* origin strings of a reply: each may be absent (0), else checked */
static int pull_rep_origin(struct tess_cursor *c, u32 blen, u32 klen, u32 elen)
{
	u32 need = (blen ? ORIGIN_BUCKET : 0) | (klen ? ORIGIN_KEY : 0) |
		   (elen ? ORIGIN_ETAG : 0);
	int err = pull_origin(c, need, blen, klen, elen);

	return err ? -EBADMSG : 0;
}

/* pull a name of len bytes and check it as a path component */
static int pull_name(struct tess_cursor *c, u32 len)
{
	const char *s = tess_pull(c, len);

	return s ? tess_name_check(s, len) : -EBADMSG;
}

/* OBJ_PRECREATE: a nonempty, bounded range of nonzero oids */
static int check_precreate(struct tess_cursor *c)
{
	const struct tess_obj_precreate_req *r = tess_pull(c, sizeof(*r));
	u64 first;
	u32 n;

	if (!r)
		return -EBADMSG;
	first = le64_to_cpu(r->first_oid);
	n = le32_to_cpu(r->count);
	if (!first || n < 1 || n > TESS_PRECREATE_MAX || first + n < first)
		return -EINVAL;
	return 0;
}

/* HSM_STATS: 1 .. TESS_HSM_STATS_MAX inos, or as many records back */
static int check_hsm_stats(struct tess_cursor *c, bool rep)
{
	const struct tess_hsm_stats_req *r = tess_pull(c, sizeof(*r));
	u32 i, n;

	if (!r)
		return -EBADMSG;
	n = le32_to_cpu(r->count);
	if (n > TESS_HSM_STATS_MAX || (!rep && !n))
		return rep ? -EBADMSG : -EINVAL;
	if (!rep)
		return tess_pull(c, n * 8) ? 0 : -EBADMSG;
	for (i = 0; i < n; i++) {
		const struct tess_hsm_stat *h = tess_pull(c, sizeof(*h));

		if (!h || le32_to_cpu(h->hsm_state) & ~TESS_HSM_ALL)
			return -EBADMSG;
	}
	return 0;
}

/*
 * STATS reply: the fixed part, then nops per-opcode records in increasing
 * opcode order, pad zero
 */
static int check_stats_rep(struct tess_cursor *c)
{
	const struct tess_stats_rep *r = tess_pull(c, sizeof(*r));
	u32 i, n;
	int prev = -1;

	if (!r)
		return -EBADMSG;
	n = le32_to_cpu(r->nops);
	if (n > TESS_STATS_OPS_MAX)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		const struct tess_stats_op *o = tess_pull(c, sizeof(*o));

		if (!o || o->pad0 || o->pad1 ||
		    (int)le16_to_cpu(o->opcode) <= prev)
			return -EBADMSG;
		prev = le16_to_cpu(o->opcode);
	}
	return 0;
}

static int check_request(const struct tess_frame *f, struct tess_cursor *c)
{
	const struct tess_name_req *nr;
	const struct tess_create_req *cr;
	const struct tess_symlink_req *sr;
	const struct tess_rename_req *rr;
	const struct tess_link_req *lr;
	const struct tess_xattr_req *xr;
	const struct tess_set_layout_req *slr;
	const struct tess_ost_register_req *orr;
	const struct tess_obj_io_req *io;
	const struct tess_obj_punch_req *pr;
	const struct tess_setattr_req *sa;
	const struct tess_readdir_req *rd;
	const struct tess_obj_hsm_get_req *hg;
	const struct tess_open_req *orq;
	const struct tess_obj_list_req *ol;
	const struct tess_obj_scan_req *os;
	const void *p;
	u32 n;
	int err;

	switch (f->opcode) {
	case TESS_OP_HELLO:
		return tess_pull(c, sizeof(struct tess_hello_req)) ? 0 : -EBADMSG;
	case TESS_OP_AUTH:
		return tess_pull(c, sizeof(struct tess_auth_req)) ? 0 : -EBADMSG;
	case TESS_OP_PING:
	case TESS_OP_STATS:
	case TESS_OP_STATFS:
	case TESS_OP_OST_LIST:
	case TESS_OP_OBJ_STATFS:
	case TESS_OP_OBJ_SYNC_OWN:
		return 0;
	case TESS_OP_GETATTR:
	case TESS_OP_READLINK:
	case TESS_OP_GET_LAYOUT:
	case TESS_OP_HSM_GET:
		return tess_pull(c, sizeof(struct tess_ino_req)) ? 0 : -EBADMSG;
	case TESS_OP_OPEN:
	case TESS_OP_CLOSE:
		orq = tess_pull(c, sizeof(*orq));
		if (!orq)
			return -EBADMSG;
		return le32_to_cpu(orq->flags) & ~TESS_OPEN_KNOWN ? -EINVAL : 0;
	case TESS_OP_HSM_SET:
		return check_hsm_set(c);
	case TESS_OP_OBJ_HSM_SET:
		return check_obj_hsm_set(c);
	case TESS_OP_OBJ_HSM_GET:
		hg = tess_pull(c, sizeof(*hg));
		if (!hg)
			return -EBADMSG;
		return le32_to_cpu(hg->bitmap_max) > TESS_HSM_BITMAP_MAX ?
			-EINVAL : 0;
	case TESS_OP_LOOKUP:
	case TESS_OP_UNLINK:
	case TESS_OP_RMDIR:
		nr = tess_pull(c, sizeof(*nr));
		if (!nr)
			return -EBADMSG;
		return pull_name(c, le32_to_cpu(nr->name_len));
	case TESS_OP_SETATTR:
		sa = tess_pull(c, sizeof(*sa));
		if (!sa)
			return -EBADMSG;
		return le32_to_cpu(sa->valid) & ~TESS_SA_KNOWN ? -EINVAL : 0;
	case TESS_OP_CREATE:
	case TESS_OP_MKDIR:
		cr = tess_pull(c, sizeof(*cr));
		if (!cr)
			return -EBADMSG;
		n = le32_to_cpu(cr->layout_len);
		if (n) {
			if (f->opcode == TESS_OP_MKDIR)
				return -EINVAL;
			p = tess_pull(c, n);
			if (!p)
				return -EBADMSG;
			err = tess_layout_check(p, n);
			if (err)
				return err;
		}
		return pull_name(c, le32_to_cpu(cr->name_len));
	case TESS_OP_SYMLINK:
		sr = tess_pull(c, sizeof(*sr));
		if (!sr)
			return -EBADMSG;
		err = pull_name(c, le32_to_cpu(sr->name_len));
		if (err)
			return err;
		n = le32_to_cpu(sr->target_len);
		p = tess_pull(c, n);
		if (!p)
			return -EBADMSG;
		if (n > TESS_SYMLINK_MAX)
			return -ENAMETOOLONG;
		return str_check(p, n, TESS_SYMLINK_MAX);
	case TESS_OP_RENAME:
		rr = tess_pull(c, sizeof(*rr));
		if (!rr)
			return -EBADMSG;
		if (le32_to_cpu(rr->flags) & ~TESS_RENAME_NOREPLACE)
			return -EINVAL;
		err = pull_name(c, le32_to_cpu(rr->old_len));
		return err ? err : pull_name(c, le32_to_cpu(rr->new_len));
	case TESS_OP_LINK:
		lr = tess_pull(c, sizeof(*lr));
		if (!lr)
			return -EBADMSG;
		return pull_name(c, le32_to_cpu(lr->name_len));
	case TESS_OP_READDIR:
		rd = tess_pull(c, sizeof(*rd));
		if (!rd)
			return -EBADMSG;
		n = le32_to_cpu(rd->max_bytes);
		if (le32_to_cpu(rd->flags) & ~(u32)TESS_READDIR_FLAGS)
			return -EINVAL;
		return n > TESS_MAX_BODY || n < sizeof(struct tess_readdir_rep) ?
			-EINVAL : 0;
	case TESS_OP_GETXATTR:
	case TESS_OP_SETXATTR:
	case TESS_OP_LISTXATTR:
	case TESS_OP_REMOVEXATTR:
		xr = tess_pull(c, sizeof(*xr));
		if (!xr)
			return -EBADMSG;
		n = le32_to_cpu(xr->name_len);
		if (f->opcode == TESS_OP_LISTXATTR) {
			if (n)
				return -EINVAL;
		} else {
			p = tess_pull(c, n);
			if (!p)
				return -EBADMSG;
			err = xattr_name_check(p, n);
			if (err)
				return err;
		}
		n = le32_to_cpu(xr->value_len);
		if (n > TESS_XATTR_SIZE_MAX)
			return -E2BIG;
		if (f->opcode == TESS_OP_SETXATTR)
			return tess_pull(c, n) ? 0 : -EBADMSG;
		return 0;
	case TESS_OP_SET_LAYOUT:
		slr = tess_pull(c, sizeof(*slr));
		if (!slr)
			return -EBADMSG;
		n = le32_to_cpu(slr->layout_len);
		p = tess_pull(c, n);
		return p ? tess_layout_check(p, n) : -EBADMSG;
	case TESS_OP_OBJ_PRECREATE:
		return check_precreate(c);
	case TESS_OP_OBJ_LIST:
		ol = tess_pull(c, sizeof(*ol));
		if (!ol)
			return -EBADMSG;
		n = le32_to_cpu(ol->max);
		return n < 1 || n > TESS_OBJ_LIST_MAX ? -EINVAL : 0;
	case TESS_OP_HSM_STATS:
		return check_hsm_stats(c, false);
	case TESS_OP_OBJ_SCAN:
		os = tess_pull(c, sizeof(*os));
		if (!os)
			return -EBADMSG;
		n = le32_to_cpu(os->max);
		return n < TESS_MAX_STRIPES || n > TESS_OBJ_SCAN_MAX ?
			-EINVAL : 0;
	case TESS_OP_OST_LEAVE:
		return tess_pull(c, sizeof(struct tess_ost_leave_req)) ?
			0 : -EBADMSG;
	case TESS_OP_OST_REGISTER:
	case TESS_OP_OST_REPLACE:
		orr = tess_pull(c, sizeof(*orr));
		if (!orr)
			return -EBADMSG;
		n = le32_to_cpu(orr->addr_len);
		p = tess_pull(c, n);
		if (!p)
			return -EBADMSG;
		if (le32_to_cpu(orr->index) >= TESS_MAX_OSTS)
			return -EINVAL;
		return str_check(p, n, TESS_ADDR_MAX);
	case TESS_OP_OBJ_READ:
	case TESS_OP_OBJ_WRITE:
		io = tess_pull(c, sizeof(*io));
		if (!io)
			return -EBADMSG;
		n = le32_to_cpu(io->length);
		if (n > TESS_MAX_BULK)
			return -EMSGSIZE;
		if (le64_to_cpu(io->offset) > (1ULL << 62) - n)
			return -EFBIG;
		if (f->opcode == TESS_OP_OBJ_WRITE && n != f->bulk_len)
			return -EBADMSG;
		return 0;
	case TESS_OP_OBJ_PUNCH:
		pr = tess_pull(c, sizeof(*pr));
		if (!pr)
			return -EBADMSG;
		n = le32_to_cpu(pr->mode);
		if (n != TESS_PUNCH_TRUNCATE && n != TESS_PUNCH_HOLE &&
		    n != TESS_PUNCH_TRIM)
			return -EINVAL;
		if (le32_to_cpu(pr->flags) & ~TESS_IO_SYNC)
			return -EINVAL;
		if (le64_to_cpu(pr->offset) > (1ULL << 62) ||
		    le64_to_cpu(pr->length) > (1ULL << 62))
			return -EFBIG;
		return 0;
	case TESS_OP_OBJ_GETATTR:
	case TESS_OP_OBJ_DESTROY:
	case TESS_OP_OBJ_SYNC:
		return tess_pull(c, sizeof(struct tess_obj_req)) ? 0 : -EBADMSG;
	}
	return -EOPNOTSUPP;
}

static int check_obj_list_rep(struct tess_cursor *c)
{
	const struct tess_obj_list_rep *r = tess_pull(c, sizeof(*r));
	u32 n;

	if (!r || le32_to_cpu(r->flags) & ~TESS_OBJL_KNOWN)
		return -EBADMSG;
	n = le32_to_cpu(r->count);
	if (n > TESS_OBJ_LIST_MAX)
		return -EBADMSG;
	return tess_pull(c, n * 8) ? 0 : -EBADMSG;
}

static int check_obj_scan_rep(struct tess_cursor *c)
{
	const struct tess_obj_scan_rep *r = tess_pull(c, sizeof(*r));
	u32 i, n;

	if (!r || le32_to_cpu(r->eof) > 1)
		return -EBADMSG;
	n = le32_to_cpu(r->count);
	if (n > TESS_OBJ_SCAN_MAX)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		const struct tess_obj_owner *o = tess_pull(c, sizeof(*o));
		u32 kind;

		if (!o)
			return -EBADMSG;
		kind = le32_to_cpu(o->kind);
		if (kind < TESS_OWN_FILE || kind > TESS_OWN_FREE ||
		    !le32_to_cpu(o->count) ||
		    (kind != TESS_OWN_FREE && le32_to_cpu(o->count) != 1) ||
		    le32_to_cpu(o->ost_idx) >= TESS_MAX_OSTS)
			return -EBADMSG;
	}
	return 0;
}

/*
 * A READDIR reply: count entries, each a dirent and its padded name and,
 * when the reply's eof word has TESS_READDIR_PLUS, a tess_dirent_plus
 * whose attr.ino is 0 or the entry's ino and whose flags are known.
 */
static int check_dirents(struct tess_cursor *c)
{
	const struct tess_readdir_rep *r = tess_pull(c, sizeof(*r));
	u32 i, count, eof;
	bool plus;

	if (!r)
		return -EBADMSG;
	count = le32_to_cpu(r->count);
	eof = le32_to_cpu(r->eof);
	if (eof & ~(u32)(TESS_READDIR_EOF | TESS_READDIR_PLUS))
		return -EBADMSG;
	plus = eof & TESS_READDIR_PLUS;
	for (i = 0; i < count; i++) {
		const struct tess_dirent *d = tess_pull(c, sizeof(*d));
		const char *name;
		u32 len;

		if (!d)
			return -EBADMSG;
		len = le32_to_cpu(d->name_len);
		if (len == 0 || len > TESS_NAME_MAX)
			return -EBADMSG;
		name = tess_pull(c, TESS_DIRENT_BYTES(len) - sizeof(*d));
		if (!name)
			return -EBADMSG;
		/* "." and ".." are legal here, '/' and NUL are not */
		if (memchr(name, '/', len) || memchr(name, '\0', len))
			return -EBADMSG;
		if (plus) {
			const struct tess_dirent_plus *p = tess_pull(c, sizeof(*p));
			u64 ino;

			if (!p || le32_to_cpu(p->xflags) & ~(u32)TESS_DPLUS_KNOWN)
				return -EBADMSG;
			ino = le64_to_cpu(p->attr.ino);
			if (ino && ino != le64_to_cpu(d->ino))
				return -EBADMSG;
		}
	}
	return 0;
}

/* the protocol version a frame was sent with (0: ours, as the encoder) */
static u16 reply_ver(const struct tess_frame *f)
{
	return f->version ? f->version : TESS_PROTO_VERSION;
}

static int check_reply(const struct tess_frame *f, struct tess_cursor *c)
{
	const struct tess_inode_rep *ir;
	const struct tess_readlink_rep *rl;
	const struct tess_ost_list_rep *ol;
	const struct tess_obj_io_rep *io;
	const struct tess_hsm_rep *hr;
	const struct tess_obj_hsm_rep *ohr;
	const void *p;
	u32 n, i;

	switch (f->opcode) {
	case TESS_OP_HELLO:
		return tess_pull(c, sizeof(struct tess_hello_rep)) ? 0 : -EBADMSG;
	case TESS_OP_LOOKUP:
	case TESS_OP_GETATTR:
	case TESS_OP_OPEN:
	case TESS_OP_SETATTR:
	case TESS_OP_CREATE:
	case TESS_OP_MKDIR:
	case TESS_OP_SYMLINK:
	case TESS_OP_LINK:
		ir = tess_pull(c, sizeof(*ir));
		if (!ir)
			return -EBADMSG;
		n = le32_to_cpu(ir->layout_len);
		if (!n)
			return 0;
		p = tess_pull(c, n);
		return p ? tess_layout_check(p, n) : -EBADMSG;
	case TESS_OP_READLINK:
		rl = tess_pull(c, sizeof(*rl));
		if (!rl)
			return -EBADMSG;
		n = le32_to_cpu(rl->len);
		p = tess_pull(c, n);
		return p ? str_check(p, n, TESS_SYMLINK_MAX) : -EBADMSG;
	case TESS_OP_READDIR:
		return check_dirents(c);
	case TESS_OP_STATFS:
	case TESS_OP_OBJ_STATFS:
		return tess_pull(c, sizeof(struct tess_statfs_rep)) ? 0 : -EBADMSG;
	case TESS_OP_GETXATTR:
	case TESS_OP_LISTXATTR:
		/* raw value or list, or a size reply */
		return tess_pull(c, c->left) && f->body_len <= TESS_XATTR_SIZE_MAX ?
			0 : -EBADMSG;
	case TESS_OP_GET_LAYOUT:
	case TESS_OP_SET_LAYOUT:
		if (!c->left)
			return 0;
		n = c->left;
		p = tess_pull(c, n);
		return tess_layout_check(p, n);
	case TESS_OP_OST_LIST:
		ol = tess_pull(c, sizeof(*ol));
		if (!ol)
			return -EBADMSG;
		n = le32_to_cpu(ol->count);
		if (n > TESS_MAX_OSTS)
			return -EBADMSG;
		for (i = 0; i < n; i++) {
			const struct tess_ost_info *oi = tess_pull(c, sizeof(*oi));

			if (!oi || !memchr(oi->addr, '\0', sizeof(oi->addr)))
				return -EBADMSG;
		}
		return 0;
	case TESS_OP_OBJ_READ:
	case TESS_OP_OBJ_WRITE:
		io = tess_pull(c, sizeof(*io));
		if (!io)
			return -EBADMSG;
		n = le32_to_cpu(io->length);
		if (f->opcode == TESS_OP_OBJ_READ && n != f->bulk_len)
			return -EBADMSG;
		/* protocol 3: the write verifier follows */
		if (f->opcode == TESS_OP_OBJ_WRITE && reply_ver(f) >= 3 &&
		    !tess_pull(c, sizeof(struct tess_obj_verf_rep)))
			return -EBADMSG;
		return 0;
	case TESS_OP_OBJ_SYNC:
	case TESS_OP_OBJ_SYNC_OWN:
		if (reply_ver(f) >= 3 &&
		    !tess_pull(c, sizeof(struct tess_obj_verf_rep)))
			return -EBADMSG;
		return 0;
	case TESS_OP_OBJ_GETATTR:
		return tess_pull(c, sizeof(struct tess_obj_attr_rep)) ? 0 : -EBADMSG;
	case TESS_OP_OBJ_LIST:
		return check_obj_list_rep(c);
	case TESS_OP_OBJ_SCAN:
		return check_obj_scan_rep(c);
	case TESS_OP_HSM_STATS:
		return check_hsm_stats(c, true);
	case TESS_OP_STATS:
		return check_stats_rep(c);
	case TESS_OP_HSM_SET:
	case TESS_OP_HSM_GET:
		hr = tess_pull(c, sizeof(*hr));
		if (!hr || le32_to_cpu(hr->state) & ~TESS_HSM_ALL)
			return -EBADMSG;
		return pull_rep_origin(c, le16_to_cpu(hr->bucket_len),
				       le16_to_cpu(hr->key_len),
				       le16_to_cpu(hr->etag_len));
	case TESS_OP_OBJ_HSM_GET:
		ohr = tess_pull(c, sizeof(*ohr));
		if (!ohr)
			return -EBADMSG;
		if (pull_rep_origin(c, le16_to_cpu(ohr->bucket_len),
				    le16_to_cpu(ohr->key_len),
				    le16_to_cpu(ohr->etag_len)))
			return -EBADMSG;
		n = le32_to_cpu(ohr->bitmap_len);
		if (n > TESS_HSM_BITMAP_MAX ||
		    n > (le32_to_cpu(ohr->nchunks) + 7) / 8 ||
		    le32_to_cpu(ohr->npresent) > le32_to_cpu(ohr->nchunks))
			return -EBADMSG;
		if (!tess_pull(c, n))
			return -EBADMSG;
		/* the origin's location (TESS_FEAT_HSM_LOC), 0s without */
		return pull_loc(c, le32_to_cpu(ohr->flags) & TESS_OHSM_F_HSM,
				le16_to_cpu(ohr->endpoint_len),
				ohr->region_len, ohr->loc_flags) ?
			-EBADMSG : 0;
	case TESS_OP_AUTH:
	case TESS_OP_PING:
	case TESS_OP_UNLINK:
	case TESS_OP_RMDIR:
	case TESS_OP_RENAME:
	case TESS_OP_SETXATTR:
	case TESS_OP_REMOVEXATTR:
	case TESS_OP_OST_REGISTER:
	case TESS_OP_OST_REPLACE:
	case TESS_OP_OST_LEAVE:
	case TESS_OP_OBJ_PRECREATE:
	case TESS_OP_OBJ_PUNCH:
	case TESS_OP_OBJ_DESTROY:
	case TESS_OP_OBJ_HSM_SET:
	case TESS_OP_CLOSE:
		return 0;
	}
	return -EOPNOTSUPP;
}

static bool carries_bulk(const struct tess_frame *f)
{
	if (f->flags & TESS_HF_REQUEST)
		return f->opcode == TESS_OP_OBJ_WRITE;
	return f->opcode == TESS_OP_OBJ_READ && f->status == 0;
}

int tess_msg_check(const struct tess_frame *f, const void *body)
{
	struct tess_cursor c;
	int err;

	if (f->bulk_len && !carries_bulk(f))
		return -EBADMSG;
	tess_cursor_init(&c, body, f->body_len);
	if (f->flags & TESS_HF_REPLY) {
		if (f->status)	/* error replies: at most a size hint */
			return f->body_len <= 64 ? 0 : -EBADMSG;
		err = check_reply(f, &c);
	} else {
		err = check_request(f, &c);
	}
	if (err)
		return err;
	/* trailing garbage is malformed too */
	return c.left ? -EBADMSG : 0;
}
TESS_EXPORT(tess_msg_check);

void *tess_buf_reserve(struct tess_buf *b, u32 n)
{
	void *p;

	if (b->err || n > b->cap - b->len) {
		b->err = -EMSGSIZE;
		return NULL;
	}
	p = b->data + b->len;
	memset(p, 0, n);
	b->len += n;
	return p;
}
TESS_EXPORT(tess_buf_reserve);

void tess_buf_put(struct tess_buf *b, const void *src, u32 n)
{
	void *p = tess_buf_reserve(b, n);

	if (p && n)
		memcpy(p, src, n);
}
TESS_EXPORT(tess_buf_put);
