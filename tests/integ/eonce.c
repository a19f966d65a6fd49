// SPDX-License-Identifier: MIT
/*
 * eonce: exactly-once requests and open files, against the daemons that
 * tests/integ/eonce.sh starts (an MDS with --fault-drop-reply 20 (MKDIR)
 * and --lease LEASE, one OST with --fault-drop-reply 65 (OBJ_WRITE)).
 *
 *   eonce mkdir          the MKDIR whose reply is lost is resent and
 *                        answered from the reply cache: 0, one directory
 *   eonce write          the OBJ_WRITE whose reply is lost likewise; a late
 *                        copy of an older write never lands over a newer
 *   eonce openunlink L   an unlinked file stays usable while open; its
 *                        objects go at the last close
 *   eonce dies L         a client dies holding a file open: the objects
 *                        go once its lease (L seconds) ran out
 *   eonce restart L DIR  a client holds a file open while the MDS restarts
 *                        (eonce.sh does it between DIR/ready and DIR/go);
 *                        another client unlinks it before the first one is
 *                        back; the first one's replayed OPEN keeps the
 *                        objects past the start-up grace period, until its
 *                        close
 *   eonce createopen L   (issue #11) a CREATE with TESS_CREATE_OPEN resent
 *                        on a new connection gets the kept reply (not
 *                        EEXIST) and counts one open: the file, unlinked,
 *                        keeps its objects until one CLOSE; unknown create
 *                        flags and open_flags without it are refused
 *
 * Every wait is bounded.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "it.h"

#define RPC_TIMEOUT_MS	1500

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* objects of ino still on the OSTs (0: all gone) */
static uint32_t objects_left(struct tess_client *c, const struct tess_inode *ino)
{
	uint32_t left = 0;

	for (uint32_t i = 0; i < ino->nobjs; i++) {
		uint64_t sz;

		if (tess_obj_stat(c, ino->objs[i].ost_idx, ino->objs[i].oid,
				  &sz) != -ENOENT)
			left++;
	}
	return left;
}

static bool wait_gone(struct tess_client *c, const struct tess_inode *ino,
		      double seconds)
{
	double end = now_s() + seconds;

	while (objects_left(c, ino)) {
		if (now_s() > end)
			return false;
		usleep(100 * 1000);
	}
	return true;
}

struct count { const char *name; int n; };

static int count_cb(void *arg, const char *name, uint64_t ino, uint32_t type,
		    uint64_t cookie)
{
	struct count *ct = arg;

	(void)ino; (void)type; (void)cookie;
	if (!strcmp(name, ct->name))
		ct->n++;
	return 0;
}

/* (a) */
static void cmd_mkdir(void)
{
	struct tess_client *c = it_connect_ms(RPC_TIMEOUT_MS);
	struct count ct = { "eo_dir", 0 };
	struct tess_inode st;
	double t0 = now_s();

	/* the MDS runs this MKDIR and drops its reply: the library times
	 * out, reconnects and resends it with the same xid */
	IT_RC("eonce.mkdir_reply_lost_returns_0", tess_mkdir(c, "/eo_dir", 0755), 0);
	it_result(now_s() - t0 >= RPC_TIMEOUT_MS / 1000.0 * 0.9,
		  "eonce.mkdir_was_resent_after_timeout",
		  "returned after %.2f s: the reply was not lost?", now_s() - t0);
	IT_RC("eonce.mkdir_dir_exists", tess_stat(c, "/eo_dir", &st), 0);
	IT_RC("eonce.mkdir_is_dir", S_ISDIR(st.mode), 1);
	IT_RC("eonce.mkdir_listed", tess_readdir(c, "/", count_cb, &ct), 0);
	IT_RC("eonce.mkdir_listed_once", ct.n, 1);
	/* a real second mkdir is a new request: EEXIST */
	IT_RC("eonce.mkdir_again_eexist", tess_mkdir(c, "/eo_dir", 0755), -EEXIST);
	tess_client_close(c);
}

static int raw_write(struct tnet_conn *conn, struct tnet_call *call,
		     struct tess_obj_io_req *r, uint64_t oid, const void *buf,
		     uint32_t len)
{
	*r = (struct tess_obj_io_req){ .oid = cpu_to_le64(oid),
				       .length = cpu_to_le32(len) };
	*call = (struct tnet_call){ .op = TESS_OP_OBJ_WRITE, .body = r,
				    .body_len = sizeof(*r), .bulk = buf,
				    .bulk_len = len };
	return tnet_call(conn, call);
}

/* (b) */
static void cmd_write(void)
{
	struct tess_client *c = it_connect_ms(RPC_TIMEOUT_MS);
	struct tess_layout_req lr = { .stripe_size = 64 << 10, .stripe_count = 1,
				      .stripe_offset = 0 };
	static uint8_t a[64 << 10], b[4096], cc[4096], back[64 << 10];
	struct tess_ost ost;
	struct tnet_addr oa;
	struct tnet_key key;
	struct tnet_call w1, w2;
	struct tess_obj_io_req r1, r2;
	struct tnet_conn *conn;
	struct tess_file *f;
	uint8_t uuid[16];
	uint64_t oid;
	double t0;
	int rc, err;

	memset(a, 'A', sizeof(a));
	memset(b, 'B', sizeof(b));
	memset(cc, 'C', sizeof(cc));
	rc = tess_open(c, "/eo_w", O_CREAT | O_EXCL, 0644, &lr, &f);
	IT_RC("eonce.write_create", rc, 0);
	if (rc)
		return;
	/* the OST applies this write and drops its reply: resent, same xid */
	t0 = now_s();
	IT_RC("eonce.write_reply_lost_returns_len",
	      tess_pwrite(f, a, sizeof(a), 0), (long)sizeof(a));
	it_result(now_s() - t0 >= RPC_TIMEOUT_MS / 1000.0 * 0.9,
		  "eonce.write_was_resent_after_timeout",
		  "returned after %.2f s: the reply was not lost?", now_s() - t0);
	IT_RC("eonce.write_fsync", tess_fsync(f), 0);
	IT_RC("eonce.write_read_back", tess_pread(f, back, sizeof(back), 0),
	      (long)sizeof(back));
	IT_RC("eonce.write_data", memcmp(back, a, sizeof(a)), 0);

	/*
	 * A late copy of an older write: client U writes B, then C over the
	 * same range; a resend of the B write (same xid, on a new connection
	 * as after a reconnect) must get B's reply and leave C in place.
	 */
	oid = tess_file_inode(f)->objs[0].oid;
	tnet_random(uuid, sizeof(uuid));
	if (tess_ost_list(c, &ost, 1) < 1 ||
	    tnet_addr_parse(ost.addr, TESS_OST_PORT, &oa, NULL, 0) ||
	    tnet_key_load(getenv("TESS_KEY"), &key, NULL, 0)) {
		it_result(0, "eonce.write_raw_setup", "no OST address or key");
		return;
	}
	conn = tnet_connect(&oa, &key, TESS_ROLE_CLIENT, uuid, 5000, &err);
	if (!conn) {
		it_result(0, "eonce.write_raw_connect", "%s", strerror(-err));
		return;
	}
	IT_RC("eonce.write_B", raw_write(conn, &w1, &r1, oid, b, sizeof(b)), 0);
	IT_RC("eonce.write_C", raw_write(conn, &w2, &r2, oid, cc, sizeof(cc)), 0);
	tnet_close(conn);
	conn = tnet_connect(&oa, &key, TESS_ROLE_CLIENT, uuid, 5000, &err);
	if (!conn) {
		it_result(0, "eonce.write_raw_reconnect", "%s", strerror(-err));
		return;
	}
	IT_RC("eonce.write_stale_B_resent_answered", tnet_resend(conn, &w1), 0);
	IT_RC("eonce.write_stale_B_reply_is_Bs",
	      w1.reply.f.body_len >= sizeof(struct tess_obj_io_rep) &&
	      le32_to_cpu(((const struct tess_obj_io_rep *)
			   w1.reply.body)->length) == sizeof(b), 1);
	tnet_close(conn);
	IT_RC("eonce.write_read_after_stale",
	      tess_pread(f, back, sizeof(back), 0), (long)sizeof(back));
	IT_RC("eonce.write_newer_data_kept", memcmp(back, cc, sizeof(cc)), 0);
	IT_RC("eonce.write_rest_untouched",
	      memcmp(back + sizeof(cc), a, sizeof(a) - sizeof(cc)), 0);
	tess_close(f);
	tess_client_close(c);
}

/* an unlinked file that was never opened goes: the destroyer runs */
static bool control_orphan(struct tess_client *c, const char *path,
			   double seconds)
{
	struct tess_file *f;
	struct tess_inode st;
	char buf[100] = "control";

	if (tess_open(c, path, O_CREAT | O_EXCL, 0644, NULL, &f))
		return false;
	tess_pwrite(f, buf, sizeof(buf), 0);
	st = *tess_file_inode(f);
	tess_close(f);
	if (tess_unlink(c, path))
		return false;
	return wait_gone(c, &st, seconds);
}

static int raw_getattr(struct tess_client *c, uint64_t ino, uint32_t *nlink)
{
	struct tess_ino_req r = { .ino = cpu_to_le64(ino) };
	struct tnet_call call = { .op = TESS_OP_GETATTR, .body = &r,
				  .body_len = sizeof(r) };
	int rc = tess_mds_call(c, &call);

	if (!rc)
		*nlink = le32_to_cpu(((const struct tess_inode_rep *)
				      call.reply.body)->attr.nlink);
	return rc;
}

/* (c) */
static void cmd_openunlink(int lease)
{
	struct tess_client *a = it_connect_ms(RPC_TIMEOUT_MS);
	struct tess_client *b = it_connect_ms(RPC_TIMEOUT_MS);
	static uint8_t data[200000], back[200000];
	struct tess_inode held, st;
	struct tess_file *f;
	uint32_t nlink = 99;
	int rc;

	/* the start-up grace period is over once an orphan goes */
	it_result(control_orphan(b, "/eo_ctl0", 3 * lease + 10),
		  "eonce.open_destroyer_runs", "an unopened orphan stayed");
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	rc = tess_open(a, "/eo_held", O_CREAT | O_EXCL, 0644, NULL, &f);
	IT_RC("eonce.open_create", rc, 0);
	if (rc)
		return;
	held = *tess_file_inode(f);
	IT_RC("eonce.open_write", tess_pwrite(f, data, 100000, 0), 100000);
	IT_RC("eonce.open_fsync", tess_fsync(f), 0);
	IT_RC("eonce.open_unlink_by_other", tess_unlink(b, "/eo_held"), 0);
	IT_RC("eonce.open_name_gone", tess_stat(b, "/eo_held", &st), -ENOENT);
	IT_RC("eonce.open_getattr_unlinked", raw_getattr(a, held.ino, &nlink), 0);
	IT_RC("eonce.open_getattr_nlink_0", nlink, 0);
	/* the destroyer runs (another orphan goes) but not for this one */
	it_result(control_orphan(b, "/eo_ctl1", 2 * lease + 10),
		  "eonce.open_destroyer_ran_again", "an unopened orphan stayed");
	IT_RC("eonce.open_objects_kept", objects_left(b, &held), held.nobjs);
	IT_RC("eonce.open_write_after_unlink",
	      tess_pwrite(f, data + 100000, 100000, 100000), 100000);
	IT_RC("eonce.open_fsync_after_unlink", tess_fsync(f), 0);
	IT_RC("eonce.open_read_after_unlink",
	      tess_pread(f, back, sizeof(back), 0), (long)sizeof(back));
	IT_RC("eonce.open_data_after_unlink", memcmp(back, data, sizeof(data)), 0);
	/* a lease of idle time changes nothing for a connected client */
	sleep((unsigned)lease + 1);
	IT_RC("eonce.open_objects_kept_past_lease", objects_left(b, &held),
	      held.nobjs);
	IT_RC("eonce.open_close", tess_close(f), 0);
	it_result(wait_gone(b, &held, 15), "eonce.open_objects_destroyed_after_close",
		  "objects still there 15 s after the last close");
	/* the record goes in the MDS transaction after the last destroy */
	for (int i = 0; i < 50 && raw_getattr(a, held.ino, &nlink) == 0; i++)
		usleep(100 * 1000);
	IT_RC("eonce.open_inode_gone_after_destroy",
	      raw_getattr(a, held.ino, &nlink), -ENOENT);
	tess_client_close(a);
	tess_client_close(b);
}

/* a raw MDS connection as client instance uuid */
static struct tnet_conn *raw_mds(const uint8_t uuid[16])
{
	struct tnet_addr a;
	struct tnet_key key;
	int err = 0;

	if (tnet_addr_parse(getenv("TESS_MDS"), TESS_MDS_PORT, &a, NULL, 0) ||
	    tnet_key_load(getenv("TESS_KEY"), &key, NULL, 0))
		return NULL;
	return tnet_connect(&a, &key, TESS_ROLE_CLIENT, uuid, 5000, &err);
}

static uint32_t co_body(uint8_t *b, const char *name, uint32_t flags,
			uint32_t oflags)
{
	struct tess_create_req r = {
		.parent = cpu_to_le64(TESS_ROOT_INO),
		.mode = cpu_to_le32(S_IFREG | 0644),
		.flags = cpu_to_le32(flags),
		.name_len = cpu_to_le32(strlen(name)),
		.open_flags = cpu_to_le32(oflags),
	};

	memcpy(b, &r, sizeof(r));
	memcpy(b + sizeof(r), name, strlen(name));
	return (uint32_t)(sizeof(r) + strlen(name));
}

/* (f) */
static void cmd_createopen(int lease)
{
	struct tess_client *b = it_connect_ms(RPC_TIMEOUT_MS);
	static uint8_t body[sizeof(struct tess_create_req) + 64];
	static uint8_t body2[sizeof(struct tess_create_req) + 64];
	const uint32_t rw = TESS_OPEN_READ | TESS_OPEN_WRITE;
	struct tess_inode_rep ir;
	struct tess_open_req cl = { 0 };
	struct tnet_call call = { 0 }, c2 = { 0 }, close_call = { 0 };
	struct tess_inode st;
	struct tnet_conn *conn;
	uint8_t uuid[16];
	uint64_t ino = 0;

	it_result(control_orphan(b, "/eo_coctl0", 3 * lease + 10),
		  "eonce.createopen_destroyer_runs", "an unopened orphan stayed");
	tnet_random(uuid, sizeof(uuid));
	conn = raw_mds(uuid);
	if (!conn) {
		it_result(0, "eonce.createopen_connect", "no MDS connection");
		return;
	}
	/* refused: an unknown create flag, open_flags without CREATE_OPEN */
	c2 = (struct tnet_call){ .op = TESS_OP_CREATE, .body = body2,
				 .body_len = co_body(body2, "eo_co_bad",
						     0x4000 | TESS_CREATE_OPEN,
						     rw) };
	IT_RC("eonce.createopen_unknown_flag_einval", tnet_call(conn, &c2),
	      -EINVAL);
	c2.body_len = co_body(body2, "eo_co_bad", TESS_CREATE_EXCL, rw);
	IT_RC("eonce.createopen_open_flags_alone_einval", tnet_call(conn, &c2),
	      -EINVAL);
	IT_RC("eonce.createopen_nothing_made", tess_stat(b, "/eo_co_bad", &st),
	      -ENOENT);

	call = (struct tnet_call){ .op = TESS_OP_CREATE, .body = body,
				   .body_len = co_body(body, "eo_co",
						       TESS_CREATE_OPEN |
						       TESS_CREATE_EXCL, rw) };
	IT_RC("eonce.createopen_create", tnet_call(conn, &call), 0);
	if (call.reply.f.body_len >= sizeof(ir)) {
		memcpy(&ir, call.reply.body, sizeof(ir));
		ino = le64_to_cpu(ir.attr.ino);
	}
	it_result(ino != 0, "eonce.createopen_reply_inode", "no inode in the reply");
	/* the same request again on a new connection (as after a lost
	 * reply): the kept reply, not EEXIST, and no second open */
	tnet_close(conn);
	conn = raw_mds(uuid);
	if (!conn) {
		it_result(0, "eonce.createopen_reconnect", "no MDS connection");
		return;
	}
	IT_RC("eonce.createopen_resent_answered", tnet_resend(conn, &call), 0);
	IT_RC("eonce.createopen_resent_same_inode",
	      call.reply.f.body_len >= sizeof(ir) &&
	      le64_to_cpu(((const struct tess_inode_rep *)
			   call.reply.body)->attr.ino) == ino, 1);
	IT_RC("eonce.createopen_stat", tess_stat(b, "/eo_co", &st), 0);
	IT_RC("eonce.createopen_stat_inode", st.ino == ino, 1);
	it_result(st.nobjs > 0 && objects_left(b, &st) == st.nobjs,
		  "eonce.createopen_objects_exist", "%u objects, %u there",
		  st.nobjs, objects_left(b, &st));
	/* unlinked by another client: kept while the CREATE_OPEN's open is */
	IT_RC("eonce.createopen_unlink_by_other", tess_unlink(b, "/eo_co"), 0);
	it_result(control_orphan(b, "/eo_coctl1", 2 * lease + 10),
		  "eonce.createopen_destroyer_ran_again",
		  "an unopened orphan stayed");
	IT_RC("eonce.createopen_objects_kept", objects_left(b, &st), st.nobjs);
	/* one CLOSE ends it: the open was counted once */
	cl.ino = cpu_to_le64(ino);
	cl.flags = cpu_to_le32(rw);
	close_call = (struct tnet_call){ .op = TESS_OP_CLOSE, .body = &cl,
					 .body_len = sizeof(cl) };
	IT_RC("eonce.createopen_close", tnet_call(conn, &close_call), 0);
	it_result(wait_gone(b, &st, 15),
		  "eonce.createopen_objects_destroyed_after_one_close",
		  "objects still there 15 s after the CLOSE (counted twice?)");
	tnet_close(conn);
	tess_client_close(b);
}

/* (d) */
static void cmd_dies(int lease)
{
	struct tess_client *c;
	struct tess_inode held;
	int pfd[2], status;
	double t0;
	pid_t pid;

	if (pipe(pfd)) {
		it_result(0, "eonce.dies_pipe", "%s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct tess_client *k = it_connect_ms(RPC_TIMEOUT_MS);
		struct tess_file *f;
		char buf[5000] = "doomed";

		close(pfd[0]);
		if (tess_open(k, "/eo_dead", O_CREAT | O_EXCL, 0644, NULL, &f) ||
		    tess_pwrite(f, buf, sizeof(buf), 0) != sizeof(buf) ||
		    tess_fsync(f))
			_exit(1);
		if (write(pfd[1], tess_file_inode(f), sizeof(held)) !=
		    (ssize_t)sizeof(held))
			_exit(1);
		raise(SIGKILL);		/* dies holding the file open */
		_exit(1);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &held, sizeof(held)) != (ssize_t)sizeof(held)) {
		it_result(0, "eonce.dies_child", "the child did not open the file");
		if (pid > 0)
			waitpid(pid, &status, 0);
		return;
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	it_result(WIFSIGNALED(status), "eonce.dies_child_killed", "status %#x", status);
	c = it_connect_ms(RPC_TIMEOUT_MS);
	IT_RC("eonce.dies_unlink", tess_unlink(c, "/eo_dead"), 0);
	t0 = now_s();
	usleep(300 * 1000);
	IT_RC("eonce.dies_objects_kept_within_lease", objects_left(c, &held),
	      held.nobjs);
	it_result(wait_gone(c, &held, lease + 15),
		  "eonce.dies_objects_destroyed_after_lease",
		  "objects still there %d s after the lease", 15);
	it_result(now_s() - t0 >= lease * 0.5, "eonce.dies_not_before_lease",
		  "destroyed after %.2f s, lease %d s", now_s() - t0, lease);
	tess_client_close(c);
}

static bool wait_file(const char *path, double seconds)
{
	double end = now_s() + seconds;

	while (access(path, F_OK)) {
		if (now_s() > end)
			return false;
		usleep(100 * 1000);
	}
	return true;
}

/* the library's replay of opens after an MDS restart */
static void cmd_restart(int lease, const char *dir)
{
	struct tess_client *a = it_connect_ms(RPC_TIMEOUT_MS), *b;
	char ready[512], go[512], buf[1000] = "kept", back[1000];
	struct tess_inode held, st;
	struct tess_file *f;
	FILE *fp;
	int rc;

	snprintf(ready, sizeof(ready), "%s/ready", dir);
	snprintf(go, sizeof(go), "%s/go", dir);
	rc = tess_open(a, "/eo_rs", O_CREAT | O_EXCL, 0644, NULL, &f);
	IT_RC("eonce.restart_create", rc, 0);
	if (rc)
		return;
	held = *tess_file_inode(f);
	IT_RC("eonce.restart_write", tess_pwrite(f, buf, sizeof(buf), 0),
	      (long)sizeof(buf));
	IT_RC("eonce.restart_fsync", tess_fsync(f), 0);
	fp = fopen(ready, "w");
	if (fp)
		fclose(fp);
	if (!wait_file(go, 60)) {
		it_result(0, "eonce.restart_mds_restarted", "no %s in 60 s", go);
		return;
	}
	/* another client removes the file before this one is back */
	b = it_connect_ms(RPC_TIMEOUT_MS);
	IT_RC("eonce.restart_unlink_by_other", tess_unlink(b, "/eo_rs"), 0);
	/* this one's next MDS request reconnects and sends its OPEN again
	 * (the library has no pinger: a client that stays away from the MDS
	 * for the whole grace period loses its opens) */
	IT_RC("eonce.restart_stat_after_restart", tess_stat(a, "/", &st), 0);
	/* past the grace period the destroyer runs, but not for this file */
	it_result(control_orphan(b, "/eo_rs_ctl", 3 * lease + 10),
		  "eonce.restart_destroyer_runs_after_grace",
		  "an unopened orphan stayed");
	IT_RC("eonce.restart_objects_kept", objects_left(b, &held), held.nobjs);
	IT_RC("eonce.restart_read", tess_pread(f, back, sizeof(back), 0),
	      (long)sizeof(back));
	IT_RC("eonce.restart_data", memcmp(back, buf, sizeof(buf)), 0);
	IT_RC("eonce.restart_close", tess_close(f), 0);
	it_result(wait_gone(b, &held, 15),
		  "eonce.restart_objects_destroyed_after_close",
		  "objects still there 15 s after the close");
	tess_client_close(a);
	tess_client_close(b);
}

int main(int argc, char **argv)
{
	int lease = argc >= 3 ? atoi(argv[2]) : 0;

	if (argc >= 2 && !strcmp(argv[1], "mkdir"))
		cmd_mkdir();
	else if (argc >= 2 && !strcmp(argv[1], "write"))
		cmd_write();
	else if (argc >= 3 && !strcmp(argv[1], "openunlink") && lease > 0)
		cmd_openunlink(lease);
	else if (argc >= 3 && !strcmp(argv[1], "dies") && lease > 0)
		cmd_dies(lease);
	else if (argc >= 4 && !strcmp(argv[1], "restart") && lease > 0)
		cmd_restart(lease, argv[3]);
	else if (argc >= 3 && !strcmp(argv[1], "createopen") && lease > 0)
		cmd_createopen(lease);
	else {
		fprintf(stderr, "usage: eonce mkdir | write | openunlink LEASE | "
			"dies LEASE | restart LEASE DIR | createopen LEASE\n");
		return 2;
	}
	return it_failed;
}
