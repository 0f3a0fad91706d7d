/* stall.c: the watchdog of a pool mode's wait (stall.h): stopped workers
 * found in /proc. */
#include "bench/modes/stall.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/util.h"

#define LOOK_EVERY_NS 1000000000ull

struct proc {
	pid_t pid, ppid;
	char state;
};

/* Reads /proc/PID/stat's state and parent. The command name may hold
 * spaces and parentheses: the fields start after its last ')'. */
static bool read_stat(pid_t pid, struct proc *p)
{
	char path[64], buf[512], *close_paren;
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	close_paren = strrchr(buf, ')');
	p->pid = pid;
	return close_paren && sscanf(close_paren + 1, " %c %d", &p->state, &p->ppid) == 2;
}

/* Every process in /proc (malloc'd into *out); how many. */
static size_t list_procs(struct proc **out)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0, cap = 0;

	*out = NULL;
	while (d && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (n == cap)
			*out = xrealloc(*out, (cap = cap ? 2 * cap : 256) * sizeof **out);
		if (read_stat((pid_t)atoi(e->d_name), &(*out)[n]))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* The first stopped process whose parent, or parent's parent, is us. */
static pid_t stopped_descendant(void)
{
	struct proc *ps;
	size_t n = list_procs(&ps);
	pid_t self = getpid(), found = 0;

	for (size_t i = 0; i < n && !found; i++) {
		bool ours = ps[i].ppid == self;

		for (size_t k = 0; k < n && !ours; k++)
			ours = ps[k].pid == ps[i].ppid && ps[k].ppid == self;
		if (ours && ps[i].state == 'T')
			found = ps[i].pid;
	}
	free(ps);
	return found;
}

bool stall_stopped(pid_t pid)
{
	struct proc p;

	return read_stat(pid, &p) && p.state == 'T';
}

void stall_start(struct stall *s, uint64_t bound_ns)
{
	s->start_ns = now_ns();
	s->bound_ns = bound_ns;
	s->next_look_ns = s->start_ns + bound_ns;
	s->suspect = 0;
}

pid_t stall_check(struct stall *s)
{
	uint64_t t = now_ns();
	pid_t pid, was = s->suspect;

	if (!s->bound_ns || t < s->next_look_ns)
		return 0;
	s->next_look_ns = t + LOOK_EVERY_NS;
	pid = stopped_descendant();
	s->suspect = pid;
	return pid && pid == was ? pid : 0;
}
