// SPDX-License-Identifier: MIT
/*
 * mount.tessera - mount helper for Tessera, called by mount(8):
 *
 *   mount.tessera HOST[:PORT]@NET[,HOST...]:/FSNAME DIR [-o OPTIONS] [-nfvs]
 *
 * Checks the source and options, resolves host names to IPv4 addresses
 * (the kernel takes addresses only), loads tessera.ko and the transport
 * modules through libkmod, and calls mount(2).  Every failure is said in
 * one line: "mount.tessera: SOURCE: reason".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libkmod.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tessera.h"

#define PROG "mount.tessera"

static const char *source_arg = "";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s: ", source_arg);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(32);	/* mount(8): mount failure */
}

/* "host[:port]@net" -> "a.b.c.d[:port]@net" into out */
static void resolve_one(const char *addr, size_t len, char *out, size_t outlen,
			char nets[][8], int *nnets)
{
	char buf[TESS_ADDR_MAX + 1], *at, *colon, *port = NULL;
	struct addrinfo hints = { .ai_family = AF_INET };
	struct addrinfo *res;
	char ip[INET_ADDRSTRLEN];
	int rc;

	if (len == 0 || len > TESS_ADDR_MAX)
		die("bad MDS address '%.*s'", (int)len, addr);
	memcpy(buf, addr, len);
	buf[len] = 0;
	at = strrchr(buf, '@');
	if (!at || !at[1])
		die("'%s': missing @NET (e.g. %s@tcp)", buf, buf);
	*at = 0;
	if (strcmp(at + 1, "tcp") && strcmp(at + 1, "rdma"))
		die("'%s@%s': network type '%s' is not supported (tcp, rdma)",
		    buf, at + 1, at + 1);
	colon = strchr(buf, ':');
	if (colon) {
		*colon = 0;
		port = colon + 1;
		if (!*port || strspn(port, "0123456789") != strlen(port) ||
		    atoi(port) < 1 || atoi(port) > 65535)
			die("'%.*s': bad port", (int)len, addr);
	}
	rc = getaddrinfo(buf, NULL, &hints, &res);
	if (rc)
		die("cannot resolve '%s': %s", buf, gai_strerror(rc));
	inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip,
		  sizeof(ip));
	freeaddrinfo(res);
	snprintf(out, outlen, "%s%s%s@%s", ip, port ? ":" : "", port ? port : "",
		 at + 1);
	for (int i = 0; i < *nnets; i++)
		if (!strcmp(nets[i], at + 1))
			return;
	if (*nnets < 8)
		snprintf(nets[(*nnets)++], 8, "%s", at + 1);
}

/* load a module by name (with dependencies) unless it is there already */
static void load_module(struct kmod_ctx *ctx, const char *name)
{
	struct kmod_list *list = NULL, *l;
	int rc;

	rc = kmod_module_new_from_lookup(ctx, name, &list);
	if (rc < 0 || !list)
		die("module %s not found (install the modules: make install, or dkms)",
		    name);
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		rc = kmod_module_probe_insert_module(m, KMOD_PROBE_IGNORE_LOADED,
						     NULL, NULL, NULL, NULL);
		kmod_module_unref(m);
		if (rc < 0)
			die("cannot load module %s: %s", name, strerror(-rc));
	}
	kmod_module_unref_list(list);
}

static bool fs_registered(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/filesystems", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "\ttessera\n") != NULL;
	fclose(f);
	return found;
}

/* split generic mount flags out of the option string */
static unsigned long take_flags(char *opts, char *fsopts, size_t len)
{
	static const struct { const char *name; unsigned long set, clear; } t[] = {
		{ "ro", MS_RDONLY, 0 }, { "rw", 0, MS_RDONLY },
		{ "nosuid", MS_NOSUID, 0 }, { "suid", 0, MS_NOSUID },
		{ "nodev", MS_NODEV, 0 }, { "dev", 0, MS_NODEV },
		{ "noexec", MS_NOEXEC, 0 }, { "exec", 0, MS_NOEXEC },
		{ "noatime", MS_NOATIME, 0 }, { "atime", 0, MS_NOATIME },
		{ "nodiratime", MS_NODIRATIME, 0 }, { "relatime", MS_RELATIME, 0 },
		{ "sync", MS_SYNCHRONOUS, 0 }, { "async", 0, MS_SYNCHRONOUS },
		{ "defaults", 0, 0 }, { "auto", 0, 0 }, { "noauto", 0, 0 },
		{ "_netdev", 0, 0 }, { "user", 0, 0 }, { "nouser", 0, 0 },
	};
	unsigned long flags = 0;
	char *save = NULL, *tok;

	fsopts[0] = 0;
	for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (!strcmp(tok, t[i].name))
				break;
		if (i < sizeof(t) / sizeof(t[0])) {
			flags = (flags | t[i].set) & ~t[i].clear;
			continue;
		}
		if (!strncmp(tok, "key=", 4)) {
			struct stat st;

			if (stat(tok + 4, &st))
				die("key file %s: %s", tok + 4, strerror(errno));
			if (st.st_size < TESS_KEY_MIN || st.st_size > TESS_KEY_MAX + 2)
				die("key file %s: must hold %d to %d bytes", tok + 4,
				    TESS_KEY_MIN, TESS_KEY_MAX);
			/* the module refuses these too; say why here */
			if (st.st_uid != geteuid() && st.st_uid != 0)
				die("key file %s: owned by uid %u, not by this user or root: refused (chown it, then chmod 600 %s)",
				    tok + 4, (unsigned)st.st_uid, tok + 4);
			if (st.st_mode & (S_IRWXG | S_IRWXO))
				die("key file %s: accessible by group or others (mode %04o): refused; run: chmod 600 %s",
				    tok + 4, (unsigned)(st.st_mode & 07777), tok + 4);
		}
		if (strlen(fsopts) + strlen(tok) + 2 > len)
			die("options too long");
		if (fsopts[0])
			strcat(fsopts, ",");
		strcat(fsopts, tok);
	}
	return flags;
}

int main(int argc, char **argv)
{
	char nets[8][8], source[1024], fsopts[4096], opts[4096] = "";
	const char *src, *dir, *colon_slash;
	struct kmod_ctx *kctx;
	unsigned long flags;
	int nnets = 0, o, verbose = 0, fake = 0;
	size_t n = 0;

	while ((o = getopt(argc, argv, "o:nfsvh")) != -1) {
		switch (o) {
		case 'o':
			if (strlen(opts) + strlen(optarg) + 2 > sizeof(opts)) {
				fprintf(stderr, PROG ": options too long\n");
				return 1;
			}
			if (opts[0])
				strcat(opts, ",");
			strcat(opts, optarg);
			break;
		case 'v': verbose = 1; break;
		case 'f': fake = 1; break;
		case 'n': case 's': break;
		default:
			fprintf(stderr, "usage: " PROG " HOST[:PORT]@NET[,HOST...]:/FSNAME DIR [-o key=FILE,...] [-fnsv]\n");
			return o == 'h' ? 0 : 1;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: " PROG " HOST[:PORT]@NET[,HOST...]:/FSNAME DIR [-o key=FILE,...] [-fnsv]\n");
		return 1;
	}
	src = source_arg = argv[optind];
	dir = argv[optind + 1];

	colon_slash = strstr(src, ":/");
	if (!colon_slash)
		die("the source must look like HOST@NET:/FSNAME (NET: tcp or rdma)");
	if (strlen(colon_slash + 2) == 0 || strlen(colon_slash + 2) > TESS_FSNAME_MAX ||
	    strchr(colon_slash + 2, '/'))
		die("bad file system name '%s'", colon_slash + 2);
	/* resolve each MDS address */
	for (const char *p = src; p < colon_slash;) {
		const char *end = memchr(p, ',', (size_t)(colon_slash - p));
		size_t len = end ? (size_t)(end - p) : (size_t)(colon_slash - p);

		if (n)
			source[n++] = ',';
		resolve_one(p, len, source + n, sizeof(source) - n - 1, nets, &nnets);
		n = strlen(source);
		p += len + (end ? 1 : 0);
	}
	snprintf(source + n, sizeof(source) - n, "%s", colon_slash);

	flags = take_flags(opts, fsopts, sizeof(fsopts));
	if (!strstr(fsopts, "key="))
		die("no key: add -o key=/path/to/keyfile");

	kctx = kmod_new(NULL, NULL);
	if (!kctx)
		die("libkmod: cannot initialise");
	if (!fs_registered())
		load_module(kctx, "tessera");
	for (int i = 0; i < nnets; i++) {
		char name[96];

		snprintf(name, sizeof(name), "tessera_lnet_%s", nets[i]);
		if (!fs_registered())
			die("tessera.ko did not register the file system");
		/* the kernel loads transports on demand too; this just says it early */
		struct kmod_list *list = NULL;

		if (kmod_module_new_from_lookup(kctx, name, &list) >= 0 && list) {
			kmod_module_unref_list(list);
			load_module(kctx, name);
		}
	}
	kmod_unref(kctx);

	if (verbose)
		printf(PROG ": mount -t tessera %s %s -o %s\n", source, dir, fsopts);
	if (fake)
		return 0;
	if (mount(source, dir, "tessera", flags, fsopts)) {
		int e = errno;

		switch (e) {
		case ETIMEDOUT:
			die("no answer from the MDS within the timeout");
		case ECONNREFUSED:
			die("the MDS refused the connection (is tessera-mds running?)");
		case EHOSTUNREACH: case ENETUNREACH:
			die("the MDS is unreachable: %s", strerror(e));
		case EACCES:
			die("authentication failed: the key does not match the server's, or the server does not take this sec= (details in dmesg)");
		case EINVAL:
			die("invalid source or option (the reason is in dmesg)");
		default:
			die("%s (details in dmesg)", strerror(e));
		}
	}
	return 0;
}
