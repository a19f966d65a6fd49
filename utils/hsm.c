// SPDX-License-Identifier: MIT
/*
 * hsm - lazy import of S3 data sets into Tessera, and the HSM state of
 * the files that came from S3.
 *
 *   hsm [--mds ADDR] [--key FILE] COMMAND ...
 *     import s3://BUCKET[/PREFIX] DIR [--endpoint URL] [--region R]
 *            [--path-style] [--delete] [-j N]
 *     state FILE...        HSM state, S3 origin and present ranges
 *     status PATH... [--exact]  sizes, bytes present, files per state
 *                          (the MDS's count, TESS_HSM_STATS_MAX files a
 *                          request; --exact: the OSTs of released files
 *                          asked too, for objects present in part)
 *     prefetch PATH... [-j N]   restore every released byte, in parallel
 *     release FILE...      free the OST space of archived, unchanged files
 *     pin PATH...          the OSTs never release these files' data (a
 *                          directory: every file under it)
 *     unpin PATH...        they may again, when their cache is full
 *     archive FILE... [--endpoint URL] [--region R] [--path-style]
 *                          upload changed files back to their S3 origin
 *     counters             bytes each OST fetched from S3, and released
 *                          to make room (its bounded cache)
 *
 * The MDS and key come from --mds/--key or $TESS_MDS/$TESS_KEY.  S3
 * credentials come from the AWS provider chain (s3_creds.h): the
 * environment, ~/.aws/credentials and config, web identity (STS),
 * container credentials, IMDSv2.
 * Import copies no data: it creates stubs (size, mtime, DIR's default
 * layout), tells every OST object its S3 origin (OBJ_HSM_SET STUB) and
 * the MDS the file's (HSM_SET); the OSTs restore on access.
 *
 * One concern a file: this one the options and the command table;
 * hsm_util.c messages and progress, hsm_rpc.c the MDS and OST RPCs and
 * the S3 configuration, hsm_files.c walking the namespace and what the
 * objects of a file hold, then a file per command: hsm_import.c,
 * hsm_state.c (state, status, counters), hsm_prefetch.c, hsm_release.c
 * (release, pin, unpin), hsm_archive.c.  hsm.h is what they share.
 */
#include "hsm.h"

struct opts O = { .jobs = 4, .timeout_s = 30 };

/* ======================= main ======================= */

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "import", cmd_import, "import s3://BUCKET[/PREFIX] DIR [--endpoint URL] "
	  "[--region R] [--path-style] [--delete] [-j N]" },
	{ "state", cmd_state, "state FILE...          HSM state, origin, present ranges" },
	{ "status", cmd_status, "status PATH... [--exact]  size, bytes present, files per state" },
	{ "prefetch", cmd_prefetch, "prefetch PATH... [-j N] restore every released byte" },
	{ "release", cmd_release, "release FILE...        free OST space of archived, unchanged files" },
	{ "archive", cmd_archive, "archive FILE... [--endpoint URL] [--region R] "
	  "[--path-style]\n"
	  "                             upload changed files to their S3 origin" },
	{ "pin", cmd_pin, "pin PATH...            the OSTs never release these files' data" },
	{ "unpin", cmd_unpin, "unpin PATH...          they may again, least recently read first" },
	{ "counters", cmd_counters, "counters               bytes the OSTs fetched from S3 and evicted" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--mds ADDR] [--key FILE] [--timeout S] [-v] COMMAND ...\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  " PROG " %s\n", cmds[i].help);
	fprintf(f, "MDS and key default to $TESS_MDS and $TESS_KEY; S3 credentials "
		"come from\nthe AWS chain: environment, ~/.aws/credentials and "
		"config, web identity,\ncontainer, IMDSv2 (see hsm(1)).\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mds", required_argument, NULL, 'm' },
		{ "key", required_argument, NULL, 'k' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "region", required_argument, NULL, 'r' },
		{ "path-style", no_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 't' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "delete", no_argument, NULL, 'D' },
		{ "exact", no_argument, NULL, 'x' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char **rest;
	int opt, nrest = 0;

	O.mds = getenv("TESS_MDS");
	O.key = getenv("TESS_KEY");
	opterr = 0;
	rest = calloc((size_t)argc + 1, sizeof(char *));
	/* options anywhere: before or after the command */
	while ((opt = getopt_long(argc, argv, "-:j:vh", lo, NULL)) != -1) {
		switch (opt) {
		case 1: rest[nrest++] = optarg; break;
		case 'm': O.mds = optarg; break;
		case 'k': O.key = optarg; break;
		case 'e': O.endpoint = optarg; break;
		case 'r': O.region = optarg; break;
		case 'P': O.path_style = true; break;
		case 't': O.timeout_s = atoi(optarg); break;
		case 'j':
			O.jobs = atoi(optarg);
			if (O.jobs < 1 || O.jobs > 256) {
				fprintf(stderr, PROG ": -j: 1..256 threads\n");
				return 2;
			}
			break;
		case 'D': O.del = true; break;
		case 'x': O.exact = true; break;
		case 'v': O.verbose++; break;
		case 'h': usage(stdout); return 0;
		case ':':
			fprintf(stderr, PROG ": %s: missing argument\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, PROG ": %s: unknown option\n",
				argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (!nrest) {
		usage(stderr);
		return 2;
	}
	if (!O.mds || !O.key) {
		fprintf(stderr, PROG ": --mds and --key (or $TESS_MDS, "
			"$TESS_KEY) are needed\n");
		return 2;
	}
	if (O.timeout_s < 1)
		O.timeout_s = 30;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(rest[0], cmds[i].name))
			return cmds[i].fn(nrest, rest);
	fprintf(stderr, PROG ": %s: unknown command\n", rest[0]);
	usage(stderr);
	return 2;
}
