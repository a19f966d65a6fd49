// SPDX-License-Identifier: GPL-2.0
/*
 * super.c - the Tessera file system type.
 *
 * This registers "tessera" and takes a mount request as far as it can
 * go today: the source and options are parsed and checked, and the
 * transport of every MDS address is looked up (which loads its module).
 * The client data path (superblock, inodes, RPC to the MDS) is not built
 * yet, so get_tree then fails with -EOPNOTSUPP and says so in the log.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/fs.h>
#include <linux/slab.h>

#include "tess_fs.h"

static int tess_get_tree(struct fs_context *fc)
{
	struct tess_fs_context *ctx = fc->fs_private;
	struct tnet_transport_ops *t;
	unsigned int i;
	int err;

	err = tess_check_options(fc);
	if (err)
		return err;

	for (i = 0; i < ctx->nr_mds; i++) {
		t = tnet_get_transport(ctx->mds[i].net);
		if (IS_ERR(t)) {
			errorfc(fc, "no transport for network '%s' (module tessera-lnet-%s): %pe",
				ctx->mds[i].net, ctx->mds[i].net, t);
			return PTR_ERR(t);
		}
		tnet_put_transport(t);
	}

	errorfc(fc, "%s: the client mount path is not built yet", fc->source);
	return -EOPNOTSUPP;
}

static void tess_free_fc(struct fs_context *fc)
{
	struct tess_fs_context *ctx = fc->fs_private;

	if (ctx) {
		kfree(ctx->key_path);
		kfree(ctx);
	}
}

static const struct fs_context_operations tess_context_ops = {
	.free		= tess_free_fc,
	.parse_param	= tess_parse_param,
	.get_tree	= tess_get_tree,
};

static int tess_init_fs_context(struct fs_context *fc)
{
	struct tess_fs_context *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	tess_fs_context_defaults(ctx);
	fc->fs_private = ctx;
	fc->ops = &tess_context_ops;
	return 0;
}

static struct file_system_type tess_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "tessera",
	.init_fs_context	= tess_init_fs_context,
	.parameters		= tess_fs_parameters,
	.kill_sb		= kill_anon_super,
};
MODULE_ALIAS_FS("tessera");

static int __init tess_init(void)
{
	int err;

	err = register_filesystem(&tess_fs_type);
	if (err)
		return err;
	pr_info("file system registered (protocol %d)\n", TESS_PROTO_VERSION);
	return 0;
}

static void __exit tess_exit(void)
{
	unregister_filesystem(&tess_fs_type);
}

module_init(tess_init);
module_exit(tess_exit);

MODULE_AUTHOR("The Tessera authors");
MODULE_DESCRIPTION("Tessera parallel file system client");
MODULE_LICENSE("GPL");
