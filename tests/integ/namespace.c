// SPDX-License-Identifier: MIT
/*
 * namespace: the MDS operations through the client library, with the
 * errno of each failure case; and "concurrent N DIR PREFIX": create N
 * files (run twice at once by run.sh, then "listdir DIR 2N" checks).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "it.h"

static int count_cb(void *arg, const char *name, uint64_t ino, uint32_t type,
		    uint64_t cookie)
{
	(void)name; (void)ino; (void)type; (void)cookie;
	(*(int *)arg)++;
	return 0;
}

static void namespace(struct tess_client *c)
{
	struct tess_inode st;
	struct tess_file *f;
	char longname[300], path[400], buf[256];
	struct timespec at = { 1000000000, 5 }, mt = { 1200000000, 7 };
	int n = 0;

	memset(longname, 'n', sizeof(longname));
	longname[256] = 0;
	IT_RC("ns.stat_root", tess_stat(c, "/", &st), 0);
	IT_RC("ns.root_is_dir", S_ISDIR(st.mode), 1);
	IT_RC("ns.mkdir", tess_mkdir(c, "/ns", 0755), 0);
	IT_RC("ns.mkdir_eexist", tess_mkdir(c, "/ns", 0755), -EEXIST);
	IT_RC("ns.mkdir_enoent", tess_mkdir(c, "/nope/x", 0755), -ENOENT);
	IT_RC("ns.create", tess_open(c, "/ns/f", O_CREAT | O_EXCL, 0640, NULL, &f), 0);
	tess_close(f);
	IT_RC("ns.create_eexist", tess_open(c, "/ns/f", O_CREAT | O_EXCL, 0640, NULL, &f),
	      -EEXIST);
	IT_RC("ns.mkdir_under_file_enotdir", tess_mkdir(c, "/ns/f/x", 0755), -ENOTDIR);
	snprintf(path, sizeof(path), "/ns/%s", longname);
	IT_RC("ns.enametoolong", tess_mkdir(c, path, 0755), -ENAMETOOLONG);
	longname[255] = 0;
	snprintf(path, sizeof(path), "/ns/%s", longname);
	IT_RC("ns.name_255_ok", tess_mkdir(c, path, 0755), 0);
	IT_RC("ns.stat_mode", (tess_stat(c, "/ns/f", &st), st.mode), S_IFREG | 0640);
	IT_RC("ns.chmod", tess_chmod(c, "/ns/f", 0600), 0);
	IT_RC("ns.chmod_seen", (tess_stat(c, "/ns/f", &st), st.mode & 07777), 0600);
	IT_RC("ns.chown", tess_chown(c, "/ns/f", 1234, 5678), 0);
	IT_RC("ns.chown_seen", (tess_stat(c, "/ns/f", &st), st.uid == 1234 && st.gid == 5678), 1);
	IT_RC("ns.utimes", tess_utimes(c, "/ns/f", &at, &mt), 0);
	tess_stat(c, "/ns/f", &st);
	IT_RC("ns.utimes_seen", st.mtime.tv_sec == mt.tv_sec && st.mtime.tv_nsec == 7 &&
	      st.atime.tv_sec == at.tv_sec, 1);
	IT_RC("ns.rmdir_file_enotdir", tess_rmdir(c, "/ns/f"), -ENOTDIR);
	IT_RC("ns.unlink_dir_eisdir", tess_unlink(c, "/ns"), -EISDIR);
	IT_RC("ns.rmdir_enotempty", tess_rmdir(c, "/ns"), -ENOTEMPTY);
	IT_RC("ns.symlink", tess_symlink(c, "../target/x", "/ns/sl"), 0);
	IT_RC("ns.readlink", tess_readlink(c, "/ns/sl", buf, sizeof(buf)), 11);
	IT_RC("ns.readlink_text", memcmp(buf, "../target/x", 11), 0);
	IT_RC("ns.setxattr", tess_setxattr(c, "/ns/f", "user.k", "v1", 2, 0), 0);
	IT_RC("ns.setxattr_create_eexist",
	      tess_setxattr(c, "/ns/f", "user.k", "v2", 2, TESS_XATTR_CREATE), -EEXIST);
	IT_RC("ns.setxattr_replace_enodata",
	      tess_setxattr(c, "/ns/f", "user.none", "v", 1, TESS_XATTR_REPLACE), -ENODATA);
	IT_RC("ns.getxattr_size", tess_getxattr(c, "/ns/f", "user.k", NULL, 0), 2);
	IT_RC("ns.getxattr", tess_getxattr(c, "/ns/f", "user.k", buf, sizeof(buf)), 2);
	IT_RC("ns.getxattr_value", memcmp(buf, "v1", 2), 0);
	IT_RC("ns.getxattr_erange", tess_getxattr(c, "/ns/f", "user.k", buf, 1), -ERANGE);
	IT_RC("ns.listxattr", tess_listxattr(c, "/ns/f", buf, sizeof(buf)), 7);
	IT_RC("ns.removexattr", tess_removexattr(c, "/ns/f", "user.k"), 0);
	IT_RC("ns.getxattr_enodata", tess_getxattr(c, "/ns/f", "user.k", buf, sizeof(buf)),
	      -ENODATA);
	IT_RC("ns.mkdir_sub", tess_mkdir(c, "/ns/sub", 0755), 0);
	IT_RC("ns.rename_dir_into_itself", tess_rename(c, "/ns", "/ns/sub/ns"), -EINVAL);
	IT_RC("ns.rename_file_over_dir", tess_rename(c, "/ns/f", "/ns/sub"), -EISDIR);
	IT_RC("ns.rename_dir_over_file", tess_rename(c, "/ns/sub", "/ns/f"), -ENOTDIR);
	IT_RC("ns.link_dir_eperm", tess_link(c, "/ns/sub", "/ns/sublink"), -EPERM);
	IT_RC("ns.readdir", tess_readdir(c, "/ns", count_cb, &n), 0);
	IT_RC("ns.readdir_count", n, 4);	/* f, longname, sl, sub */
	IT_RC("ns.rmdir", tess_rmdir(c, "/ns/sub"), 0);
	IT_RC("ns.stat_enoent", tess_stat(c, "/ns/sub", &st), -ENOENT);
	{
		struct tess_statfs sf;

		IT_RC("ns.statfs", tess_statfs(c, &sf), 0);
		IT_RC("ns.statfs_4_osts", sf.ost_count, 4);
		IT_RC("ns.statfs_has_space", sf.blocks > 0 && sf.bavail > 0, 1);
	}
	{
		struct tess_layout_req lr = { .stripe_size = 256 << 10, .stripe_count = 2,
					      .stripe_offset = TESS_OST_ANY };

		tess_mkdir(c, "/ns/striped", 0755);
		IT_RC("ns.setstripe_dir", tess_setstripe(c, "/ns/striped", &lr), 0);
		IT_RC("ns.inherit_create",
		      tess_open(c, "/ns/striped/x", O_CREAT, 0644, NULL, &f), 0);
		IT_RC("ns.inherited_layout", tess_file_inode(f)->nobjs == 2 &&
		      tess_file_inode(f)->geom.stripe_size == (256 << 10), 1);
		tess_close(f);
	}
}

static void concurrent(struct tess_client *c, int n, const char *dir,
		       const char *prefix)
{
	char path[512];
	int bad = 0;

	for (int i = 0; i < n; i++) {
		struct tess_file *f;

		snprintf(path, sizeof(path), "%s/%s-%05d", dir, prefix, i);
		if (tess_open(c, path, O_CREAT | O_EXCL, 0644, NULL, &f))
			bad++;
		else
			tess_close(f);
	}
	snprintf(path, sizeof(path), "concurrent.create_%d_%s", n, prefix);
	it_result(bad == 0, path, "%d creates failed", bad);
}

struct seen {
	char **names;
	int n, cap, dups;
};

static int seen_cb(void *arg, const char *name, uint64_t ino, uint32_t type,
		   uint64_t cookie)
{
	struct seen *s = arg;

	(void)ino; (void)type; (void)cookie;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->names = realloc(s->names, (size_t)s->cap * sizeof(char *));
	}
	s->names[s->n++] = strdup(name);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void listdir(struct tess_client *c, const char *dir, int want)
{
	struct seen s = { 0 };
	int rc = tess_readdir(c, dir, seen_cb, &s);

	IT_RC("concurrent.readdir", rc, 0);
	qsort(s.names, (size_t)s.n, sizeof(char *), cmp);
	for (int i = 1; i < s.n; i++)
		if (!strcmp(s.names[i], s.names[i - 1]))
			s.dups++;
	it_result(s.n == want && s.dups == 0, "concurrent.readdir_all_once",
		  "listed %d entries (%d duplicates), expected %d", s.n, s.dups, want);
}

int main(int argc, char **argv)
{
	struct tess_client *c = it_connect();

	if (argc >= 2 && !strcmp(argv[1], "namespace"))
		namespace(c);
	else if (argc >= 5 && !strcmp(argv[1], "concurrent"))
		concurrent(c, atoi(argv[2]), argv[3], argv[4]);
	else if (argc >= 4 && !strcmp(argv[1], "listdir"))
		listdir(c, argv[2], atoi(argv[3]));
	else {
		fprintf(stderr, "usage: namespace namespace | concurrent N DIR PREFIX | listdir DIR N\n");
		return 2;
	}
	tess_client_close(c);
	return it_failed;
}
