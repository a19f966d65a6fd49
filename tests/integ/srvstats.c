// SPDX-License-Identifier: MIT
/*
 * srvstats: the STATS request (issue #11) as a peer may send it wrongly.
 *   srvstats bad SERVER    SERVER: mds or an OST index.  A STATS request
 *                          with an 8-byte body is refused EBADMSG, and a
 *                          good one right after it on the same client is
 *                          answered, its reply decodes and counts the
 *                          refused request among the errors.
 * The MDS address and key: TESS_MDS, TESS_KEY (tests/integ/srvstats.sh).
 */
#include "it.h"
#include "tnet_stats.h"

static int call(struct tess_client *c, int ost, struct tnet_call *call)
{
	return ost < 0 ? tess_mds_call(c, call) :
	       tess_ost_call(c, (uint32_t)ost, call);
}

static int get_stats(struct tess_client *c, int ost, struct tnet_stats *st)
{
	struct tnet_call k = { .op = TESS_OP_STATS };
	int rc = call(c, ost, &k);

	return rc ? rc : tnet_stats_decode(k.reply.body, k.reply.f.body_len, st);
}

int main(int argc, char **argv)
{
	static struct tnet_stats before, after;
	uint8_t junk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct tnet_call bad = { .op = TESS_OP_STATS, .body = junk,
				 .body_len = sizeof(junk) };
	struct tess_client *c;
	char name[64];
	int ost;

	if (argc != 3 || strcmp(argv[1], "bad")) {
		fprintf(stderr, "usage: srvstats bad mds|OST_INDEX\n");
		return 2;
	}
	ost = strcmp(argv[2], "mds") ? atoi(argv[2]) : -1;
	c = it_connect_ms(5000);
	snprintf(name, sizeof(name), "srvstats.%s.good_before", argv[2]);
	IT_RC(name, get_stats(c, ost, &before), 0);
	snprintf(name, sizeof(name), "srvstats.%s.bad_length_refused", argv[2]);
	IT_RC(name, call(c, ost, &bad), -EBADMSG);
	snprintf(name, sizeof(name), "srvstats.%s.good_after", argv[2]);
	IT_RC(name, get_stats(c, ost, &after), 0);
	snprintf(name, sizeof(name), "srvstats.%s.refusal_counted", argv[2]);
	it_result(after.errors > before.errors, name,
		  "errors %llu before the bad request, %llu after",
		  (unsigned long long)before.errors,
		  (unsigned long long)after.errors);
	tess_client_close(c);
	return it_failed;
}
