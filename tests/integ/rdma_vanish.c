// SPDX-License-Identifier: MIT
/*
 * rdma_vanish: a client that vanishes from an @rdma connection without a
 * disconnect, as a host that lost power does (tests/vm/suites/rdma.sh).
 *   rdma_vanish ADDR KEYFILE SECONDS
 * Connects to the server at ADDR (HOST:PORT@rdma) as a client, makes one
 * PING, then puts its queue pair in the error state (tnet_rdma_vanish:
 * the adapter stops answering, no disconnect is sent) and sleeps SECONDS
 * before exiting.  The server, waiting for requests with no deadline,
 * must find the peer gone by its keepalive probe (tnet_rdma.c) and end
 * the connection; the suite reads that from the server's log.
 * Exit: 0 once it slept, 1 if the connect, the PING or the vanish failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tnet.h"
#include "tnet_rdma.h"

int main(int argc, char **argv)
{
	struct tnet_call ping = { .op = TESS_OP_PING };
	uint8_t uuid[16] = { 0x7e, 0x55 };
	struct tnet_addr a;
	struct tnet_key key;
	struct tnet_conn *c;
	char err[256];
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: rdma_vanish HOST:PORT@rdma KEYFILE SECONDS\n");
		return 2;
	}
	if (tnet_addr_parse(argv[1], 0, &a, err, sizeof(err)) ||
	    tnet_key_load(argv[2], &key, err, sizeof(err))) {
		fprintf(stderr, "rdma_vanish: %s\n", err);
		return 2;
	}
	c = tnet_connect(&a, &key, TESS_ROLE_CLIENT, uuid, 10000, &rc);
	if (!c) {
		fprintf(stderr, "rdma_vanish: connect %s: %s\n", argv[1],
			strerror(-rc));
		return 1;
	}
	rc = tnet_call(c, &ping);
	if (rc) {
		fprintf(stderr, "rdma_vanish: PING: %s\n", strerror(-rc));
		return 1;
	}
	rc = tnet_rdma_vanish(c);
	if (rc) {
		fprintf(stderr, "rdma_vanish: %s\n", strerror(-rc));
		return 1;
	}
	printf("rdma_vanish: connected, PING answered, queue pair in error; "
	       "sleeping %s s\n", argv[3]);
	fflush(stdout);
	sleep((unsigned)atoi(argv[3]));
	return 0;
}
