/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * tessera.h - the Tessera wire protocol and ioctl ABI.
 *
 * One header for the kernel client, the daemons and the tools.  Every
 * structure that crosses a socket or an ioctl is made of fixed-width
 * little-endian fields with explicit padding; nothing on the wire is a
 * pointer or a long.  Sizes are pinned by the _Static_asserts at the end.
 *
 * Frame:  struct tess_hdr | body (body_len bytes) | bulk (bulk_len bytes)
 *
 *   body_crc = CRC32C over the header (with body_crc and bulk_crc zero)
 *              followed by the body.
 *   bulk_crc = CRC32C over the bulk bytes, 0 when bulk_len is 0.
 *
 * A request carries TESS_HF_REQUEST, its reply TESS_HF_REPLY and the same
 * xid.  status is 0 or a positive Linux errno.  A reply body is only
 * meaningful when status is 0 (ERANGE replies of GETXATTR/LISTXATTR carry
 * the needed size, see below).
 *
 * Variable-length parts (names, targets, xattr values, layouts) follow the
 * fixed part of a body; structured parts (layouts, dirents) always start
 * 8-byte aligned, byte strings (names, values) come after them.
 * A decoder checks every length against the body length and the limits
 * below before it touches the bytes (see common/tess_wire.c).
 *
 * Connection setup (every connection, before any other opcode):
 *
 *   client                                     server
 *   HELLO  {ver range, features, role, uuid, Nc}  ->
 *          <-  {ver, features, Ns, HMAC(K, "tessera-server" | Nc | Ns)}
 *   AUTH   {HMAC(K, "tessera-client" | Ns | Nc)}  ->
 *          <-  status 0, or EACCES and the connection is closed
 *
 * K is the shared key from the key file; HMAC is HMAC-SHA256.  Both sides
 * prove that they hold K; neither sends it.
 *
 * From version 4 the two MACs cover the whole handshake, not only the
 * nonces, so that a man in the middle cannot change a version, a feature
 * (the security flavor), a role or a uuid without failing it:
 *
 *   T   = SHA-256(hello_req body | hello_rep body with mac zeroed)
 *   server mac = HMAC(K, "tessera-server-v4" | T)
 *   client mac = HMAC(K, "tessera-client-v4" | T)
 *
 * (the labels without their NUL).  A connection of version 3 or older
 * keeps the nonce-only MACs above and is always sec=auth.
 *
 * Security flavors (issue 12), negotiated in the features of HELLO:
 *   sec=auth       neither bit: the handshake only, frames carry CRC32C.
 *   sec=integrity  TESS_FEAT_SEC_INTEGRITY: every frame after the AUTH
 *                  reply carries a tag, see below.
 *   sec=privacy    TESS_FEAT_SEC_PRIVACY: as integrity, and body and bulk
 *                  are encrypted.
 * A client offers exactly the bit of the flavor it asks for (none for
 * auth) and refuses (EACCES) a HELLO reply that does not agree that bit.
 * A server agrees the client's bit when it supports it and refuses with
 * EACCES a HELLO whose flavor is weaker than its --sec; privacy counts as
 * stronger than integrity.  Both need version 4.
 *
 * Session keys (version 4, every flavor; only integrity and privacy use
 * them), HKDF-SHA256 (RFC 5869):
 *
 *   PRK = HKDF-Extract(salt = K, IKM = Nc | Ns) = HMAC(K, Nc | Ns)
 *   OKM = HKDF-Expand(PRK, info = "tessera-v4-session" | T, L = 72)
 *   key_c2s = OKM[0..31]  key_s2c = OKM[32..63]
 *   iv_c2s  = OKM[64..67] iv_s2c  = OKM[68..71]
 *
 * Protected frames (sec=integrity and sec=privacy): each direction counts
 * the frames it sends after the AUTH reply from seq 0 (the AUTH frames
 * themselves are not protected).  A protected frame is
 *
 *   struct tess_hdr | body | bulk | tag (TESS_SEC_TAG_LEN bytes)
 *
 * body_len and bulk_len do not count the tag.  AAD is the 48-byte header
 * as sent with body_crc and bulk_crc zero.
 *   integrity: tag = the first 16 bytes of
 *              HMAC(key_dir, seq (le64) | AAD | body | bulk);
 *              body and bulk are sent as they are.
 *   privacy:   AES-256-GCM with key_dir, a 12-byte IV of iv_dir | seq
 *              (le64), AAD as above, plaintext body | bulk; the
 *              ciphertext (same length) is sent in place of body and bulk,
 *              tag = the GCM tag.
 * body_crc and bulk_crc are computed as ever, over the bytes on the wire
 * (ciphertext under privacy).  A receiver that finds a wrong tag (an
 * altered, replayed, reordered or dropped frame: the seq it expects is not
 * the sender's) closes the connection; nothing of the frame is used.  A
 * frame the receiver throws away unread (a late reply, one given up in
 * its bulk) still counts in the seq; under privacy the kernel client
 * consumes such a frame with bulk without checking its tag (GCM checks a
 * whole frame, up to 16 MiB it would have to buffer), as nothing of it is
 * used.  A reply whose header fails a check is believed only once its tag
 * is: with a good tag the request fails (EPROTO), else it is resent.
 *
 * Changelog:
 *   1 - initial protocol: handshake, namespace, layouts, xattrs, objects,
 *       HSM state fields reserved in tess_attr.
 *   1 - HSM opcodes added (HSM_SET/HSM_GET on the MDS, OBJ_HSM_SET/
 *       OBJ_HSM_GET on the OSTs); nothing released yet, so no bump.
 *   2 - exactly-once requests: TESS_HF_RESENT and a per-client reply
 *       cache on every server; OPEN/CLOSE so the MDS keeps the objects
 *       of an unlinked file until its last close (or the client's lease
 *       runs out).
 *   3 - write verifier: OBJ_WRITE replies end with, and OBJ_SYNC replies
 *       are, a tess_obj_verf_rep carrying the OST's boot instance (as
 *       NFS's writeverf), so that a client can tell that an OST restarted
 *       between an unstable write and the sync that was to make it
 *       stable.  Sent only on connections that negotiated 3.
 *   3 - object lifecycle (issue 9): OBJ_PRECREATE (the MDS creates the
 *       objects of layouts on their OST before it hands them out),
 *       OST_REPLACE (a new store at a used OST index), OBJ_LIST and
 *       OBJ_SCAN (tessctl check).  New opcodes only: an older server
 *       answers them EOPNOTSUPP, so no bump.
 *   3 - caller credentials (issue 12): TESS_FEAT_CRED and TESS_HF_CRED,
 *       a struct tess_cred at the end of a request body (see below).
 *       Sent only when the server agreed TESS_FEAT_CRED, so no bump; a
 *       request without it still works (see tessera-mds(8)).
 *   3 - bounded HSM cache (issue 13): OBJ_HSM_SET modes TESS_OHSM_PIN
 *       and TESS_OHSM_UNPIN (an older OST answers EINVAL), flag
 *       TESS_OHSM_F_PINNED, and two OST-wide eviction counters at the
 *       end of tess_obj_hsm_rep (104 -> 120 bytes: a reply from an
 *       older OST is refused by tess_msg_check as too short).  No bump:
 *       HSM is not released yet.
 *   4 - handshake MACs over the whole handshake, session keys, security
 *       flavors sec=integrity and sec=privacy (issue 12).  A version 4
 *       peer still speaks 3 to an older one, as sec=auth.
 *   3 - HSM_STATS (issue 13): size, type and HSM state of up to
 *       TESS_HSM_STATS_MAX inodes in one request (hsm status of a
 *       large tree).  A new opcode: an older MDS answers EOPNOTSUPP and
 *       hsm falls back to a GETATTR a file, so no bump.
 *   4 - OBJ_SYNC_OWN (issue 12): a client syncs what it wrote with it;
 *       OBJ_SYNC oid 0 of a client is refused (EPERM).  New opcode
 *       only: an older OST answers EOPNOTSUPP, the kernel then falls
 *       back to OBJ_SYNC oid 0.
 *   4 - STATS (issue #11): a server's request counters and requests in
 *       flight (tessctl stats --servers), answered by every server.  New
 *       opcode only: an older server answers it EOPNOTSUPP, so no bump.
 *   4 - READDIRPLUS (issue #11): TESS_FEAT_READDIRPLUS, the request flag
 *       TESS_READDIR_PLUS (the former pad of tess_readdir_req, always 0
 *       before) and a struct tess_dirent_plus after each entry of such a
 *       reply.  Sent only to an MDS that agreed the feature (an older one
 *       ignored the pad), so no bump; the MDS refuses unknown flags
 *       (EINVAL).
 *   4 - HSM_LOC (issue #13): TESS_FEAT_HSM_LOC, endpoint_len, region_len
 *       and loc_flags of tess_obj_hsm_set_req (its former pad, always 0
 *       before) and the endpoint and region strings after the etag.  Sent
 *       only to an OST that agreed the feature (an older one ignored the
 *       pad and would not read them), so no bump.
 *   4 - HSM_LOC (issue #13): OBJ_HSM_GET replies carry the location
 *       back: endpoint_len, region_len and loc_flags of
 *       tess_obj_hsm_rep (its former pad, always 0 before) and the
 *       endpoint and region strings after the bitmap.  Sent only on a
 *       connection that agreed TESS_FEAT_HSM_LOC, so no bump.
 *   4 - CREATE_OPEN (issue #11): TESS_FEAT_CREATE_OPEN, the create flag
 *       TESS_CREATE_OPEN and open_flags of tess_create_req (its former
 *       pad, always 0 before): a CREATE that also opens the new file, as
 *       an OPEN would (one RPC for open(O_CREAT), as NFSv4's OPEN).  Sent
 *       only to an MDS that agreed the feature, so no bump; the MDS
 *       refuses unknown create flags and a nonzero open_flags without
 *       TESS_CREATE_OPEN (EINVAL).
 *   4 - STATFS def_stripe_count (issue #13): the stripe count a file
 *       made without a layout gets (hsm import), in the former pad of
 *       tess_statfs_rep.  An older MDS sent 0 there, read as "not told",
 *       and no decoder looked at the pad, so no bump.
 *
 * Exactly-once: a client keeps the xid of a request when it resends it
 * (after a reconnect or a request timeout) and sets TESS_HF_RESENT.  A
 * server keeps, per client instance (the HELLO uuid), the replies of the
 * requests that change state; a request whose (uuid, xid) it has seen is
 * not run again: it gets the reply that was sent, or, while the first copy
 * is still running, the reply of that copy once it is done.
 */
#ifndef _TESSERA_H
#define _TESSERA_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define TESS_MAGIC		0x41525354u	/* "TSRA" little-endian */
#define TESS_PROTO_VERSION	4
#define TESS_PROTO_MIN		1

#define TESS_MDS_PORT		7430		/* default MDS TCP port */
#define TESS_OST_PORT		7431		/* default OST port (+ index) */

/*
 * ---- network type "rdma": the frame stream over RC SEND/RECV ----
 *
 * An @rdma connection carries exactly the byte stream of frames that a
 * TCP connection carries (handshake, requests, replies, bulk), cut into
 * messages sent with IBV_WR_SEND on one RC queue pair made by rdma_cm
 * (port space RDMA_PS_TCP, the same port numbers as TCP).  Each message
 * starts with a struct tess_rdma_msg; its len bytes of stream follow.
 *
 * Both sides post receive buffers before connecting (client) or
 * accepting (server) and say how many and how large in the rdma_cm
 * private data (struct tess_rdma_cm, both directions).  Flow control is
 * by credits: a side may post a SEND only while it holds a credit (one
 * per receive buffer the peer has posted for it); it starts with the
 * peer's tess_rdma_cm.credits and gets more back in the credits field of
 * each message the peer sends, one per receive buffer re-posted since
 * the peer's previous message.  A message with len 0 only returns
 * credits.  The last credit is kept for such a message: stream bytes
 * need two credits, a credit return one.  A side sends a credit return
 * as soon as it owes half of its posted buffers and has no stream bytes
 * to send.  A message longer than the receiver's buffer, a len that
 * does not match the bytes received, credits beyond what was posted, or
 * a nonzero reserved field is a protocol error: the receiver logs it and
 * disconnects.
 */
#define TESS_RDMA_MAGIC		0x4d445254u	/* "TRDM" little-endian */
#define TESS_RDMA_VERSION	1
#define TESS_RDMA_CREDITS_MAX	1024
#define TESS_RDMA_BUF_MIN	4096
#define TESS_RDMA_BUF_MAX	(1024 * 1024)
/*
 * The transport retry count a connecting side asks for (both queue pairs
 * take the REQ's).  Not 7, which rdma_rxe takes as "for ever": a peer
 * gone without a disconnect must fail a send (and a keepalive probe).
 */
#define TESS_RDMA_RETRY_COUNT	6

struct tess_rdma_cm {		/* rdma_cm private data, 16 bytes */
	__le32 magic;		/* TESS_RDMA_MAGIC */
	__le16 version;		/* TESS_RDMA_VERSION */
	__le16 credits;		/* receive buffers posted for the peer */
	__le32 buf_size;	/* bytes per buffer, header included */
	__le32 reserved;	/* zero */
};

struct tess_rdma_msg {		/* at the start of every SEND, 8 bytes */
	__le32 len;		/* stream bytes after this header */
	__le16 credits;		/* buffers re-posted since the last message */
	__le16 reserved;	/* zero */
};

#define TESS_NAME_MAX		255
#define TESS_SYMLINK_MAX	4095
#define TESS_XATTR_NAME_MAX	255
#define TESS_XATTR_SIZE_MAX	65536
#define TESS_XATTR_LIST_MAX	65536
#define TESS_FSNAME_MAX		63
#define TESS_ADDR_MAX		63
#define TESS_MAX_STRIPES	256
#define TESS_MAX_OSTS		1024
#define TESS_MAX_BODY		(128 * 1024)
#define TESS_MAX_BULK		(16 * 1024 * 1024)
#define TESS_BULK_DEFAULT	(4 * 1024 * 1024)
#define TESS_NONCE_LEN		32
#define TESS_MAC_LEN		32
#define TESS_KEY_MIN		16
#define TESS_KEY_MAX		256

#define TESS_STRIPE_SIZE_MIN	(64 * 1024)
#define TESS_STRIPE_SIZE_MAX	(1024u * 1024 * 1024)
#define TESS_STRIPE_SIZE_DEF	(1024 * 1024)

#define TESS_ROOT_INO		1

/* ---- frame header ---- */

struct tess_hdr {
	__le32 magic;
	__le16 version;
	__le16 opcode;
	__le64 xid;
	__le32 flags;		/* TESS_HF_* */
	__le32 status;		/* reply: 0 or positive errno */
	__le32 body_len;
	__le32 bulk_len;
	__le32 body_crc;
	__le32 bulk_crc;
	__le64 reserved;	/* must be zero */
};

#define TESS_HF_REQUEST		0x0001
#define TESS_HF_REPLY		0x0002
#define TESS_HF_CALLBACK	0x0004	/* server-initiated (leases, later) */
#define TESS_HF_RESENT		0x0008	/* request: same xid sent before */
#define TESS_HF_CRED		0x0010	/* request: body ends with tess_cred */
#define TESS_HF_KNOWN		0x001f

/* ---- opcodes ---- */

enum tess_opcode {
	TESS_OP_HELLO		= 1,
	TESS_OP_AUTH		= 2,
	TESS_OP_PING		= 3,
	TESS_OP_STATS		= 4,	/* the server's request counters */

	/* metadata (MDS) */
	TESS_OP_LOOKUP		= 16,
	TESS_OP_GETATTR		= 17,
	TESS_OP_SETATTR		= 18,
	TESS_OP_CREATE		= 19,
	TESS_OP_MKDIR		= 20,
	TESS_OP_UNLINK		= 21,
	TESS_OP_RMDIR		= 22,
	TESS_OP_RENAME		= 23,
	TESS_OP_LINK		= 24,
	TESS_OP_SYMLINK		= 25,
	TESS_OP_READLINK	= 26,
	TESS_OP_READDIR		= 27,
	TESS_OP_STATFS		= 28,
	TESS_OP_GETXATTR	= 29,
	TESS_OP_SETXATTR	= 30,
	TESS_OP_LISTXATTR	= 31,
	TESS_OP_REMOVEXATTR	= 32,
	TESS_OP_GET_LAYOUT	= 33,
	TESS_OP_SET_LAYOUT	= 34,
	TESS_OP_OST_REGISTER	= 35,
	TESS_OP_OST_LIST	= 36,
	TESS_OP_HSM_SET		= 37,
	TESS_OP_HSM_GET		= 38,
	TESS_OP_OPEN		= 39,
	TESS_OP_CLOSE		= 40,
	TESS_OP_OST_REPLACE	= 41,	/* OST_REGISTER of a new store */
	TESS_OP_OBJ_SCAN	= 42,	/* the objects files own (check) */
	TESS_OP_OST_LEAVE	= 43,	/* an OST's clean exit: down now */
	TESS_OP_HSM_STATS	= 44,	/* HSM state of many inodes (status) */

	/* objects (OST) */
	TESS_OP_OBJ_READ	= 64,
	TESS_OP_OBJ_WRITE	= 65,
	TESS_OP_OBJ_PUNCH	= 66,
	TESS_OP_OBJ_GETATTR	= 67,
	TESS_OP_OBJ_DESTROY	= 68,
	TESS_OP_OBJ_SYNC	= 69,
	TESS_OP_OBJ_STATFS	= 70,
	TESS_OP_OBJ_HSM_SET	= 71,
	TESS_OP_OBJ_HSM_GET	= 72,
	TESS_OP_OBJ_PRECREATE	= 73,
	TESS_OP_OBJ_LIST	= 74,
	TESS_OP_OBJ_SYNC_OWN	= 75,	/* what this client wrote: syncfs */

	TESS_OP_MAX		= 76
};

/* ---- handshake ---- */

/*
 * The role a peer declares in HELLO (issue #12).  A server with separate
 * keys (--client-key, --server-key) authenticates TESS_ROLE_CLIENT with
 * the client key and every other role with the server key, so a client
 * key cannot declare a server role.  Only a server role may:
 *   on the MDS: OST_REGISTER, OST_REPLACE, OST_LEAVE (TESS_ROLE_OST),
 *               HSM_SET (any server role: hsm as admin, the OSTs);
 *   on an OST:  OBJ_PRECREATE (TESS_ROLE_MDS), OBJ_DESTROY and
 *               OBJ_HSM_SET (TESS_ROLE_MDS or TESS_ROLE_ADMIN: the MDS's
 *               destroyer, the hsm tool);
 * a client gets EPERM.  OBJ_SYNC oid 0 (the whole store) is for a server
 * role too: a client gets EPERM.  A client syncs what it wrote with
 * OBJ_SYNC_OWN (empty body, the OBJ_SYNC reply): the objects that client
 * (its HELLO uuid) wrote without TESS_IO_SYNC since its last
 * OBJ_SYNC_OWN, not the store; the whole store only when they cannot be
 * named (more than the OST tracks).  OBJ_SYNC_OWN of a server role syncs
 * the store, as its OBJ_SYNC oid 0.  The kernel client's syncfs sends
 * OBJ_SYNC_OWN, and OBJ_SYNC oid 0 to an OST that answers it EOPNOTSUPP
 * (an older one).
 */
enum tess_role {
	TESS_ROLE_CLIENT	= 1,
	TESS_ROLE_OST		= 2,	/* an OST talking to the MDS */
	TESS_ROLE_MDS		= 3,	/* the MDS talking to an OST */
	TESS_ROLE_ADMIN		= 4,	/* admin tools (hsm): server key */
};

/* feature bits, negotiated as the AND of both sides */
#define TESS_FEAT_BULK_CRC	0x0001	/* bulk_crc is computed and checked */
#define TESS_FEAT_CRED		0x0002	/* requests may carry TESS_HF_CRED */
#define TESS_FEAT_SEC_INTEGRITY	0x0004	/* sec=integrity (version 4) */
#define TESS_FEAT_SEC_PRIVACY	0x0008	/* sec=privacy (version 4) */
#define TESS_FEAT_READDIRPLUS	0x0010	/* READDIR may ask TESS_READDIR_PLUS */
#define TESS_FEAT_HSM_LOC	0x0020	/* OBJ_HSM_SET may carry the origin's
					 * endpoint, region and addressing */
#define TESS_FEAT_CREATE_OPEN	0x0040	/* CREATE may ask TESS_CREATE_OPEN */
/* offered by every client and server; the flavor bits only as asked */
#define TESS_FEAT_BASE		0x0073
#define TESS_FEAT_SEC_MASK	0x000c
#define TESS_FEAT_KNOWN		0x007f

/* security flavors, weakest first (mount option sec=, daemon --sec) */
enum tess_sec {
	TESS_SEC_AUTH		= 0,
	TESS_SEC_INTEGRITY	= 1,
	TESS_SEC_PRIVACY	= 2,
};

#define TESS_SEC_TAG_LEN	16	/* the tag after a protected frame */
#define TESS_SEC_KEY_LEN	32	/* HMAC-SHA256 or AES-256 key */
#define TESS_SEC_IV_LEN		4	/* the fixed part of a GCM IV */
#define TESS_SEC_OKM_LEN	(2 * TESS_SEC_KEY_LEN + 2 * TESS_SEC_IV_LEN)
#define TESS_HS_LABEL_SERVER	"tessera-server-v4"
#define TESS_HS_LABEL_CLIENT	"tessera-client-v4"
#define TESS_HS_LABEL_SESSION	"tessera-v4-session"

struct tess_hello_req {
	__le16 ver_min;
	__le16 ver_max;
	__le32 role;		/* enum tess_role */
	__le64 features;
	__u8   uuid[16];	/* client instance id */
	__u8   nonce[TESS_NONCE_LEN];
};

struct tess_hello_rep {
	__le16 version;		/* chosen */
	__le16 pad0;
	__le32 pad1;
	__le64 features;	/* agreed */
	__u8   uuid[16];	/* server instance id (changes on restart) */
	__u8   nonce[TESS_NONCE_LEN];
	__u8   mac[TESS_MAC_LEN];
};

struct tess_auth_req {
	__u8   mac[TESS_MAC_LEN];
};

/* ---- server statistics ---- */

/*
 * STATS (issue #11): the counters of the server that answers, MDS or OST
 * alike (the server library answers it, as PING), for any role.  The
 * same counters as --metrics-listen serves (since the daemon started);
 * tessctl stats --servers sends it, the kernel client never does.
 *
 *   request: empty body; any other length is refused (EBADMSG).
 *   reply:   struct tess_stats_rep, then nops struct tess_stats_op: one
 *            per opcode answered at least once, in increasing opcode
 *            order, nops <= TESS_STATS_OPS_MAX; body_len is exactly
 *            that, the pad fields are zero.
 *
 * requests, errors and the per-opcode counts count requests as they were
 * answered; the STATS request being answered is not in them, nor in
 * in_flight.  A decoder treats the fields as independent snapshots (each
 * read once, not all at one instant).
 */
#define TESS_STATS_OPS_MAX	128

struct tess_stats_rep {
	__le64 uptime_ms;	/* since the server started */
	__le64 requests;	/* answered, every opcode (unknown ones too) */
	__le64 errors;		/* of them, answered with a nonzero status */
	__le64 bulk_in;		/* bulk bytes received with requests */
	__le64 bulk_out;	/* bulk bytes sent with replies */
	__le64 conns_total;	/* connections authenticated since the start */
	__le64 handshakes_failed;
	__le64 conns_refused;	/* closed before authentication (limits) */
	__le32 in_flight;	/* requests being served now (queue depth) */
	__le32 conns_open[4];	/* authenticated and open now, by the peer's
				 * role: client, OST, MDS, admin */
	__le32 nops;		/* struct tess_stats_op that follow */
};

struct tess_stats_op {
	__le16 opcode;
	__le16 pad0;
	__le32 pad1;
	__le64 count;		/* answered */
	__le64 time_ns;		/* their time, received to reply sent, summed */
};

/* ---- caller credentials ---- */

/*
 * A request with TESS_HF_CRED (sent only on a connection that agreed
 * TESS_FEAT_CRED) ends with this block, after every other part of its
 * body: body_len counts it, body_crc covers it, and the receiver takes it
 * off before it checks the rest of the body as usual.  Fixed size; a
 * receiver refuses (EBADMSG) a body shorter than the block, a wrong magic,
 * ngroups over TESS_CRED_GROUPS_MAX, or a non-zero unused group slot.
 * uid, gid and groups are the caller's file system ids; a caller in
 * more groups sends the first TESS_CRED_GROUPS_MAX.  A request without the
 * block is served as before: the MDS takes it as from uid 0, gid 0 (and
 * squashes that with --root-squash), so older clients keep working.
 */
#define TESS_CRED_MAGIC		0x44455243u	/* "CRED" little-endian */
#define TESS_CRED_GROUPS_MAX	16

struct tess_cred {
	__le32 magic;		/* TESS_CRED_MAGIC */
	__le32 uid;
	__le32 gid;		/* primary group */
	__le32 ngroups;		/* supplementary groups, <= 16 */
	__le32 groups[TESS_CRED_GROUPS_MAX];	/* unused slots zero */
};

/* ---- inode attributes ---- */

/* HSM state bits (per inode, kept by the MDS) */
#define TESS_HSM_EXISTS		0x0001	/* has an archive copy origin */
#define TESS_HSM_ARCHIVED	0x0002	/* archive copy is current */
#define TESS_HSM_RELEASED	0x0004	/* some data only in the archive */
#define TESS_HSM_DIRTY		0x0008	/* changed since archived */
#define TESS_HSM_LOST		0x0010	/* archive copy gone */
#define TESS_HSM_ALL		0x001f

struct tess_attr {
	__le64 ino;
	__le64 size;
	__le64 blocks;		/* 512-byte units */
	__le64 atime_sec;
	__le64 mtime_sec;
	__le64 ctime_sec;
	__le32 atime_nsec;
	__le32 mtime_nsec;
	__le32 ctime_nsec;
	__le32 mode;		/* S_IFMT | permissions */
	__le32 uid;
	__le32 gid;
	__le32 nlink;
	__le32 gen;		/* inode generation */
	__le32 rdev;
	__le32 hsm_state;	/* TESS_HSM_* */
	__le64 data_version;	/* bumped on every data or size change */
};

/* ---- layouts ---- */

#define TESS_LAYOUT_RAID0	1
#define TESS_OST_ANY		0xffff

struct tess_ost_obj {
	__le32 ost_idx;
	__le32 pad;
	__le64 oid;
};

/* on the wire: struct tess_layout followed by stripe_count tess_ost_obj */
struct tess_layout {
	__le32 pattern;		/* TESS_LAYOUT_RAID0, 0 = unset/inherit */
	__le32 stripe_size;
	__le16 stripe_count;	/* 0 = default */
	__le16 stripe_offset;	/* first OST, TESS_OST_ANY = MDS picks */
	__le32 gen;		/* layout generation */
	struct tess_ost_obj objs[];
};

#define TESS_LAYOUT_BYTES(n) \
	(sizeof(struct tess_layout) + (n) * sizeof(struct tess_ost_obj))

/* ---- metadata requests and replies ---- */

/*
 * Reply of LOOKUP, GETATTR, SETATTR, CREATE, MKDIR, SYMLINK, LINK:
 * the attributes, then layout_len bytes of layout (0 if none).
 */
struct tess_inode_rep {
	struct tess_attr attr;
	__le32 layout_len;
	__le32 pad;
};

struct tess_ino_req {		/* GETATTR, READLINK, GET_LAYOUT */
	__le64 ino;
};

/*
 * OPEN: the client holds the inode open; the reply is that of GETATTR.
 * CLOSE: one OPEN of the same client ends (no reply body).  The MDS counts
 * opens per (client uuid, ino) in memory.  While any client holds an
 * unlinked inode open its objects are not destroyed; the opens of a client
 * none of whose connections has been up for the lease time are dropped.
 * An unlinked inode can be opened only by a client that holds it open
 * already, or with TESS_OPEN_REPLAY (an open made before the MDS
 * restarted) within one lease of the MDS's start; else ENOENT.
 */
#define TESS_OPEN_READ		0x0001
#define TESS_OPEN_WRITE		0x0002
#define TESS_OPEN_REPLAY	0x0004	/* held before the MDS restarted */
/*
 * The client created the inode for this open (O_CREAT): its owner gets
 * the access asked for whatever the new mode, as open(2) gives it (the
 * owner could chmod anyway).  Sent only to an MDS that agreed
 * TESS_FEAT_CRED; an older one refuses unknown flags.
 */
#define TESS_OPEN_CREATED	0x0008
/*
 * An exec (the kernel reads the program for its caller): the MDS checks
 * execute permission instead of read, as execve(2) needs no read
 * permission.  Sent only to an MDS that agreed TESS_FEAT_CRED.
 */
#define TESS_OPEN_EXEC		0x0010
#define TESS_OPEN_KNOWN		0x001f

struct tess_open_req {		/* OPEN, CLOSE */
	__le64 ino;
	__le32 flags;		/* TESS_OPEN_* */
	__le32 pad;
};

struct tess_name_req {		/* LOOKUP, UNLINK, RMDIR; then name */
	__le64 parent;
	__le32 name_len;
	__le32 pad;
};

#define TESS_SA_MODE		0x0001
#define TESS_SA_UID		0x0002
#define TESS_SA_GID		0x0004
#define TESS_SA_SIZE		0x0008	/* truncate to size */
#define TESS_SA_ATIME		0x0010
#define TESS_SA_MTIME		0x0020
#define TESS_SA_CTIME		0x0040
#define TESS_SA_ATIME_NOW	0x0080
#define TESS_SA_MTIME_NOW	0x0100
#define TESS_SA_SIZE_EXTEND	0x0200	/* size = max(size, given): writers */
#define TESS_SA_KNOWN		0x03ff

struct tess_setattr_req {
	__le64 ino;
	__le32 valid;		/* TESS_SA_* */
	__le32 mode;
	__le32 uid;
	__le32 gid;
	__le64 size;
	__le64 atime_sec;
	__le64 mtime_sec;
	__le64 ctime_sec;
	__le32 atime_nsec;
	__le32 mtime_nsec;
	__le32 ctime_nsec;
	__le32 pad;
};

#define TESS_CREATE_EXCL	0x0001
/*
 * CREATE of a regular file that also opens it (TESS_FEAT_CREATE_OPEN):
 * the MDS counts the open exactly as an OPEN of the new inode with
 * open_flags (TESS_OPEN_READ, _WRITE, _EXEC; TESS_OPEN_CREATED is implied
 * when the file was made by this request, _REPLAY is refused), and the
 * client closes it with CLOSE.  The reply is CREATE's (the inode, as
 * OPEN's).  A resent copy is answered from the reply cache: one open.
 * Refused (EINVAL) for MKDIR and for other file types.  Without
 * TESS_CREATE_EXCL an existing regular file is opened with its access
 * checked, as an OPEN without TESS_OPEN_CREATED.  Should the new file be
 * unlinked by another client before the open is counted, ENOENT.
 */
#define TESS_CREATE_OPEN	0x0002
#define TESS_CREATE_KNOWN	0x0003

/*
 * CREATE and MKDIR: then layout_len bytes of layout (CREATE only), then the
 * name.  The layout comes first so that it stays 8-byte aligned.
 */
struct tess_create_req {
	__le64 parent;
	__le32 mode;
	__le32 uid;
	__le32 gid;
	__le32 rdev;
	__le32 flags;		/* TESS_CREATE_* */
	__le32 name_len;
	__le32 layout_len;	/* 0 = directory default, else fs default */
	__le32 open_flags;	/* TESS_OPEN_*: TESS_CREATE_OPEN, else 0 */
};

struct tess_symlink_req {	/* then name, then target */
	__le64 parent;
	__le32 uid;
	__le32 gid;
	__le32 name_len;
	__le32 target_len;
};

#define TESS_RENAME_NOREPLACE	0x0001

struct tess_rename_req {	/* then old name, then new name */
	__le64 old_parent;
	__le64 new_parent;
	__le32 flags;
	__le32 old_len;
	__le32 new_len;
	__le32 pad;
};

struct tess_link_req {		/* then name */
	__le64 ino;
	__le64 new_parent;
	__le32 name_len;
	__le32 pad;
};

struct tess_readlink_rep {	/* then target */
	__le32 len;
	__le32 pad;
};

/*
 * READDIR: entries with cookie > req.cookie, in cookie order, fitting in
 * max_bytes.  Cookies are assigned once per entry and never reused in a
 * directory, so concurrent inserts and removes never repeat or skip an
 * entry that stays.  Cookies 1 and 2 are "." and "..".
 *
 * READDIRPLUS: with TESS_READDIR_PLUS in flags (only to an MDS that
 * agreed TESS_FEAT_READDIRPLUS; any other flag is refused, EINVAL) every
 * entry of the reply, its padded name included, is followed by a struct
 * tess_dirent_plus: the entry's attributes read in the same transaction
 * as the entry, and TESS_DPLUS_SEC when the inode has at least one
 * security.* xattr.  attr.ino 0 means that the MDS has no attributes for
 * the entry (the client uses the name only); otherwise attr.ino equals
 * the dirent's ino.  The reply says so: its eof word carries
 * TESS_READDIR_PLUS too, so that a decoder that did not see the request
 * knows the entry size; TESS_DIRENT_PLUS_BYTES counts against max_bytes.
 */
#define TESS_READDIR_PLUS	0x0002	/* req flags; also in rep eof */
#define TESS_READDIR_FLAGS	TESS_READDIR_PLUS	/* request flags known */
#define TESS_READDIR_EOF	0x0001	/* rep eof: no entries after these */

struct tess_readdir_req {
	__le64 ino;
	__le64 cookie;
	__le32 max_bytes;
	__le32 flags;		/* TESS_READDIR_PLUS; 0 before READDIRPLUS */
};

struct tess_readdir_rep {	/* then count entries */
	__le32 count;
	__le32 eof;		/* TESS_READDIR_EOF | TESS_READDIR_PLUS */
};

struct tess_dirent {		/* then name, padded to 8 bytes */
	__le64 ino;
	__le64 cookie;
	__le32 type;		/* DT_* */
	__le32 name_len;
};

#define TESS_DPLUS_SEC		0x0001	/* has a security.* xattr */
#define TESS_DPLUS_KNOWN	0x0001

/* after each padded name of a TESS_READDIR_PLUS reply */
struct tess_dirent_plus {
	struct tess_attr attr;	/* attr.ino 0: none */
	__le32 xflags;		/* TESS_DPLUS_* */
	__le32 pad;
};

#define TESS_DIRENT_BYTES(namelen) \
	(sizeof(struct tess_dirent) + (((namelen) + 7) & ~7u))
#define TESS_DIRENT_PLUS_BYTES(namelen) \
	(TESS_DIRENT_BYTES(namelen) + sizeof(struct tess_dirent_plus))

struct tess_statfs_rep {
	__le64 blocks;		/* in bsize units */
	__le64 bfree;
	__le64 bavail;
	__le64 files;
	__le64 ffree;
	__le32 bsize;
	__le32 namelen;
	__le32 ost_count;
	/*
	 * the file system's default stripe count for files made without a
	 * layout (0: not told, an older MDS), cut to the OSTs up as a
	 * create cuts it; 0 in OBJ_STATFS replies
	 */
	__le32 def_stripe_count;
};

#define TESS_XATTR_CREATE	0x0001
#define TESS_XATTR_REPLACE	0x0002

/*
 * GETXATTR: then name.  Reply: value.  If size is smaller than the value,
 * status is ERANGE; with size 0 the reply is a tess_xattr_size_rep.
 * LISTXATTR: same, reply is the NUL-separated list.
 */
struct tess_xattr_req {
	__le64 ino;
	__le32 flags;		/* SETXATTR: TESS_XATTR_* */
	__le32 name_len;
	__le32 value_len;	/* SETXATTR: then value; GET/LIST: buffer size */
	__le32 pad;
};

struct tess_xattr_size_rep {
	__le32 size;
	__le32 pad;
};

struct tess_set_layout_req {	/* then layout */
	__le64 ino;
	__le32 layout_len;
	__le32 pad;
};

/*
 * OST_REGISTER: an OST tells the MDS its index, address and store uuid.
 * The MDS refuses (EEXIST) a store uuid other than the one it recorded
 * for that index (a reformatted or wrong directory: its objects are not
 * the ones the layouts name).  OST_REPLACE (same body; tessera-ost
 * --replace) makes the MDS record the new uuid instead: the objects of
 * the old store are lost, and the MDS precreates new ones.
 */
struct tess_ost_register_req {	/* then addr ("host:port@tcp") */
	__le32 index;
	__le32 addr_len;
	__u8   uuid[16];
};

/*
 * OST_LEAVE: an OST shutting down cleanly tells the MDS, which marks it
 * down at once (no new stripes on it) instead of after ping time-outs.
 * Ignored unless uuid is the store registered at index.  Empty reply.
 */
struct tess_ost_leave_req {
	__le32 index;
	__le32 pad;		/* 0 */
	__u8   uuid[16];	/* the store's */
};

#define TESS_OST_UP		1
#define TESS_OST_DOWN		2

struct tess_ost_info {
	__le32 index;
	__le32 state;
	char   addr[TESS_ADDR_MAX + 1];	/* NUL-terminated */
};

struct tess_ost_list_rep {	/* then count tess_ost_info */
	__le32 count;
	__le32 pad;
};

/* ---- object requests (OST) ---- */

struct tess_obj_req {		/* GETATTR, DESTROY, SYNC (oid 0: all, see
				 * enum tess_role) */
	__le64 oid;
};

/* READ: reply bulk holds up to length bytes; short at object end */
struct tess_obj_io_req {
	__le64 oid;
	__le64 offset;
	__le32 length;
	__le32 flags;		/* TESS_IO_* */
};

#define TESS_IO_SYNC		0x0001	/* WRITE: stable on return */

struct tess_obj_io_rep {
	__le64 obj_size;	/* object size after the operation */
	__le32 length;		/* bytes read or written */
	__le32 pad;
};

/*
 * Write verifier (protocol 3).  An OST picks a random nonzero 64-bit verf
 * when it starts; it ends every OBJ_WRITE reply (after the tess_obj_io_rep)
 * and is the whole OBJ_SYNC (and OBJ_SYNC_OWN) reply.  A write that was
 * not TESS_IO_SYNC is unstable: it is on the OST's disk only once an
 * OBJ_SYNC (or OBJ_SYNC_OWN) covering it has answered with the same
 * verf.  A different verf means the OST restarted in between and may have
 * lost the write: the client resends it, or reports EIO (never success).
 * Connections of protocol 1 and 2 get the replies without it.
 */
struct tess_obj_verf_rep {
	__le64 verf;
};

#define TESS_OBJ_WRITE_REP_BYTES(ver) (sizeof(struct tess_obj_io_rep) + \
	((ver) >= 3 ? sizeof(struct tess_obj_verf_rep) : 0))
#define TESS_OBJ_SYNC_REP_BYTES(ver) \
	((ver) >= 3 ? sizeof(struct tess_obj_verf_rep) : 0)

#define TESS_PUNCH_TRUNCATE	1	/* set object size to offset */
#define TESS_PUNCH_HOLE		2	/* deallocate [offset, offset+length) */
#define TESS_PUNCH_TRIM		3	/* cut to offset if longer; stable when
					 * it cut (the MDS's trims) */

/* flags: TESS_IO_SYNC makes the punch stable before the reply */
struct tess_obj_punch_req {
	__le64 oid;
	__le64 offset;
	__le64 length;
	__le32 mode;
	__le32 flags;
};

struct tess_obj_attr_rep {
	__le64 size;
	__le64 blocks;		/* 512-byte units */
	__le64 mtime_sec;
	__le32 mtime_nsec;
	__le32 pad;
};

/* OBJ_STATFS reply is a tess_statfs_rep with ost_count 1, def_stripe_count 0 */

/*
 * OBJ_PRECREATE (MDS to OST): create objects first_oid .. first_oid +
 * count - 1, empty, and make them durable (file and directory entry)
 * before the reply.  Idempotent: objects that exist are left as they are.
 * The OST records the range, so that it can tell an object that was
 * created and is gone (read: EIO) from one it never had (ESTALE).  No
 * reply body.
 */
#define TESS_PRECREATE_MAX	1024

struct tess_obj_precreate_req {
	__le64 first_oid;	/* > 0 */
	__le32 count;		/* 1 .. TESS_PRECREATE_MAX */
	__le32 pad;
};

/*
 * OBJ_LIST: the object ids of an OST, in pages, ordered by (oid & 0xff,
 * oid) (the store's fan-out directories in turn); the next request's
 * `after` is the last oid of a reply (0: from the start).
 */
#define TESS_OBJ_LIST_MAX	8192

struct tess_obj_list_req {
	__le64 after;
	__le32 max;		/* 1 .. TESS_OBJ_LIST_MAX oids */
	__le32 pad;
};

#define TESS_OBJL_EOF		0x0001	/* no oid after these */
#define TESS_OBJL_PRECREATED	0x0002	/* the store precreates: a missing
					 * object is lost, not unwritten */
#define TESS_OBJL_KNOWN		0x0003

struct tess_obj_list_rep {	/* then count __le64 oids */
	__le32 count;
	__le32 flags;		/* TESS_OBJL_* */
};

/*
 * OBJ_SCAN (MDS): every object the MDS knows an owner of, in pages: the
 * objects of each file's layout (all of one file in one page), of the
 * orphans being destroyed, and the ranges precreated and not handed out
 * yet.  cookie 0 starts; the reply's cookie continues.
 */
#define TESS_OBJ_SCAN_MAX	2048

struct tess_obj_scan_req {
	__le64 cookie;
	__le32 max;		/* TESS_MAX_STRIPES .. TESS_OBJ_SCAN_MAX records */
	__le32 pad;
};

struct tess_obj_scan_rep {	/* then count tess_obj_owner */
	__le64 cookie;		/* of the next request */
	__le32 count;
	__le32 eof;		/* 1: nothing after these */
};

#define TESS_OWN_FILE		1	/* an object of file ino */
#define TESS_OWN_ORPHAN		2	/* of unlinked ino, being destroyed */
#define TESS_OWN_FREE		3	/* precreated, not handed out (ino 0) */

struct tess_obj_owner {
	__le64 ino;
	__le64 oid;		/* the first of count */
	__le32 ost_idx;
	__le32 kind;		/* TESS_OWN_* */
	__le32 count;		/* FREE: the range's length; else 1 */
	__le32 pad;
};

/* ---- HSM: files imported from / archived to S3 ---- */

/*
 * The origin of an HSM file is one S3 object: bucket, key, ETag, size and
 * mtime (endpoint-independent: the endpoint and credentials are local
 * configuration of the OSTs and the tools).  Strings follow the fixed part
 * of a body in the order bucket, key, etag, without NUL.
 */
#define TESS_S3_BUCKET_MAX	63
#define TESS_S3_KEY_MAX		1024
#define TESS_S3_ETAG_MAX	127
#define TESS_S3_ENDPOINT_MAX	511	/* "http[s]://HOST[:PORT]" */
#define TESS_S3_REGION_MAX	63

/* tess_obj_hsm_set_req loc_flags */
#define TESS_HSM_LOC_PATH_STYLE	0x01	/* ENDPOINT/BUCKET/KEY URLs */
#define TESS_HSM_LOC_KNOWN	0x01
#define TESS_HSM_BITMAP_MAX	65536	/* OBJ_HSM_GET: bitmap bytes at most */

/* HSM_SET valid bits */
#define TESS_HSMS_STATE		0x0001	/* state = (state & ~clear) | set */
#define TESS_HSMS_ORIGIN	0x0002	/* replace the origin (all strings) */
#define TESS_HSMS_ATTRS		0x0004	/* inode size, mtime := origin's */
#define TESS_HSMS_STRIPE	0x0008	/* object `stripe` fully present (etag
					 * must be the origin's); when every
					 * stripe is, RELEASED is cleared */
#define TESS_HSMS_UNPRESENT	0x0010	/* no stripe present any more */
#define TESS_HSMS_REMOVE	0x0020	/* forget the record, state 0 */
#define TESS_HSMS_KNOWN		0x003f

/*
 * HSM_SET (MDS): then bucket, key, etag.  ORIGIN needs all three;
 * STRIPE needs the etag only; otherwise all lengths are 0.  Reply: a
 * tess_hsm_rep.
 */
struct tess_hsm_set_req {
	__le64 ino;
	__le32 valid;		/* TESS_HSMS_* */
	__le32 state_set;	/* TESS_HSM_* */
	__le32 state_clear;	/* TESS_HSM_* */
	__le32 stripe;		/* TESS_HSMS_STRIPE */
	__le64 size;		/* ORIGIN: S3 object size */
	__le64 mtime_sec;	/* ORIGIN: S3 LastModified */
	__le32 mtime_nsec;
	__le16 bucket_len;
	__le16 key_len;
	__le16 etag_len;
	__le16 pad0;
	__le32 pad1;
};

/*
 * HSM_GET (MDS) takes a tess_ino_req; ENODATA when the inode has no HSM
 * record.  Reply (and HSM_SET's): then bucket, key, etag.
 */
struct tess_hsm_rep {
	__le64 ino;
	__le32 state;		/* TESS_HSM_* */
	__le32 pad0;
	__le64 size;
	__le64 mtime_sec;
	__le32 mtime_nsec;
	__le16 bucket_len;
	__le16 key_len;
	__le16 etag_len;
	__le16 pad1;
	__le32 pad2;
	__u8   present[TESS_MAX_STRIPES / 8];	/* stripes fully present */
};

/*
 * HSM_STATS (MDS): then count __le64 inode numbers.  Reply: a
 * tess_hsm_stats_rep then count tess_hsm_stat, in the order asked; an
 * inode that does not exist (any more) has mode 0.  present is the size
 * of a file not RELEASED, else the bytes of its objects the MDS knows to
 * be fully present (TESS_HSMS_STRIPE): the bytes of objects an OST holds
 * only in part are counted by asking that OST (OBJ_HSM_GET).
 */
#define TESS_HSM_STATS_MAX	1024

struct tess_hsm_stats_req {	/* then count __le64 inos */
	__le32 count;		/* 1 .. TESS_HSM_STATS_MAX */
	__le32 pad;
};

struct tess_hsm_stats_rep {	/* then count tess_hsm_stat */
	__le32 count;
	__le32 pad;
};

struct tess_hsm_stat {
	__le64 ino;
	__le64 size;
	__le64 present;		/* bytes */
	__le32 mode;		/* 0: no such inode */
	__le32 hsm_state;	/* TESS_HSM_* */
};

/* OBJ_HSM_SET modes */
#define TESS_OHSM_STUB		1	/* new origin, no chunk present, data
					 * dropped, object sized for the file */
#define TESS_OHSM_RELEASE	2	/* drop the data of a clean object,
					 * chunks absent again (EBUSY if dirty) */
#define TESS_OHSM_ARCHIVED	3	/* new origin, every chunk present, dirty
					 * cleared if dirty_gen is still current
					 * (else EAGAIN) */
#define TESS_OHSM_REMOVE	4	/* forget the HSM state of the object */
#define TESS_OHSM_PIN		5	/* never release the object's data, not
					 * even when the OST's cache is full
					 * (Lustre's NORELEASE); RELEASE is
					 * refused (EPERM) while pinned */
#define TESS_OHSM_UNPIN		6	/* its clean data may be released again */

/*
 * OBJ_HSM_SET (OST): then bucket, key, etag (STUB and ARCHIVED; otherwise
 * all lengths 0), then, with TESS_FEAT_HSM_LOC, the origin's S3 endpoint
 * (endpoint_len, 0: the OST's own) and region (region_len, 0: the OST's
 * own), STUB and ARCHIVED only; loc_flags TESS_HSM_LOC_* (0 without the
 * feature).  PIN and UNPIN use only oid (ENODATA for an object
 * without HSM state; a pin survives STUB and ARCHIVED).  The geometry
 * tells the OST which file ranges its
 * chunks are: object chunk [o, o + chunk) is file range
 * [tess_stripe_file_off(stripe, o), + chunk).
 */
struct tess_obj_hsm_set_req {
	__le64 oid;
	__le64 ino;
	__le64 file_size;
	__le64 dirty_gen;	/* ARCHIVED */
	__le32 mode;		/* TESS_OHSM_* */
	__le32 stripe;		/* this object's index in the layout */
	__le32 stripe_size;
	__le16 stripe_count;
	__le16 bucket_len;
	__le16 key_len;
	__le16 etag_len;
	__le16 endpoint_len;	/* TESS_FEAT_HSM_LOC, else 0 */
	__u8   region_len;	/* TESS_FEAT_HSM_LOC, else 0 */
	__u8   loc_flags;	/* TESS_HSM_LOC_*, TESS_FEAT_HSM_LOC, else 0 */
};

/* OBJ_HSM_GET: oid 0 = only the OST-wide counters */
struct tess_obj_hsm_get_req {
	__le64 oid;
	__le32 bitmap_max;	/* <= TESS_HSM_BITMAP_MAX */
	__le32 pad;
};

#define TESS_OHSM_F_HSM		0x0001	/* the object has HSM state */
#define TESS_OHSM_F_DIRTY	0x0002	/* written since stub/archive */
#define TESS_OHSM_F_BITMAP_CUT	0x0004	/* bitmap longer than bitmap_max */
#define TESS_OHSM_F_PINNED	0x0008	/* TESS_OHSM_PIN: never released */

/*
 * reply: then bucket, key, etag, then bitmap_len bytes of chunk bitmap
 * (bit i of byte i / 8: chunk i present), then, only on a connection
 * that agreed TESS_FEAT_HSM_LOC, the origin's S3 endpoint (endpoint_len)
 * and region (region_len) as the OST keeps them (OBJ_HSM_SET STUB or
 * ARCHIVED), and loc_flags TESS_HSM_LOC_*: all 0 without the feature,
 * for an object without HSM state, or one whose origin came without a
 * location (an older hsm or OST: the OST's own configuration is used).
 * The three fields were a pad, always 0 before.  Checked as
 * OBJ_HSM_SET's location (tess_msg_check).
 */
struct tess_obj_hsm_rep {
	__le64 ino;
	__le64 file_size;
	__le64 obj_size;
	__le64 bytes_present;		/* of obj_size */
	__le64 dirty_gen;
	__le64 ost_bytes_fetched;	/* OST-wide, since the OST started */
	__le64 ost_fetches;		/* OST-wide: ranged GETs that succeeded */
	__le64 ost_fetch_errors;	/* OST-wide: fetches that failed */
	__le32 flags;			/* TESS_OHSM_F_* */
	__le32 stripe;
	__le32 stripe_size;
	__le32 chunk_size;
	__le32 nchunks;
	__le32 npresent;
	__le16 stripe_count;
	__le16 bucket_len;
	__le16 key_len;
	__le16 etag_len;
	__le32 bitmap_len;
	__le16 endpoint_len;		/* TESS_FEAT_HSM_LOC, else 0 */
	__u8   region_len;		/* TESS_FEAT_HSM_LOC, else 0 */
	__u8   loc_flags;		/* TESS_HSM_LOC_*, as region_len */
	/* OST-wide: clean restored objects released to keep the store
	 * below --cache-high (or when a restore found it full) */
	__le64 ost_evictions;
	__le64 ost_bytes_evicted;
};

/* ---- ioctls (on a file or directory of a mounted Tessera) ---- */

#define TESS_IOC_MAGIC		'T'

struct tess_ioc_stripe {
	__u32 stripe_size;	/* 0 = default */
	__u16 stripe_count;	/* 0 = default */
	__u16 stripe_offset;	/* TESS_OST_ANY = any */
	__u16 count_out;	/* GET: objects filled in */
	__u16 pad[3];
	struct {
		__u32 ost_idx;
		__u32 pad;
		__u64 oid;
	} objs[TESS_MAX_STRIPES];	/* GET only */
};

/*
 * OST usage for `tessctl df` on a mounted path: fills the first OST whose
 * index is >= index (ENODEV past the last one).
 */
struct tess_ioc_ost_statfs {
	__u32 index;		/* in: first index wanted; out: this OST's */
	__u32 state;		/* TESS_OST_UP / TESS_OST_DOWN */
	char  addr[TESS_ADDR_MAX + 1];
	__u64 blocks;		/* in bsize units */
	__u64 bfree;
	__u64 bavail;
	__u64 files;
	__u64 ffree;
	__u32 bsize;
	__u32 pad;
};

#define TESS_IOC_SETSTRIPE	_IOW(TESS_IOC_MAGIC, 1, struct tess_ioc_stripe)
#define TESS_IOC_GETSTRIPE	_IOR(TESS_IOC_MAGIC, 2, struct tess_ioc_stripe)
#define TESS_IOC_OST_STATFS	_IOWR(TESS_IOC_MAGIC, 3, struct tess_ioc_ost_statfs)

/*
 * ---- generic netlink: the network layer (tessera_lnet.ko) ----
 *
 * Family TESS_NL_FAMILY, registered while tessera_lnet.ko is loaded (it
 * is not loaded on demand by a lookup of the family).  NET_GET and
 * PEER_GET are dumps (NLM_F_DUMP), open to every user; a request without
 * NLM_F_DUMP gets EOPNOTSUPP.  NET_ADD and NET_DEL change the
 * configuration and need CAP_NET_ADMIN (EPERM otherwise).  Every
 * attribute is checked against the command's policy (strict): a request
 * may carry TESS_NL_A_NET, a NUL-terminated network name of 1 to 15
 * characters [a-z0-9] (a filter of the dumps), and, for NET_ADD and
 * NET_DEL only, TESS_NL_A_NET_IF, an interface name of 1 to 15
 * characters as the kernel accepts it (no '/', ':', whitespace or
 * control characters, not "." or ".."); anything else (the output
 * attributes, unknown types, a wrong length) gets EINVAL and an
 * extended-ack message.
 *
 * NET_GET: one message per network type (those the core knows, loaded
 * or not, then any other registered transport): NET, NET_LOADED,
 * NET_STATE, NET_MODULE, and when loaded NET_PORT and NET_MAX_BULK;
 * NET_PEERS counts the connections on it.
 * PEER_GET: one message per server connection of the network layer (one
 * per server and mount): PEER_ID (stable for the connection's life),
 * PEER_ADDR ("10.0.0.5:7431@tcp"), NET, PEER_NAME ("mds", "OST0001"),
 * PEER_STATE, PEER_IN_FLIGHT, PEER_QUEUED and the u64 counters since the
 * connection was set up.
 * NET_ADD: NET and NET_IF (both required): use interface NET_IF for
 * network type NET (at most 8 interfaces a network, in the order added).
 * ENODEV: no such interface in the initial network namespace; ENOENT: no
 * transport of that type is registered (tessctl loads its module first);
 * EEXIST: already there; ENOSPC: the network has 8.
 * NET_DEL: NET and NET_IF: forget it again; ENOENT if it is not there.
 * NET_GET also gives NET_IFS: a NET_IF_ENTRY per configured interface,
 * with NET_IF, NET_IF_STATE and, if it has one, NET_IF_IPV4 (its first
 * IPv4 address); and lists, after the others, any network type that has
 * interfaces configured but no transport registered.
 */
#define TESS_NL_FAMILY		"tessera_lnet"
#define TESS_NL_VERSION		1

enum {
	TESS_NL_CMD_UNSPEC,
	TESS_NL_CMD_NET_GET,
	TESS_NL_CMD_PEER_GET,
	TESS_NL_CMD_NET_ADD,
	TESS_NL_CMD_NET_DEL,
	__TESS_NL_CMD_MAX,
};
#define TESS_NL_CMD_MAX		(__TESS_NL_CMD_MAX - 1)

enum {
	TESS_NL_A_UNSPEC,
	TESS_NL_A_PAD,
	TESS_NL_A_NET,			/* string: network type, e.g. "tcp" */
	TESS_NL_A_NET_LOADED,		/* u8: its transport is registered */
	TESS_NL_A_NET_STATE,		/* u8: TESS_NL_NET_* */
	TESS_NL_A_NET_MODULE,		/* string: the transport module */
	TESS_NL_A_NET_PORT,		/* u16: default port */
	TESS_NL_A_NET_MAX_BULK,		/* u32: bytes of bulk per frame */
	TESS_NL_A_NET_PEERS,		/* u32: connections on the network */
	TESS_NL_A_PEER_ID,		/* u32 */
	TESS_NL_A_PEER_ADDR,		/* string: HOST[:PORT]@NET */
	TESS_NL_A_PEER_NAME,		/* string: "mds", "OST0003", ... */
	TESS_NL_A_PEER_STATE,		/* u8: TESS_NL_PEER_* */
	TESS_NL_A_PEER_IN_FLIGHT,	/* u32: requests sent, no reply yet */
	TESS_NL_A_PEER_QUEUED,		/* u32: requests waiting to be sent */
	TESS_NL_A_PEER_REQUESTS,	/* u64: requests submitted */
	TESS_NL_A_PEER_REPLIES,		/* u64: replies matched */
	TESS_NL_A_PEER_RESENDS,		/* u64: requests sent again */
	TESS_NL_A_PEER_TIMEOUTS,	/* u64: requests failed ETIMEDOUT */
	TESS_NL_A_PEER_CONNECTS,	/* u64: successful handshakes */
	TESS_NL_A_PEER_RESETS,		/* u64: connections lost on errors */
	TESS_NL_A_PEER_TX_MSGS,		/* u64: frames sent */
	TESS_NL_A_PEER_TX_BYTES,	/* u64: bytes sent (headers included) */
	TESS_NL_A_PEER_RX_MSGS,		/* u64: frames received */
	TESS_NL_A_PEER_RX_BYTES,	/* u64: bytes received */
	TESS_NL_A_NET_IF,		/* string: interface name, e.g. "eth0" */
	TESS_NL_A_NET_IFS,		/* nested: NET_IF_ENTRY, one each */
	TESS_NL_A_NET_IF_ENTRY,		/* nested: NET_IF, NET_IF_STATE, ... */
	TESS_NL_A_NET_IF_STATE,		/* u8: TESS_NL_IF_* */
	TESS_NL_A_NET_IF_IPV4,		/* be32: its first IPv4 address */
	__TESS_NL_A_MAX,
};
#define TESS_NL_A_MAX		(__TESS_NL_A_MAX - 1)

#define TESS_NL_NET_DOWN	0	/* no transport registered */
#define TESS_NL_NET_UP		1	/* transport registered, usable */

#define TESS_NL_PEER_DOWN	0	/* no connection (idle, or lost) */
#define TESS_NL_PEER_CONNECTING	1	/* connecting or authenticating */
#define TESS_NL_PEER_UP		2	/* connected and authenticated */

#define TESS_NL_IF_MISSING	0	/* no such interface (any more) */
#define TESS_NL_IF_DOWN		1	/* there, administratively down */
#define TESS_NL_IF_UP		2	/* there and up */

#ifndef __cplusplus
_Static_assert(sizeof(struct tess_hdr) == 48, "tess_hdr");
_Static_assert(sizeof(struct tess_cred) == 80, "tess_cred");
_Static_assert(sizeof(struct tess_hello_req) == 64, "tess_hello_req");
_Static_assert(sizeof(struct tess_ost_leave_req) == 24, "tess_ost_leave_req");
_Static_assert(sizeof(struct tess_hello_rep) == 96, "tess_hello_rep");
_Static_assert(sizeof(struct tess_attr) == 96, "tess_attr");
_Static_assert(sizeof(struct tess_layout) == 16, "tess_layout");
_Static_assert(sizeof(struct tess_ost_obj) == 16, "tess_ost_obj");
_Static_assert(sizeof(struct tess_inode_rep) == 104, "tess_inode_rep");
_Static_assert(sizeof(struct tess_setattr_req) == 72, "tess_setattr_req");
_Static_assert(sizeof(struct tess_open_req) == 16, "tess_open_req");
_Static_assert(sizeof(struct tess_create_req) == 40, "tess_create_req");
_Static_assert(sizeof(struct tess_dirent) == 24, "tess_dirent");
_Static_assert(sizeof(struct tess_dirent_plus) == 104, "tess_dirent_plus");
_Static_assert(sizeof(struct tess_statfs_rep) == 56, "tess_statfs_rep");
_Static_assert(sizeof(struct tess_ost_info) == 72, "tess_ost_info");
_Static_assert(sizeof(struct tess_obj_io_req) == 24, "tess_obj_io_req");
_Static_assert(sizeof(struct tess_obj_punch_req) == 32, "tess_obj_punch_req");
_Static_assert(sizeof(struct tess_obj_io_rep) == 16, "tess_obj_io_rep");
_Static_assert(sizeof(struct tess_obj_verf_rep) == 8, "tess_obj_verf_rep");
_Static_assert(sizeof(struct tess_ioc_ost_statfs) == 120, "tess_ioc_ost_statfs");
_Static_assert(sizeof(struct tess_hsm_set_req) == 56, "tess_hsm_set_req");
_Static_assert(sizeof(struct tess_hsm_rep) == 80, "tess_hsm_rep");
_Static_assert(sizeof(struct tess_obj_hsm_set_req) == 56, "tess_obj_hsm_set_req");
_Static_assert(sizeof(struct tess_obj_hsm_get_req) == 16, "tess_obj_hsm_get_req");
_Static_assert(sizeof(struct tess_obj_hsm_rep) == 120, "tess_obj_hsm_rep");
_Static_assert(sizeof(struct tess_obj_precreate_req) == 16, "tess_obj_precreate_req");
_Static_assert(sizeof(struct tess_obj_list_req) == 16, "tess_obj_list_req");
_Static_assert(sizeof(struct tess_obj_list_rep) == 8, "tess_obj_list_rep");
_Static_assert(sizeof(struct tess_hsm_stats_req) == 8, "tess_hsm_stats_req");
_Static_assert(sizeof(struct tess_hsm_stats_rep) == 8, "tess_hsm_stats_rep");
_Static_assert(sizeof(struct tess_hsm_stat) == 32, "tess_hsm_stat");
_Static_assert(sizeof(struct tess_obj_scan_req) == 16, "tess_obj_scan_req");
_Static_assert(sizeof(struct tess_obj_scan_rep) == 16, "tess_obj_scan_rep");
_Static_assert(sizeof(struct tess_obj_owner) == 32, "tess_obj_owner");
_Static_assert(sizeof(struct tess_stats_rep) == 88, "tess_stats_rep");
_Static_assert(sizeof(struct tess_stats_op) == 24, "tess_stats_op");
#endif

#endif /* _TESSERA_H */
