/* net_url.c: parsing the net workload's --url, refusing every host but
 * loopback and private IPv4 literals. */
#include "workloads/net_url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* IPv4 private and loopback ranges, host byte order. */
static bool ipv4_allowed(uint32_t a)
{
	return (a >> 24) == 127 || (a >> 24) == 10 || (a >> 20) == ((172u << 4) | 1) ||
	       (a >> 16) == ((192u << 8) | 168);
}

bool net_url_parse(const char *text, struct net_url *u, char *err, size_t errlen)
{
	static const char accepted[] =
		"accepted: http://HOST[:PORT]/PATH with HOST localhost, a 127.x.x.x, 10.x.x.x, "
		"172.16-31.x.x or 192.168.x.x address, or [::1]";
	char host[64];
	const char *p, *hend, *path;
	unsigned long port = 80;
	size_t hlen;

	memset(u, 0, sizeof *u);
	if (!text || strncasecmp(text, "http://", 7) != 0) {
		snprintf(err, errlen, "--url '%s' is not an http:// URL (https is not supported); %s",
			 text ? text : "", accepted);
		return false;
	}
	p = text + 7;
	if (*p == '[') {
		hend = strchr(p, ']');
		if (!hend)
			goto bad;
		hend++;
	} else {
		hend = p + strcspn(p, ":/");
	}
	hlen = (size_t)(hend - p);
	if (hlen == 0 || hlen >= sizeof host)
		goto bad;
	memcpy(host, p, hlen);
	host[hlen] = '\0';
	p = hend;
	if (*p == ':') {
		char *end;

		errno = 0;
		port = strtoul(p + 1, &end, 10);
		/* strtoul would also take " 1" and "+1". */
		if (errno || !isdigit((unsigned char)p[1]) || port == 0 || port > 65535 || (*end && *end != '/'))
			goto bad;
		p = end;
	}
	path = *p ? p : "/";
	if (strlen(path) >= sizeof u->path)
		goto bad;
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			goto bad;   /* no spaces or control bytes in a request line */
	strcpy(u->path, path);

	if (strcmp(host, "[::1]") == 0) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&u->addr;

		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_loopback;
		a6->sin6_port = htons((uint16_t)port);
		u->addr_len = sizeof *a6;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&u->addr;
		const char *lit = strcasecmp(host, "localhost") == 0 ? "127.0.0.1" : host;

		if (inet_pton(AF_INET, lit, &a4->sin_addr) != 1) {
			snprintf(err, errlen, "--url host '%s' is not an address tvp may contact "
				 "(names other than localhost are never looked up); %s", host, accepted);
			return false;
		}
		if (!ipv4_allowed(ntohl(a4->sin_addr.s_addr))) {
			snprintf(err, errlen, "--url host %s is neither loopback nor private; %s",
				 host, accepted);
			return false;
		}
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		u->addr_len = sizeof *a4;
	}
	snprintf(u->host, sizeof u->host, "%s:%lu", host, port);
	return true;
bad:
	snprintf(err, errlen, "--url '%s' is not a URL tvp understands; %s", text, accepted);
	return false;
}

