// SPDX-License-Identifier: MIT
/*
 * badinput: every class of bad input is refused (error reply, or that one
 * connection closed) and a good client is served right after it.  Runs
 * against the MDS and against OST 0.
 */
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "it.h"

static struct tess_client *good;
static struct tnet_key key;

static int send_all(int fd, const void *p, size_t n)
{
	return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* a sealed frame: header + body */
static size_t mkframe(uint8_t *out, uint16_t op, const void *body, uint32_t len)
{
	struct tess_frame f = { .xid = 7, .opcode = op, .flags = TESS_HF_REQUEST,
				.body_len = len };
	struct tess_hdr *h = (void *)out;

	tess_hdr_encode(h, &f);
	memcpy(out + sizeof(*h), body, len);
	tess_hdr_seal(h, body, len);
	return sizeof(*h) + len;
}

/* -1: connection closed (or timeout); else the reply status */
static int read_reply(int fd)
{
	struct tess_hdr h;
	struct tess_frame f;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t body[TESS_MAX_BODY];
	size_t got = 0;
	int rc;

	while (got < sizeof(h)) {
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			return -2;
		n = recv(fd, (uint8_t *)&h + got, sizeof(h) - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	rc = tess_hdr_decode(&h, &f);
	if (rc && rc != -EOPNOTSUPP)	/* a reply to an unknown opcode */
		return -3;
	if (f.body_len && recv(fd, body, f.body_len, MSG_WAITALL) != f.body_len)
		return -1;
	return (int)f.status;
}

static bool closed(int fd)
{
	return read_reply(fd) == -1;
}

static void served(const char *target, const char *after)
{
	struct tess_inode st;
	struct tess_statfs sf;
	char name[128];
	int rc = tess_stat(good, "/", &st);

	if (!rc && !strcmp(target, "ost"))
		rc = tess_ost_statfs(good, 0, &sf);
	snprintf(name, sizeof(name), "bad.%s.%s.good_client_served", target, after);
	it_result(rc == 0, name, "%s", strerror(-rc));
}

static struct tnet_conn *authed(const struct tnet_addr *a)
{
	uint8_t uuid[16] = { 1 };
	int err;
	struct tnet_conn *c = tnet_connect(a, &key, TESS_ROLE_CLIENT, uuid, 5000, &err);

	if (!c) {
		printf("FAIL: integ: bad.connect: %s\n", strerror(-err));
		exit(1);
	}
	return c;
}

static void run(const char *target, const struct tnet_addr *a)
{
	uint8_t fr[TESS_MAX_BODY + 64], body[1024];
	struct tess_name_req *nr = (void *)body;
	struct tnet_conn *c;
	char name[128];
	size_t n;

#define NAME(s) (snprintf(name, sizeof(name), "bad.%s.%s", target, s), name)

	/* 1. truncated header, then close */
	c = authed(a);
	send_all(c->fd, "TSRA\1\0", 6);
	tnet_close(c);
	served(target, "truncated_header");

	/* 2. truncated body, then half-close: the server drops the connection */
	c = authed(a);
	memset(body, 0, sizeof(body));
	nr->parent = cpu_to_le64(1);
	nr->name_len = cpu_to_le32(3);
	memcpy(nr + 1, "abc", 3);
	n = mkframe(fr, TESS_OP_LOOKUP, body, sizeof(*nr) + 3);
	send_all(c->fd, fr, n - 2);
	shutdown(c->fd, SHUT_WR);
	it_result(closed(c->fd), NAME("truncated_body_closed"), "connection not closed");
	tnet_close(c);
	served(target, "truncated_body");

	/* 3. wrong CRC */
	c = authed(a);
	n = mkframe(fr, TESS_OP_LOOKUP, body, sizeof(*nr) + 3);
	fr[n - 1] ^= 0xff;
	send_all(c->fd, fr, n);
	it_result(closed(c->fd), NAME("bad_crc_closed"), "connection not closed");
	tnet_close(c);
	served(target, "bad_crc");

	/* 4. oversized lengths */
	c = authed(a);
	n = mkframe(fr, TESS_OP_OBJ_WRITE, body, 24);
	((struct tess_hdr *)fr)->bulk_len = cpu_to_le32(1u << 30);
	send_all(c->fd, fr, n);
	it_result(closed(c->fd), NAME("oversized_bulk_closed"), "connection not closed");
	tnet_close(c);
	c = authed(a);
	n = mkframe(fr, TESS_OP_LOOKUP, body, 8);
	((struct tess_hdr *)fr)->body_len = cpu_to_le32(0x7fffffff);
	send_all(c->fd, fr, n);
	it_result(closed(c->fd), NAME("oversized_body_closed"), "connection not closed");
	tnet_close(c);
	served(target, "oversized");

	/* 5. bad magic */
	c = authed(a);
	n = mkframe(fr, TESS_OP_PING, NULL, 0);
	fr[0] = 'X';
	send_all(c->fd, fr, n);
	it_result(closed(c->fd), NAME("bad_magic_closed"), "connection not closed");
	tnet_close(c);

	/* 6. unknown opcode: an error reply, and the connection goes on */
	c = authed(a);
	n = mkframe(fr, 50, "abcd", 4);
	send_all(c->fd, fr, n);
	it_result(read_reply(c->fd) == EOPNOTSUPP, NAME("unknown_opcode_eopnotsupp"),
		  "no EOPNOTSUPP reply");
	n = mkframe(fr, TESS_OP_PING, NULL, 0);
	send_all(c->fd, fr, n);
	it_result(read_reply(c->fd) == 0, NAME("ping_after_unknown_opcode"), "no reply");

	/* 7. names: '/', NUL, 256 bytes -> error replies on the same connection */
	{
		static const struct { const char *s; uint32_t len; int err; const char *what; } t[] = {
			{ "a/b", 3, EINVAL, "name_with_slash" },
			{ "a\0b", 3, EINVAL, "name_with_nul" },
			{ NULL, 256, ENAMETOOLONG, "name_256_bytes" },
			{ "..", 2, EINVAL, "name_dotdot" },
		};

		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			memset(body, 'x', sizeof(body));
			nr->parent = cpu_to_le64(1);
			nr->name_len = cpu_to_le32(t[i].len);
			nr->pad = 0;
			if (t[i].s)
				memcpy(nr + 1, t[i].s, t[i].len);
			n = mkframe(fr, TESS_OP_LOOKUP, body, sizeof(*nr) + t[i].len);
			send_all(c->fd, fr, n);
			it_result(read_reply(c->fd) == t[i].err, NAME(t[i].what),
				  "not refused with %s", strerror(t[i].err));
		}
	}
	/* 8. a body whose declared name runs past its end */
	nr->name_len = cpu_to_le32(900);
	n = mkframe(fr, TESS_OP_LOOKUP, body, sizeof(*nr) + 10);
	send_all(c->fd, fr, n);
	it_result(read_reply(c->fd) == EBADMSG, NAME("length_past_body_ebadmsg"), "not refused");
	tnet_close(c);
	served(target, "bad_names");

	/* 9. a request before the handshake */
	{
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct tnet_conn *tmp = authed(a);	/* borrow its peer address */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		getpeername(tmp->fd, (struct sockaddr *)&ss, &sl);
		tnet_close(tmp);
		connect(fd, (struct sockaddr *)&ss, sl);
		n = mkframe(fr, TESS_OP_PING, NULL, 0);
		send_all(fd, fr, n);
		it_result(closed(fd), NAME("unauthenticated_request_closed"),
			  "served without a handshake");
		close(fd);
	}

	/* 10. wrong key */
	{
		struct tnet_key bad = key;
		uint8_t uuid[16] = { 2 };
		int err;

		bad.bytes[0] ^= 1;
		c = tnet_connect(a, &bad, TESS_ROLE_CLIENT, uuid, 5000, &err);
		it_result(!c && err == -EACCES, NAME("wrong_key_refused"),
			  "connect with a wrong key: %s", c ? "accepted" : strerror(-err));
		tnet_close(c);
	}
	served(target, "wrong_key");
#undef NAME
}

int main(void)
{
	struct tnet_addr mds, ost;
	struct tess_ost osts[8];
	char err[256];

	good = it_connect();
	if (tnet_key_load(getenv("TESS_KEY"), &key, err, sizeof(err)) ||
	    tnet_addr_parse(getenv("TESS_MDS"), TESS_MDS_PORT, &mds, err, sizeof(err))) {
		printf("FAIL: integ: bad.setup: %s\n", err);
		return 1;
	}
	run("mds", &mds);
	if (tess_ost_list(good, osts, 8) < 1 ||
	    tnet_addr_parse(osts[0].addr, TESS_OST_PORT, &ost, err, sizeof(err))) {
		printf("FAIL: integ: bad.ost_list: no OST 0\n");
		return 1;
	}
	run("ost", &ost);
	tess_client_close(good);
	return it_failed;
}
