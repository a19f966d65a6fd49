// SPDX-License-Identifier: MIT
/*
 * hsm release, pin and unpin: the OSTs' cache of restored data.
 */
#include "hsm.h"

/* ======================= release ======================= */

int cmd_release(int argc, char **argv)
{
	struct tess_client *c;
	struct tess_inode *st = malloc(sizeof(*st));
	int ret = 0;

	if (argc < 2 || !st) {
		fprintf(stderr, "usage: " PROG " release FILE...\n");
		free(st);
		return 2;
	}
	if (open_client(&c, "release"))
		return 1;
	for (int a = 1; a < argc; a++) {
		char *path = norm_path(argv[a]), hb[32];
		struct hsm_set q = { .valid = TESS_HSMS_UNPRESENT |
					      TESS_HSMS_STATE };
		struct hsm_info h;
		struct file_hsm fh;
		uint64_t freed;
		int rc = file_hsm_get(c, path, st, &h);

		if (rc) {
			warnx("release", "%s: %s", path, rc == -ENODATA ?
			      "not from S3 (no archive copy)" : strerror(-rc));
			ret = 1;
			goto next;
		}
		if (!(h.state & TESS_HSM_ARCHIVED) ||
		    (h.state & (TESS_HSM_DIRTY | TESS_HSM_LOST))) {
			warnx("release", "%s: %s", path, h.state & TESS_HSM_LOST ?
			      "the S3 copy is lost" : "changed since archived; "
			      "archive it first");
			ret = 1;
			goto next;
		}
		rc = file_hsm_query(c, st, false, &fh);
		if (!rc && fh.any_dirty)
			rc = -EBUSY;
		freed = fh.present;
		file_hsm_free(&fh);
		for (uint32_t i = 0; i < st->nobjs && !rc; i++) {
			rc = obj_hsm_set(c, st, i, TESS_OHSM_RELEASE, 0, NULL,
					 NULL, NULL, 0, NULL);
			if (rc == -ENODATA)
				rc = 0;	/* an object that holds nothing */
		}
		if (rc) {
			/* EBUSY: written since, or reads and writes went on */
			warnx("release", "%s: %s", path, rc == -EBUSY ?
			      "changed since archived (archive it first), or "
			      "busy with reads or writes (try again)" :
			      rc == -EPERM ? "pinned (hsm unpin it first)" :
			      strerror(-rc));
			ret = 1;
			goto next;
		}
		if (st->size)
			q.set = TESS_HSM_RELEASED;
		rc = mds_hsm_set(c, st->ino, &q, NULL);
		if (rc) {
			warnx("release", "%s: MDS: %s", path, strerror(-rc));
			ret = 1;
		} else {
			printf("%s: released, %s freed\n", path,
			       human(freed, hb, sizeof(hb)));
		}
next:
		free(path);
	}
	tess_client_close(c);
	free(st);
	return ret;
}

/* ======================= pin, unpin ======================= */

/* pin or unpin every object of one file from S3: 1 done, 0 not from S3 */
static int pin_file(struct tess_client *c, const char *path, uint32_t mode,
		    struct tess_inode *st)
{
	struct hsm_info h;
	int rc = tess_stat(c, path, st);

	if (!rc)
		rc = mds_hsm_get(c, st->ino, &h);
	if (rc == -ENODATA)
		return 0;
	for (uint32_t i = 0; i < st->nobjs && !rc; i++) {
		rc = obj_hsm_set(c, st, i, mode, 0, NULL, NULL, NULL, 0, NULL);
		if (rc == -ENODATA)
			rc = 0;	/* an object that holds nothing */
	}
	return rc ? rc : 1;
}

static int cmd_pin_mode(int argc, char **argv, uint32_t mode)
{
	const char *cmd = mode == TESS_OHSM_PIN ? "pin" : "unpin";
	struct tess_inode *st = malloc(sizeof(*st));
	struct tess_client *c;
	int ret = 0;

	if (argc < 2 || !st) {
		fprintf(stderr, "usage: " PROG " %s PATH...\n", cmd);
		free(st);
		return 2;
	}
	if (open_client(&c, cmd)) {
		free(st);
		return 1;
	}
	for (int a = 1; a < argc; a++) {
		char *path = norm_path(argv[a]);
		struct entv files = { 0 }, dirs = { 0 };
		uint64_t done = 0, other = 0;
		int rc = walk(c, path, &files, &dirs);

		if (rc)
			warnx(cmd, "%s: %s", path, strerror(-rc));
		/*
		 * a directory: later imports under it are pinned (or not).
		 * Not marked (trusted.*: root only): its files are still
		 * (un)pinned, with a warning.
		 */
		if (!rc && dirs.n) {
			int xrc = 0;

			if (mode == TESS_OHSM_PIN)
				xrc = tess_setxattr(c, path, PIN_XATTR, "1", 1,
						    0);
			for (size_t i = 0; mode == TESS_OHSM_UNPIN &&
			     i < dirs.n && (!xrc || xrc == -ENODATA); i++)
				xrc = tess_removexattr(c, dirs.v[i].path,
						       PIN_XATTR);
			if (xrc && xrc != -ENODATA)
				warnx(cmd, "%s: directory not %s for later "
				      "imports: %s", path, mode == TESS_OHSM_PIN ?
				      "marked pinned" : "unmarked",
				      strerror(-xrc));
		}
		for (size_t i = 0; i < files.n && !rc; i++) {
			rc = pin_file(c, files.v[i].path, mode, st);
			if (rc < 0)
				warnx(cmd, "%s: %s", files.v[i].path,
				      strerror(-rc));
			else if (rc)
				done++;
			else
				other++;
			rc = rc < 0 ? rc : 0;
		}
		if (rc) {
			ret = 1;
		} else {
			printf("%s: %" PRIu64 " files %s", path, done,
			       mode == TESS_OHSM_PIN ? "pinned" : "unpinned");
			if (other)
				printf(" (%" PRIu64 " not from S3: nothing to "
				       "release)", other);
			printf("\n");
		}
		entv_free(&files);
		entv_free(&dirs);
		free(path);
	}
	tess_client_close(c);
	free(st);
	return ret;
}

int cmd_pin(int argc, char **argv)
{
	return cmd_pin_mode(argc, argv, TESS_OHSM_PIN);
}

int cmd_unpin(int argc, char **argv)
{
	return cmd_pin_mode(argc, argv, TESS_OHSM_UNPIN);
}
