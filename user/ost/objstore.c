// SPDX-License-Identifier: MIT
/*
 * objstore.c - OST objects as files in a local directory (objstore.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <time.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "objstore.h"
#include "pcrec.h"
#include "tnet.h"

#define SB_NAME		"superblock"
#define SB_TMP		"superblock.tmp"
#define SB_MAGIC	"tessera-ost-superblock"
/*
 * Version 2: objects are precreated (OBJ_PRECREATE) and a missing one is
 * an error (ESTALE to writes, EIO to reads).  Version 1 stores (formatted
 * before that) keep the lenient rules: missing reads as empty, a write
 * creates it.
 */
#define SB_VERSION	2
#define SB_VERSION_OLD	1
#define OBJ_DIR		"O"
#define FANOUT		256

/* largest offset a request can name (tess_msg_check limits it too) */
#define OBJ_OFF_MAX	(1ULL << 62)

struct objstore {
	int root;		/* the store directory */
	int lockfd;		/* superblock, flock'ed while open */
	uint32_t index;
	uint8_t uuid[16];
	unsigned version;	/* SB_VERSION or SB_VERSION_OLD */
	struct pcrec *pc;	/* version 2: the precreated ranges */
	char dir[PATH_MAX];
};

__attribute__((format(printf, 3, 4)))
static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* mkdir -p */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, 0755) && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static void uuid_hex(const uint8_t uuid[16], char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", uuid[i]);
}

static int hex_uuid(const char *hex, uint8_t uuid[16])
{
	if (strlen(hex) != 32)
		return -EINVAL;
	for (int i = 0; i < 16; i++) {
		unsigned int v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		uuid[i] = (uint8_t)v;
	}
	return 0;
}

int objstore_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int objstore_pread_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;	/* short file */
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* create the superblock atomically: tmp file, fsync, rename, fsync dir */
static int sb_format(struct objstore *s, char *err, size_t errlen)
{
	char text[128], hex[33];
	int fd, rc, len;

	if (getrandom(s->uuid, sizeof(s->uuid), 0) != sizeof(s->uuid)) {
		seterr(err, errlen, "getrandom: %s", strerror(errno));
		return -EIO;
	}
	uuid_hex(s->uuid, hex);
	len = snprintf(text, sizeof(text), "%s %d\nindex %" PRIu32 "\nuuid %s\n",
		       SB_MAGIC, SB_VERSION, s->index, hex);
	fd = openat(s->root, SB_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);
	if (fd < 0) {
		rc = -errno;
		seterr(err, errlen, "%s/%s: %s", s->dir, SB_TMP, strerror(-rc));
		return rc;
	}
	rc = objstore_pwrite_all(fd, text, (size_t)len, 0);
	if (!rc && fsync(fd))
		rc = -errno;
	close(fd);
	if (!rc && renameat(s->root, SB_TMP, s->root, SB_NAME))
		rc = -errno;
	if (!rc && fsync(s->root))
		rc = -errno;
	if (rc)
		seterr(err, errlen, "%s/%s: %s", s->dir, SB_NAME, strerror(-rc));
	return rc;
}

/* parse an existing superblock, check the index */
static int sb_load(struct objstore *s, int fd, uint32_t want, char *err,
		   size_t errlen)
{
	char text[512], magic[64], hex[64];
	unsigned int ver;
	uint32_t index;
	ssize_t n;

	n = pread(fd, text, sizeof(text) - 1, 0);
	if (n < 0) {
		seterr(err, errlen, "%s/%s: %s", s->dir, SB_NAME,
		       strerror(errno));
		return -errno;
	}
	text[n] = '\0';
	if (sscanf(text, "%63s %u index %" SCNu32 " uuid %63s", magic, &ver,
		   &index, hex) != 4 || strcmp(magic, SB_MAGIC) ||
	    hex_uuid(hex, s->uuid)) {
		seterr(err, errlen, "%s/%s: not a tessera-ost superblock",
		       s->dir, SB_NAME);
		return -EUCLEAN;
	}
	if (ver != SB_VERSION && ver != SB_VERSION_OLD) {
		seterr(err, errlen, "%s/%s: unsupported version %u", s->dir,
		       SB_NAME, ver);
		return -EUCLEAN;
	}
	s->index = index;
	s->version = ver;
	if (index != want) {
		seterr(err, errlen,
		       "%" PRIu32 " does not match index %" PRIu32
		       " of the store in %s", want, index, s->dir);
		return OBJSTORE_EINDEX;
	}
	return 0;
}

static int make_fanout(struct objstore *s)
{
	char name[16];

	if (mkdirat(s->root, OBJ_DIR, 0755) && errno != EEXIST)
		return -errno;
	for (int i = 0; i < FANOUT; i++) {
		snprintf(name, sizeof(name), OBJ_DIR "/%02x", i);
		if (mkdirat(s->root, name, 0755) && errno != EEXIST)
			return -errno;
	}
	return fsync(s->root) ? -errno : 0;
}

int objstore_open(const char *dir, uint32_t index, struct objstore **out,
		  char *err, size_t errlen)
{
	struct objstore *s;
	struct stat st;
	int rc, fd;

	*out = NULL;
	if (!dir || !*dir) {
		seterr(err, errlen, "empty path");
		return -EINVAL;
	}
	if (strlen(dir) >= sizeof(s->dir)) {
		seterr(err, errlen, "path too long");
		return -ENAMETOOLONG;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->root = s->lockfd = -1;
	s->index = index;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);

	rc = mkdir_p(dir);
	if (rc) {
		seterr(err, errlen, "%s: cannot create: %s", dir, strerror(-rc));
		goto fail;
	}
	s->root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root < 0) {
		rc = -errno;
		seterr(err, errlen, "%s: %s", dir, strerror(-rc));
		goto fail;
	}

	fd = openat(s->root, SB_NAME, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		rc = -errno;
		seterr(err, errlen, "%s/%s: %s", dir, SB_NAME, strerror(-rc));
		goto fail;
	}
	if (fd < 0) {
		/* a fresh store; refuse to adopt objects of an unknown one */
		if (fstatat(s->root, OBJ_DIR, &st, 0) == 0) {
			rc = -EUCLEAN;
			seterr(err, errlen,
			       "%s: has objects (%s/) but no superblock", dir,
			       OBJ_DIR);
			goto fail;
		}
		rc = sb_format(s, err, errlen);
		if (rc)
			goto fail;
		fd = openat(s->root, SB_NAME, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			seterr(err, errlen, "%s/%s: %s", dir, SB_NAME,
			       strerror(-rc));
			goto fail;
		}
	}
	s->lockfd = fd;
	/* the index first: a wrong --index is the likelier mistake */
	rc = sb_load(s, fd, index, err, errlen);
	if (rc)
		goto fail;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		seterr(err, errlen, "%s: %s", dir, rc == -EBUSY ?
		       "in use by another tessera-ost" : strerror(-rc));
		goto fail;
	}
	rc = make_fanout(s);
	if (rc) {
		seterr(err, errlen, "%s/%s: %s", dir, OBJ_DIR, strerror(-rc));
		goto fail;
	}
	if (s->version >= SB_VERSION) {
		rc = pcrec_open(s->root, &s->pc);
		if (rc) {
			seterr(err, errlen, "%s/precreated: %s", dir,
			       strerror(-rc));
			goto fail;
		}
	}
	*out = s;
	return 0;
fail:
	objstore_close(s);
	return rc;
}

void objstore_close(struct objstore *s)
{
	if (!s)
		return;
	pcrec_close(s->pc);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->root >= 0)
		close(s->root);
	free(s);
}

uint32_t objstore_index(const struct objstore *s)
{
	return s->index;
}

const uint8_t *objstore_uuid(const struct objstore *s)
{
	return s->uuid;
}

const char *objstore_dir(const struct objstore *s)
{
	return s->dir;
}

bool objstore_precreates(const struct objstore *s)
{
	return s->pc != NULL;
}

/* ---- objects ---- */

static void obj_path(uint64_t oid, char buf[40])
{
	snprintf(buf, 40, OBJ_DIR "/%02x/%016" PRIx64, (unsigned)(oid & 0xff),
		 oid);
}

int objstore_rootfd(const struct objstore *s)
{
	return s->root;
}

void objstore_obj_path(uint64_t oid, char buf[40])
{
	obj_path(oid, buf);
}

static void obj_dir(uint64_t oid, char buf[16])
{
	snprintf(buf, 16, OBJ_DIR "/%02x", (unsigned)(oid & 0xff));
}

/*
 * Open an object; with create, make it (and its fan-out directory, should
 * it have gone) if missing, telling whether this call created it.
 */
static int obj_open(struct objstore *s, uint64_t oid, int flags, bool create,
		    bool *created)
{
	char path[40], dir[16];
	int fd;

	if (created)
		*created = false;
	if (oid == 0)
		return -EINVAL;
	obj_path(oid, path);
	fd = openat(s->root, path, flags | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd >= 0 ? fd : -errno;

	obj_dir(oid, dir);
	if (mkdirat(s->root, OBJ_DIR, 0755) && errno != EEXIST)
		return -errno;
	if (mkdirat(s->root, dir, 0755) && errno != EEXIST)
		return -errno;
	fd = openat(s->root, path, flags | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (created)
			*created = true;
		return fd;
	}
	if (errno != EEXIST)
		return -errno;
	/* created by a concurrent writer meanwhile */
	fd = openat(s->root, path, flags | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

/* make an object's directory entry stable */
static int obj_sync_dir(struct objstore *s, uint64_t oid)
{
	char dir[16];
	int fd, rc = 0;

	obj_dir(oid, dir);
	fd = openat(s->root, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

static int fd_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	*size = (uint64_t)st.st_size;
	return 0;
}

/*
 * An object that is not there.  A store of version 1 was not precreated:
 * missing is "never written" (reads empty: 0; a write creates it before
 * this is reached).  Else a read of an object that was precreated here is
 * of lost data: EIO and a log line (at most one a second, with the count
 * of the others); everything else gets ESTALE: destroyed, or never ours.
 */
static int missing(struct objstore *s, uint64_t oid, const char *op)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static time_t last;
	static unsigned quiet;
	time_t now;

	if (!s->pc)	/* read and punch: nothing there; else not reached */
		return strcmp(op, "read") && strcmp(op, "punch") ? -EIO : 0;
	if (strcmp(op, "read") || !pcrec_has(s->pc, oid))
		return -ESTALE;
	now = time(NULL);
	pthread_mutex_lock(&lock);
	if (now != last) {
		tlog_level(LOG_ERR, "%s: oid %#" PRIx64 " is missing (precreated, now gone: "
		     "lost or removed behind the OST): EIO to its readers%s",
		     s->dir, oid, quiet ? " (and more missing objects read "
		     "since the last line)" : "");
		last = now;
		quiet = 0;
	} else {
		quiet++;
	}
	pthread_mutex_unlock(&lock);
	return OBJSTORE_ELOST;
}

int objstore_read(struct objstore *s, uint64_t oid, uint64_t off, void *buf,
		  uint32_t len, uint32_t *nread, uint64_t *size)
{
	uint32_t done = 0;
	int fd, rc;

	*nread = 0;
	*size = 0;
	if (off > OBJ_OFF_MAX || len > OBJ_OFF_MAX - off)
		return -EFBIG;
	fd = obj_open(s, oid, O_RDONLY, false, NULL);
	if (fd == -ENOENT)
		return missing(s, oid, "read");
	if (fd < 0)
		return fd;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;		/* end of object */
		done += (uint32_t)n;
	}
	rc = fd_size(fd, size);
	*nread = done;
out:
	close(fd);
	return rc;
}

int objstore_write(struct objstore *s, uint64_t oid, uint64_t off,
		   const void *buf, uint32_t len, bool sync, uint64_t *size)
{
	bool created;
	int fd, rc;

	*size = 0;
	if (off > OBJ_OFF_MAX || len > OBJ_OFF_MAX - off)
		return -EFBIG;
	fd = obj_open(s, oid, O_WRONLY, !s->pc, &created);
	if (fd == -ENOENT)
		return missing(s, oid, "write");
	if (fd < 0)
		return fd;
	rc = objstore_pwrite_all(fd, buf, len, (off_t)off);
	if (!rc && sync && fdatasync(fd))
		rc = -errno;
	if (!rc && sync && created)
		rc = obj_sync_dir(s, oid);
	if (!rc)
		rc = fd_size(fd, size);
	close(fd);
	return rc;
}

int objstore_truncate(struct objstore *s, uint64_t oid, uint64_t size)
{
	int fd, rc = 0;

	if (size > OBJ_OFF_MAX)
		return -EFBIG;
	fd = obj_open(s, oid, O_WRONLY, !s->pc, NULL);
	if (fd == -ENOENT)
		return missing(s, oid, "truncate");
	if (fd < 0)
		return fd;
	if (ftruncate(fd, (off_t)size))
		rc = -errno;
	close(fd);
	return rc;
}

int objstore_trim(struct objstore *s, uint64_t oid, uint64_t size, bool *cut)
{
	uint64_t now;
	int fd, rc;

	*cut = false;
	if (size > OBJ_OFF_MAX)
		return -EFBIG;
	fd = obj_open(s, oid, O_WRONLY, false, NULL);
	if (fd == -ENOENT)
		return missing(s, oid, "truncate");
	if (fd < 0)
		return fd;
	rc = fd_size(fd, &now);
	if (!rc && now > size) {
		if (ftruncate(fd, (off_t)size))
			rc = -errno;
		else
			*cut = true;
	}
	close(fd);
	return rc;
}

static const char zeros[64 * 1024];

int objstore_punch_hole(struct objstore *s, uint64_t oid, uint64_t off,
			uint64_t len)
{
	uint64_t size;
	int fd, rc;

	if (off > OBJ_OFF_MAX || len > OBJ_OFF_MAX)
		return -EFBIG;
	fd = obj_open(s, oid, O_WRONLY, false, NULL);
	if (fd == -ENOENT)
		return missing(s, oid, "punch");
	if (fd < 0)
		return fd;
	rc = fd_size(fd, &size);
	if (rc)
		goto out;
	/* past the end there is nothing to deallocate (size is kept) */
	if (off >= size || len == 0)
		goto out;
	if (len > size - off)
		len = size - off;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) == 0)
		goto out;
	if (errno != EOPNOTSUPP) {
		rc = -errno;
		goto out;
	}
	/* file system without hole punching: write zeros instead */
	while (len && !rc) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);

		rc = objstore_pwrite_all(fd, zeros, n, (off_t)off);
		off += n;
		len -= n;
	}
out:
	close(fd);
	return rc;
}

int objstore_getattr(struct objstore *s, uint64_t oid,
		     struct objstore_attr *a)
{
	char path[40];
	struct stat st;

	memset(a, 0, sizeof(*a));
	if (oid == 0)
		return -EINVAL;
	obj_path(oid, path);
	if (fstatat(s->root, path, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EUCLEAN;
	a->size = (uint64_t)st.st_size;
	a->blocks = (uint64_t)st.st_blocks;
	a->mtime_sec = st.st_mtim.tv_sec;
	a->mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
	return 0;
}

/* the object is gone, and stays gone across a crash, before this returns */
int objstore_destroy(struct objstore *s, uint64_t oid)
{
	char path[40];

	if (oid == 0)
		return -EINVAL;
	obj_path(oid, path);
	if (unlinkat(s->root, path, 0))
		return -errno;
	return obj_sync_dir(s, oid);
}

int objstore_sync(struct objstore *s, uint64_t oid)
{
	int fd, rc = 0;

	if (oid == 0)
		return syncfs(s->root) ? -errno : 0;
	fd = obj_open(s, oid, O_RDONLY, false, NULL);
	if (fd == -ENOENT)
		return 0;		/* nothing to make stable */
	if (fd < 0)
		return fd;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	/* and its directory entry, for an object created without sync */
	if (!rc)
		rc = obj_sync_dir(s, oid);
	return rc;
}

int objstore_statfs(struct objstore *s, struct objstore_statfs *st)
{
	struct statvfs v;

	memset(st, 0, sizeof(*st));
	if (fstatvfs(s->root, &v))
		return -errno;
	st->bsize = (uint32_t)(v.f_frsize ? v.f_frsize : v.f_bsize);
	st->blocks = v.f_blocks;
	st->bfree = v.f_bfree;
	st->bavail = v.f_bavail;
	st->files = v.f_files;
	st->ffree = v.f_ffree;
	st->namelen = (uint32_t)v.f_namemax;
	return 0;
}

/* ---- precreation and listing ---- */

int objstore_precreate(struct objstore *s, uint64_t first, uint32_t count)
{
	bool synced[FANOUT] = { false };
	int rc;

	if (!first || !count || first + count < first)
		return -EINVAL;
	/* the range first: a crash after it leaves objects the MDS did not
	 * hand out yet (it sends the range again) */
	if (s->pc) {
		rc = pcrec_add(s->pc, first, count);
		if (rc)
			return rc;
	}
	for (uint64_t oid = first; oid < first + count; oid++) {
		int fd = obj_open(s, oid, O_RDONLY, true, NULL);

		if (fd < 0)
			return fd;
		rc = fsync(fd) ? -errno : 0;
		close(fd);
		if (rc)
			return rc;
	}
	for (uint64_t oid = first; oid < first + count; oid++) {
		if (synced[oid & 0xff])
			continue;
		rc = obj_sync_dir(s, oid);
		if (rc)
			return rc;
		synced[oid & 0xff] = true;
	}
	return 0;
}

/* a 16-hex-digit object name, in its own fan-out directory */
static bool obj_name(const char *name, unsigned dir, uint64_t *oid)
{
	char *end;

	if (strlen(name) != 16 || !isxdigit((unsigned char)name[0]))
		return false;
	errno = 0;
	*oid = strtoull(name, &end, 16);
	return !errno && !*end && *oid && (*oid & 0xff) == dir;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* the oids of fan-out directory d above after, sorted; *n of them */
static int list_dir(struct objstore *s, unsigned d, uint64_t after,
		    uint64_t **out, size_t *n)
{
	char name[16];
	uint64_t *v = NULL, oid;
	size_t cap = 0;
	struct dirent *e;
	DIR *dh;
	int fd;

	*out = NULL;
	*n = 0;
	snprintf(name, sizeof(name), OBJ_DIR "/%02x", d);
	fd = openat(s->root, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	dh = fdopendir(fd);
	if (!dh) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(dh))) {
		if (!obj_name(e->d_name, d, &oid) || oid <= after)
			continue;
		if (*n == cap) {
			uint64_t *nv = realloc(v, (cap ? cap * 2 : 256) * 8);

			if (!nv) {
				free(v);
				closedir(dh);
				return -ENOMEM;
			}
			v = nv;
			cap = cap ? cap * 2 : 256;
		}
		v[(*n)++] = oid;
	}
	closedir(dh);
	if (*n > 1)		/* v is NULL when the directory had none */
		qsort(v, *n, sizeof(*v), cmp_u64);
	*out = v;
	return 0;
}

int objstore_list(struct objstore *s, uint64_t after, uint64_t *oids,
		  uint32_t max, uint32_t *count, bool *eof)
{
	unsigned d = (unsigned)(after & 0xff);
	uint64_t *v;
	size_t n, i;
	int rc;

	*count = 0;
	*eof = false;
	for (; d < FANOUT; d++, after = 0) {
		rc = list_dir(s, d, after, &v, &n);
		if (rc)
			return rc;
		for (i = 0; i < n && *count < max; i++)
			oids[(*count)++] = v[i];
		free(v);
		if (i < n)
			return 0;	/* full: the rest in the next page */
	}
	*eof = true;
	return 0;
}
