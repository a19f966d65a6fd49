// SPDX-License-Identifier: GPL-2.0
/*
 * addr.c - parse and print HOST[:PORT]@NET addresses.
 *
 * HOST is a dotted-quad IPv4 address (the kernel client does not resolve
 * names), PORT a decimal 1..65535, NET a network type: a lowercase letter
 * followed by up to 14 lowercase letters or digits.  Parsing never looks
 * past @len and reports why an address was refused through @why, so a
 * caller can tell the user exactly what is wrong with it.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/export.h>

#include "tnet.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

/* a decimal number of 1..maxdigits digits, no sign, no leading zero */
static int parse_dec(const char *s, size_t len, size_t maxdigits, u32 *val)
{
	u32 v = 0;
	size_t i;

	if (len == 0 || len > maxdigits)
		return -EINVAL;
	if (len > 1 && s[0] == '0')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*val = v;
	return 0;
}

static int parse_ipv4(const char *s, size_t len, __be32 *ip, const char **why)
{
	u32 octet, host = 0;
	size_t start = 0, i;
	int n = 0;

	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]) && s[i] != '.') {
			*why = "host must be a dotted-quad IPv4 address (names are not resolved)";
			return -EINVAL;
		}
	}
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (n == 4) {
			*why = "IPv4 address has more than 4 parts";
			return -EINVAL;
		}
		if (parse_dec(s + start, i - start, 3, &octet) || octet > 255) {
			*why = "IPv4 address part is empty, over 255 or has a leading zero";
			return -EINVAL;
		}
		host = host << 8 | octet;
		n++;
		start = i + 1;
	}
	if (n != 4) {
		*why = "IPv4 address needs 4 parts";
		return -EINVAL;
	}
	*ip = cpu_to_be32(host);
	return 0;
}

/**
 * tnet_addr_parse - parse HOST[:PORT]@NET
 * @str: the address, not necessarily NUL-terminated
 * @len: its length
 * @addr: filled on success; port is 0 when none was given
 * @why: set to a reason on failure (may be NULL)
 *
 * Return: 0 or -EINVAL.
 */
int tnet_addr_parse(const char *str, size_t len, struct tnet_addr *addr,
		    const char **why)
{
	const char *reason = NULL, *at, *colon, *net;
	size_t hostlen, netlen, i;
	u32 port = 0;
	int err = -EINVAL;

	memset(addr, 0, sizeof(*addr));
	if (len == 0) {
		reason = "empty address";
		goto out;
	}
	if (len > TESS_ADDR_MAX) {
		reason = "address longer than 63 characters";
		goto out;
	}
	if (memchr(str, '\0', len)) {
		reason = "address contains a NUL byte";
		goto out;
	}
	at = memchr(str, '@', len);
	if (!at) {
		reason = "missing @NET (e.g. 10.0.0.5@tcp)";
		goto out;
	}
	net = at + 1;
	netlen = str + len - net;
	if (netlen == 0 || netlen > TNET_NET_MAX) {
		reason = "network type after '@' must be 1 to 15 characters";
		goto out;
	}
	if (!is_lower(net[0])) {
		reason = "network type must start with a lowercase letter";
		goto out;
	}
	for (i = 1; i < netlen; i++) {
		if (!is_lower(net[i]) && !is_digit(net[i])) {
			reason = "network type may hold only a-z and 0-9";
			goto out;
		}
	}

	hostlen = at - str;
	colon = memchr(str, ':', hostlen);
	if (colon) {
		if (parse_dec(colon + 1, at - colon - 1, 5, &port) ||
		    port == 0 || port > 65535) {
			reason = "port must be a number from 1 to 65535";
			goto out;
		}
		hostlen = colon - str;
	}
	if (hostlen == 0) {
		reason = "missing host before '@'";
		goto out;
	}
	err = parse_ipv4(str, hostlen, &addr->ipv4, &reason);
	if (err)
		goto out;

	memcpy(addr->net, net, netlen);
	addr->net[netlen] = '\0';
	addr->port = port;
	return 0;
out:
	memset(addr, 0, sizeof(*addr));
	if (why)
		*why = reason;
	return err;
}
EXPORT_SYMBOL_GPL(tnet_addr_parse);

/**
 * tnet_addr_format - print an address as HOST[:PORT]@NET
 * @addr: the address
 * @buf: output buffer
 * @size: its size, TNET_ADDR_STRLEN is always enough
 *
 * Return: the length printed, or -ENOSPC if @buf is too small.
 */
int tnet_addr_format(const struct tnet_addr *addr, char *buf, size_t size)
{
	int n;

	if (addr->port)
		n = snprintf(buf, size, "%pI4:%u@%s", &addr->ipv4, addr->port,
			     addr->net);
	else
		n = snprintf(buf, size, "%pI4@%s", &addr->ipv4, addr->net);
	return (size_t)n < size ? n : -ENOSPC;
}
EXPORT_SYMBOL_GPL(tnet_addr_format);
