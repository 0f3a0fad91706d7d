/* net_url.h: the --url of the net workload: which servers tvp may ask
 * (loopback and private IPv4 literals, [::1]; no name is ever looked up),
 * parsed into a socket address. */
#ifndef NET_URL_H
#define NET_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Where tasks send their requests. */
struct net_url {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char host[80];             /* for the Host header and messages: "127.0.0.1:8080" */
	char path[512];
};

/* Parses http://HOST[:PORT][/PATH] into *u. Returns true, or false with
 * what is wrong and what is accepted in err. Pure: safe from any thread. */
bool net_url_parse(const char *text, struct net_url *u, char *err, size_t errlen);

#endif
