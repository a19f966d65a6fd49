// SPDX-License-Identifier: MIT
/*
 * preauth: what a peer that never authenticates can cost a daemon
 * (driven by tests/integ/preauth.sh against an MDS of its own, whose
 * pid is given).
 *
 *   preauth bulk PID    a HELLO declaring a 16 MiB bulk, then the 16 MiB:
 *                       the connection is closed with no HELLO reply and
 *                       the daemon's VmHWM grows by less than 4 MiB
 *   preauth loris PID   one byte of a HELLO every 2 s: the connection is
 *                       closed by the handshake deadline (TNET_HANDSHAKE_MS
 *                       in all), not held as long as bytes trickle in
 *   preauth cap PID     an authenticated client; then TNET_PREAUTH_MAX idle
 *                       connections: one more is closed within 2 s, the
 *                       client still works; once the idle ones go, a new
 *                       client connects (the idle ones from 8
 *                       addresses: TNET_PREAUTH_PER_ADDR each)
 *   preauth peraddr PID 500 idle connections from 127.0.0.2: all but
 *                       TNET_PREAUTH_PER_ADDR closed within 3 s, the daemon's
 *                       threads bounded, and meanwhile a client from
 *                       127.0.0.1 connects and is served
 *   preauth keepalive PID
 *                       an authenticated connection: the daemon's socket
 *                       has a TCP keepalive timer (ss -o)
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "it.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* a field of /proc/PID/status in kB (VmHWM, VmRSS) or a count (Threads) */
static long proc_status(int pid, const char *field)
{
	char path[64], line[256];
	size_t fl = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, fl) && line[fl] == ':') {
			v = strtol(line + fl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* a TCP connection to the MDS, from source address src (NULL: any) */
static int raw_connect_from(const char *src)
{
	struct tnet_addr a;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in from = { .sin_family = AF_INET };
	char err[256];
	int fd;

	if (tnet_addr_parse(getenv("TESS_MDS"), TESS_MDS_PORT, &a, err,
			    sizeof(err))) {
		printf("FAIL: integ: preauth.setup: %s\n", err);
		exit(1);
	}
	sin.sin_port = htons(a.port);
	inet_pton(AF_INET, a.host, &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && src && (inet_pton(AF_INET, src, &from.sin_addr) != 1 ||
			       bind(fd, (struct sockaddr *)&from, sizeof(from)))) {
		printf("FAIL: integ: preauth.setup: bind to %s: %s\n", src,
		       strerror(errno));
		exit(1);
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		printf("FAIL: integ: preauth.setup: connect: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static int raw_connect(void)
{
	return raw_connect_from(NULL);
}

/* a sealed HELLO frame (header + a valid body) declaring bulk_len */
static size_t hello_frame(uint8_t *out, uint32_t bulk_len)
{
	struct tess_hello_req hreq = { 0 };
	struct tess_frame f = { .xid = 1, .opcode = TESS_OP_HELLO,
				.flags = TESS_HF_REQUEST,
				.body_len = sizeof(hreq), .bulk_len = bulk_len };
	struct tess_hdr *h = (void *)out;

	hreq.ver_min = cpu_to_le16(TESS_PROTO_MIN);
	hreq.ver_max = cpu_to_le16(TESS_PROTO_VERSION);
	hreq.role = cpu_to_le32(TESS_ROLE_CLIENT);
	hreq.features = cpu_to_le64(TESS_FEAT_BASE);
	tess_hdr_encode(h, &f);
	memcpy(out + sizeof(*h), &hreq, sizeof(hreq));
	tess_hdr_seal(h, &hreq, sizeof(hreq));
	return sizeof(*h) + sizeof(hreq);
}

/*
 * What the server did within ms: 1 closed the connection, 0 sent
 * something (a reply), -1 nothing yet.
 */
static int peer_state(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t b[256];
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno == ECONNRESET))
		return 1;
	return n > 0 ? 0 : -1;
}

/* ---- a HELLO that declares a 16 MiB bulk ---- */

static int bulk(int pid)
{
	uint8_t fr[256];
	size_t n = hello_frame(fr, TESS_MAX_BULK);
	size_t chunk = 1 << 20, sent = 0;
	long hwm0 = proc_status(pid, "VmHWM"), rss0 = proc_status(pid, "VmRSS");
	long hwm1, rss1;
	char *junk = calloc(1, chunk);
	struct timeval tv = { .tv_sec = 5 };
	int fd = raw_connect(), st;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	send(fd, fr, n, MSG_NOSIGNAL);
	memset(junk, 0xa5, chunk);
	while (sent < TESS_MAX_BULK) {
		ssize_t w = send(fd, junk, chunk, MSG_NOSIGNAL);

		if (w <= 0)
			break;		/* refused: the server closed it */
		sent += (size_t)w;
	}
	st = peer_state(fd, 5000);
	usleep(200000);
	hwm1 = proc_status(pid, "VmHWM");
	rss1 = proc_status(pid, "VmRSS");
	printf("integ: preauth.bulk: sent %zu of %d bulk bytes; daemon VmHWM "
	       "%ld -> %ld kB, VmRSS %ld -> %ld kB\n", sent, TESS_MAX_BULK,
	       hwm0, hwm1, rss0, rss1);
	it_result(st == 1, "preauth.bulk_hello_closed", "%s",
		  st == 0 ? "the HELLO was answered" :
		  "the connection is still open after 5 s");
	it_result(hwm0 > 0 && hwm1 - hwm0 < 4096, "preauth.bulk_hello_not_allocated",
		  "the daemon's VmHWM grew by %ld kB (%ld -> %ld)",
		  hwm1 - hwm0, hwm0, hwm1);
	close(fd);
	free(junk);
	return 0;
}

/* ---- slow loris: one byte every 2 s ---- */

static int loris(int pid)
{
	uint8_t fr[256];
	size_t n = hello_frame(fr, 0), i, sent = 0;
	int64_t t0 = now_ms(), t;
	int fd = raw_connect(), st = -1;

	(void)pid;
	for (i = 0; i < n && now_ms() - t0 < 24000; i++) {
		if (send(fd, fr + i, 1, MSG_NOSIGNAL) != 1) {
			st = 1;
			break;
		}
		sent++;
		st = peer_state(fd, 2000);
		if (st >= 0)
			break;
	}
	t = now_ms() - t0;
	printf("integ: preauth.loris: %zu bytes sent one per 2 s; %s after "
	       "%lld ms\n", sent,
	       st == 1 ? "closed by the daemon" : st == 0 ? "answered" :
	       "still open", (long long)t);
	it_result(st == 1 && t <= TNET_HANDSHAKE_MS + 3000, "preauth.slow_loris_closed",
		  "%s after %lld ms (the deadline is %d ms for the whole "
		  "handshake)", st == 0 ? "answered" : st == 1 ? "closed" :
		  "still open", (long long)t, TNET_HANDSHAKE_MS);
	close(fd);
	return 0;
}

/* ---- TNET_PREAUTH_MAX idle connections, and one more ---- */

static int cap(int pid)
{
	int fds[TNET_PREAUTH_MAX], extra, st, rc, i;
	struct tess_client *good = it_connect_ms(5000), *later = NULL;
	long thr0 = proc_status(pid, "Threads"), thr1, thr2;
	struct tess_inode ino;
	char err[256];
	int64_t t0, t;

	/* from TNET_PREAUTH_MAX / TNET_PREAUTH_PER_ADDR addresses, each at
	 * its own limit: the one past the limit comes from yet another */
	for (i = 0; i < TNET_PREAUTH_MAX; i++) {
		char src[32];

		snprintf(src, sizeof(src), "127.0.1.%d",
			 1 + i / TNET_PREAUTH_PER_ADDR);
		fds[i] = raw_connect_from(src);
	}
	usleep(500000);			/* all accepted, each its thread */
	thr1 = proc_status(pid, "Threads");
	t0 = now_ms();
	extra = raw_connect_from("127.0.1.200");
	st = peer_state(extra, 2000);
	t = now_ms() - t0;
	thr2 = proc_status(pid, "Threads");
	printf("integ: preauth.cap: daemon threads %ld, with %d idle "
	       "unauthenticated connections %ld, after one more %ld\n",
	       thr0, TNET_PREAUTH_MAX, thr1, thr2);
	it_result(st == 1, "preauth.cap_extra_closed",
		  "connection %d past the limit %s after %lld ms",
		  TNET_PREAUTH_MAX + 1, st == 0 ? "answered" : "still open",
		  (long long)t);
	it_result(thr2 >= 0 && thr2 <= thr1, "preauth.cap_no_thread_for_extra",
		  "threads %ld -> %ld", thr1, thr2);
	rc = tess_stat(good, "/", &ino);
	it_result(rc == 0, "preauth.cap_authenticated_client_served", "stat /: %s",
		  strerror(-rc));
	close(extra);
	for (i = 0; i < TNET_PREAUTH_MAX; i++)
		close(fds[i]);
	/* their slots free as the daemon sees them closed */
	t0 = now_ms();
	do {
		rc = tess_client_open(getenv("TESS_MDS"), getenv("TESS_KEY"),
				      5000, &later, err, sizeof(err));
		if (rc)
			usleep(100000);
	} while (rc && now_ms() - t0 < 5000);
	it_result(rc == 0, "preauth.cap_new_client_after", "%s", err);
	if (!rc) {
		rc = tess_stat(later, "/", &ino);
		it_result(rc == 0, "preauth.cap_new_client_served", "stat /: %s",
			  strerror(-rc));
		tess_client_close(later);
	}
	tess_client_close(good);
	return 0;
}

/* ---- one address opening PERADDR_N idle connections ---- */

#define PERADDR_N	500

static int peraddr(int pid)
{
	static int fds[PERADDR_N];
	long thr0 = proc_status(pid, "Threads"), thr1;
	int closed = 0, rc, i;
	struct tess_client *c = NULL;
	struct tess_inode ino;
	char err[256];
	int64_t t0;

	for (i = 0; i < PERADDR_N; i++)
		fds[i] = raw_connect_from("127.0.0.2");
	/* the first few past its share wait TNET_PREAUTH_WAIT_MS each, until
	 * the address has made no progress for TNET_PREAUTH_STUCK_MS: then
	 * the rest are closed at once */
	t0 = now_ms();
	do {
		usleep(200000);
		closed = 0;
		for (i = 0; i < PERADDR_N; i++)
			closed += peer_state(fds[i], 0) == 1;
	} while (closed < PERADDR_N - TNET_PREAUTH_PER_ADDR &&
		 now_ms() - t0 < 3 * TNET_PREAUTH_STUCK_MS);
	thr1 = proc_status(pid, "Threads");
	printf("integ: preauth.peraddr: %d idle connections from 127.0.0.2: "
	       "%d closed by the daemon within %lld ms; its threads %ld -> "
	       "%ld\n", PERADDR_N, closed, (long long)(now_ms() - t0), thr0,
	       thr1);
	it_result(closed >= PERADDR_N - TNET_PREAUTH_PER_ADDR,
		  "preauth.peraddr_closed",
		  "%d of %d closed, at least %d expected", closed, PERADDR_N,
		  PERADDR_N - TNET_PREAUTH_PER_ADDR);
	it_result(thr1 >= 0 && thr1 <= thr0 + TNET_PREAUTH_PER_ADDR,
		  "preauth.peraddr_threads_bounded", "threads %ld -> %ld",
		  thr0, thr1);
	/* meanwhile a client from another address connects and is served
	 * within its own time-out (the idle ones still open) */
	t0 = now_ms();
	rc = tess_client_open(getenv("TESS_MDS"), getenv("TESS_KEY"), 5000,
			      &c, err, sizeof(err));
	it_result(rc == 0, "preauth.peraddr_other_address_connects",
		  "after %lld ms: %s", (long long)(now_ms() - t0), err);
	if (!rc) {
		rc = tess_stat(c, "/", &ino);
		it_result(rc == 0, "preauth.peraddr_other_address_served",
			  "stat /: %s", strerror(-rc));
		tess_client_close(c);
	}
	for (i = 0; i < PERADDR_N; i++)
		close(fds[i]);
	return 0;
}

/* ---- an authenticated connection has TCP keepalive ---- */

static int keepalive(int pid)
{
	struct tess_client *c = it_connect_ms(5000);
	struct tnet_addr a;
	struct tess_inode ino;
	char cmd[160], line[512], err[256];
	int found = 0, rc;
	FILE *p;

	(void)pid;
	rc = c ? tess_stat(c, "/", &ino) : -ENOTCONN;
	if (tnet_addr_parse(getenv("TESS_MDS"), TESS_MDS_PORT, &a, err,
			    sizeof(err)) || rc) {
		it_result(0, "preauth.keepalive", "setup: %s",
			  rc ? strerror(-rc) : err);
		return 0;
	}
	/*
	 * The daemon's side: source port = its port; ss -o shows its timer,
	 * "on" (retransmit) while the stat reply is not yet acknowledged,
	 * then "keepalive" if set: ask a few times.
	 */
	snprintf(cmd, sizeof(cmd),
		 "ss -tnoH state established '( sport = :%u )' 2>&1", a.port);
	for (int i = 0; i < 20 && !found; i++) {
		if (i)
			usleep(100000);
		p = popen(cmd, "r");
		while (p && fgets(line, sizeof(line), p))
			if (strstr(line, "keepalive"))
				found++;
		if (p)
			pclose(p);
	}
	it_result(found >= 1, "preauth.keepalive",
		  "no established connection of the daemon on port %u has a "
		  "keepalive timer (ss -o)", a.port);
	tess_client_close(c);
	return 0;
}

int main(int argc, char **argv)
{
	int pid = argc == 3 ? atoi(argv[2]) : 0;

	if (pid <= 0) {
		fprintf(stderr, "usage: preauth bulk|loris|cap|peraddr|keepalive PID\n");
		return 2;
	}
	if (!strcmp(argv[1], "bulk"))
		bulk(pid);
	else if (!strcmp(argv[1], "loris"))
		loris(pid);
	else if (!strcmp(argv[1], "cap"))
		cap(pid);
	else if (!strcmp(argv[1], "peraddr"))
		peraddr(pid);
	else if (!strcmp(argv[1], "keepalive"))
		keepalive(pid);
	else
		return 2;
	return it_failed;
}
