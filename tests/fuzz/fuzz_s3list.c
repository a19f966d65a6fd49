// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the S3 ListObjectsV2 page parser (s3_list_page in
 * user/lib/s3.c, libxml2): an input is the body of a listing reply.
 * Every key the parser hands out is read in full (key_len bytes, which
 * may hold NULs after URL decoding) and its ETag as a string, so that
 * ASan sees a length that runs past what was allocated.  No network:
 * s3_list's request is not made.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "s3.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	uint64_t sum;		/* of every byte handed out */
	unsigned n;
};

static int on_obj(void *arg, const struct s3_obj *o)
{
	struct seen *s = arg;

	for (size_t i = 0; i < o->key_len; i++)
		s->sum += (unsigned char)o->key[i];
	s->sum += strlen(o->etag) + o->size + (uint64_t)o->mtime_sec +
		  o->mtime_nsec;
	if (o->mtime_nsec >= 1000000000u) {
		fprintf(stderr, "fuzz_s3list: mtime_nsec %u\n", o->mtime_nsec);
		abort();
	}
	/* a callback that stops the listing, sometimes */
	return ++s->n == 1000 ? 1 : 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 0 };
	char msg[256], *next = NULL;
	char *xml;
	int rc;

	/* exact-size heap copy: no NUL after it, as a reply body has none */
	xml = malloc(size ? size : 1);
	if (!xml)
		return 0;
	memcpy(xml, data, size);
	msg[0] = '\0';
	rc = s3_list_page(xml, size, on_obj, &s, &next, msg, sizeof(msg));
	if (next && (rc || !*next)) {
		fprintf(stderr, "fuzz_s3list: token '%s' with rc %d\n", next,
			rc);
		abort();
	}
	if (rc == -EIO && !msg[0]) {
		fprintf(stderr, "fuzz_s3list: -EIO without a message\n");
		abort();
	}
	free(next);
	free(xml);
	return 0;
}
