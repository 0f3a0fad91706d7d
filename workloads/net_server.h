/* net_server.h: tvp's own HTTP/1.1 server, a child process the net workload
 * starts for a run: every request gets, after a fixed delay, a 200 answer
 * whose body is a known pattern of a fixed length. */
#ifndef NET_SERVER_H
#define NET_SERVER_H

#include <stdint.h>
#include <sys/types.h>

struct net_server {
	pid_t pid;          /* the server process; 0 when not running */
	uint16_t port;      /* on 127.0.0.1 */
};

/* Byte i of every body the server sends (lower-case letters, a-z again). */
static inline unsigned char net_server_body_byte(uint64_t i)
{
	return (unsigned char)('a' + i % 26);
}

/* Binds 127.0.0.1 on an ephemeral port (SO_REUSEADDR), listens, and forks the
 * server process, which answers each request delay_ns after it arrived with
 * body_bytes bytes. The socket listens before this returns, so clients may
 * connect at once. Forks: call only while the process has one thread (before
 * any pool starts). Returns 0 with s filled in, or a negative errno with the
 * reason in err. */
int net_server_start(struct net_server *s, uint64_t body_bytes, uint64_t delay_ns, char *err,
		     size_t errlen);

/* Stops the server process and reaps it; s->pid is 0 afterwards. Does
 * nothing when it is not running. Call from the process that started it. */
void net_server_stop(struct net_server *s);

#endif
