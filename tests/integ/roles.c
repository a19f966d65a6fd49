// SPDX-License-Identifier: MIT
/*
 * roles: separate keys for clients and servers (issue #12).  Run by
 * roles.sh against an MDS and OST 0 started with --client-key and
 * --server-key; TESS_KEY is the client key, TESS_SERVER_KEY the servers'.
 *
 *   roles auth      a client key cannot declare OST, MDS or ADMIN; the
 *                   server key can, and is no client key
 *   roles ops       a client-role connection is refused OBJ_DESTROY,
 *                   OBJ_HSM_SET, OBJ_PRECREATE, OBJ_SYNC oid 0 (OST)
 *                   and OST_REGISTER, OST_REPLACE, OST_LEAVE, HSM_SET
 *                   (MDS) with EPERM, the object unharmed;
 *                   role MDS and ADMIN (server key) may destroy and
 *                   OBJ_SYNC oid 0 (the store), and OBJ_SYNC_OWN
 *   roles sync N    as a fresh client: N unstable writes to objects of
 *                   its own while another client writes 2, then its
 *                   OBJ_SYNC oid 0 is refused (EPERM) and one
 *                   OBJ_SYNC_OWN answers with the write verifier (the
 *                   OST logs how many objects that sync covered: N, not
 *                   the other client's; roles.sh checks)
 */
#include <fcntl.h>

#include "it.h"

static struct tnet_key ckey, skey;
static struct tnet_addr mds_addr, ost_addr;

static void setup(struct tess_client *c)
{
	struct tess_ost ost;
	char err[256];

	if (tnet_key_load(getenv("TESS_KEY"), &ckey, err, sizeof(err)) ||
	    tnet_key_load(getenv("TESS_SERVER_KEY"), &skey, err, sizeof(err)) ||
	    tnet_addr_parse(getenv("TESS_MDS"), TESS_MDS_PORT, &mds_addr, err,
			    sizeof(err)) ||
	    tess_ost_list(c, &ost, 1) < 1 ||
	    tnet_addr_parse(ost.addr, TESS_OST_PORT, &ost_addr, err,
			    sizeof(err))) {
		printf("FAIL: integ: roles.setup: %s\n", err);
		exit(1);
	}
}

/* 0 or -errno of a handshake with key as role */
static int try_auth(const struct tnet_addr *a, const struct tnet_key *key,
		    int role)
{
	uint8_t uuid[16];
	int err = 0;
	struct tnet_conn *conn;

	tnet_random(uuid, sizeof(uuid));
	conn = tnet_connect(a, key, role, uuid, 5000, &err);
	if (conn)
		tnet_close(conn);
	return conn ? 0 : err;
}

static struct tnet_conn *conn_as(const struct tnet_addr *a,
				 const struct tnet_key *key, int role,
				 const uint8_t uuid[16])
{
	int err = 0;
	struct tnet_conn *conn = tnet_connect(a, key, role, uuid, 5000, &err);

	if (!conn) {
		printf("FAIL: integ: roles.connect: role %d: %s\n", role,
		       strerror(-err));
		exit(1);
	}
	return conn;
}

static void cmd_auth(void)
{
	static const struct { int role; const char *name; } r[] = {
		{ TESS_ROLE_OST, "ost" }, { TESS_ROLE_MDS, "mds" },
		{ TESS_ROLE_ADMIN, "admin" },
	};
	char name[96];

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		snprintf(name, sizeof(name), "roles.client_key_as_%s_mds",
			 r[i].name);
		IT_RC(name, try_auth(&mds_addr, &ckey, r[i].role), -EACCES);
		snprintf(name, sizeof(name), "roles.client_key_as_%s_ost",
			 r[i].name);
		IT_RC(name, try_auth(&ost_addr, &ckey, r[i].role), -EACCES);
		snprintf(name, sizeof(name), "roles.server_key_as_%s_ost",
			 r[i].name);
		IT_RC(name, try_auth(&ost_addr, &skey, r[i].role), 0);
	}
	IT_RC("roles.client_key_as_client_ost",
	      try_auth(&ost_addr, &ckey, TESS_ROLE_CLIENT), 0);
	IT_RC("roles.server_key_as_client_mds",
	      try_auth(&mds_addr, &skey, TESS_ROLE_CLIENT), -EACCES);
	IT_RC("roles.server_key_as_client_ost",
	      try_auth(&ost_addr, &skey, TESS_ROLE_CLIENT), -EACCES);
}

static int obj_call(struct tnet_conn *conn, uint16_t op, uint64_t oid)
{
	struct tess_obj_req r = { .oid = cpu_to_le64(oid) };
	struct tnet_call call = { .op = op, .body = &r, .body_len = sizeof(r) };

	return tnet_call(conn, &call);
}

/* OBJ_SYNC_OWN (empty body); *verf: the reply's write verifier */
static int sync_own(struct tnet_conn *conn, uint64_t *verf)
{
	struct tess_obj_verf_rep v = { 0 };
	struct tnet_call call = { .op = TESS_OP_OBJ_SYNC_OWN, .rbody = &v,
				  .rbody_cap = sizeof(v) };
	int rc = tnet_call(conn, &call);

	*verf = rc || call.reply.f.body_len != sizeof(v) ? 0 :
		le64_to_cpu(v.verf);
	return rc;
}

static int hsm_pin(struct tnet_conn *conn, uint64_t oid)
{
	struct tess_obj_hsm_set_req r = {
		.oid = cpu_to_le64(oid), .mode = cpu_to_le32(TESS_OHSM_PIN) };
	struct tnet_call call = { .op = TESS_OP_OBJ_HSM_SET, .body = &r,
				  .body_len = sizeof(r) };

	return tnet_call(conn, &call);
}

static int precreate(struct tnet_conn *conn)
{
	struct tess_obj_precreate_req r = {
		.first_oid = cpu_to_le64(1ULL << 40), .count = cpu_to_le32(1) };
	struct tnet_call call = { .op = TESS_OP_OBJ_PRECREATE, .body = &r,
				  .body_len = sizeof(r) };

	return tnet_call(conn, &call);
}

/* OST_REGISTER (or OST_REPLACE) of index 0 at a made-up address */
static int ost_register(struct tnet_conn *conn, uint16_t op)
{
	static const char addr[] = "127.0.0.2:1@tcp";
	uint8_t body[sizeof(struct tess_ost_register_req) + sizeof(addr)];
	struct tess_ost_register_req *r = (void *)body;
	struct tnet_call call = { .op = op, .body = body,
				  .body_len = sizeof(body) - 1 };

	memset(body, 0, sizeof(body));
	r->addr_len = cpu_to_le32(sizeof(addr) - 1);
	memcpy(r + 1, addr, sizeof(addr) - 1);
	return tnet_call(conn, &call);
}

/* HSM_SET on the MDS: state of INO unchanged (set 0, clear 0) */
static int mds_hsm_set(struct tnet_conn *conn, uint64_t ino)
{
	struct tess_hsm_set_req r = {
		.ino = cpu_to_le64(ino), .valid = cpu_to_le32(TESS_HSMS_STATE) };
	struct tnet_call call = { .op = TESS_OP_HSM_SET, .body = &r,
				  .body_len = sizeof(r) };

	return tnet_call(conn, &call);
}

static int ost_leave(struct tnet_conn *conn)
{
	struct tess_ost_leave_req r = { .index = 0 };
	struct tnet_call call = { .op = TESS_OP_OST_LEAVE, .body = &r,
				  .body_len = sizeof(r) };

	return tnet_call(conn, &call);
}

/* a file of one stripe on OST 0 holding "data": its object id */
static uint64_t make_file(struct tess_client *c, const char *path)
{
	struct tess_layout_req lr = { .stripe_count = 1, .stripe_offset = 0 };
	struct tess_file *f;
	uint64_t oid;
	int rc = tess_open(c, path, O_CREAT | O_RDWR, 0644, &lr, &f);

	if (!rc && tess_pwrite(f, "data", 4, 0) != 4)
		rc = -EIO;
	if (!rc)
		rc = tess_fsync(f);
	if (rc) {
		printf("FAIL: integ: roles.make_file: %s: %s\n", path,
		       strerror(-rc));
		exit(1);
	}
	oid = tess_file_inode(f)->objs[0].oid;
	tess_close(f);
	return oid;
}

static void client_refused(struct tess_client *c, uint64_t oid)
{
	struct tess_inode st = { 0 };
	uint64_t ino = tess_stat(c, "/roles_kept", &st) ? 0 : st.ino;
	uint8_t uuid[16];
	int rc;
	struct tnet_conn *o, *m;
	uint64_t size = 0;

	tnet_random(uuid, sizeof(uuid));
	o = conn_as(&ost_addr, &ckey, TESS_ROLE_CLIENT, uuid);
	IT_RC("roles.client_destroy_eperm",
	      obj_call(o, TESS_OP_OBJ_DESTROY, oid), -EPERM);
	IT_RC("roles.client_hsm_set_eperm", hsm_pin(o, oid), -EPERM);
	IT_RC("roles.client_precreate_eperm", precreate(o), -EPERM);
	IT_RC("roles.client_sync_store_eperm",
	      obj_call(o, TESS_OP_OBJ_SYNC, 0), -EPERM);
	IT_RC("roles.client_sync_object_allowed",
	      obj_call(o, TESS_OP_OBJ_SYNC, oid), 0);
	IT_RC("roles.client_read_object_allowed",
	      obj_call(o, TESS_OP_OBJ_GETATTR, oid), 0);
	tnet_close(o);
	IT_RC("roles.object_still_there", tess_obj_stat(c, 0, oid, &size), 0);
	IT_RC("roles.object_size_kept", (long)size, 4);

	m = conn_as(&mds_addr, &ckey, TESS_ROLE_CLIENT, uuid);
	IT_RC("roles.client_ost_register_eperm",
	      ost_register(m, TESS_OP_OST_REGISTER), -EPERM);
	IT_RC("roles.client_ost_replace_eperm",
	      ost_register(m, TESS_OP_OST_REPLACE), -EPERM);
	IT_RC("roles.client_ost_leave_eperm", ost_leave(m), -EPERM);
	IT_RC("roles.client_mds_hsm_set_eperm", mds_hsm_set(m, ino), -EPERM);
	tnet_close(m);
	o = conn_as(&ost_addr, &skey, TESS_ROLE_ADMIN, uuid);
	rc = hsm_pin(o, oid);	/* not from S3: an answer other than EPERM */
	it_result(rc != -EPERM, "roles.admin_hsm_set_not_refused", "%s",
		  strerror(-rc));
	tnet_close(o);
	m = conn_as(&mds_addr, &skey, TESS_ROLE_ADMIN, uuid);
	rc = mds_hsm_set(m, ino);	/* ENODATA: no record, but allowed */
	it_result(rc == 0 || rc == -ENODATA, "roles.admin_mds_hsm_set_allowed",
		  "%s", strerror(-rc));
	tnet_close(m);
}

/* role ROLE with the server key destroys the object of PATH */
static void server_destroys(struct tess_client *c, const char *path,
			    int role, const char *name)
{
	uint64_t oid = make_file(c, path), size;
	uint8_t uuid[16];
	struct tnet_conn *o;

	tnet_random(uuid, sizeof(uuid));
	o = conn_as(&ost_addr, &skey, role, uuid);
	char gone[96];

	snprintf(gone, sizeof(gone), "%s_sync_store", name);
	IT_RC(gone, obj_call(o, TESS_OP_OBJ_SYNC, 0), 0);
	snprintf(gone, sizeof(gone), "%s_sync_own", name);
	IT_RC(gone, sync_own(o, &size), 0);
	IT_RC(name, obj_call(o, TESS_OP_OBJ_DESTROY, oid), 0);
	tnet_close(o);
	snprintf(gone, sizeof(gone), "%s_object_gone", name);
	IT_RC(gone, tess_obj_stat(c, 0, oid, &size), -ENOENT);
}

static void cmd_ops(struct tess_client *c)
{
	uint64_t oid = make_file(c, "/roles_kept");
	struct tess_file *f;
	char back[8] = "";

	client_refused(c, oid);
	IT_RC("roles.file_reopen", tess_open(c, "/roles_kept", 0, 0, NULL, &f),
	      0);
	IT_RC("roles.file_data_kept", tess_pread(f, back, 4, 0), 4);
	IT_RC("roles.file_data_same", memcmp(back, "data", 4), 0);
	tess_close(f);
	server_destroys(c, "/roles_mds", TESS_ROLE_MDS,
			"roles.mds_role_destroy_ok");
	server_destroys(c, "/roles_admin", TESS_ROLE_ADMIN,
			"roles.admin_role_destroy_ok");
}

/* n unstable writes of conn to objects of files "/roles_sync_N_TAG_I" */
static int unstable_writes(struct tess_client *c, struct tnet_conn *conn,
			   int n, const char *tag)
{
	char path[64];
	int rc = 0;

	for (int i = 0; i < n && !rc; i++) {
		struct tess_obj_io_req r;
		struct tnet_call call;

		snprintf(path, sizeof(path), "/roles_sync_%d_%s_%d", n, tag, i);
		r = (struct tess_obj_io_req){
			.oid = cpu_to_le64(make_file(c, path)),
			.length = cpu_to_le32(4) };
		call = (struct tnet_call){ .op = TESS_OP_OBJ_WRITE, .body = &r,
					   .body_len = sizeof(r),
					   .bulk = "more", .bulk_len = 4 };
		rc = tnet_call(conn, &call);
	}
	return rc;
}

/*
 * A fresh client: n unstable writes while another client writes 2; its
 * OBJ_SYNC oid 0 is refused, its OBJ_SYNC_OWN covers its n (logged)
 */
static void cmd_sync(struct tess_client *c, int n)
{
	uint8_t uuid[16], other_uuid[16];
	struct tnet_conn *o, *other;
	uint64_t verf = 0;
	char name[64];
	int rc;

	tnet_random(uuid, sizeof(uuid));
	tnet_random(other_uuid, sizeof(other_uuid));
	o = conn_as(&ost_addr, &ckey, TESS_ROLE_CLIENT, uuid);
	other = conn_as(&ost_addr, &ckey, TESS_ROLE_CLIENT, other_uuid);
	rc = unstable_writes(c, o, n, "own");
	if (!rc)
		rc = unstable_writes(c, other, 2, "other");
	snprintf(name, sizeof(name), "roles.sync_%d_unstable_writes", n);
	IT_RC(name, rc, 0);
	snprintf(name, sizeof(name), "roles.client_sync_store_eperm_after_%d",
		 n);
	IT_RC(name, obj_call(o, TESS_OP_OBJ_SYNC, 0), -EPERM);
	snprintf(name, sizeof(name), "roles.client_sync_own_after_%d", n);
	IT_RC(name, sync_own(o, &verf), 0);
	snprintf(name, sizeof(name), "roles.client_sync_own_verf_after_%d", n);
	it_result(verf != 0, name, "reply without a write verifier");
	tnet_close(other);
	tnet_close(o);
}

int main(int argc, char **argv)
{
	struct tess_client *c;

	if (argc < 2) {
		fprintf(stderr, "usage: roles auth|ops|sync N\n");
		return 2;
	}
	c = it_connect();
	setup(c);
	if (!strcmp(argv[1], "auth"))
		cmd_auth();
	else if (!strcmp(argv[1], "ops"))
		cmd_ops(c);
	else if (!strcmp(argv[1], "sync") && argc > 2)
		cmd_sync(c, atoi(argv[2]));
	else
		return 2;
	tess_client_close(c);
	return it_failed;
}
