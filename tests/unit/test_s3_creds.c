// SPDX-License-Identifier: MIT
/*
 * Userspace tests of the AWS credential chain, user/lib/s3_creds.c
 * (issue #13): profiles of the shared credentials and config files, the
 * XML answer of STS AssumeRoleWithWebIdentity, the JSON answer of a
 * container endpoint and of IMDS as json-c reads it (a table: valid
 * ones, and missing fields, wrong types, truncated, deeply nested and
 * oversized ones refused with a reason), expiry times and when
 * credentials are refreshed, the order of the chain and its message when
 * nothing gives credentials, a forced refresh happening once per
 * generation, and which S3 answers mean "expired" (s3_expired_creds).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s3.h"
#include "s3_creds.h"
#include "tu.h"

static char dir[] = "/tmp/test_s3_creds.XXXXXX";
static struct s3_creds c;
static char err[512];

static const char *file(const char *name, const char *text)
{
	static char path[4][256];
	static int i;
	char *p = path[i++ % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return p;
}

#define CREDS_FILE \
	"# comment\n" \
	"[default]\n" \
	"aws_access_key_id = AKIDDEFAULT\n" \
	"aws_secret_access_key = secretdefault\n" \
	"\n" \
	"[ tess ]\n" \
	"; another comment\n" \
	"aws_access_key_id=AKIDTESS  \n" \
	"  aws_secret_access_key =  secret/tess+x  \n" \
	"aws_session_token = tok\n" \
	"region = eu-west-1\n" \
	"[half]\n" \
	"aws_access_key_id = AKIDHALF\n"

TU_CASE(credentials_file)
{
	int rc;
	const char *p = file("credentials", CREDS_FILE);

	rc = s3_creds_from_file(p, false, "default", &c, err,
				     sizeof(err));
	TU_EQ_INT(rc, 0);
	TU_CHECK(!strcmp(c.access_key, "AKIDDEFAULT"));
	TU_CHECK(!strcmp(c.secret_key, "secretdefault"));
	TU_CHECK(!c.session_token[0]);
	rc = s3_creds_from_file(p, false, "tess", &c, err, sizeof(err));
	TU_EQ_INT(rc, 0);
	TU_CHECK(!strcmp(c.access_key, "AKIDTESS"));
	TU_CHECK(!strcmp(c.secret_key, "secret/tess+x"));
	TU_CHECK(!strcmp(c.session_token, "tok"));
	rc = s3_creds_from_file(p, false, "nobody", &c, err,
				     sizeof(err));
	TU_EQ_INT(rc, -ENOENT);
	TU_CHECK(strstr(err, "no profile nobody"));
	rc = s3_creds_from_file(p, false, "half", &c, err, sizeof(err));
	TU_EQ_INT(rc, -ENOKEY);
	TU_CHECK(strstr(err, "in profile half"));
	/* "[profile tess]" is a config file's, not a credentials file's */
	rc = s3_creds_from_file(file("c2", "[profile tess]\n"
					  "aws_access_key_id = A\n"
					  "aws_secret_access_key = B\n"),
				     false, "tess", &c, err, sizeof(err));
	TU_EQ_INT(rc, -ENOENT);
	rc = s3_creds_from_file("/nonexistent/credentials", false,
				     "default", &c, err, sizeof(err));
	TU_EQ_INT(rc, -ENOENT);
}

TU_CASE(config_file)
{
	int rc;
	const char *p = file("config",
			     "[default]\nregion = us-east-1\n"
			     "aws_access_key_id = AKIDCFGDEF\n"
			     "aws_secret_access_key = s1\n"
			     "[profile  cfg ]\n"
			     "aws_access_key_id = AKIDCFG\n"
			     "aws_secret_access_key = s2\n"
			     "[other]\n"
			     "aws_access_key_id = AKIDOTHER\n"
			     "aws_secret_access_key = s3\n");

	rc = s3_creds_from_file(p, true, "cfg", &c, err, sizeof(err));
	TU_EQ_INT(rc, 0);
	TU_CHECK(!strcmp(c.access_key, "AKIDCFG"));
	rc = s3_creds_from_file(p, true, "default", &c, err,
				     sizeof(err));
	TU_EQ_INT(rc, 0);
	TU_CHECK(!strcmp(c.access_key, "AKIDCFGDEF"));
	/* a bare [other] in a config file is not profile "other" */
	rc = s3_creds_from_file(p, true, "other", &c, err, sizeof(err));
	TU_EQ_INT(rc, -ENOENT);
}

TU_CASE(file_malformed)
{
	int rc;
	char *big = malloc(S3_CREDS_TOKEN_MAX + 200), *line;
	size_t n;

	TU_CHECK(big);
	if (!big)
		return;
	/* a token one byte too long */
	n = (size_t)sprintf(big, "[default]\naws_access_key_id = A\n"
			    "aws_secret_access_key = B\naws_session_token = ");
	memset(big + n, 't', S3_CREDS_TOKEN_MAX + 1);
	strcpy(big + n + S3_CREDS_TOKEN_MAX + 1, "\n");
	rc = s3_creds_from_file(file("long", big), false, "default", &c,
				     err, sizeof(err));
	TU_EQ_INT(rc, -EINVAL);
	TU_CHECK(strstr(err, ":4: aws_session_token too long"));
	/* exactly the longest is fine */
	strcpy(big + n + S3_CREDS_TOKEN_MAX, "\n");
	rc = s3_creds_from_file(file("long", big), false, "default", &c,
				     err, sizeof(err));
	TU_EQ_INT(rc, 0);
	TU_EQ_U64(strlen(c.session_token), S3_CREDS_TOKEN_MAX);
	free(big);
	/* a line longer than any valid one */
	line = malloc(20000);
	TU_CHECK(line);
	if (!line)
		return;
	memset(line, 'x', 19998);
	line[19998] = '\n';
	line[19999] = '\0';
	rc = s3_creds_from_file(file("longline", line), false, "default",
				     &c, err, sizeof(err));
	TU_EQ_INT(rc, -EINVAL);
	TU_CHECK(strstr(err, ":1: line too long"));
	free(line);
}

#define STS_OK \
	"<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n" \
	"  <AssumeRoleWithWebIdentityResult>\n" \
	"    <SubjectFromWebIdentityToken>sub</SubjectFromWebIdentityToken>\n" \
	"    <Credentials>\n" \
	"      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>\n" \
	"      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n" \
	"      <Expiration>2014-10-24T23:00:23Z</Expiration>\n" \
	"      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>\n" \
	"    </Credentials>\n" \
	"  </AssumeRoleWithWebIdentityResult>\n" \
	"</AssumeRoleWithWebIdentityResponse>\n"

static int sts(const char *s)
{
	return s3_creds_parse_sts(s, strlen(s), &c, err, sizeof(err));
}

TU_CASE(sts_xml)
{
	int rc;
	char *big;
	size_t n;

	/* AWS's documented example */
	rc = sts(STS_OK);
	TU_EQ_INT(rc, 0);
	TU_CHECK(!strcmp(c.access_key, "ASgeIAIOSFODNN7EXAMPLE"));
	TU_CHECK(!strcmp(c.secret_key,
			 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"));
	TU_CHECK(!strcmp(c.session_token,
			 "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE"));
	TU_EQ_INT(c.expires, 1414191623);
	rc = sts("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/"
		      "2011-06-15/\"><Error><Type>Sender</Type><Code>"
		      "InvalidIdentityToken</Code><Message>Couldn't retrieve "
		      "verification key</Message></Error></ErrorResponse>");
	TU_EQ_INT(rc, -EACCES);
	TU_CHECK(!strcmp(err, "STS error InvalidIdentityToken: Couldn't "
			 "retrieve verification key"));
	rc = sts("not xml at all");
	TU_EQ_INT(rc, -EINVAL);
	TU_CHECK(strstr(err, "not XML"));
	rc = sts("<AssumeRoleResponse><AssumeRoleWithWebIdentityResult>"
		      "</AssumeRoleWithWebIdentityResult></AssumeRoleResponse>");
	TU_EQ_INT(rc, -EINVAL);
	rc = sts("<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWeb"
		      "IdentityResult><Credentials><AccessKeyId>A</AccessKeyId>"
		      "<SecretAccessKey>S</SecretAccessKey><Expiration>"
		      "2014-10-24T23:00:23Z</Expiration></Credentials></Assume"
		      "RoleWithWebIdentityResult></AssumeRoleWithWebIdentity"
		      "Response>");
	TU_EQ_INT(rc, -EINVAL);
	TU_CHECK(strstr(err, "no SessionToken"));
	rc = sts("<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWeb"
		      "IdentityResult><Credentials><AccessKeyId>A</AccessKeyId>"
		      "<SecretAccessKey>S</SecretAccessKey><SessionToken>T"
		      "</SessionToken><Expiration>tomorrow</Expiration>"
		      "</Credentials></AssumeRoleWithWebIdentityResult></Assume"
		      "RoleWithWebIdentityResponse>");
	TU_EQ_INT(rc, -EINVAL);
	TU_CHECK(strstr(err, "bad Expiration"));
	TU_CHECK(!c.access_key[0]);
	rc = s3_creds_parse_sts("", 0, &c, err, sizeof(err));
	TU_EQ_INT(rc, -EINVAL);
	/* a key longer than any */
	big = malloc(1000);
	TU_CHECK(big);
	if (!big)
		return;
	strcpy(big, "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWeb"
	       "IdentityResult><Credentials><AccessKeyId>");
	n = strlen(big);
	memset(big + n, 'A', 300);
	big[n + 300] = '\0';
	strcpy(big + strlen(big), "</AccessKeyId></Credentials></AssumeRole"
	       "WithWebIdentityResult></AssumeRoleWithWebIdentityResponse>");
	rc = sts(big);
	TU_EQ_INT(rc, -EINVAL);
	TU_CHECK(strstr(err, "AccessKeyId too long"));
	free(big);
}

static int js(const char *s)
{
	return s3_creds_parse_json(s, strlen(s), &c, err, sizeof(err));
}

TU_CASE(json)
{
	int rc;
	/* IMDS's answer */
	rc = js("{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : "
		     "\"2026-11-30T08:00:00Z\",\n  \"Type\" : \"AWS-HMAC\",\n"
		     "  \"AccessKeyId\" : \"ASIAIMDS\",\n  \"SecretAccessKey\" : "
		     "\"se\\/cret\",\n  \"Token\" : \"tok+en==\",\n  "
		     "\"Expiration\" : \"2026-11-30T14:00:00Z\"\n}\n");
	TU_EQ_INT(rc, 0);
	TU_CHECK(!strcmp(c.access_key, "ASIAIMDS"));
	TU_CHECK(!strcmp(c.secret_key, "se/cret"));
	TU_CHECK(!strcmp(c.session_token, "tok+en=="));
	TU_EQ_INT(c.expires, 1796047200);
	/* EKS Pod Identity: other members, nested values, escapes */
	rc = js("{\"AccessKeyId\":\"A\\u0042C\",\"SecretAccessKey\":\"S\","
		     "\"Token\":\"T\",\"AccountId\":\"123\",\"Expiration\":"
		     "\"2026-11-30T14:00:00.123+00:00\",\"n\":-1.5e3,\"o\":{\"a\":"
		     "[1,true,null,{\"x\":\"}\"}]},\"e\":[]}");
	TU_EQ_INT(rc, 0);
	TU_CHECK(!strcmp(c.access_key, "ABC"));
	TU_CHECK(!strcmp(c.session_token, "T"));
	TU_EQ_INT(c.expires, 1796047200);
	/* no Expiration: long-term */
	rc = js("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}");
	TU_EQ_INT(rc, 0);
	TU_EQ_INT(c.expires, 0);
	TU_CHECK(!c.session_token[0]);
	/* no answer at all */
	rc = s3_creds_parse_json(NULL, 0, &c, err, sizeof(err));
	TU_EQ_INT(rc, -EINVAL);
	TU_CHECK(strstr(err, "empty answer"));
	/* not NUL-terminated: only len bytes are read */
	{
		static const char obj[] = "{\"AccessKeyId\":\"A\","
					  "\"SecretAccessKey\":\"S\"}";
		char buf[sizeof(obj) + 8];

		memcpy(buf, obj, sizeof(obj) - 1);
		memcpy(buf + sizeof(obj) - 1, "garbage", 8);
		rc = s3_creds_parse_json(buf, sizeof(obj) - 1, &c, err,
					 sizeof(err));
		TU_EQ_INT(rc, 0);
		/* and a NUL inside len is not the end of the answer */
		memcpy(buf + sizeof(obj) - 1, "\0 ", 2);
		rc = s3_creds_parse_json(buf, sizeof(obj) + 1, &c, err,
					 sizeof(err));
		TU_EQ_INT(rc, -EINVAL);
		TU_CHECK(strstr(err, "bytes after the object"));
	}
}

#define AKSK "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\""

/* key and secret, then "x": n arrays around leaf, or n objects {"k":...} */
static char *nest(int n, bool obj, const char *leaf)
{
	size_t ll = strlen(leaf), cap = (size_t)n * 6 + ll + 64;
	char *b = malloc(cap), *p = b;

	if (!b)
		return NULL;
	p += sprintf(p, "{" AKSK ",\"x\":");
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s", obj ? "{\"k\":" : "[");
	p += sprintf(p, "%s", leaf);
	for (int i = 0; i < n; i++)
		*p++ = obj ? '}' : ']';
	strcpy(p, "}");
	return b;
}

/* head, n bytes of ch, tail */
static char *padded(const char *head, size_t n, char ch, const char *tail)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *b = malloc(hl + n + tl + 1);

	if (!b)
		return NULL;
	memcpy(b, head, hl);
	memset(b + hl, ch, n);
	memcpy(b + hl + n, tail, tl + 1);
	return b;
}

/*
 * json-c behind s3_creds_parse_json, row by row: what is accepted, and
 * each refusal with its reason (and the credentials left cleared).
 */
TU_CASE(json_table)
{
	enum { MAXREPLY = S3_CREDS_REPLY_MAX };
	const size_t pad0 = strlen("{" AKSK ",\"pad\":\"\"}");
	char *gen[] = {
		nest(15, false, "1"),		/* 0: at the depth limit */
		nest(16, false, ""),		/* 1 */
		nest(16, false, "1"),		/* 2: past it */
		nest(17, false, ""),		/* 3 */
		nest(40, true, "1"),		/* 4 */
		nest(5000, false, ""),		/* 5 */
		nest(100000, false, ""),	/* 6: deep and too large */
		padded("{" AKSK ",\"Token\":\"", S3_CREDS_TOKEN_MAX, 't',
		       "\"}"),			/* 7 */
		padded("{" AKSK ",\"Token\":\"", S3_CREDS_TOKEN_MAX + 1,
		       't', "\"}"),		/* 8 */
		padded("{\"SecretAccessKey\":\"S\",\"AccessKeyId\":\"",
		       S3_CREDS_KEY_MAX + 1, 'K', "\"}"),	/* 9 */
		padded("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"",
		       S3_CREDS_KEY_MAX + 1, 's', "\"}"),	/* 10 */
		padded("{" AKSK ",\"Expiration\":\"", 64, '9', "\"}"), /* 11 */
		/* 12: the largest answer, 13: one byte more */
		padded("{" AKSK ",\"pad\":\"", MAXREPLY - pad0, 'p', "\"}"),
		padded("{" AKSK ",\"pad\":\"", MAXREPLY + 1 - pad0, 'p',
		       "\"}"),
		padded("{" AKSK ",\"pad\":\"", 16 << 20, 'p', "\"}"), /* 14 */
	};
	const struct {
		const char *name;
		const char *in;		/* NULL: out of memory */
		size_t len;		/* 0: strlen(in) */
		int rc;
		const char *err;	/* in the message (rc != 0) */
		const char *ak;		/* the AccessKeyId (rc == 0) */
		int64_t exp;
	} t[] = {
		/* valid */
		{ "minimal", "{" AKSK "}", 0, 0, NULL, "A", 0 },
		{ "all fields", "{\"Code\":\"Success\",\"AccessKeyId\":\"AK\","
		  "\"SecretAccessKey\":\"S\",\"Token\":\"T\",\"Expiration\":"
		  "\"2026-11-30T14:00:00Z\"}", 0, 0, NULL, "AK", 1796047200 },
		{ "whitespace around", " \r\n\t{ \"AccessKeyId\" : \"W\" , "
		  "\"SecretAccessKey\" : \"S\" } \n", 0, 0, NULL, "W", 0 },
		{ "escapes", "{\"AccessKeyId\":\"\\u0041\\/\\\\\\\"\","
		  "\"SecretAccessKey\":\"S\"}", 0, 0, NULL, "A/\\\"", 0 },
		{ "other members of any type", "{" AKSK ",\"n\":-0.5E+2,"
		  "\"t\":true,\"f\":false,\"z\":null,\"a\":[{},[]],"
		  "\"u\":\"\\ud83d\\ude00\xc3\xa9\"}", 0, 0, NULL, "A", 0 },
		{ "duplicate member: the last", "{\"AccessKeyId\":\"X\"," AKSK
		  "}", 0, 0, NULL, "A", 0 },
		{ "Expiration with fractions",
		  "{" AKSK ",\"Expiration\":\"2026-11-30T14:00:00.5+00:00\"}",
		  0, 0, NULL, "A", 1796047200 },
		{ "nesting at the limit", gen[0], 0, 0, NULL, "A", 0 },
		{ "empty arrays at the limit", gen[1], 0, 0, NULL, "A", 0 },
		{ "Token at its limit", gen[7], 0, 0, NULL, "A", 0 },
		{ "the largest answer", gen[12], 0, 0, NULL, "A", 0 },
		/* missing fields */
		{ "empty object", "{}", 0, -EINVAL, "no AccessKeyId in the "
		  "answer", NULL, 0 },
		{ "no SecretAccessKey", "{\"AccessKeyId\":\"A\","
		  "\"Token\":\"T\"}", 0, -EINVAL,
		  "no SecretAccessKey in the answer", NULL, 0 },
		{ "empty AccessKeyId", "{\"AccessKeyId\":\"\","
		  "\"SecretAccessKey\":\"S\"}", 0, -EINVAL, "no AccessKeyId",
		  NULL, 0 },
		{ "secret nested, not a member", "{\"AccessKeyId\":\"A\","
		  "\"o\":{\"SecretAccessKey\":\"S\"}}", 0, -EINVAL,
		  "no SecretAccessKey", NULL, 0 },
		/* wrong types */
		{ "AccessKeyId a number", "{\"AccessKeyId\":5,"
		  "\"SecretAccessKey\":\"S\"}", 0, -EINVAL,
		  "AccessKeyId is not a string (int)", NULL, 0 },
		{ "SecretAccessKey null", "{\"AccessKeyId\":\"A\","
		  "\"SecretAccessKey\":null}", 0, -EINVAL,
		  "SecretAccessKey is not a string (null)", NULL, 0 },
		{ "Token an object", "{" AKSK ",\"Token\":{}}", 0, -EINVAL,
		  "Token is not a string (object)", NULL, 0 },
		{ "Expiration a number", "{" AKSK ",\"Expiration\":1796047200}",
		  0, -EINVAL, "Expiration is not a string (int)", NULL, 0 },
		{ "Code a boolean", "{" AKSK ",\"Code\":true}", 0, -EINVAL,
		  "Code is not a string (boolean)", NULL, 0 },
		{ "AccessKeyId an array", "{\"AccessKeyId\":[\"A\"],"
		  "\"SecretAccessKey\":\"S\"}", 0, -EINVAL,
		  "AccessKeyId is not a string (array)", NULL, 0 },
		/* wrong values */
		{ "Code not Success", "{" AKSK ",\"Code\":\"Failure\"}", 0,
		  -EINVAL, "answer Code is Failure, not Success", NULL, 0 },
		{ "Expiration not a time", "{" AKSK ",\"Expiration\":\"soon\"}",
		  0, -EINVAL, "bad Expiration 'soon'", NULL, 0 },
		{ "Expiration not UTC", "{" AKSK ",\"Expiration\":"
		  "\"2026-11-30T14:00:00+02:00\"}", 0, -EINVAL,
		  "bad Expiration", NULL, 0 },
		{ "raw newline in a key", "{\"AccessKeyId\":\"A\nB\","
		  "\"SecretAccessKey\":\"S\"}", 0, -EINVAL,
		  "AccessKeyId holds a control character", NULL, 0 },
		{ "escaped newline in a secret", "{\"AccessKeyId\":\"A\","
		  "\"SecretAccessKey\":\"S\\nT\"}", 0, -EINVAL,
		  "SecretAccessKey holds a control character", NULL, 0 },
		{ "DEL in the Token", "{" AKSK ",\"Token\":\"T\\u007f\"}", 0,
		  -EINVAL, "Token holds a control character", NULL, 0 },
		{ "NUL in a key", "{\"AccessKeyId\":\"A\\u0000B\","
		  "\"SecretAccessKey\":\"S\"}", 0, -EINVAL,
		  "AccessKeyId holds a control character", NULL, 0 },
		{ "NUL in Expiration", "{" AKSK ",\"Expiration\":"
		  "\"2026-11-30T14:00:00Z\\u0000x\"}", 0, -EINVAL,
		  "Expiration holds a control character", NULL, 0 },
		/* not an object */
		{ "empty", "", 0, -EINVAL, "malformed JSON: empty answer",
		  NULL, 0 },
		{ "an array", "[{" AKSK "}]", 0, -EINVAL,
		  "'{' expected, not array", NULL, 0 },
		{ "a string", "\"AccessKeyId\"", 0, -EINVAL,
		  "'{' expected, not string", NULL, 0 },
		{ "null", "null\n", 0, -EINVAL, "'{' expected, not null", NULL,
		  0 },
		{ "a number", "5 ", 0, -EINVAL, "'{' expected, not int", NULL,
		  0 },
		/* malformed */
		{ "no ':'", "{\"AccessKeyId\" \"A\"}", 0, -EINVAL,
		  "malformed JSON: object property name separator ':' "
		  "expected at byte 15", NULL, 0 },
		{ "no ','", "{\"AccessKeyId\":\"A\" \"SecretAccessKey\":"
		  "\"S\"}", 0, -EINVAL, "malformed JSON: object value "
		  "separator ',' expected", NULL, 0 },
		{ "trailing comma", "{" AKSK ",}", 0, -EINVAL,
		  "malformed JSON", NULL, 0 },
		{ "single quotes", "{'AccessKeyId':'A'}", 0, -EINVAL,
		  "malformed JSON", NULL, 0 },
		{ "comment", "{" AKSK " /* c */}", 0, -EINVAL,
		  "malformed JSON", NULL, 0 },
		{ "bad literal", "{\"x\":tru," AKSK "}", 0, -EINVAL,
		  "malformed JSON: boolean expected", NULL, 0 },
		{ "leading zero", "{\"x\":01," AKSK "}", 0, -EINVAL,
		  "malformed JSON: number expected", NULL, 0 },
		{ "bad escape", "{\"AccessKeyId\":\"A\\q\"}", 0, -EINVAL,
		  "malformed JSON: invalid string sequence", NULL, 0 },
		{ "short \\u escape", "{\"AccessKeyId\":\"\\u12\"}", 0,
		  -EINVAL, "malformed JSON: invalid string sequence", NULL,
		  0 },
		{ "invalid UTF-8", "{" AKSK ",\"x\":\"\xff\"}", 0, -EINVAL,
		  "malformed JSON: invalid utf-8 string", NULL, 0 },
		{ "bytes after the object", "{" AKSK "} x", 0, -EINVAL,
		  "malformed JSON: bytes after the object at byte 42", NULL,
		  0 },
		{ "a second object", "{" AKSK "}{}", 0, -EINVAL,
		  "bytes after the object", NULL, 0 },
		{ "NUL after the object", "{" AKSK "}\0", 42, -EINVAL,
		  "bytes after the object at byte 41", NULL, 0 },
		/* truncated */
		{ "only '{'", "{", 0, -EINVAL,
		  "malformed JSON: truncated at byte 1", NULL, 0 },
		{ "only blanks", "  \n", 0, -EINVAL, "truncated", NULL, 0 },
		{ "no '}'", "{" AKSK, 0, -EINVAL, "truncated at byte 40",
		  NULL, 0 },
		{ "in a string", "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
		  "\"S", 0, -EINVAL, "truncated", NULL, 0 },
		{ "after ':'", "{\"AccessKeyId\":", 0, -EINVAL, "truncated",
		  NULL, 0 },
		{ "in a nested value", "{" AKSK ",\"o\":[1,{\"a\":", 0,
		  -EINVAL, "truncated", NULL, 0 },
		{ "in an escape", "{\"AccessKeyId\":\"\\u00", 0, -EINVAL,
		  "truncated", NULL, 0 },
		/* deep nesting */
		{ "a scalar past the limit", gen[2], 0,
		  -EINVAL, "nested too deep", NULL, 0 },
		{ "an empty array past the limit", gen[3], 0, -EINVAL,
		  "nested too deep", NULL, 0 },
		{ "objects, 40 deep", gen[4], 0, -EINVAL, "nested too deep",
		  NULL, 0 },
		{ "arrays, 5000 deep", gen[5], 0, -EINVAL, "nested too deep",
		  NULL, 0 },
		{ "arrays, 100000 deep (too large)", gen[6], 0, -EINVAL,
		  "larger than", NULL, 0 },
		/* too long, too large */
		{ "Token past its limit", gen[8], 0, -EINVAL,
		  "Token too long (at most 4095 bytes)", NULL, 0 },
		{ "AccessKeyId past its limit", gen[9], 0, -EINVAL,
		  "AccessKeyId too long (at most 255 bytes)", NULL, 0 },
		{ "SecretAccessKey past its limit", gen[10], 0, -EINVAL,
		  "SecretAccessKey too long", NULL, 0 },
		{ "Expiration past its limit", gen[11], 0, -EINVAL,
		  "Expiration too long (at most 63 bytes)", NULL, 0 },
		{ "one byte past the largest answer", gen[13], 0, -EINVAL,
		  "answer of 65537 bytes, larger than 65536", NULL, 0 },
		{ "a huge answer", gen[14], 0, -EINVAL, "larger than 65536",
		  NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len;
		int rc;

		if (!t[i].in) {
			TU_FAIL_AT("json case '%s': out of memory", t[i].name);
			continue;
		}
		len = t[i].len ? t[i].len : strlen(t[i].in);
		memset(&c, 0x55, sizeof(c));
		err[0] = '\0';
		rc = s3_creds_parse_json(t[i].in, len, &c, err, sizeof(err));
		if (rc != t[i].rc) {
			TU_FAIL_AT("json case '%s': rc %d, expected %d "
				   "(%.100s)", t[i].name, rc, t[i].rc, err);
		} else if (rc && !strstr(err, t[i].err)) {
			TU_FAIL_AT("json case '%s': '%.100s', expected '%s'",
				   t[i].name, err, t[i].err);
		} else if (rc && (c.access_key[0] || c.secret_key[0] ||
				  c.session_token[0] || c.expires)) {
			TU_FAIL_AT("json case '%s': credentials left after "
				   "an error", t[i].name);
		} else if (!rc && (strcmp(c.access_key, t[i].ak) ||
				   !c.secret_key[0] ||
				   c.expires != t[i].exp)) {
			TU_FAIL_AT("json case '%s': AccessKeyId '%.40s', "
				   "expires %lld", t[i].name, c.access_key,
				   (long long)c.expires);
		}
	}
	/* the Token kept whole */
	TU_EQ_INT(js(gen[7]), 0);
	TU_EQ_U64(strlen(c.session_token), S3_CREDS_TOKEN_MAX);
	for (size_t i = 0; i < sizeof(gen) / sizeof(gen[0]); i++)
		free(gen[i]);
}

TU_CASE(times)
{
	int64_t t = 0;

	TU_EQ_INT(s3_creds_parse_time("1970-01-01T00:00:00Z", &t), 0);
	TU_EQ_INT(t, 0);
	TU_EQ_INT(s3_creds_parse_time("2026-11-30T10:00:00Z", &t), 0);
	TU_EQ_INT(t, 1796032800);
	TU_EQ_INT(s3_creds_parse_time("2026-11-30T10:00:00.999Z", &t), 0);
	TU_EQ_INT(t, 1796032800);
	TU_EQ_INT(s3_creds_parse_time("2026-11-30T10:00:00+00:00", &t), 0);
	TU_EQ_INT(s3_creds_parse_time("2026-11-30T10:00:00", &t), -EINVAL);
	TU_EQ_INT(s3_creds_parse_time("2026-11-30T10:00:00+02:00", &t),
		  -EINVAL);
	TU_EQ_INT(s3_creds_parse_time("2026-11-30T10:00:00.Z", &t), -EINVAL);
	TU_EQ_INT(s3_creds_parse_time("2026-11-30 10:00:00Z", &t), -EINVAL);
	TU_EQ_INT(s3_creds_parse_time("", &t), -EINVAL);
	TU_EQ_INT(s3_creds_parse_time(NULL, &t), -EINVAL);
}

TU_CASE(refresh_time)
{
	struct s3_creds k = { 0 };

	/* long-term: never */
	TU_EQ_INT(s3_creds_refresh_at(&k), 0);
	/* 1 h (IMDS, STS): 5 min before */
	k.obtained = 1000000;
	k.expires = 1000000 + 3600;
	TU_EQ_INT(s3_creds_refresh_at(&k), 1000000 + 3600 - 300);
	/* 12 h: still 5 min */
	k.expires = 1000000 + 12 * 3600;
	TU_EQ_INT(s3_creds_refresh_at(&k), 1000000 + 12 * 3600 - 300);
	/* 15 min: a quarter, 225 s */
	k.expires = 1000000 + 900;
	TU_EQ_INT(s3_creds_refresh_at(&k), 1000000 + 900 - 225);
	/* 8 s (the tests): 2 s before */
	k.expires = 1000000 + 8;
	TU_EQ_INT(s3_creds_refresh_at(&k), 1000000 + 6);
	/* already expired when obtained (a clock behind): at once */
	k.expires = 1000000 - 5;
	TU_EQ_INT(s3_creds_refresh_at(&k), 1000000 - 5);
}

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT",
};

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof(aws_vars) / sizeof(aws_vars[0]); i++)
		unsetenv(aws_vars[i]);
	setenv("HOME", dir, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

TU_CASE(chain_order)
{
	int rc;
	struct s3_creds_chain *ch = NULL;
	const char *cr = file("credentials", CREDS_FILE);
	const char *cf = file("config", "[profile cfg]\naws_access_key_id = "
			      "AKIDCFG\naws_secret_access_key = s\n");

	clear_env();
	rc = s3_creds_chain_new(&ch, "us-east-1", err, sizeof(err));
	TU_EQ_INT(rc, -ENOKEY);
	TU_CHECK(!strcmp(err, "no AWS credentials: tried environment, shared "
			 "files (profile default), web identity, container, "
			 "IMDS (disabled)"));
	TU_CHECK(!ch);
	/* ~/.aws/credentials, then $AWS_CONFIG_FILE's [profile cfg] */
	setenv("AWS_SHARED_CREDENTIALS_FILE", cr, 1);
	setenv("AWS_CONFIG_FILE", cf, 1);
	setenv("AWS_PROFILE", "cfg", 1);
	rc = s3_creds_chain_new(&ch, "us-east-1", err, sizeof(err));
	TU_EQ_INT(rc, 0);
	TU_CHECK(ch && !strcmp(s3_creds_source(ch), "shared files"));
	if (ch) {
		rc = s3_creds_get(ch, 0, &c, err, sizeof(err));
		TU_EQ_INT(rc, 0);
		TU_CHECK(!strcmp(c.access_key, "AKIDCFG"));
		TU_EQ_INT(c.gen, 1);
	}
	s3_creds_chain_free(ch);
	/* the credentials file wins over the config file */
	setenv("AWS_PROFILE", "tess", 1);
	rc = s3_creds_chain_new(&ch, "us-east-1", err, sizeof(err));
	TU_EQ_INT(rc, 0);
	if (ch) {
		rc = s3_creds_get(ch, 0, &c, err, sizeof(err));
		TU_EQ_INT(rc, 0);
		TU_CHECK(!strcmp(c.access_key, "AKIDTESS"));
	}
	s3_creds_chain_free(ch);
	/* the environment wins over both */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "senv", 1);
	rc = s3_creds_chain_new(&ch, "us-east-1", err, sizeof(err));
	TU_EQ_INT(rc, 0);
	TU_CHECK(ch && !strcmp(s3_creds_source(ch), "environment"));
	s3_creds_chain_free(ch);
	/* a credentials file with a bad line is an error naming it */
	clear_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE",
	       file("badcreds", "[default]\naws_access_key_id = A\x01B\n"), 1);
	rc = s3_creds_chain_new(&ch, "us-east-1", err, sizeof(err));
	TU_EQ_INT(rc, -EINVAL);
	TU_CHECK(strstr(err, "AWS credentials from shared files: "));
	TU_CHECK(strstr(err, "badcreds:2: aws_access_key_id holds a control"));
	/* a configured provider that fails stops the chain */
	clear_env();
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.1.2.3/creds", 1);
	rc = s3_creds_chain_new(&ch, "us-east-1", err, sizeof(err));
	TU_EQ_INT(rc, -EINVAL);
	TU_CHECK(strstr(err, "AWS credentials from container: "
			"AWS_CONTAINER_CREDENTIALS_FULL_URI http://10.1.2.3/"
			"creds: http:// only to"));
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token", 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/r", 1);
	rc = s3_creds_chain_new(&ch, "us-east-1", err, sizeof(err));
	TU_EQ_INT(rc, -EIO);
	TU_CHECK(strstr(err, "AWS credentials from web identity: web "
			"identity token /nonexistent/token: No such file"));
	clear_env();
}

TU_CASE(forced_refresh)
{
	int rc;
	struct s3_creds_chain *ch = NULL;

	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKID1", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s1", 1);
	rc = s3_creds_chain_new(&ch, "us-east-1", err, sizeof(err));
	TU_EQ_INT(rc, 0);
	if (!ch)
		return;
	/* long-term credentials are not refreshed on their own */
	setenv("AWS_ACCESS_KEY_ID", "AKID2", 1);
	rc = s3_creds_get(ch, 0, &c, err, sizeof(err));
	TU_EQ_INT(rc, 0);
	TU_CHECK(!strcmp(c.access_key, "AKID1"));
	TU_EQ_INT(c.gen, 1);
	/* refused as expired: fetched again, the generation moves on */
	rc = s3_creds_get(ch, 1, &c, err, sizeof(err));
	TU_EQ_INT(rc, 0);
	TU_CHECK(!strcmp(c.access_key, "AKID2"));
	TU_EQ_INT(c.gen, 2);
	/* a second thread refused with generation 1 takes generation 2 */
	setenv("AWS_ACCESS_KEY_ID", "AKID3", 1);
	rc = s3_creds_get(ch, 1, &c, err, sizeof(err));
	TU_EQ_INT(rc, 0);
	TU_CHECK(!strcmp(c.access_key, "AKID2"));
	TU_EQ_INT(c.gen, 2);
	/* a refresh that fails is an error, naming the provider */
	unsetenv("AWS_ACCESS_KEY_ID");
	rc = s3_creds_get(ch, 2, &c, err, sizeof(err));
	TU_EQ_INT(rc, -EKEYEXPIRED);
	TU_CHECK(strstr(err, "AWS credentials from environment refused as "
			"expired and their refresh failed"));
	/* and none is tried again for 10 s: the same error at once */
	setenv("AWS_ACCESS_KEY_ID", "AKID4", 1);
	rc = s3_creds_get(ch, 2, &c, err, sizeof(err));
	TU_EQ_INT(rc, -EKEYEXPIRED);
	TU_CHECK(strstr(err, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY unset"));
	s3_creds_chain_free(ch);
	clear_env();
}

/*
 * Threads taking copies while others force refreshes and the file
 * changes under them: every copy is one whole pair (AKIDn, secretn) and
 * a thread never sees the generation go back.
 */
static struct s3_creds_chain *tch;
static _Atomic int torn, backwards, gets_failed;
static _Atomic bool writer_stop;

static void write_pair(int n)
{
	char text[200], tmp[300], path[300];
	FILE *f;

	snprintf(text, sizeof(text), "[default]\naws_access_key_id = AKID%d\n"
		 "aws_secret_access_key = secret%d\n", n, n);
	snprintf(tmp, sizeof(tmp), "%s/threads.tmp", dir);
	snprintf(path, sizeof(path), "%s/threads", dir);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	rename(tmp, path);
}

static void *getter(void *arg)
{
	struct s3_creds *k = malloc(sizeof(*k));
	uint64_t last = 0;
	char e[400];

	(void)arg;
	if (!k)
		return NULL;
	for (int i = 0; i < 3000; i++) {
		int a, b;

		if (s3_creds_get(tch, i % 7 == 0 ? last : 0, k, e, sizeof(e))) {
			gets_failed++;
			continue;
		}
		if (sscanf(k->access_key, "AKID%d", &a) != 1 ||
		    sscanf(k->secret_key, "secret%d", &b) != 1 || a != b)
			torn++;
		if (k->gen < last)
			backwards++;
		last = k->gen;
	}
	free(k);
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	for (int n = 2; !writer_stop; n++) {
		write_pair(n);
		usleep(200);
	}
	return NULL;
}

TU_CASE(threads)
{
	pthread_t t[8], w;
	char path[300];
	struct s3_creds k;

	clear_env();
	write_pair(1);
	snprintf(path, sizeof(path), "%s/threads", dir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	TU_EQ_INT(s3_creds_chain_new(&tch, "us-east-1", err, sizeof(err)), 0);
	if (!tch)
		return;
	pthread_create(&w, NULL, writer, NULL);
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, getter, NULL);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	writer_stop = true;
	pthread_join(w, NULL);
	TU_EQ_INT(torn, 0);
	TU_EQ_INT(backwards, 0);
	TU_EQ_INT(gets_failed, 0);
	/* and refreshes did happen */
	TU_EQ_INT(s3_creds_get(tch, 0, &k, err, sizeof(err)), 0);
	TU_CHECK(k.gen > 1);
	s3_creds_chain_free(tch);
	clear_env();
}

TU_CASE(expired_answers)
{
	TU_CHECK(s3_expired_creds(400, "ExpiredToken", false));
	TU_CHECK(s3_expired_creds(403, "ExpiredToken", true));
	TU_CHECK(s3_expired_creds(400, "ExpiredTokenException", true));
	TU_CHECK(s3_expired_creds(400, "TokenRefreshRequired", true));
	/* a HEAD has no body: with a session token, a 400/403 may be it */
	TU_CHECK(s3_expired_creds(400, "", true));
	TU_CHECK(s3_expired_creds(403, NULL, true));
	TU_CHECK(!s3_expired_creds(403, NULL, false));
	TU_CHECK(!s3_expired_creds(404, NULL, true));
	TU_CHECK(!s3_expired_creds(403, "AccessDenied", true));
	TU_CHECK(!s3_expired_creds(403, "SignatureDoesNotMatch", true));
	TU_CHECK(!s3_expired_creds(400, "InvalidToken", true));
}

int main(void)
{
	tu_suite = "s3_creds";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	TU_RUN(credentials_file);
	TU_RUN(config_file);
	TU_RUN(file_malformed);
	TU_RUN(sts_xml);
	TU_RUN(json);
	TU_RUN(json_table);
	TU_RUN(times);
	TU_RUN(refresh_time);
	TU_RUN(chain_order);
	TU_RUN(forced_refresh);
	TU_RUN(threads);
	TU_RUN(expired_answers);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	return tu_done();
}
