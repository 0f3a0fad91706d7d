/* util.c: the driver's interrupt flag and its signal handlers, and how
 * its heap gives memory back. */
#include "bench/util.h"

#include <malloc.h>
#include <string.h>

volatile sig_atomic_t tvp_interrupted;

/* Every signal whose default action ends the process and that a user, a
 * terminal, a supervisor or a resource limit sends to stop a run. SIGPIPE is
 * ignored instead (a write to a closed pipe then fails with EPIPE and is
 * reported); SIGALRM, SIGPROF and SIGVTALRM belong to timers and profilers. */
static const int interrupting[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
				    SIGXCPU, SIGXFSZ };

static void on_interrupt(int sig)
{
	/* A second signal while the first is being handled kills the run the
	 * ordinary way: the user asked twice. */
	if (tvp_interrupted == sig)
		signal(sig, SIG_DFL);
	tvp_interrupted = sig;
}

void util_catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking wait in the run loop should see EINTR and
	 * look at tvp_interrupted. */
	for (size_t i = 0; i < ARRAY_SIZE(interrupting); i++)
		sigaction(interrupting[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void util_heap_fixed_thresholds(void)
{
	/* Either call also stops glibc's dynamic adjustment of both. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
}

int util_interrupt_status(void)
{
	return 128 + (tvp_interrupted ? tvp_interrupted : SIGINT);
}

const char *util_interrupt_name(void)
{
	switch (tvp_interrupted) {
	case SIGHUP: return "SIGHUP";
	case SIGQUIT: return "SIGQUIT";
	case SIGTERM: return "SIGTERM";
	case SIGUSR1: return "SIGUSR1";
	case SIGUSR2: return "SIGUSR2";
	case SIGXCPU: return "SIGXCPU";
	case SIGXFSZ: return "SIGXFSZ";
	default: return "SIGINT";
	}
}
