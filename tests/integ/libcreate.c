// SPDX-License-Identifier: MIT
/*
 * libcreate: what tess_open(O_CREAT) costs at the MDS, from its request
 * counters (STATS), issue #11.
 *   libcreate new N DIR  against an MDS that agreed TESS_FEAT_CREATE_OPEN:
 *                        N new files made by tess_open cost N CREATEs and
 *                        no OPEN (one CREATE with TESS_CREATE_OPEN each),
 *                        written and closed with one CLOSE each;
 *                        O_CREAT|O_EXCL of an existing name EEXIST with
 *                        nothing made or opened; O_CREAT of an existing
 *                        file opens it (one CREATE_OPEN, no OPEN) with the
 *                        data written at its creation; the path is walked
 *                        once, to DIR, with no LOOKUP of the name and no
 *                        GETATTR
 *   libcreate old N DIR  the same with TESS_FEAT_CREATE_OPEN cleared from
 *                        the features the MDS connection agreed, as with an
 *                        MDS without it: the name looked up, then N
 *                        CREATEs and N OPENs, as before
 * DIR is made if missing.  The MDS address and key: TESS_MDS, TESS_KEY
 * (tests/integ/srvstats.sh, whose MDS has no other client meanwhile).
 *
 * The library's tess_client.c is built into this program (not taken from
 * libtess.a) so that "old" can reach the connection's agreed features.
 */
#include "../../user/lib/tess_client.c"

#include "it.h"
#include "tnet_stats.h"

static int get_stats(struct tess_client *c, struct tnet_stats *st)
{
	struct tnet_call k = { .op = TESS_OP_STATS };
	int rc = tess_mds_call(c, &k);

	return rc ? rc : tnet_stats_decode(k.reply.body, k.reply.f.body_len, st);
}

static uint64_t op_count(const struct tnet_stats *st, uint16_t op)
{
	for (uint32_t i = 0; i < st->nops; i++)
		if (st->ops[i].opcode == op)
			return st->ops[i].count;
	return 0;
}

/* requests of op the MDS answered between two reports */
#define DELTA(a, b, op)	(op_count(&(b), op) - op_count(&(a), op))

/* the CREATEs, OPENs and CLOSEs the MDS answered between a and b */
static void expect_ops(const char *name, const struct tnet_stats *a,
		       const struct tnet_stats *b, uint64_t creates,
		       uint64_t opens, uint64_t closes)
{
	uint64_t cr = DELTA(*a, *b, TESS_OP_CREATE);
	uint64_t op = DELTA(*a, *b, TESS_OP_OPEN);
	uint64_t cl = DELTA(*a, *b, TESS_OP_CLOSE);

	it_result(cr == creates && op == opens && cl == closes, name,
		  "%llu CREATEs, %llu OPENs, %llu CLOSEs (expected %llu, %llu, "
		  "%llu)", (unsigned long long)cr, (unsigned long long)op,
		  (unsigned long long)cl, (unsigned long long)creates,
		  (unsigned long long)opens, (unsigned long long)closes);
}

static bool agreed(struct tess_client *c)
{
	bool r;

	pthread_mutex_lock(&c->lock);
	r = c->mds && (c->mds->features & TESS_FEAT_CREATE_OPEN);
	pthread_mutex_unlock(&c->lock);
	return r;
}

int main(int argc, char **argv)
{
	static struct tnet_stats s0, s1, s2, s3;
	struct tess_client *c;
	struct tess_inode st;
	struct tess_file *f;
	const char *dir;
	char path[512], name[96], buf[32], back[32];
	bool old;
	int n, rc, made = 0, back_ok = 0;

	if (argc != 4 || (strcmp(argv[1], "new") && strcmp(argv[1], "old")) ||
	    (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: libcreate new|old N DIR\n");
		return 2;
	}
	old = !strcmp(argv[1], "old");
	dir = argv[3];
	c = it_connect_ms(10000);
	if (tess_stat(c, dir, &st) == -ENOENT)
		tess_mkdir(c, dir, 0755);
	snprintf(name, sizeof(name), "libcreate.%s.connect", argv[1]);
	IT_RC(name, get_stats(c, &s0), 0);
	snprintf(name, sizeof(name), "libcreate.%s.mds_agreed_create_open",
		 argv[1]);
	it_result(agreed(c), name, "the MDS connection did not agree "
		  "TESS_FEAT_CREATE_OPEN (%#llx)",
		  c->mds ? (unsigned long long)c->mds->features : 0ULL);
	if (old) {
		/* as with an MDS that does not have it */
		pthread_mutex_lock(&c->lock);
		c->mds->features &= ~(uint64_t)TESS_FEAT_CREATE_OPEN;
		pthread_mutex_unlock(&c->lock);
	}

	/* N new files: created, written, closed */
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s%d", dir, argv[1], i);
		snprintf(buf, sizeof(buf), "file %d of %d", i, n);
		if (tess_open(c, path, O_CREAT | O_EXCL | O_RDWR, 0644, NULL,
			      &f))
			continue;
		if (tess_pwrite(f, buf, sizeof(buf), 0) == sizeof(buf) &&
		    !tess_close(f))
			made++;
	}
	snprintf(name, sizeof(name), "libcreate.%s.created", argv[1]);
	it_result(made == n, name, "%d of %d files created, written and "
		  "closed", made, n);
	snprintf(name, sizeof(name), "libcreate.%s.stats_after_creates",
		 argv[1]);
	IT_RC(name, get_stats(c, &s1), 0);
	snprintf(name, sizeof(name), "libcreate.%s.%d_creates", argv[1], n);
	it_result(DELTA(s0, s1, TESS_OP_CREATE) == (uint64_t)n, name,
		  "%llu CREATEs for %d files",
		  (unsigned long long)DELTA(s0, s1, TESS_OP_CREATE), n);
	if (old)
		snprintf(name, sizeof(name), "libcreate.old.%d_opens", n);
	else
		snprintf(name, sizeof(name), "libcreate.new.no_opens");
	it_result(DELTA(s0, s1, TESS_OP_OPEN) == (uint64_t)(old ? n : 0), name,
		  "%llu OPENs for %d new files, expected %d",
		  (unsigned long long)DELTA(s0, s1, TESS_OP_OPEN), n,
		  old ? n : 0);
	snprintf(name, sizeof(name), "libcreate.%s.one_close_each", argv[1]);
	it_result(DELTA(s0, s1, TESS_OP_CLOSE) == (uint64_t)n, name,
		  "%llu CLOSEs for %d files",
		  (unsigned long long)DELTA(s0, s1, TESS_OP_CLOSE), n);

	/*
	 * the path walked once, to the directory (a LOOKUP of DIR); no
	 * LOOKUP of the new name, no GETATTR of the directory.  Old: the
	 * name looked up first (LOOKUP of DIR and of the name), then the
	 * walk to the directory for the CREATE
	 */
	snprintf(name, sizeof(name), "libcreate.%s.lookups", argv[1]);
	it_result(DELTA(s0, s1, TESS_OP_LOOKUP) == (uint64_t)(old ? 3 : 1) * n &&
		  !DELTA(s0, s1, TESS_OP_GETATTR), name,
		  "%llu LOOKUPs and %llu GETATTRs for %d files in %s, "
		  "expected %d and 0",
		  (unsigned long long)DELTA(s0, s1, TESS_OP_LOOKUP),
		  (unsigned long long)DELTA(s0, s1, TESS_OP_GETATTR), n, dir,
		  (old ? 3 : 1) * n);

	/*
	 * O_EXCL of an existing name: EEXIST, nothing opened (one CREATE,
	 * refused; old: the LOOKUP found it)
	 */
	snprintf(path, sizeof(path), "%s/%s0", dir, argv[1]);
	snprintf(name, sizeof(name), "libcreate.%s.excl_existing_eexist",
		 argv[1]);
	IT_RC(name, tess_open(c, path, O_CREAT | O_EXCL | O_RDWR, 0644, NULL,
			      &f), -EEXIST);
	snprintf(name, sizeof(name), "libcreate.%s.stats_after_excl",
		 argv[1]);
	IT_RC(name, get_stats(c, &s2), 0);
	snprintf(name, sizeof(name), "libcreate.%s.excl_existing_nothing_opened",
		 argv[1]);
	expect_ops(name, &s1, &s2, old ? 0 : 1, 0, 0);

	/*
	 * O_CREAT of an existing file: opened as it is, by one CREATE with
	 * TESS_CREATE_OPEN (old: one OPEN)
	 */
	snprintf(path, sizeof(path), "%s/%s%d", dir, argv[1], n - 1);
	snprintf(name, sizeof(name), "libcreate.%s.creat_existing_opens",
		 argv[1]);
	rc = tess_open(c, path, O_CREAT | O_RDWR, 0644, NULL, &f);
	IT_RC(name, rc, 0);
	if (!rc) {
		snprintf(buf, sizeof(buf), "file %d of %d", n - 1, n);
		back_ok = tess_file_size(f) == sizeof(buf) &&
			  tess_pread(f, back, sizeof(back), 0) ==
			  (ssize_t)sizeof(back) &&
			  !memcmp(back, buf, sizeof(buf));
		tess_close(f);
	}
	snprintf(name, sizeof(name), "libcreate.%s.creat_existing_data",
		 argv[1]);
	it_result(back_ok, name, "not the data written at its creation");
	snprintf(name, sizeof(name), "libcreate.%s.stats_after_existing",
		 argv[1]);
	IT_RC(name, get_stats(c, &s3), 0);
	snprintf(name, sizeof(name), "libcreate.%s.creat_existing_one_request",
		 argv[1]);
	expect_ops(name, &s2, &s3, old ? 0 : 1, old ? 1 : 0, 1);
	tess_client_close(c);
	return it_failed;
}
