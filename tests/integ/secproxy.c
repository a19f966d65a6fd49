// SPDX-License-Identifier: MIT
/*
 * secproxy: a man in the middle for tests/integ/sec.sh (issue 12,
 * sec=integrity and sec=privacy), and the client that talks through it.
 *
 *   secproxy proxy PORT TARGET_HOST:PORT ATTACK [DUMP]
 *       listens on 127.0.0.1:PORT, forwards each connection to TARGET
 *       both ways, frame by frame (struct tess_hdr, body, bulk, and the
 *       TESS_SEC_TAG_LEN tag after the AUTH frames when the HELLO reply
 *       agreed a flavor), and performs ONE attack, as an attacker would:
 *       with body_crc and bulk_crc recomputed, so that no CRC catches it.
 *         none        forward only
 *         body:N      flip a body byte of the Nth request after a
 *                     handshake (counted over all connections)
 *         bulk        flip a bulk byte of the first OBJ_WRITE
 *         replay      send the first request after a handshake twice
 *         downgrade   clear the TESS_FEAT_SEC_* bits of the first HELLO
 *       Every byte forwarded is appended to DUMP if given.  Prints
 *       "ready" once listening, and a line for the attack it made.
 *   secproxy mkobj PATH
 *       creates PATH (one stripe on OST 0) with the client library
 *       (TESS_MDS, TESS_KEY, TESSERA_SEC) and prints its object id
 *   secproxy write HOST:PORT OID TEXT
 *       one connection to an OST asking for $TESSERA_SEC: OBJ_WRITE of
 *       TEXT at offset 0, then OBJ_READ of it; prints "connect: R",
 *       "write: R", "read: R DATA" (R: 0 or -errno); exit 0 if all 0
 *   secproxy read HOST:PORT OID LEN
 *       as write, the OBJ_READ only
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "it.h"
#include "tess_wire.h"
#include "tnet.h"

#define HDR		((uint32_t)sizeof(struct tess_hdr))
#define OFF_BODY_LEN	24	/* struct tess_hdr */
#define OFF_BULK_LEN	28
#define OFF_OPCODE	6

/* ---- the proxy ---- */

static const char *attack = "none";
static int attack_n;
static atomic_int requests;		/* after a handshake, all connections */
static atomic_bool attacked;
static FILE *dump;
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sockaddr_in target;

struct dir {
	int from, to;
	bool c2s;
	unsigned nframes;
	uint8_t *buf;
	size_t len, cap;
};

struct link {
	struct dir d[2];
	atomic_bool sec;		/* the HELLO reply agreed a flavor */
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void forward(struct dir *d, const uint8_t *p, size_t len, int *rc)
{
	if (dump) {
		pthread_mutex_lock(&dump_lock);
		fwrite(p, 1, len, dump);
		fflush(dump);
		pthread_mutex_unlock(&dump_lock);
	}
	if (write_all(d->to, p, len))
		*rc = -1;
}

/* body_crc and bulk_crc again, as a sender makes them */
static void fix_crcs(uint8_t *f)
{
	struct tess_hdr *h = (struct tess_hdr *)f;
	uint32_t bl = get32(f + OFF_BODY_LEN), kl = get32(f + OFF_BULK_LEN);

	if (h->bulk_crc)
		h->bulk_crc = cpu_to_le32(tess_crc_final(tess_crc_update(
			tess_crc_init(), f + HDR + bl, kl)));
	tess_hdr_seal(h, f + HDR, bl);
}

/* claim the one attack */
static bool take_attack(void)
{
	bool no = false;

	return atomic_compare_exchange_strong(&attacked, &no, true);
}

/* a client's frame: the attack, if this is its frame; true: send twice */
static bool attack_c2s(struct link *l, struct dir *d, uint8_t *f)
{
	uint32_t bl = get32(f + OFF_BODY_LEN), kl = get32(f + OFF_BULK_LEN);
	uint16_t op = (uint16_t)(f[OFF_OPCODE] | f[OFF_OPCODE + 1] << 8);
	int n;

	if (d->nframes == 0 && !strcmp(attack, "downgrade") && bl >= 16 &&
	    (f[HDR + 8] & TESS_FEAT_SEC_MASK) && take_attack()) {
		printf("secproxy: cleared the flavor bits of a HELLO "
		       "(features 0x%x -> 0x%x)\n", f[HDR + 8],
		       f[HDR + 8] & ~TESS_FEAT_SEC_MASK);
		fflush(stdout);
		f[HDR + 8] &= (uint8_t)~TESS_FEAT_SEC_MASK;
		fix_crcs(f);
		return false;
	}
	if (d->nframes < 2)
		return false;			/* the handshake */
	n = atomic_fetch_add(&requests, 1) + 1;
	if (!strncmp(attack, "body:", 5) && n == attack_n && bl &&
	    take_attack()) {
		printf("secproxy: flipped a body byte of request %d (opcode "
		       "%u, %s)\n", n, op, l->sec ? "protected" : "sec=auth");
		f[HDR] ^= 0x01;
		fix_crcs(f);
	} else if (!strcmp(attack, "bulk") && op == TESS_OP_OBJ_WRITE && kl &&
		   take_attack()) {
		printf("secproxy: flipped a bulk byte of an OBJ_WRITE (%s)\n",
		       l->sec ? "protected" : "sec=auth");
		f[HDR + bl] ^= 0x20;
		fix_crcs(f);
	} else if (!strcmp(attack, "replay") && take_attack()) {
		printf("secproxy: replaying request %d (opcode %u)\n", n, op);
		fflush(stdout);
		return true;
	}
	fflush(stdout);
	return false;
}

/* the HELLO reply: did the server agree a flavor (version 4)? */
static void watch_s2c(struct link *l, struct dir *d, const uint8_t *f)
{
	uint32_t bl = get32(f + OFF_BODY_LEN);

	if (d->nframes == 0 && bl >= 16)
		atomic_store(&l->sec, (f[HDR] | f[HDR + 1] << 8) >= 4 &&
				      (f[HDR + 8] & TESS_FEAT_SEC_MASK));
}

/* forward every whole frame in d's buffer */
static int frames(struct link *l, struct dir *d)
{
	size_t off = 0;
	int rc = 0;

	while (d->len - off >= HDR && !rc) {
		uint8_t *f = d->buf + off;
		bool tagged = atomic_load(&l->sec) && d->nframes >= 2, twice;
		size_t total = (size_t)HDR + get32(f + OFF_BODY_LEN) +
			       get32(f + OFF_BULK_LEN) +
			       (tagged ? TESS_SEC_TAG_LEN : 0);

		if (d->len - off < total)
			break;
		twice = false;
		if (d->c2s)
			twice = attack_c2s(l, d, f);
		else
			watch_s2c(l, d, f);
		forward(d, f, total, &rc);
		if (twice)
			forward(d, f, total, &rc);
		d->nframes++;
		off += total;
	}
	memmove(d->buf, d->buf + off, d->len - off);
	d->len -= off;
	return rc;
}

static int pump(struct link *l, struct dir *d)
{
	ssize_t n;

	if (d->cap - d->len < 65536) {
		uint8_t *nb = realloc(d->buf, d->cap * 2 + 65536);

		if (!nb)
			return -1;
		d->buf = nb;
		d->cap = d->cap * 2 + 65536;
	}
	n = read(d->from, d->buf + d->len, d->cap - d->len);
	if (n <= 0)
		return -1;
	d->len += (size_t)n;
	return frames(l, d);
}

static void *serve_link(void *arg)
{
	int cfd = (int)(intptr_t)arg, sfd = socket(AF_INET, SOCK_STREAM, 0);
	struct link l = { 0 };

	if (sfd < 0 || connect(sfd, (struct sockaddr *)&target,
			       sizeof(target))) {
		close(cfd);
		if (sfd >= 0)
			close(sfd);
		return NULL;
	}
	l.d[0] = (struct dir){ .from = cfd, .to = sfd, .c2s = true };
	l.d[1] = (struct dir){ .from = sfd, .to = cfd };
	for (;;) {
		struct pollfd p[2] = { { cfd, POLLIN, 0 }, { sfd, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0)
			break;
		if ((p[0].revents && pump(&l, &l.d[0])) ||
		    (p[1].revents && pump(&l, &l.d[1])))
			break;
	}
	close(cfd);
	close(sfd);
	free(l.d[0].buf);
	free(l.d[1].buf);
	return NULL;
}

static int cmd_proxy(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct tnet_addr ta;
	char err[256];
	int lfd, one = 1;

	if (argc < 5)
		return 2;
	attack = argv[4];
	if (!strncmp(attack, "body:", 5))
		attack_n = atoi(attack + 5);
	if (tnet_addr_parse(argv[3], 0, &ta, err, sizeof(err))) {
		fprintf(stderr, "secproxy: %s: %s\n", argv[3], err);
		return 2;
	}
	target = (struct sockaddr_in){ .sin_family = AF_INET,
				       .sin_port = htons(ta.port) };
	inet_pton(AF_INET, ta.host, &target.sin_addr);
	if (argc > 5 && !(dump = fopen(argv[5], "w"))) {
		perror(argv[5]);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(lfd, 16)) {
		perror("secproxy: listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int cfd = accept(lfd, NULL, NULL);
		pthread_t t;

		if (cfd < 0)
			continue;
		if (pthread_create(&t, NULL, serve_link, (void *)(intptr_t)cfd))
			close(cfd);
		else
			pthread_detach(t);
	}
}

/* ---- the client ---- */

static struct tnet_conn *ost_connect(const char *addr, int *rc)
{
	const char *s = getenv("TESSERA_SEC");
	struct tnet_key key;
	struct tnet_addr a;
	uint8_t uuid[16];
	char err[256];
	int sec = s && *s ? tnet_sec_parse(s) : TESS_SEC_AUTH;

	if (sec < 0 || tnet_key_load(getenv("TESS_KEY"), &key, err, sizeof(err)) ||
	    tnet_addr_parse(addr, TESS_OST_PORT, &a, err, sizeof(err))) {
		*rc = -EINVAL;
		return NULL;
	}
	tnet_random(uuid, sizeof(uuid));
	return tnet_connect_sec(&a, &key, TESS_ROLE_CLIENT, uuid, 5000, sec,
				rc);
}

static int obj_io(struct tnet_conn *c, uint16_t op, uint64_t oid, void *buf,
		  uint32_t len)
{
	struct tess_obj_io_req r = { .oid = cpu_to_le64(oid),
				     .length = cpu_to_le32(len) };
	struct tnet_call call = { .op = op, .body = &r, .body_len = sizeof(r) };
	int rc;

	if (op == TESS_OP_OBJ_WRITE) {
		r.flags = cpu_to_le32(TESS_IO_SYNC);
		call.bulk = buf;
		call.bulk_len = len;
	} else {
		call.rbulk = buf;
		call.rbulk_cap = len;
	}
	rc = tnet_call(c, &call);
	if (!rc && op == TESS_OP_OBJ_READ && call.reply.f.bulk_len != len)
		rc = -ENODATA;
	return rc;
}

static int cmd_client(bool write, const char *addr, uint64_t oid,
		      const char *text, uint32_t len)
{
	char buf[256] = "";
	int rc = 0, wrc = 0, rrc;
	struct tnet_conn *c = ost_connect(addr, &rc);

	printf("connect: %d\n", rc);
	if (!c)
		return 1;
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	if (write) {
		wrc = obj_io(c, TESS_OP_OBJ_WRITE, oid, (void *)text, len);
		printf("write: %d\n", wrc);
	}
	rrc = obj_io(c, TESS_OP_OBJ_READ, oid, buf, len);
	printf("read: %d %s\n", rrc, rrc ? "" : buf);
	tnet_close(c);
	return rc || wrc || rrc;
}

static int cmd_mkobj(const char *path)
{
	struct tess_layout_req lr = { .stripe_count = 1, .stripe_offset = 0 };
	struct tess_client *c = it_connect();
	struct tess_file *f;
	int rc = tess_open(c, path, O_CREAT | O_RDWR, 0644, &lr, &f);

	if (!rc && tess_pwrite(f, "created", 7, 0) != 7)
		rc = -EIO;
	if (!rc)
		rc = tess_fsync(f);
	if (rc) {
		fprintf(stderr, "secproxy: %s: %s\n", path, strerror(-rc));
		return 1;
	}
	printf("%llu\n", (unsigned long long)tess_file_inode(f)->objs[0].oid);
	tess_close(f);
	tess_client_close(c);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "proxy"))
		return cmd_proxy(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "mkobj"))
		return cmd_mkobj(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "write"))
		return cmd_client(true, argv[2], strtoull(argv[3], NULL, 0),
				  argv[4], (uint32_t)strlen(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "read"))
		return cmd_client(false, argv[2], strtoull(argv[3], NULL, 0),
				  NULL, (uint32_t)atoi(argv[4]));
	fprintf(stderr, "usage: secproxy proxy PORT TARGET ATTACK [DUMP] | "
		"mkobj PATH | write ADDR OID TEXT | read ADDR OID LEN\n");
	return 2;
}
