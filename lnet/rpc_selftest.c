// SPDX-License-Identifier: GPL-2.0
/*
 * rpc_selftest.c - TEST HOOK for the RPC layer, used by
 * tests/vm/suites/rpc.sh; built only with CONFIG_DEBUG_FS.
 *
 *   echo "CMD HOST:PORT@tcp KEYFILE [ARGS]" > /sys/kernel/debug/tessera_lnet/rpc_selftest
 *   cat /sys/kernel/debug/tessera_lnet/rpc_selftest     (the result line)
 *
 * CMD:
 *   connect [TIMEOUT_MS]        connect + handshake, print the status
 *   ping N INFLIGHT [ONCE]      N async PINGs, INFLIGHT at a time;
 *                               ONCE=1: a 1 s timeout (a broken server
 *                               fails the PING soon; resends use the xid)
 *   statfs                      STATFS (an MDS)
 *   bulk MIB ROUNDS OID         OBJ_WRITE MIB MiB from pages, OBJ_READ it
 *                               back, compare; a short read at the end
 *   hang TIMEOUT_MS WAIT_MS     PING, sleep WAIT_MS (the server is stopped
 *                               meanwhile), PING again: -ETIMEDOUT in time
 *   kill TIMEOUT_MS OID         stream writes and reads until the server
 *                               dies (a connection reset); what was in
 *                               flight is resent after its restart; then
 *                               PING
 *   cancel OID                  a 4 MiB OBJ_READ ended by SIGKILL while
 *                               queued behind others: its late reply must
 *                               not reach the caller's pages
 *
 * The writing task runs the test; "cancel" kills it.  Clients are soft
 * (requests fail after the timeout) so that every test ends by itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/timer.h>
#include <linux/uaccess.h>

#include "rpc.h"

#define ST_REPLY_CAP	64

static struct dentry *st_dir;
static DEFINE_MUTEX(st_mutex);
static char st_result[512];

struct st_bulk {
	struct tnet_bulk b;
	struct page **pages;
	unsigned int nr;
};

static void st_bulk_free(struct st_bulk *sb)
{
	unsigned int i;

	for (i = 0; i < sb->nr; i++)
		if (sb->pages[i])
			__free_page(sb->pages[i]);
	kvfree(sb->pages);
	kvfree(sb->b.bvec);
	sb->pages = NULL;
	sb->b.bvec = NULL;
}

static int st_bulk_alloc(struct st_bulk *sb, u32 len)
{
	unsigned int i;

	memset(sb, 0, sizeof(*sb));
	sb->nr = DIV_ROUND_UP(len, PAGE_SIZE);
	sb->pages = kvcalloc(sb->nr, sizeof(*sb->pages), GFP_KERNEL);
	sb->b.bvec = kvcalloc(sb->nr, sizeof(*sb->b.bvec), GFP_KERNEL);
	if (!sb->pages || !sb->b.bvec)
		goto fail;
	for (i = 0; i < sb->nr; i++) {
		sb->pages[i] = alloc_page(GFP_KERNEL);
		if (!sb->pages[i])
			goto fail;
		sb->b.bvec[i].bv_page = sb->pages[i];
		sb->b.bvec[i].bv_offset = 0;
		sb->b.bvec[i].bv_len = min_t(u32, len - i * PAGE_SIZE,
					     PAGE_SIZE);
	}
	sb->b.nr = sb->nr;
	sb->b.len = len;
	return 0;
fail:
	st_bulk_free(sb);
	return -ENOMEM;
}

/* fill with a pattern from seed (or a byte if seed < 256), or compare */
static bool st_bulk_pattern(struct st_bulk *sb, u32 seed, bool check)
{
	unsigned int i, j;
	bool same = true;

	for (i = 0; i < sb->nr && same; i++) {
		u32 *p = kmap_local_page(sb->pages[i]);

		for (j = 0; j < PAGE_SIZE / 4; j++) {
			u32 v = seed < 256 ? seed * 0x01010101u :
				seed ^ (i * 1024 + j) * 2654435761u;

			if (!check) {
				p[j] = v;
			} else if (p[j] != v) {
				same = false;
				break;
			}
		}
		kunmap_local(p);
	}
	return same;
}

static int st_read_key(const char *path, u8 *key, unsigned int *len)
{
	struct inode *inode;
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	/* as the mount (kmod/super.c): a key file others may read is refused */
	inode = file_inode(f);
	if ((!uid_eq(inode->i_uid, current_fsuid()) &&
	     !uid_eq(inode->i_uid, GLOBAL_ROOT_UID)) || (inode->i_mode & 0077)) {
		pr_warn("selftest: %s: the key file is owned by uid %u with mode %04o: refused; it must be the caller's or root's and not group- or world-accessible: chmod 600 %s\n",
			path, from_kuid(&init_user_ns, inode->i_uid),
			inode->i_mode & 07777, path);
		fput(f);
		return -EACCES;
	}
	n = kernel_read(f, key, TESS_KEY_MAX, &pos);
	fput(f);
	if (n < 0)
		return n;
	while (n > 0 && (key[n - 1] == '\n' || key[n - 1] == ' ' ||
			 key[n - 1] == '\r' || key[n - 1] == '\t'))
		n--;
	*len = n;
	return 0;
}

static struct tnet_client *st_client(const char *addr, const char *keypath,
				     unsigned long timeout)
{
	struct tnet_client_conf conf = {
		.role = TESS_ROLE_CLIENT,
		.timeout = timeout,
		.soft = true,
		.name = "selftest",
	};
	struct tnet_client *cl;
	const char *why = "";
	u8 *key;
	int err;

	err = tnet_addr_parse(addr, strlen(addr), &conf.addr, &why);
	if (err) {
		pr_warn("selftest: %s: %s\n", addr, why);
		return ERR_PTR(err);
	}
	key = kzalloc(TESS_KEY_MAX, GFP_KERNEL);
	if (!key)
		return ERR_PTR(-ENOMEM);
	err = st_read_key(keypath, key, &conf.key_len);
	if (err) {
		kfree_sensitive(key);
		return ERR_PTR(err);
	}
	conf.key = key;
	get_random_bytes(conf.uuid, sizeof(conf.uuid));
	cl = tnet_client_create(&conf);
	kfree_sensitive(key);
	return cl;
}

static s64 st_ms(ktime_t t0)
{
	return ktime_ms_delta(ktime_get(), t0);
}

/* ---- async requests with a shared counter ---- */

struct st_async {
	atomic_t inflight;
	atomic_t ok;
	atomic_t err;
	atomic_t econnreset;
	atomic_t etimedout;
	int last_err;
	wait_queue_head_t wq;
};

static void st_async_init(struct st_async *a)
{
	memset(a, 0, sizeof(*a));
	init_waitqueue_head(&a->wq);
}

static void st_done(struct tnet_req *req)
{
	struct st_async *a = req->private;

	if (!req->status) {
		atomic_inc(&a->ok);
	} else {
		atomic_inc(&a->err);
		if (req->status == -ECONNRESET)
			atomic_inc(&a->econnreset);
		else if (req->status == -ETIMEDOUT)
			atomic_inc(&a->etimedout);
		WRITE_ONCE(a->last_err, req->status);
	}
	kfree(req->reply_buf);		/* and the body behind it */
	atomic_dec(&a->inflight);
	wake_up(&a->wq);
}

/* submit and drop our reference: the layer keeps its own until done */
static int st_submit(struct tnet_client *cl, struct st_async *a, u16 op,
		     u16 flags, const void *body, u32 body_len,
		     const struct tnet_bulk *send, const struct tnet_bulk *recv)
{
	struct tnet_req *req = tnet_req_alloc(GFP_KERNEL);
	u8 *buf = kmalloc(ST_REPLY_CAP + body_len, GFP_KERNEL);

	if (!req || !buf) {
		kfree(buf);
		tnet_req_put(req);
		return -ENOMEM;
	}
	/* reply buffer first, then a copy of the body */
	if (body_len)
		memcpy(buf + ST_REPLY_CAP, body, body_len);
	req->opcode = op;
	req->flags = flags;
	req->body = body_len ? buf + ST_REPLY_CAP : NULL;
	req->body_len = body_len;
	req->reply_buf = buf;
	req->reply_cap = ST_REPLY_CAP;
	req->send_bulk = send;
	req->recv_bulk = recv;
	req->done = st_done;
	req->private = a;
	atomic_inc(&a->inflight);
	tnet_submit(cl, req);
	tnet_req_put(req);
	return 0;
}

static void st_async_wait(struct st_async *a, int below)
{
	wait_event(a->wq, atomic_read(&a->inflight) < below);
}

/* a synchronous call with a small reply buffer */
static int st_call(struct tnet_client *cl, u16 op, u16 flags,
		   const void *body, u32 body_len, void *reply, u32 cap,
		   const struct tnet_bulk *send, const struct tnet_bulk *recv,
		   u32 *bulk_got)
{
	struct tnet_req *req = tnet_req_alloc(GFP_KERNEL);
	int rc;

	if (!req)
		return -ENOMEM;
	req->opcode = op;
	req->flags = flags;
	req->body = body;
	req->body_len = body_len;
	req->reply_buf = reply;
	req->reply_cap = cap;
	req->send_bulk = send;
	req->recv_bulk = recv;
	rc = tnet_call(cl, req);
	if (bulk_got)
		*bulk_got = req->reply_bulk_len;
	tnet_req_put(req);
	return rc;
}

static int st_io(struct tnet_client *cl, u16 op, u16 flags, u64 oid,
		 u64 off, struct st_bulk *sb, u32 len, u32 *got)
{
	struct tess_obj_io_req io = {
		.oid = cpu_to_le64(oid),
		.offset = cpu_to_le64(off),
		.length = cpu_to_le32(len),
	};
	struct {
		struct tess_obj_io_rep io;
		struct tess_obj_verf_rep v;	/* OBJ_WRITE, protocol 3 */
	} rep;

	if (op == TESS_OP_OBJ_WRITE)
		return st_call(cl, op, flags, &io, sizeof(io), &rep,
			       sizeof(rep), &sb->b, NULL, NULL);
	return st_call(cl, op, flags, &io, sizeof(io), &rep, sizeof(rep.io),
		       NULL, &sb->b, got);
}

/* ---- the tests ---- */

static int st_ping(struct tnet_client *cl, int n, int inflight, bool once)
{
	struct st_async a;
	ktime_t t0;
	s64 ms;
	int i, rc;

	rc = tnet_client_connect(cl);
	if (rc)
		return scnprintf(st_result, sizeof(st_result),
				 "ping connect=%d\n", rc);
	st_async_init(&a);
	t0 = ktime_get();
	for (i = 0; i < n; i++) {
		st_async_wait(&a, inflight);
		if (st_submit(cl, &a, TESS_OP_PING,
			      0, NULL, 0, NULL,
			      NULL))
			break;
	}
	st_async_wait(&a, 1);
	ms = max_t(s64, st_ms(t0), 1);
	return scnprintf(st_result, sizeof(st_result),
			 "ping n=%d ok=%d err=%d last_err=%d ms=%lld per_s=%lld\n",
			 n, atomic_read(&a.ok), atomic_read(&a.err), a.last_err,
			 ms, atomic_read(&a.ok) * 1000LL / ms);
}

static int st_statfs(struct tnet_client *cl)
{
	struct tess_statfs_rep rep = {};
	int rc;

	rc = st_call(cl, TESS_OP_STATFS, 0, NULL, 0,
		     &rep, sizeof(rep), NULL, NULL, NULL);
	return scnprintf(st_result, sizeof(st_result),
			 "statfs rc=%d osts=%u bsize=%u blocks=%llu\n", rc,
			 le32_to_cpu(rep.ost_count), le32_to_cpu(rep.bsize),
			 le64_to_cpu(rep.blocks));
}

static int st_bulk(struct tnet_client *cl, u32 mib, int rounds, u64 oid)
{
	struct st_bulk out, in;
	u32 len = mib << 20, got = 0, seed;
	s64 wms = 0, rms = 0;
	int rc = 0, r, same = 1, short_rc;
	u32 short_got = 0;
	ktime_t t0;

	if (!len || len > TESS_MAX_BULK || rounds < 1)
		return -EINVAL;
	if (st_bulk_alloc(&out, len))
		return -ENOMEM;
	if (st_bulk_alloc(&in, len)) {
		st_bulk_free(&out);
		return -ENOMEM;
	}
	get_random_bytes(&seed, sizeof(seed));
	seed |= 0x100;
	st_bulk_pattern(&out, seed, false);
	for (r = 0; r < rounds && !rc; r++) {
		t0 = ktime_get();
		rc = st_io(cl, TESS_OP_OBJ_WRITE, 0, oid, 0, &out, len, NULL);
		wms += st_ms(t0);
		if (rc)
			break;
		st_bulk_pattern(&in, 0, false);
		t0 = ktime_get();
		rc = st_io(cl, TESS_OP_OBJ_READ, 0, oid, 0,
			   &in, len, &got);
		rms += st_ms(t0);
		if (!rc && (got != len || !st_bulk_pattern(&in, seed, true)))
			same = 0;
	}
	/* a read across the object's end is short */
	short_rc = st_io(cl, TESS_OP_OBJ_READ, 0, oid,
			 len - 4096, &in, min_t(u32, len, 65536), &short_got);
	st_bulk_free(&out);
	st_bulk_free(&in);
	wms = max_t(s64, wms, 1);
	rms = max_t(s64, rms, 1);
	return scnprintf(st_result, sizeof(st_result),
			 "bulk rc=%d mib=%u rounds=%d same=%d got=%u write_mb_s=%lld read_mb_s=%lld short_rc=%d short_got=%u\n",
			 rc, mib, r, same, got,
			 (s64)mib * r * 1000 / wms, (s64)mib * r * 1000 / rms,
			 short_rc, short_got);
}

static int st_hang(struct tnet_client *cl, unsigned int wait_ms)
{
	int rc1, rc2, rc3;
	s64 ms2, ms3;
	ktime_t t0;

	rc1 = st_call(cl, TESS_OP_PING, 0, NULL, 0, NULL, 0, NULL, NULL,
		      NULL);
	msleep(wait_ms);
	t0 = ktime_get();
	rc2 = st_call(cl, TESS_OP_PING, 0, NULL, 0, NULL, 0, NULL, NULL,
		      NULL);
	ms2 = st_ms(t0);
	t0 = ktime_get();
	rc3 = st_call(cl, TESS_OP_PING, 0, NULL, 0, NULL,
		      0, NULL, NULL, NULL);
	ms3 = st_ms(t0);
	return scnprintf(st_result, sizeof(st_result),
			 "hang first=%d second=%d second_ms=%lld idem=%d idem_ms=%lld\n",
			 rc1, rc2, ms2, rc3, ms3);
}

static int st_kill(struct tnet_client *cl, u64 oid)
{
	struct tnet_client_stats stats;
	struct tess_obj_io_req io = {
		.oid = cpu_to_le64(oid),
		.length = cpu_to_le32(256 << 10),
	};
	u8 uuid0[16], uuid1[16];
	struct st_bulk wb, rb;
	ktime_t t0, tfail = 0;
	s64 reconnect_ms = -1;
	struct st_async a;
	int i, rc;

	rc = tnet_client_connect(cl);
	if (rc)
		return scnprintf(st_result, sizeof(st_result),
				 "kill connect=%d\n", rc);
	tnet_client_server_uuid(cl, uuid0);
	if (st_bulk_alloc(&wb, 256 << 10))
		return -ENOMEM;
	if (st_bulk_alloc(&rb, 256 << 10)) {
		st_bulk_free(&wb);
		return -ENOMEM;
	}
	st_async_init(&a);
	t0 = ktime_get();
	/* write, then read it, 16 in flight, until the server goes away */
	for (i = 0; st_ms(t0) < 20000; i++) {
		st_async_wait(&a, 16);
		tnet_client_stats(cl, &stats);
		if (atomic_read(&a.err) || stats.resets) {
			tfail = ktime_get();
			break;
		}
		if (i & 1)
			st_submit(cl, &a, TESS_OP_OBJ_READ, 0,
				  &io, sizeof(io), NULL, &rb.b);
		else
			st_submit(cl, &a, TESS_OP_OBJ_WRITE, 0, &io,
				  sizeof(io), &wb.b, NULL);
	}
	st_async_wait(&a, 1);	/* what was in flight waits for the restart */
	/* back? */
	if (tfail) {
		while (st_ms(tfail) < 30000) {
			rc = st_call(cl, TESS_OP_PING, 0, NULL, 0, NULL, 0,
				     NULL, NULL, NULL);
			if (!rc) {
				reconnect_ms = st_ms(tfail);
				break;
			}
			msleep(100);
		}
	}
	tnet_client_server_uuid(cl, uuid1);
	tnet_client_stats(cl, &stats);
	st_bulk_free(&wb);
	st_bulk_free(&rb);
	return scnprintf(st_result, sizeof(st_result),
			 "kill sent=%d ok=%d err=%d econnreset=%d etimedout=%d last_err=%d resends=%llu resets=%llu reconnect_ms=%lld uuid_changed=%d\n",
			 i, atomic_read(&a.ok), atomic_read(&a.err),
			 atomic_read(&a.econnreset), atomic_read(&a.etimedout),
			 a.last_err, stats.resends, stats.resets, reconnect_ms,
			 memcmp(uuid0, uuid1, 16) != 0);
}

struct st_killer {
	struct timer_list timer;
	struct task_struct *task;
};

static void st_killer_fn(struct timer_list *t)
{
	struct st_killer *k = from_timer(k, t, timer);

	send_sig(SIGKILL, k->task, 1);
}

static int st_cancel(struct tnet_client *cl, u64 oid)
{
	struct tess_obj_io_req io = {
		.oid = cpu_to_le64(oid),
		.length = cpu_to_le32(4 << 20),
	};
	struct tnet_client_stats stats;
	struct st_bulk sb, junk;
	struct st_killer k;
	struct st_async a;
	int rc, wrc, prc, i, untouched;
	ktime_t t0;
	s64 ms;

	if (st_bulk_alloc(&sb, 4 << 20))
		return -ENOMEM;
	if (st_bulk_alloc(&junk, 4 << 20)) {
		st_bulk_free(&sb);
		return -ENOMEM;
	}
	st_bulk_pattern(&sb, 0x1234567, false);
	wrc = st_io(cl, TESS_OP_OBJ_WRITE, 0, oid, 0, &sb, 4 << 20, NULL);

	/* 16 x 4 MiB of replies ahead of ours keep the server busy */
	st_async_init(&a);
	for (i = 0; i < 16; i++)
		st_submit(cl, &a, TESS_OP_OBJ_READ, 0, &io, sizeof(io), NULL,
			  &junk.b);
	st_bulk_pattern(&sb, 0x5a, false);
	k.task = current;
	timer_setup_on_stack(&k.timer, st_killer_fn, 0);
	mod_timer(&k.timer, jiffies + msecs_to_jiffies(50));
	t0 = ktime_get();
	rc = st_io(cl, TESS_OP_OBJ_READ, 0, oid, 0, &sb, 4 << 20, NULL);
	ms = st_ms(t0);
	del_timer_sync(&k.timer);
	destroy_timer_on_stack(&k.timer);

	/* let every late reply arrive (uninterruptible waits only) */
	st_async_wait(&a, 1);
	msleep(1000);
	untouched = st_bulk_pattern(&sb, 0x5a, true);
	/* the connection is still in step: a PING without tnet_call */
	st_async_init(&a);
	st_submit(cl, &a, TESS_OP_PING, 0, NULL, 0, NULL, NULL);
	st_async_wait(&a, 1);
	prc = atomic_read(&a.ok) ? 0 : a.last_err;
	tnet_client_stats(cl, &stats);
	st_bulk_free(&sb);
	st_bulk_free(&junk);
	return scnprintf(st_result, sizeof(st_result),
			 "cancel write=%d rc=%d ms=%lld untouched=%d late=%llu resets=%llu ping_after=%d\n",
			 wrc, rc, ms, untouched, stats.late_replies,
			 stats.resets, prc);
}

static int st_run(char *cmd)
{
	char *argv[8] = {};
	int argc = 0, rc;
	struct tnet_client *cl;
	unsigned long timeout = 10 * HZ;
	u32 a1 = 0, a2 = 0;
	u64 oid = 0;
	char *p;

	while ((p = strsep(&cmd, " \t\n")) && argc < ARRAY_SIZE(argv))
		if (*p)
			argv[argc++] = p;
	if (argc < 3)
		return -EINVAL;
	if (argc > 3 && kstrtou32(argv[3], 0, &a1))
		return -EINVAL;
	if (argc > 4 && kstrtou32(argv[4], 0, &a2))
		return -EINVAL;
	if (argc > 5 && kstrtou64(argv[5], 0, &oid))
		return -EINVAL;

	if (!strcmp(argv[0], "connect") && a1)
		timeout = msecs_to_jiffies(a1);
	if (!strcmp(argv[0], "hang") || !strcmp(argv[0], "kill"))
		timeout = msecs_to_jiffies(a1 ? a1 : 5000);
	if (!strcmp(argv[0], "ping") && oid == 1)
		timeout = HZ;
	cl = st_client(argv[1], argv[2], timeout);
	if (IS_ERR(cl)) {
		scnprintf(st_result, sizeof(st_result), "%s client=%ld\n",
			  argv[0], PTR_ERR(cl));
		return 0;
	}

	if (!strcmp(argv[0], "connect")) {
		ktime_t t0 = ktime_get();

		rc = tnet_client_connect(cl);
		scnprintf(st_result, sizeof(st_result),
			  "connect rc=%d ms=%lld\n", rc, st_ms(t0));
		rc = 0;
	} else if (!strcmp(argv[0], "ping")) {
		rc = st_ping(cl, a1 ? a1 : 1000, a2 ? a2 : 32, oid == 1);
	} else if (!strcmp(argv[0], "statfs")) {
		rc = st_statfs(cl);
	} else if (!strcmp(argv[0], "bulk")) {
		rc = st_bulk(cl, a1 ? a1 : 4, a2 ? a2 : 1, oid ? oid : 0x5e1f);
	} else if (!strcmp(argv[0], "hang")) {
		rc = st_hang(cl, a2);
	} else if (!strcmp(argv[0], "kill")) {
		rc = st_kill(cl, a2 ? a2 : 0x5e20);
	} else if (!strcmp(argv[0], "cancel")) {
		rc = st_cancel(cl, a1 ? a1 : 0x5e21);
	} else {
		rc = -EINVAL;
	}
	tnet_client_destroy(cl);
	if (rc > 0) {
		pr_info("selftest: %s", st_result);
		rc = 0;
	}
	return rc;
}

static ssize_t st_write(struct file *file, const char __user *ubuf,
			size_t len, loff_t *ppos)
{
	char *cmd;
	int rc;

	if (len > 256)
		return -EINVAL;
	cmd = memdup_user_nul(ubuf, len);
	if (IS_ERR(cmd))
		return PTR_ERR(cmd);
	mutex_lock(&st_mutex);
	st_result[0] = 0;
	rc = st_run(cmd);
	if (rc)
		scnprintf(st_result, sizeof(st_result), "error=%d\n", rc);
	mutex_unlock(&st_mutex);
	kfree(cmd);
	return rc ? rc : len;
}

static ssize_t st_read(struct file *file, char __user *ubuf, size_t len,
		       loff_t *ppos)
{
	ssize_t n;

	mutex_lock(&st_mutex);
	n = simple_read_from_buffer(ubuf, len, ppos, st_result,
				    strlen(st_result));
	mutex_unlock(&st_mutex);
	return n;
}

static const struct file_operations st_fops = {
	.owner = THIS_MODULE,
	.write = st_write,
	.read = st_read,
	.llseek = default_llseek,
};

int tnet_selftest_init(void)
{
	st_dir = debugfs_create_dir("tessera_lnet", NULL);
	debugfs_create_file("rpc_selftest", 0600, st_dir, NULL, &st_fops);
	return 0;
}

void tnet_selftest_exit(void)
{
	debugfs_remove_recursive(st_dir);
}
