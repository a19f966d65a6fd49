// SPDX-License-Identifier: MIT
/*
 * mdsload: the MDS under load limits (driven by tests/integ/mdsload.sh).
 *
 *   mdsload load NCLIENTS SECONDS DIR   NCLIENTS connections at once, each
 *                                       its own thread, stat + readdir of
 *                                       DIR in a loop: no errors at all
 *   mdsload limit N                     the MDS runs with --max-clients N:
 *                                       N clients work, the next one gets
 *                                       EBUSY, the first N still work
 *   mdsload fill DIR MAX COUNTFILE      mkdir DIR/dNNNNNN until the MDS
 *                                       refuses: ENOSPC (not EIO); the
 *                                       count made goes to COUNTFILE
 *   mdsload filled DIR COUNTFILE        every one of those still stats
 *   mdsload ostdown IDX PID MS [STOP]   kill -9 PID (OST IDX), or stop
 *                                       it; OST_LIST shows it down within
 *                                       MS; new files get no stripe on it
 *   mdsload ostup IDX MS                OST IDX is listed up within MS
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "it.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static struct tess_client *try_connect(char *err, size_t errlen)
{
	struct tess_client *c = NULL;

	if (tess_client_open(getenv("TESS_MDS"), getenv("TESS_KEY"), 20000,
			     &c, err, errlen))
		return NULL;
	return c;
}

/* ---- load ---- */

static int LOAD_ENTRIES = 300;

struct load {
	const char *dir;
	_Atomic int64_t until;
	pthread_barrier_t start;
	atomic_int connected, conn_fail;
	atomic_long ops, errors, eio;
	atomic_int first_err;
	char first_what[128];
	pthread_mutex_t lock;
};

static int count_cb(void *arg, const char *name, uint64_t ino, uint32_t type,
		    uint64_t cookie)
{
	(void)name; (void)ino; (void)type; (void)cookie;
	(*(int *)arg)++;
	return 0;
}

static void load_err(struct load *l, int rc, const char *what)
{
	int zero = 0;

	atomic_fetch_add(&l->errors, 1);
	if (rc == -EIO)
		atomic_fetch_add(&l->eio, 1);
	if (atomic_compare_exchange_strong(&l->first_err, &zero, rc)) {
		pthread_mutex_lock(&l->lock);
		snprintf(l->first_what, sizeof(l->first_what), "%s", what);
		pthread_mutex_unlock(&l->lock);
	}
}

static void *load_thread(void *arg)
{
	struct load *l = arg;
	struct tess_client *c;
	struct tess_inode st;
	char err[256], path[256];
	unsigned k = (unsigned)(uintptr_t)pthread_self();
	int rc, n;

	c = try_connect(err, sizeof(err));
	if (c)
		atomic_fetch_add(&l->connected, 1);
	else
		atomic_fetch_add(&l->conn_fail, 1);
	pthread_barrier_wait(&l->start);
	if (!c)
		return NULL;
	while (now_ms() < l->until) {
		snprintf(path, sizeof(path), "%s/d%04u", l->dir,
			 (k = k * 1103515245u + 12345u) % LOAD_ENTRIES);
		rc = tess_stat(c, path, &st);
		if (rc)
			load_err(l, rc, "stat");
		n = 0;
		rc = tess_readdir(c, l->dir, count_cb, &n);
		if (rc)
			load_err(l, rc, "readdir");
		else if (n != LOAD_ENTRIES)
			load_err(l, -EBADMSG, "readdir count");
		atomic_fetch_add(&l->ops, 2);
	}
	tess_client_close(c);
	return NULL;
}

static int cmd_load(int nclients, int seconds, const char *dir)
{
	struct tess_client *c = it_connect();
	struct load l = { .dir = dir };
	pthread_t *thr = calloc((size_t)nclients, sizeof(*thr));
	char path[256];
	int64_t t0;
	int i, rc = 0, made = 0;

	/* a directory big enough that a readdir pass takes a while */
	rc = tess_mkdir(c, dir, 0755);
	for (i = 0; i < LOAD_ENTRIES && (rc == 0 || rc == -EEXIST); i++) {
		snprintf(path, sizeof(path), "%s/d%04d", dir, i);
		rc = tess_mkdir(c, path, 0755);
		made += rc == 0;
	}
	it_result(rc == 0 || rc == -EEXIST, "mdsload.setup", "mkdir %s: %s",
		  path, strerror(-rc));
	tess_client_close(c);
	if (!thr || (rc && rc != -EEXIST))
		return 1;
	pthread_mutex_init(&l.lock, NULL);
	pthread_barrier_init(&l.start, NULL, (unsigned)nclients + 1);
	/* the clock starts once every client has connected */
	l.until = INT64_MAX;
	for (i = 0; i < nclients; i++) {
		pthread_attr_t a;

		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 256 << 10);
		if (pthread_create(&thr[i], &a, load_thread, &l)) {
			printf("FAIL: integ: mdsload.threads: cannot start "
			       "thread %d\n", i);
			exit(1);
		}
		pthread_attr_destroy(&a);
	}
	l.until = now_ms() + 60000;	/* bounded even if the barrier is slow */
	pthread_barrier_wait(&l.start);
	t0 = now_ms();
	l.until = t0 + seconds * 1000;
	for (i = 0; i < nclients; i++)
		pthread_join(thr[i], NULL);
	it_result(l.connected == nclients, "mdsload.connect_all",
		  "%d of %d clients connected", l.connected, nclients);
	printf("mdsload: %d clients, %ld stat+readdir calls in %.1f s, "
	       "%ld errors (%ld EIO)\n", l.connected, (long)l.ops,
	       (double)(now_ms() - t0) / 1000, (long)l.errors, (long)l.eio);
	it_result(l.errors == 0 && l.ops > 0, "mdsload.no_errors_under_load",
		  "%ld of %ld calls failed (%ld EIO), first: %s: %s",
		  (long)l.errors, (long)l.ops, (long)l.eio, l.first_what,
		  strerror(-l.first_err));
	free(thr);
	return it_failed;
}

/* ---- limit ---- */

static int cmd_limit(int n)
{
	struct tess_client **cs = calloc((size_t)n + 1, sizeof(*cs));
	struct tess_inode st;
	char err[256];
	int i, ok = 0, rc;

	/* (a connection just closed may take a moment to leave its slot) */
	for (i = 0; i < n; i++) {
		for (int64_t end = now_ms() + 5000; now_ms() < end;
		     sleep_ms(100)) {
			cs[i] = try_connect(err, sizeof(err));
			if (cs[i] && tess_stat(cs[i], "/", &st) == 0)
				break;
			tess_client_close(cs[i]);
			cs[i] = NULL;
		}
		ok += cs[i] != NULL;
	}
	it_result(ok == n, "mdsload.limit_n_clients_work", "%d of %d work", ok,
		  n);
	cs[n] = try_connect(err, sizeof(err));
	rc = cs[n] ? tess_stat(cs[n], "/", &st) : -ECONNREFUSED;
	it_result(rc == -EBUSY, "mdsload.limit_next_client_ebusy",
		  "client %d: stat = %d (%s), expected EBUSY", n + 1, rc,
		  strerror(-rc));
	for (ok = 0, i = 0; i < n; i++)
		ok += cs[i] && tess_stat(cs[i], "/", &st) == 0;
	it_result(ok == n, "mdsload.limit_others_unaffected",
		  "%d of %d still work", ok, n);
	/* one leaves: a new one is let in */
	tess_client_close(cs[n]);
	tess_client_close(cs[0]);
	cs[0] = NULL;
	rc = -ECONNREFUSED;
	for (int64_t end = now_ms() + 5000; now_ms() < end; sleep_ms(100)) {
		cs[n] = try_connect(err, sizeof(err));
		rc = cs[n] ? tess_stat(cs[n], "/", &st) : -ECONNREFUSED;
		if (rc == 0)
			break;
		tess_client_close(cs[n]);
		cs[n] = NULL;
	}
	it_result(rc == 0, "mdsload.limit_slot_freed",
		  "a client after one left: %s", strerror(-rc));
	for (i = 0; i <= n; i++)
		tess_client_close(cs[i]);
	free(cs);
	return it_failed;
}

/* ---- fill ---- */

static int cmd_fill(const char *dir, long max, const char *countfile)
{
	struct tess_client *c = it_connect();
	char path[256];
	long i;
	int rc;
	FILE *f;

	rc = tess_mkdir(c, dir, 0755);
	if (rc) {
		it_result(0, "mdsload.fill_setup", "mkdir %s: %s", dir,
			  strerror(-rc));
		return 1;
	}
	for (i = 0; i < max; i++) {
		snprintf(path, sizeof(path), "%s/d%06ld", dir, i);
		rc = tess_mkdir(c, path, 0755);
		if (rc)
			break;
	}
	printf("mdsload: %ld directories made, then %s\n", i,
	       rc ? strerror(-rc) : "the limit of the test");
	it_result(rc == -ENOSPC, "mdsload.full_map_enospc",
		  "mkdir number %ld: %d (%s), expected ENOSPC", i, rc,
		  strerror(-rc));
	/* still full, still ENOSPC; reads still work */
	IT_RC("mdsload.full_map_enospc_again", tess_mkdir(c, path, 0755),
	      -ENOSPC);
	if (i > 0) {
		struct tess_inode st;

		snprintf(path, sizeof(path), "%s/d%06ld", dir, i - 1);
		IT_RC("mdsload.full_map_reads_work", tess_stat(c, path, &st), 0);
	}
	f = fopen(countfile, "w");
	if (f) {
		fprintf(f, "%ld\n", i);
		fclose(f);
	}
	tess_client_close(c);
	return it_failed;
}

static int cmd_filled(const char *dir, const char *countfile)
{
	struct tess_client *c = it_connect();
	struct tess_inode st;
	char path[256];
	long n = -1, i, bad = 0;
	int rc = 0, first = 0;
	FILE *f = fopen(countfile, "r");

	if (!f || fscanf(f, "%ld", &n) != 1 || n < 1) {
		it_result(0, "mdsload.filled_count", "no count in %s",
			  countfile);
		return 1;
	}
	fclose(f);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/d%06ld", dir, i);
		rc = tess_stat(c, path, &st);
		if (rc || !S_ISDIR(st.mode)) {
			if (!bad++)
				first = rc ? rc : -ENOTDIR;
		}
	}
	it_result(bad == 0, "mdsload.after_restart_all_committed_there",
		  "%ld of %ld directories missing (first: %s)", bad, n,
		  strerror(-first));
	snprintf(path, sizeof(path), "%s/after", dir);
	IT_RC("mdsload.after_restart_larger_map_mkdir", tess_mkdir(c, path, 0755),
	      0);
	tess_client_close(c);
	return it_failed;
}

/* ---- OST liveness ---- */

/* state of OST idx in OST_LIST: TESS_OST_UP/DOWN, or -errno */
static int ost_state(struct tess_client *c, uint32_t idx)
{
	struct tess_ost osts[64];
	int n = tess_ost_list(c, osts, 64);

	if (n < 0)
		return n;
	for (int i = 0; i < n && i < 64; i++)
		if (osts[i].index == idx)
			return (int)osts[i].state;
	return -ENOENT;
}

static int wait_state(struct tess_client *c, uint32_t idx, int state,
		      int64_t t0, int limit_ms, int64_t *took)
{
	int s = -1;

	/* poll to twice the limit, to tell late from never */
	while (now_ms() - t0 <= 2 * (int64_t)limit_ms) {
		s = ost_state(c, idx);
		if (s == state)
			break;
		sleep_ms(50);
	}
	*took = now_ms() - t0;
	return s;
}

static int cmd_ostdown(uint32_t idx, pid_t pid, int limit_ms, int sig)
{
	struct tess_client *c = it_connect();
	struct tess_layout_req lr = { 0, 0, TESS_OST_ANY };
	struct tess_file *f;
	char path[64];
	int64_t t0, took;
	int s, i, on_dead = 0, errs = 0, minobjs = 1 << 30, first = 0;

	IT_RC("mdsload.ost_up_before_kill", ost_state(c, idx), TESS_OST_UP);
	t0 = now_ms();
	if (kill(pid, sig)) {
		it_result(0, "mdsload.ost_kill", "kill %d: %s", (int)pid,
			  strerror(errno));
		return 1;
	}
	s = wait_state(c, idx, TESS_OST_DOWN, t0, limit_ms, &took);
	printf("mdsload: OST %u listed %s %lld ms after %s\n", idx,
	       s == TESS_OST_DOWN ? "DOWN" : "still not down",
	       (long long)took, sig == SIGKILL ? "kill -9" : "SIGSTOP");
	it_result(s == TESS_OST_DOWN && took <= limit_ms,
		  sig == SIGKILL ? "mdsload.dead_ost_down_within_2_pings" :
		  "mdsload.hung_ost_down_within_2_pings",
		  "state %d after %lld ms, limit %d ms", s, (long long)took,
		  limit_ms);

	/* new files, wide as they can be: not one stripe on the dead OST */
	lr.stripe_count = TESS_MAX_STRIPES;
	tess_mkdir(c, "/liveness", 0755);
	for (i = 0; i < 20; i++) {
		const struct tess_inode *in;
		int rc;

		snprintf(path, sizeof(path), "/liveness/f%d-%02d", sig, i);
		rc = tess_open(c, path, O_CREAT | O_EXCL, 0644, &lr, &f);
		if (rc) {
			if (!errs++)
				first = rc;
			continue;
		}
		in = tess_file_inode(f);
		if ((int)in->nobjs < minobjs)
			minobjs = (int)in->nobjs;
		for (uint32_t j = 0; j < in->nobjs; j++)
			on_dead += in->objs[j].ost_idx == idx;
		tess_close(f);
	}
	it_result(errs == 0, "mdsload.creates_with_an_ost_down",
		  "%d of 20 creates failed (first: %s)", errs, strerror(-first));
	it_result(on_dead == 0 && minobjs >= 1,
		  "mdsload.no_new_stripes_on_dead_ost",
		  "%d stripes of 20 new files on OST %u (fewest stripes %d)",
		  on_dead, idx, minobjs);
	tess_client_close(c);
	return it_failed;
}

static int cmd_ostup(uint32_t idx, int limit_ms)
{
	struct tess_client *c = it_connect();
	int64_t took;
	int s = wait_state(c, idx, TESS_OST_UP, now_ms(), limit_ms, &took);

	printf("mdsload: OST %u listed %s %lld ms after it came back\n", idx,
	       s == TESS_OST_UP ? "UP" : "still not up", (long long)took);
	it_result(s == TESS_OST_UP && took <= limit_ms, "mdsload.ost_back_up",
		  "state %d after %lld ms, limit %d ms", s, (long long)took,
		  limit_ms);
	tess_client_close(c);
	return it_failed;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("MDSLOAD_ENTRIES"))
		LOAD_ENTRIES = atoi(getenv("MDSLOAD_ENTRIES"));
	if (!strcmp(cmd, "load") && argc == 5)
		return cmd_load(atoi(argv[2]), atoi(argv[3]), argv[4]);
	if (!strcmp(cmd, "limit") && argc == 3)
		return cmd_limit(atoi(argv[2]));
	if (!strcmp(cmd, "fill") && argc == 5)
		return cmd_fill(argv[2], atol(argv[3]), argv[4]);
	if (!strcmp(cmd, "filled") && argc == 4)
		return cmd_filled(argv[2], argv[3]);
	if (!strcmp(cmd, "ostdown") && (argc == 5 || argc == 6))
		return cmd_ostdown((uint32_t)atoi(argv[2]), (pid_t)atoi(argv[3]),
				   atoi(argv[4]), argc == 6 && !strcmp(argv[5],
				   "STOP") ? SIGSTOP : SIGKILL);
	if (!strcmp(cmd, "ostup") && argc == 4)
		return cmd_ostup((uint32_t)atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: mdsload load NCLIENTS SECONDS DIR | limit N | "
		"fill DIR MAX COUNTFILE | filled DIR COUNTFILE | "
		"ostdown IDX PID MS | ostup IDX MS\n");
	return 2;
}
