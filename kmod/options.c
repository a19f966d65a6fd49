// SPDX-License-Identifier: GPL-2.0
/*
 * options.c - the mount source and options of a Tessera mount.
 *
 *   mount -t tessera HOST[:PORT]@NET[,HOST[:PORT]@NET...]:/FSNAME DIR \
 *         -o key=PATH,timeout=SECONDS,acregmin=S,acregmax=S,acdirmin=S,acdirmax=S,
 *            rasize=BYTES,sec=auth|integrity|privacy,checksums=0|1
 *
 * Every refusal says why in the kernel log ("tessera: ...") and in the
 * fs_context log of fsopen() users, and fails with -EINVAL.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/ctype.h>
#include <linux/limits.h>

#include "tess_fs.h"

enum tess_param {
	Opt_source,
	Opt_key,
	Opt_timeout,
	Opt_acregmin,
	Opt_acregmax,
	Opt_acdirmin,
	Opt_acdirmax,
	Opt_soft,
	Opt_hard,
	Opt_localflock,
	Opt_rasize,
	Opt_sec,
	Opt_checksums,
};

const struct fs_parameter_spec tess_fs_parameters[] = {
	fsparam_string("source",	Opt_source),
	fsparam_string("key",		Opt_key),
	fsparam_u32("timeout",		Opt_timeout),
	fsparam_u32("acregmin",		Opt_acregmin),
	fsparam_u32("acregmax",		Opt_acregmax),
	fsparam_u32("acdirmin",		Opt_acdirmin),
	fsparam_u32("acdirmax",		Opt_acdirmax),
	fsparam_flag("soft",		Opt_soft),
	fsparam_flag("hard",		Opt_hard),
	fsparam_flag("localflock",	Opt_localflock),
	fsparam_u32("rasize",		Opt_rasize),
	fsparam_string("sec",		Opt_sec),
	fsparam_u32("checksums",	Opt_checksums),
	{}
};

void tess_fs_context_defaults(struct tess_fs_context *ctx)
{
	ctx->timeout = TESS_TIMEOUT_DEF;
	ctx->acregmin = TESS_ACREGMIN_DEF;
	ctx->acregmax = TESS_ACREGMAX_DEF;
	ctx->acdirmin = TESS_ACDIRMIN_DEF;
	ctx->acdirmax = TESS_ACDIRMAX_DEF;
	ctx->rasize = TESS_RASIZE_AUTO;
}

static int tess_parse_fsname(struct fs_context *fc, const char *name)
{
	struct tess_fs_context *ctx = fc->fs_private;
	size_t len = strlen(name), i;

	if (len == 0)
		return invalfc(fc, "missing file system name after ':/'");
	if (len > TESS_FSNAME_MAX)
		return invalfc(fc, "file system name longer than %d characters",
			       TESS_FSNAME_MAX);
	if (name[0] == '.' || name[0] == '-')
		return invalfc(fc, "file system name '%s' starts with '%c'",
			       name, name[0]);
	for (i = 0; i < len; i++) {
		if (name[i] == '/')
			return invalfc(fc, "subdirectory mounts are not supported ('%s')",
				       name);
		if (!isalnum(name[i]) && !strchr("_-.", name[i]))
			return invalfc(fc, "file system name '%s' may hold only A-Z a-z 0-9 _ - .",
				       name);
	}
	memcpy(ctx->fsname, name, len + 1);
	return 0;
}

/* HOST[:PORT]@NET[,...]:/FSNAME */
static int tess_parse_source(struct fs_context *fc, const char *source)
{
	struct tess_fs_context *ctx = fc->fs_private;
	const char *sep = strstr(source, ":/");
	const char *p = source, *end, *why;
	struct tnet_addr *addr;
	int err;

	if (!sep)
		return invalfc(fc, "source '%s' is not HOST[:PORT]@NET:/FSNAME",
			       source);

	ctx->nr_mds = 0;
	for (;;) {
		end = memchr(p, ',', sep - p);
		if (!end)
			end = sep;
		if (ctx->nr_mds == TESS_MAX_MDS)
			return invalfc(fc, "more than %d MDS addresses", TESS_MAX_MDS);
		addr = &ctx->mds[ctx->nr_mds];
		err = tnet_addr_parse(p, end - p, addr, &why);
		if (err)
			return invalfc(fc, "bad MDS address '%.*s': %s",
				       (int)(end - p), p, why);
		if (!addr->port)
			addr->port = TESS_MDS_PORT;
		ctx->nr_mds++;
		if (end == sep)
			break;
		p = end + 1;
	}
	return tess_parse_fsname(fc, sep + 2);
}

static int tess_parse_key(struct fs_context *fc, struct fs_parameter *param)
{
	struct tess_fs_context *ctx = fc->fs_private;
	const char *path = param->string;

	if (path[0] != '/')
		return invalfc(fc, "key=%s: the key file path must be absolute",
			       path);
	if (strlen(path) >= PATH_MAX)
		return invalfc(fc, "key=: path too long");
	kfree(ctx->key_path);
	ctx->key_path = param->string;
	param->string = NULL;
	return 0;
}

static const char *const tess_sec_names[] = {
	[TESS_SEC_AUTH]		= "auth",
	[TESS_SEC_INTEGRITY]	= "integrity",
	[TESS_SEC_PRIVACY]	= "privacy",
};

/* "auth", "integrity" or "privacy" (the mount option sec=) */
const char *tess_sec_name(u8 sec)
{
	return sec < ARRAY_SIZE(tess_sec_names) ? tess_sec_names[sec] : "?";
}

static int tess_parse_sec(struct fs_context *fc, const char *val)
{
	struct tess_fs_context *ctx = fc->fs_private;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tess_sec_names); i++) {
		if (!strcmp(val, tess_sec_names[i])) {
			ctx->sec = i;
			return 0;
		}
	}
	return invalfc(fc, "sec=%s: unknown security flavor, expected auth, integrity or privacy",
		       val);
}

static int tess_set_seconds(struct fs_context *fc, const char *key, u32 val,
			    u32 min, u32 max, unsigned int *out)
{
	if (val < min || val > max)
		return invalfc(fc, "%s=%u: must be from %u to %u seconds",
			       key, val, min, max);
	*out = val;
	return 0;
}

int tess_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct tess_fs_context *ctx = fc->fs_private;
	struct fs_parse_result result;
	int opt, err;

	opt = fs_parse(fc, tess_fs_parameters, param, &result);
	if (opt < 0)
		return opt;

	switch (opt) {
	case Opt_source:
		if (fc->source)
			return invalfc(fc, "more than one source given");
		err = tess_parse_source(fc, param->string);
		if (err)
			return err;
		fc->source = param->string;
		param->string = NULL;
		return 0;
	case Opt_key:
		return tess_parse_key(fc, param);
	case Opt_soft:
		ctx->soft = true;
		return 0;
	case Opt_hard:
		ctx->soft = false;
		return 0;
	case Opt_localflock:
		ctx->localflock = true;
		return 0;
	case Opt_rasize:
		if (result.uint_32 > TESS_RASIZE_MAX)
			return invalfc(fc, "rasize=%u: at most %u bytes",
				       result.uint_32, TESS_RASIZE_MAX);
		/* whole pages; 0 turns readahead off */
		ctx->rasize = round_down(result.uint_32, PAGE_SIZE);
		return 0;
	case Opt_sec:
		return tess_parse_sec(fc, param->string);
	case Opt_checksums:
		/* Lustre's osc checksums: bulk CRC32C, on by default */
		if (result.uint_32 > 1)
			return invalfc(fc, "checksums=%u: 0 (off) or 1 (on)",
				       result.uint_32);
		ctx->nochecksums = !result.uint_32;
		return 0;
	case Opt_timeout:
		return tess_set_seconds(fc, param->key, result.uint_32, 1,
					TESS_TIMEOUT_MAX, &ctx->timeout);
	case Opt_acregmin:
		return tess_set_seconds(fc, param->key, result.uint_32, 0,
					TESS_AC_MAX, &ctx->acregmin);
	case Opt_acregmax:
		return tess_set_seconds(fc, param->key, result.uint_32, 0,
					TESS_AC_MAX, &ctx->acregmax);
	case Opt_acdirmin:
		return tess_set_seconds(fc, param->key, result.uint_32, 0,
					TESS_AC_MAX, &ctx->acdirmin);
	case Opt_acdirmax:
		return tess_set_seconds(fc, param->key, result.uint_32, 0,
					TESS_AC_MAX, &ctx->acdirmax);
	}
	return -ENOPARAM;
}

/* Checks that need all parameters, run when the mount is attempted. */
int tess_check_options(struct fs_context *fc)
{
	struct tess_fs_context *ctx = fc->fs_private;

	if (!fc->source || !ctx->nr_mds)
		return invalfc(fc, "no source given, expected HOST[:PORT]@NET:/FSNAME");
	if (ctx->acregmin > ctx->acregmax)
		return invalfc(fc, "acregmin=%u is greater than acregmax=%u",
			       ctx->acregmin, ctx->acregmax);
	if (ctx->acdirmin > ctx->acdirmax)
		return invalfc(fc, "acdirmin=%u is greater than acdirmax=%u",
			       ctx->acdirmin, ctx->acdirmax);
	return 0;
}
