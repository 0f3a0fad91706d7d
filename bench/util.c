/* util.c: the driver's interrupt flag and its signal handlers. */
#include "bench/util.h"

#include <string.h>

volatile sig_atomic_t tvp_interrupted;

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
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
