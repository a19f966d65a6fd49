/* SPDX-License-Identifier: MIT */
/*
 * hsm.h - what the files of the hsm tool share (utils/hsm*.c): the
 * options, messages, the RPCs the library has no wrapper for, walking
 * the namespace, the present ranges of a file, and the commands.
 */
#ifndef TESS_UTILS_HSM_H
#define TESS_UTILS_HSM_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "s3.h"
#include "tess_client.h"

#define PROG		"hsm"
#define UNIT_MAX	(4u << 20)	/* prefetch work unit */
#define MAX_RANGES_SHOWN 16

struct opts {
	const char *mds, *key, *endpoint, *region;
	bool path_style;		/* --path-style */
	int jobs;
	int timeout_s;
	bool del;
	bool exact;			/* status: ask the OSTs too */
	int verbose;
};

extern struct opts O;

/* not libc's warnx(3): the command's name first (PROG: CMD: ...) */
#define warnx hsm_warnx

/*
 * hsm pin DIR marks DIR (this xattr, on the MDS): the stubs an import
 * later makes under it are pinned too.  Files' pins are on the OSTs.
 */
#define PIN_XATTR	"trusted.tessera.hsm.pinned"

struct progress {
	const char *what;
	bool tty, shown;
	bool bytes;
	int64_t last;
	_Atomic uint64_t done;
	uint64_t total;
};

struct hsm_info {
	uint32_t state;
	uint64_t size, mtime_sec;
	uint32_t mtime_nsec;
	char bucket[TESS_S3_BUCKET_MAX + 1];
	char key[TESS_S3_KEY_MAX + 1];
	char etag[TESS_S3_ETAG_MAX + 1];
	uint8_t present[TESS_MAX_STRIPES / 8];
};

struct hsm_set {
	uint32_t valid, set, clear, stripe;
	uint64_t size, mtime_sec;
	uint32_t mtime_nsec;
	const char *bucket, *key, *etag;
};

/*
 * The origin's S3 location as the OSTs keep it (TESS_FEAT_HSM_LOC): an
 * empty endpoint or region is the OSTs' own.  set false: none recorded
 * (an older hsm or OST, a version-1 sidecar).
 */
struct hsm_loc {
	char endpoint[TESS_S3_ENDPOINT_MAX + 1];
	char region[TESS_S3_REGION_MAX + 1];
	uint32_t flags;			/* TESS_HSM_LOC_* */
	bool set;
};

struct ohsm {
	uint32_t flags, stripe, stripe_size, chunk_size, nchunks, npresent;
	uint64_t ino, file_size, obj_size, bytes_present, dirty_gen;
	uint64_t fetched, fetches, errors;
	uint64_t evictions, bytes_evicted;
	char etag[TESS_S3_ETAG_MAX + 1];
	struct hsm_loc loc;
	uint32_t bitmap_len;
	uint8_t *bitmap;			/* malloc'ed, may be NULL */
};

struct ent {
	char *path;
	uint64_t ino;			/* from the directory entry (0: not known) */
	uint32_t type;			/* DT_* */
};

struct entv {
	struct ent *v;
	size_t n, cap;
};

struct range {
	uint64_t a, b;
};

struct file_hsm {
	uint64_t present;		/* bytes */
	bool all_objs_present;
	bool any_dirty;
	bool any_pinned;
	struct range *absent;		/* file ranges of absent chunks */
	size_t nabsent;
	struct range *have;		/* file ranges of present chunks */
	size_t nhave;
	uint64_t dirty_gen[TESS_MAX_STRIPES];
	bool obj_complete[TESS_MAX_STRIPES];
	struct hsm_loc loc;		/* the first object's that has one */
};

/* hsm_util.c */
__attribute__((format(printf, 2, 3)))
void warnx(const char *cmd, const char *fmt, ...);
const char *esc(const char *s, size_t len, char *out, size_t cap);
int64_t now_ms(void);
const char *human(uint64_t b, char *buf, size_t len);
void progress_init(struct progress *p, const char *what,
		   uint64_t total, bool bytes);
void progress_show(struct progress *p, bool final);
/* hsm_rpc.c */
int mds_hsm_get(struct tess_client *c, uint64_t ino, struct hsm_info *h);
/* the regular file at path (else -EISDIR) and its MDS HSM record */
int file_hsm_get(struct tess_client *c, const char *path,
		 struct tess_inode *st, struct hsm_info *h);
int mds_hsm_set(struct tess_client *c, uint64_t ino,
		const struct hsm_set *q, struct hsm_info *out);
int obj_hsm_get(struct tess_client *c, uint32_t ost, uint64_t oid,
		bool want_bitmap, struct ohsm *o);
extern const struct s3_conf *origin_s3;
void loc_of_conf(const struct s3_conf *s3, const char *bucket,
		 struct hsm_loc *l);
int obj_hsm_set(struct tess_client *c, const struct tess_inode *st,
		uint32_t i, uint32_t mode, uint64_t file_size,
		const char *bucket, const char *key, const char *etag,
		uint64_t dirty_gen, const struct hsm_loc *loc);
int open_client(struct tess_client **c, const char *cmd);
int s3_setup(struct s3_conf *s3, const char *cmd, const char *what);
/* hsm_files.c */
int entv_add(struct entv *e, const char *path, uint32_t type);
void entv_free(struct entv *e);
int walk(struct tess_client *c, const char *path, struct entv *files,
	 struct entv *dirs);
char *norm_path(const char *p);
void file_hsm_free(struct file_hsm *f);
int file_hsm_query(struct tess_client *c, const struct tess_inode *st,
		   bool ranges, struct file_hsm *fh);
void reconcile(struct tess_client *c, const struct tess_inode *st,
	       const struct hsm_info *h, const struct file_hsm *fh);
void state_names(uint32_t s, char *buf, size_t len);
/* hsm_import.c */
int cmd_import(int argc, char **argv);
/* hsm_state.c */
int cmd_state(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_counters(int argc, char **argv);
/* hsm_prefetch.c */
int cmd_prefetch(int argc, char **argv);
/* hsm_release.c */
int cmd_release(int argc, char **argv);
int cmd_pin(int argc, char **argv);
int cmd_unpin(int argc, char **argv);
/* hsm_archive.c */
int cmd_archive(int argc, char **argv);

#endif
