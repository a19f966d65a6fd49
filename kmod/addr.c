// SPDX-License-Identifier: GPL-2.0
/*
 * addr.c - the page cache of Tessera regular files, and O_DIRECT.
 *
 * A file is striped RAID0 over objects (common/tess_stripe.h), and a
 * contiguous file range maps onto one contiguous range of every object.
 * All I/O here is built that way: a run of pages (a readahead window, a
 * run of contiguous dirty folios, a pinned user buffer) is cut into one
 * page vector per object, each sent as one OBJ_READ/OBJ_WRITE of up to
 * TESS_IO_RPC_MAX bytes, all objects in parallel, and the run completes
 * when the last of its RPCs has (struct tess_io).
 *
 * folio->private holds nothing: folios are plain page cache folios, the
 * dirty state is the page cache's dirty flag and writeback finds dirty
 * folios through the dirty tag (write_cache_pages).  So there is no
 * invalidate_folio or release_folio.  Large folios are not enabled, but
 * nothing here depends on the folio size: runs are page arrays.
 *
 * Pages under writeback are not modified: write_begin and page_mkwrite
 * wait for writeback, because the bulk checksum is computed over the
 * pages as they are sent.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/backing-dev.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/writeback.h>

#include "tess_fs.h"
#include "stats.h"

/* bytes of one object RPC */
#define TESS_IO_RPC_MAX		(4u << 20)
/* pages gathered into one writeback run */
#define TESS_WB_RUN_MAX		(64u << 20)
/* bytes of user buffer pinned at a time for O_DIRECT */
#define TESS_DIO_CHUNK		(16u << 20)

struct tess_io;
typedef void (*tess_io_complete_t)(struct tess_io *io);

/*
 * One run of I/O: file bytes [pos, pos + len) live at byte `off` onwards
 * of the page array `pages`.
 */
struct tess_io {
	struct inode *inode;
	bool write;
	atomic_t pending;		/* RPCs in flight + 1 while sending */
	int err;			/* first error */
	tess_io_complete_t complete;	/* when the last RPC is done */

	loff_t pos;
	size_t len;
	size_t off;
	struct page **pages;
	unsigned int nr_pages;		/* entries of pages[] in use */
	unsigned int max_pages;

	/* O_DIRECT and launder: a waiter */
	refcount_t ref;
	struct completion done;
	bool pinned;			/* pages[] are pinned user pages */
};

struct tess_io_rpc {
	struct tess_io *io;
	struct tnet_bulk bulk;
	struct bio_vec bvec[];
};

static struct tess_io *tess_io_alloc(struct inode *inode, bool write,
				     unsigned int max_pages,
				     tess_io_complete_t complete)
{
	unsigned int nofs = memalloc_nofs_save();
	struct tess_io *io;

	io = kzalloc(sizeof(*io), GFP_KERNEL);
	if (io && max_pages) {
		io->pages = kvmalloc_array(max_pages, sizeof(*io->pages),
					   GFP_KERNEL);
		if (!io->pages) {
			kfree(io);
			io = NULL;
		}
	}
	memalloc_nofs_restore(nofs);
	if (!io)
		return NULL;
	io->inode = inode;
	io->write = write;
	io->complete = complete;
	io->max_pages = max_pages;
	atomic_set(&io->pending, 1);
	refcount_set(&io->ref, 1);
	init_completion(&io->done);
	return io;
}

static void tess_io_free(struct tess_io *io)
{
	kvfree(io->pages);
	kfree(io);
}

static void tess_io_set_err(struct tess_io *io, int err)
{
	if (err)
		cmpxchg(&io->err, 0, err);
}

static void tess_io_dec(struct tess_io *io)
{
	if (atomic_dec_and_test(&io->pending))
		io->complete(io);
}

static void tess_read_complete(struct tess_io *io);

/*
 * A read into the page cache: the pages this RPC filled whole are done
 * now, so that a reader need not wait for the slowest OST of the window.
 * Only whole pages of small folios: a page that two RPCs share, or that
 * the EOF zeroing shares, is left to tess_read_complete().  Its slot in
 * io->pages is cleared; each RPC owns the slots of its pages.
 */
static void tess_read_rpc_pages(struct tess_io_rpc *rpc, int err)
{
	struct tess_io *io = rpc->io;
	pgoff_t first = io->pos >> PAGE_SHIFT, idx;
	unsigned int i;

	for (i = 0; i < rpc->bulk.nr; i++) {
		struct bio_vec *bv = &rpc->bvec[i];
		struct folio *folio = page_folio(bv->bv_page);

		if (bv->bv_offset || bv->bv_len != PAGE_SIZE ||
		    folio_test_large(folio))
			continue;
		idx = folio->index - first;	/* locked: index is stable */
		if (idx >= io->nr_pages || io->pages[idx] != bv->bv_page)
			continue;
		io->pages[idx] = NULL;
		if (err)
			tess_folio_set_error(folio);
		else
			folio_mark_uptodate(folio);
		folio_unlock(folio);
	}
}

static void tess_io_rpc_done(void *priv, int err, u32 bytes)
{
	struct tess_io_rpc *rpc = priv;
	struct tess_io *io = rpc->io;

	tess_io_set_err(io, err);
	if (io->complete == tess_read_complete)
		tess_read_rpc_pages(rpc, err);
	kvfree(rpc);
	tess_io_dec(io);
}

/*
 * Build the page vector of object `stripe` for its range [os, os + n) and
 * send it.  The range holds file bytes of [io->pos, io->pos + io->len).
 */
static int tess_io_send_one(struct tess_io *io,
			    const struct tess_layout_info *lay, u32 stripe,
			    u64 os, u32 n, gfp_t gfp)
{
	const struct tess_stripe_geom *g = &lay->geom;
	struct tess_sb_info *sbi = TESS_SB(io->inode->i_sb);
	unsigned int max_vec, nr = 0;
	struct tess_io_rpc *rpc;
	unsigned int nofs;
	u64 x = os, end = os + n;
	int err;

	/*
	 * A page per PAGE_SIZE, and each stripe unit piece may start and end
	 * inside a page (O_DIRECT buffers need not be aligned).
	 */
	max_vec = DIV_ROUND_UP(n, PAGE_SIZE) + 2 * (n / g->stripe_size) + 5;
	nofs = memalloc_nofs_save();
	rpc = kvmalloc(struct_size(rpc, bvec, max_vec), GFP_KERNEL);
	memalloc_nofs_restore(nofs);
	if (!rpc)
		return -ENOMEM;

	while (x < end) {
		u32 in_unit;
		u64 piece, f;
		size_t m;

		div_u64_rem(x, g->stripe_size, &in_unit);
		piece = min_t(u64, end - x, g->stripe_size - in_unit);
		f = tess_stripe_file_off(g, stripe, x);
		if (WARN_ON_ONCE(f < io->pos || f + piece > io->pos + io->len))
			goto bad;
		m = io->off + (f - io->pos);
		x += piece;
		while (piece) {
			unsigned int poff = offset_in_page(m);
			unsigned int l = min_t(u64, piece, PAGE_SIZE - poff);
			struct bio_vec *bv;

			if (WARN_ON_ONCE(nr >= max_vec ||
					 (m >> PAGE_SHIFT) >= io->nr_pages))
				goto bad;
			bv = &rpc->bvec[nr++];
			bv->bv_page = io->pages[m >> PAGE_SHIFT];
			bv->bv_offset = poff;
			bv->bv_len = l;
			m += l;
			piece -= l;
		}
	}
	rpc->io = io;
	rpc->bulk.bvec = rpc->bvec;
	rpc->bulk.nr = nr;
	rpc->bulk.len = n;

	atomic_inc(&io->pending);
	err = tess_osc_rw(sbi, lay->objs[stripe].ost_idx, lay->objs[stripe].oid,
			  io->write, os, &rpc->bulk, tess_io_rpc_done, rpc, gfp,
			  io->inode, stripe);
	if (err) {
		atomic_dec(&io->pending);	/* the sending bias remains */
		kvfree(rpc);
	}
	return err;
bad:
	kvfree(rpc);
	return -EIO;
}

/*
 * Send the RPCs of io (one per object and TESS_IO_RPC_MAX bytes, round
 * by round so that every object has one in flight early), then drop the
 * sending bias: io->complete runs when all are done, maybe right here.
 */
static void tess_io_submit(struct tess_io *io,
			   const struct tess_layout_info *lay, gfp_t gfp)
{
	const struct tess_stripe_geom *g = &lay->geom;
	u64 round, os, oe;
	bool more = io->len > 0;
	u32 s;
	int err;

	/* where the write verifiers of the replies go */
	if (io->write) {
		err = tess_wverf_prepare(io->inode, lay->nobjs, gfp);
		if (err) {
			tess_io_set_err(io, err);
			goto out;
		}
	}
	for (round = 0; more; round++) {
		more = false;
		for (s = 0; s < g->stripe_count; s++) {
			u64 start;
			u32 n;

			if (!tess_stripe_obj_range(g, s, io->pos, io->len,
						   &os, &oe))
				continue;
			start = os + round * TESS_IO_RPC_MAX;
			if (start >= oe)
				continue;
			n = min_t(u64, oe - start, TESS_IO_RPC_MAX);
			if (start + n < oe)
				more = true;
			err = tess_io_send_one(io, lay, s, start, n, gfp);
			if (err) {
				tess_io_set_err(io, err);
				goto out;
			}
		}
	}
out:
	tess_io_dec(io);
}

/* zero file bytes [from, io->pos + io->len) of the run's pages */
static void tess_io_zero_tail(struct tess_io *io, size_t from, size_t to)
{
	while (from < to) {
		size_t m = io->off + from;
		unsigned int poff = offset_in_page(m);
		unsigned int l = min_t(size_t, to - from, PAGE_SIZE - poff);

		memzero_page(io->pages[m >> PAGE_SHIFT], poff, l);
		from += l;
	}
}

/* ---- reads into the page cache ---- */

/* all RPCs of a read run are done: complete the folios left */
static void tess_read_complete(struct tess_io *io)
{
	unsigned int i = 0;

	while (i < io->nr_pages) {
		struct folio *folio;
		unsigned int n;

		if (!io->pages[i]) {	/* done with its RPC */
			i++;
			continue;
		}
		folio = page_folio(io->pages[i]);
		/* once unlocked, truncate may free it: size it first */
		n = folio_nr_pages(folio);

		if (!io->err)
			folio_mark_uptodate(folio);
		else
			tess_folio_set_error(folio);
		folio_unlock(folio);
		i += n;
	}
	tess_io_free(io);
}

/*
 * Read the locked folios in io->pages (file pages from index io->pos):
 * what lies past EOF is zeros, the rest comes from the objects.  The
 * folios are unlocked when done, uptodate unless an RPC failed.
 */
static void tess_read_run(struct tess_io *io)
{
	struct tess_layout_info *lay;
	size_t span = (size_t)io->nr_pages << PAGE_SHIFT;
	loff_t isize = i_size_read(io->inode);

	io->len = 0;
	if (isize > io->pos)
		io->len = min_t(u64, span, isize - io->pos);
	if (io->len < span)
		tess_io_zero_tail(io, io->len, span);
	if (!io->len) {
		tess_io_dec(io);
		return;
	}
	lay = tess_osc_layout(io->inode);
	if (IS_ERR(lay)) {
		tess_io_set_err(io, PTR_ERR(lay));
		tess_io_dec(io);
		return;
	}
	tess_io_submit(io, lay, GFP_NOFS);
	kfree(lay);
}

static int tess_read_folio(struct file *file, struct folio *folio)
{
	struct inode *inode = folio->mapping->host;
	unsigned int i, nr = folio_nr_pages(folio);
	struct tess_io *io;

	io = tess_io_alloc(inode, false, nr, tess_read_complete);
	if (!io) {
		folio_unlock(folio);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++)
		io->pages[i] = folio_page(folio, i);
	io->nr_pages = nr;
	io->pos = folio_pos(folio);
	tess_stats_sync_read(TESS_SB(inode->i_sb), nr);
	tess_read_run(io);
	return 0;
}

/*
 * A window that ends inside a stripe row is grown to the row's end (not
 * past EOF, by at most its own length): every object of the row is then
 * read once, in one RPC, and the next window starts on a row.
 */
static void tess_ra_expand(struct readahead_control *ractl)
{
	struct inode *inode = ractl->mapping->host;
	u64 row = tess_layout_row(inode), rem;
	loff_t pos = readahead_pos(ractl);
	loff_t end = pos + readahead_length(ractl);
	loff_t eof = round_up(i_size_read(inode), PAGE_SIZE);

	if (!row || end >= eof)
		return;
	div64_u64_rem(end, row, &rem);
	if (rem && row - rem <= readahead_length(ractl))
		readahead_expand(ractl, pos,
				 min_t(loff_t, end + row - rem, eof) - pos);
}

/*
 * The window is read as one run: every object gets one RPC (or one per
 * TESS_IO_RPC_MAX) for its part of it, all sent at once.
 */
static void tess_readahead(struct readahead_control *ractl)
{
	struct inode *inode = ractl->mapping->host;
	unsigned int nr;
	loff_t pos;
	struct folio *folio;
	struct tess_io *io;

	tess_ra_expand(ractl);
	nr = readahead_count(ractl);
	pos = readahead_pos(ractl);
	if (!nr)
		return;
	io = tess_io_alloc(inode, false, nr, tess_read_complete);
	if (!io)
		return;		/* read_pages() unlocks what is left */
	io->pos = pos;
	tess_stats_readahead(TESS_SB(inode->i_sb), nr);
	while ((folio = readahead_folio(ractl)) != NULL) {
		unsigned int i, n = folio_nr_pages(folio);

		for (i = 0; i < n && io->nr_pages < nr; i++)
			io->pages[io->nr_pages++] = folio_page(folio, i);
	}
	tess_read_run(io);
}

/* ---- writeback ---- */

/*
 * All RPCs of a write run are done: end writeback of its folios.  On a
 * hard mount the RPC layer resends until the OST answers, so an error
 * here is final (the OST refused the write, a soft mount timed out, or
 * umount -f): it goes to the mapping for fsync and close to report.
 */
static void tess_write_complete(struct tess_io *io)
{
	struct inode *inode = io->inode;
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	unsigned int i = 0;

	if (io->err) {
		mapping_set_error(inode->i_mapping, io->err);
		pr_warn_ratelimited("write of ino %lu at %lld (%zu bytes) failed: %d\n",
				    inode->i_ino, io->pos, io->len, io->err);
	}
	/*
	 * Before the folios: once the last one has ended writeback the inode
	 * may be evicted (and the mount go away) under us.
	 */
	if (atomic_dec_and_test(&TESS_I(inode)->wb_runs))
		wake_up_all(&sbi->wb_wait);
	while (i < io->nr_pages) {
		struct folio *folio = page_folio(io->pages[i]);
		/* once its writeback ends it may be freed: size it first */
		unsigned int n = folio_nr_pages(folio);

		if (io->err)
			tess_folio_set_error(folio);
		folio_end_writeback(folio);
		i += n;
	}
	complete(&io->done);		/* launder_folio may wait */
	if (refcount_dec_and_test(&io->ref))
		tess_io_free(io);
}

/*
 * Send a run of folios under writeback (file pages from io->pos): up to
 * EOF only, so that object sizes match the file size.
 */
static void tess_write_run(struct tess_io *io,
			   const struct tess_layout_info *lay)
{
	size_t span = (size_t)io->nr_pages << PAGE_SHIFT;
	loff_t isize = i_size_read(io->inode);

	atomic_inc(&TESS_I(io->inode)->wb_runs);
	io->len = 0;
	if (isize > io->pos)
		io->len = min_t(u64, span, isize - io->pos);
	if (!io->len) {
		tess_io_dec(io);
		return;
	}
	tess_io_submit(io, lay, GFP_NOFS);
}

struct tess_wb_ctl {
	struct inode *inode;
	const struct tess_layout_info *lay;
	struct tess_io *io;		/* the run being gathered */
	pgoff_t next;			/* index that would extend it */
	unsigned int run_pages;		/* most pages in a run */
};

static void tess_wb_send(struct tess_wb_ctl *wb)
{
	struct tess_io *io = wb->io;

	wb->io = NULL;
	if (io)
		tess_write_run(io, wb->lay);
}

/* write_cache_pages() callback: the folio is locked and clean for I/O */
static int tess_wb_folio(struct tess_wcp_page *page,
			 struct writeback_control *wbc, void *data)
{
	struct tess_wb_ctl *wb = data;
	struct folio *folio = tess_wcp_folio(page);
	unsigned int i, n = folio_nr_pages(folio);
	loff_t isize = i_size_read(wb->inode);

	if (folio_pos(folio) >= isize) {
		/*
		 * i_size never drops below data written here (write_end and
		 * the attribute refresh agree under i_lock), and truncate
		 * writes back before it cuts the size.  Only a page dirtied
		 * through mmap during a truncate, which drops it next, may
		 * be here; anything else is a bug that would lose data.
		 */
		WARN_ONCE(!mapping_mapped(folio->mapping),
			  "tessera: dirty folio %lu of ino %lu past EOF %lld\n",
			  folio->index, wb->inode->i_ino, isize);
		folio_unlock(folio);
		return 0;
	}
	if (wb->io && (folio->index != wb->next ||
		       wb->io->nr_pages + n > wb->io->max_pages))
		tess_wb_send(wb);
	if (!wb->io) {
		u64 left = DIV_ROUND_UP_ULL(isize - folio_pos(folio),
					    PAGE_SIZE);
		unsigned int max = max_t(u64, n, min_t(u64, left,
						       wb->run_pages));

		wb->io = tess_io_alloc(wb->inode, true, max,
				       tess_write_complete);
		if (!wb->io) {
			folio_redirty_for_writepage(wbc, folio);
			folio_unlock(folio);
			return -ENOMEM;
		}
		wb->io->pos = folio_pos(folio);
	}
	folio_start_writeback(folio);
	folio_unlock(folio);
	for (i = 0; i < n; i++)
		wb->io->pages[wb->io->nr_pages++] = folio_page(folio, i);
	wb->next = folio->index + n;
	return 0;
}

static int tess_writepages(struct address_space *mapping,
			   struct writeback_control *wbc)
{
	struct inode *inode = mapping->host;
	struct tess_layout_info *lay;
	struct tess_wb_ctl wb = { .inode = inode };
	u64 run;
	int err;

	lay = tess_osc_layout(inode);
	if (IS_ERR(lay)) {
		mapping_set_error(mapping, PTR_ERR(lay));
		return PTR_ERR(lay);
	}
	/* a run gives every object TESS_IO_RPC_MAX bytes, within limits */
	run = (u64)lay->geom.stripe_count * TESS_IO_RPC_MAX;
	run = clamp_t(u64, run, TESS_IO_RPC_MAX, TESS_WB_RUN_MAX);
	wb.run_pages = run >> PAGE_SHIFT;
	wb.lay = lay;

	err = write_cache_pages(mapping, wbc, tess_wb_folio, &wb);
	tess_wb_send(&wb);
	kfree(lay);
	return err;
}

/*
 * invalidate_inode_pages2() found the folio dirty (it is locked): write
 * it now and wait.
 */
static int tess_launder_folio(struct folio *folio)
{
	struct inode *inode = folio->mapping->host;
	unsigned int i, nr = folio_nr_pages(folio);
	struct tess_layout_info *lay;
	struct tess_io *io;
	int err;

	if (!folio_clear_dirty_for_io(folio))
		return 0;
	lay = tess_osc_layout(inode);
	if (IS_ERR(lay))
		return PTR_ERR(lay);
	io = tess_io_alloc(inode, true, nr, tess_write_complete);
	if (!io) {
		kfree(lay);
		folio_mark_dirty(folio);
		return -ENOMEM;
	}
	refcount_inc(&io->ref);		/* ours: the last one frees */
	for (i = 0; i < nr; i++)
		io->pages[i] = folio_page(folio, i);
	io->nr_pages = nr;
	io->pos = folio_pos(folio);
	folio_start_writeback(folio);
	tess_write_run(io, lay);
	kfree(lay);
	/*
	 * The folio lock is held meanwhile; a hard mount waits for the OST,
	 * so a fatal signal may end the wait (the write goes on).
	 */
	err = wait_for_completion_killable(&io->done);
	if (!err)
		err = io->err;
	if (refcount_dec_and_test(&io->ref))
		tess_io_free(io);
	return err;
}

/* ---- buffered writes ---- */

/*
 * max_dirty_mb (sysfs, stats.c): with more dirty bytes than that on the
 * mount, a writer first has the mount's dirty data sent, as ext4 does when
 * its space runs short; max_rpcs_in_flight then paces the sending.  0
 * (the default): only the kernel's dirty limits apply.  Mount-wide, where
 * Lustre's is per OST.
 */
static void tess_dirty_throttle(struct super_block *sb)
{
	u64 limit = (u64)READ_ONCE(TESS_SB(sb)->max_dirty_mb) << 20;

	if (!limit ||
	    (u64)wb_stat(&sb->s_bdi->wb, WB_RECLAIMABLE) << PAGE_SHIFT <= limit)
		return;
	try_to_writeback_inodes_sb(sb, WB_REASON_FS_FREE_SPACE);
}

static int tess_write_begin(struct file *file, struct address_space *mapping,
			    loff_t pos, unsigned int len,
			    struct tess_aops_page **pagep, void **fsdata)
{
	struct inode *inode = mapping->host;
	pgoff_t index = pos >> PAGE_SHIFT;
	struct folio *folio;
	size_t off;
	int err;

	tess_dirty_throttle(inode->i_sb);
again:
	folio = tess_filemap_get_folio(mapping, index,
				       FGP_LOCK | FGP_WRITE | FGP_CREAT |
				       FGP_STABLE, mapping_gfp_mask(mapping));
	if (!folio)
		return -ENOMEM;
	/* its bytes may be on the wire: the bulk checksum covers them */
	folio_wait_writeback(folio);
	if (folio_test_uptodate(folio))
		goto out;

	off = offset_in_folio(folio, pos);
	len = min_t(size_t, len, folio_size(folio) - off);
	if (off == 0 && len == folio_size(folio))
		goto out;		/* overwritten whole; see write_end */
	if (folio_pos(folio) >= i_size_read(inode)) {
		/* past EOF: zeros around what is written */
		folio_zero_segments(folio, 0, off, off + len,
				    folio_size(folio));
		goto out;
	}

	/* a partial write of data that exists: read it first */
	err = tess_read_folio(file, folio);	/* unlocks */
	if (!err)
		err = folio_lock_killable(folio);
	if (err) {
		folio_put(folio);
		return err;
	}
	if (folio->mapping != mapping) {
		folio_unlock(folio);
		folio_put(folio);
		goto again;
	}
	if (!folio_test_uptodate(folio)) {
		folio_unlock(folio);
		folio_put(folio);
		return -EIO;
	}
	folio_wait_writeback(folio);
out:
	*pagep = tess_aops_page_of(folio);
	return 0;
}

static int tess_write_end(struct file *file, struct address_space *mapping,
			  loff_t pos, unsigned int len, unsigned int copied,
			  struct tess_aops_page *page, void *fsdata)
{
	struct folio *folio = tess_aops_folio(page);
	struct inode *inode = mapping->host;
	loff_t end = pos + copied;

	if (!folio_test_uptodate(folio)) {
		size_t off = offset_in_folio(folio, pos);

		if (folio_pos(folio) >= i_size_read(inode)) {
			/* past EOF, zeroed in write_begin: complete it */
			if (copied < len)
				folio_zero_range(folio, off + copied,
						 len - copied);
		} else if (copied < len) {
			/* a short copy into a folio never read: retry */
			copied = 0;
			goto out;
		}
		folio_mark_uptodate(folio);
	}
	if (!copied)
		goto out;
	/*
	 * Under i_lock, as the attribute refresh decides whether it may
	 * take the MDS's smaller size (inode.c): it never cuts this off.
	 */
	tess_i_size_extend(inode, end);
	folio_mark_dirty(folio);
out:
	folio_unlock(folio);
	folio_put(folio);
	return copied;
}

/**
 * tess_write_and_wait - start writeback of a range and wait for it
 * @inode: regular file
 * @start: first byte
 * @end: last byte (inclusive; LLONG_MAX for all)
 *
 * A hard mount keeps write runs in flight while an OST is away, and the
 * page cache's own wait for writeback cannot be interrupted: this waits
 * killable for the inode's runs, after which filemap_write_and_wait*()
 * or file_write_and_wait_range() return at once with the errors.
 *
 * Return: 0, -EINTR (fatal signal) or an error of starting writeback.
 */
int tess_write_and_wait(struct inode *inode, loff_t start, loff_t end)
{
	int err;

	err = filemap_fdatawrite_range(inode->i_mapping, start, end);
	if (wait_event_killable(TESS_SB(inode->i_sb)->wb_wait,
				!atomic_read(&TESS_I(inode)->wb_runs)))
		return -EINTR;
	return err;
}

/**
 * tess_i_size_extend - grow i_size to @end if it is smaller, under i_lock
 * @inode: the inode (i_rwsem held by the writer)
 * @end: new end of data
 */
void tess_i_size_extend(struct inode *inode, loff_t end)
{
	if (end <= i_size_read(inode))
		return;
	spin_lock(&inode->i_lock);
	if (end > i_size_read(inode))
		i_size_write(inode, end);
	spin_unlock(&inode->i_lock);
}

/* ---- O_DIRECT ---- */

static void tess_dio_release_pages(struct tess_io *io, bool dirty)
{
	unsigned int i;

	for (i = 0; i < io->nr_pages; i++) {
		if (dirty)
			set_page_dirty_lock(io->pages[i]);
		put_page(io->pages[i]);
	}
	io->nr_pages = 0;
}

static void tess_dio_put(struct tess_io *io)
{
	if (!refcount_dec_and_test(&io->ref))
		return;
	/* the waiter gave up (fatal signal): release what it pinned */
	tess_dio_release_pages(io, false);
	tess_io_free(io);
}

static void tess_dio_complete(struct tess_io *io)
{
	complete(&io->done);
	tess_dio_put(io);
}

/* one chunk of at most TESS_DIO_CHUNK bytes: pin, send, wait */
static ssize_t tess_dio_chunk(struct inode *inode,
			      const struct tess_layout_info *lay,
			      struct iov_iter *iter, loff_t pos, size_t max,
			      bool write)
{
	struct page **pages = NULL;
	struct tess_io *io;
	size_t start;
	ssize_t n;
	int err;

	io = tess_io_alloc(inode, write, 0, tess_dio_complete);
	if (!io)
		return -ENOMEM;
	n = iov_iter_get_pages_alloc2(iter, &pages, max, &start);
	if (n <= 0) {
		tess_io_free(io);
		return n ? n : -EFAULT;
	}
	io->pages = pages;
	io->nr_pages = DIV_ROUND_UP(start + n, PAGE_SIZE);
	io->max_pages = io->nr_pages;
	io->off = start;
	io->pos = pos;
	io->len = n;
	refcount_inc(&io->ref);		/* one for us, one for completion */

	tess_io_submit(io, lay, GFP_KERNEL);
	err = wait_for_completion_killable(&io->done);
	if (err) {
		tess_dio_put(io);	/* the last completion releases */
		return err;
	}
	err = io->err;
	tess_dio_release_pages(io, !write && !err);
	tess_dio_put(io);
	if (err) {
		iov_iter_revert(iter, n);
		return err;
	}
	return n;
}

/**
 * tess_direct_io - O_DIRECT read or write at iocb->ki_pos
 * @iocb: the request; ki_pos is not moved
 * @iter: user buffer
 * @write: direction
 *
 * The caller flushes and invalidates the page cache of the range and
 * holds the locks it wants (file.c).  The user pages are pinned and the
 * object RPCs go straight to and from them.  A read stops at EOF.
 * Returns the bytes moved (short if a later chunk failed) or -errno.
 */
ssize_t tess_direct_io(struct kiocb *iocb, struct iov_iter *iter, bool write)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct tess_layout_info *lay;
	loff_t pos = iocb->ki_pos;
	size_t left = iov_iter_count(iter);
	ssize_t done = 0, n = 0;

	if (!write) {
		loff_t isize = i_size_read(inode);

		if (pos >= isize)
			return 0;
		left = min_t(u64, left, isize - pos);
	}
	if (!left)
		return 0;
	lay = tess_osc_layout(inode);
	if (IS_ERR(lay))
		return PTR_ERR(lay);
	while (left) {
		n = tess_dio_chunk(inode, lay, iter, pos,
				   min_t(size_t, left, TESS_DIO_CHUNK), write);
		if (n <= 0)
			break;
		pos += n;
		done += n;
		left -= n;
	}
	kfree(lay);
	return done ? done : n;
}

/*
 * Opening with O_DIRECT needs a direct_IO method; the I/O itself is done
 * by read_iter/write_iter (file.c) through tess_direct_io().
 */
const struct address_space_operations tess_aops = {
	.read_folio	= tess_read_folio,
	.readahead	= tess_readahead,
	.writepages	= tess_writepages,
	.dirty_folio	= filemap_dirty_folio,
	.write_begin	= tess_write_begin,
	.write_end	= tess_write_end,
	.launder_folio	= tess_launder_folio,
	.direct_IO	= noop_direct_IO,
};
