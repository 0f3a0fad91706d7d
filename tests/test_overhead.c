/* test_overhead.c: `tvp overhead`: every kernel at a tiny iteration count
 * gives positive, finite figures and leaves nothing behind; a quick run of
 * build/tvp gives ordered figures in JSON that validates against the schema;
 * bad command lines exit 2; Ctrl-C writes what was measured and leaves no
 * child. */
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/modes/mode.h"
#include "bench/overhead/ovh.h"
#include "testutil.h"
#include "bench/util.h"

static const char *root(void)
{
	const char *r = getenv("TVP_ROOT");

	return r && *r ? r : ".";
}

static int validate(const char *file)
{
	char *cmd = xasprintf("sh '%s/scripts/validate-json.sh' '%s/docs/schema/tvp.overhead-1.schema.json' '%s'",
			      root(), root(), file);
	int st = system(cmd);

	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void assert_valid(const char *file)
{
	int v = validate(file);

	if (v == 77)
		fprintf(stderr, "schema check skipped: no python3-jsonschema\n");
	else
		ck_assert_msg(v == 0, "%s does not validate against tvp.overhead-1 (exit %d)", file, v);
}

/* Each kernel, in this process: setup, a run of 3 operations (1 for memory),
 * teardown. */
START_TEST(every_kernel_gives_positive_finite_figures)
{
	const struct ovh_bench *b = ovh_get((size_t)_i);
	struct ovh_ctx ctx = { .workers = 3, .cpu = { -1, -1 }, .quick = true };
	struct ovh_sample s = { 0 };
	char err[512] = "";
	void *state = NULL;
	int cpus[2], rc;
	unsigned n = ovh_allowed_cpus(cpus, 2);

	ck_assert(b != NULL);
	if (ovh_absent(b))
		tvp_skip("%s: %s", b->name, ovh_absent(b));
	if (b->pin == OVH_PIN_DIFF && n < 2)
		tvp_skip("%s: only 1 PU is allowed", b->name);
	if (b->pin == OVH_PIN_SAME)
		ctx.cpu[0] = ctx.cpu[1] = cpus[0];
	if (b->pin == OVH_PIN_DIFF) {
		ctx.cpu[0] = cpus[0];
		ctx.cpu[1] = cpus[1];
	}
	rc = b->setup(b, &ctx, &state, err, sizeof err);
	ck_assert_msg(rc == 0, "%s: setup: %d %s", b->name, rc, err);
	rc = b->run(state, b->flags & OVH_ONCE ? 1 : 3, &s, err, sizeof err);
	b->teardown(state);
	ck_assert_msg(rc == 0, "%s: run: %d %s", b->name, rc, err);
	ck_assert_msg(isfinite(s.value) && s.value > 0, "%s: %g", b->name, s.value);
	for (int k = 0; k < OVH_MAX_EXTRA && b->extra[k]; k++)
		ck_assert_msg(isfinite(s.extra[k]) && s.extra[k] > 0, "%s: %s = %g", b->name, b->extra[k],
			      s.extra[k]);
	if (b->flags & OVH_ONCE)
		ck_assert_int_eq(b->unit, OVH_UNIT_BYTES);
	tvp_assert_no_children();
}
END_TEST

/* A wave is every worker's two sleeps: it cannot be shorter than them
 * (a kernel that woke no one, or one of each, would be), and the process
 * kind's workers are gone after teardown. */
START_TEST(a_wave_is_every_worker_sleeping_twice)
{
	static const char *const names[] = { "wave-thread-32", "wave-process-32" };
	const struct ovh_bench *b = ovh_find(names[_i]);
	struct ovh_ctx ctx = { .workers = 3, .cpu = { -1, -1 }, .quick = true };
	struct ovh_sample s = { 0 };
	char err[512] = "";
	void *state = NULL;

	ck_assert(b != NULL);
	ck_assert_uint_eq(b->workers, 32);
	ck_assert_int_eq(b->setup(b, &ctx, &state, err, sizeof err), 0);
	ck_assert_int_eq(b->run(state, 3, &s, err, sizeof err), 0);
	b->teardown(state);
	ck_assert_msg(s.value >= 3 * 2 * (double)b->variant * 1e6, "%s: %g ns", b->name, s.value);
	tvp_assert_no_children();
}
END_TEST

START_TEST(registry_names_are_unique_and_complete)
{
	static const char *const required[] = { "thread-create-join", "fork-exit-wait",
						"pipe-roundtrip-process", "fork-exit-wait-256mib",
						"memcpy-bw-4mib", "pipe-bw-4mib",
						"batch-noop-thread-pool", "pool-start-thread",
						"start-pool-fork", "start-pool-spawn",
						"start-pool-forkserver", "start-pool-thread",
						"start-posix-spawn-true-2", "start-spawn-worker-2",
						"start-handoff-spawn",
						"start-batch-forkserver",
						"start-memory-forkserver" };

	for (size_t i = 0; i < ovh_count(); i++) {
		const struct ovh_bench *b = ovh_get(i);
		ck_assert(ovh_find(b->name) == b);
		ck_assert(b->summary);
		/* A kernel not built in has no functions, and says why. */
		ck_assert_msg(ovh_absent(b) || (b->setup && b->run && b->teardown), "%s", b->name);
		if (ovh_absent(b))
			ck_assert(strncmp(ovh_absent(b), "not built: ", 11) == 0);
		/* The start method is said by the process pools of group start. */
		if (b->has_start)
			ck_assert(b->group == OVH_GROUP_START && b->kind == OVH_KIND_PROCESS);
		if (b->versus)
			ck_assert_msg(ovh_find(b->versus), "%s: versus %s", b->name, b->versus);
		/* The names the JSON and --only use exist for every kernel. */
		ck_assert(ovh_group_find(ovh_group_name(b->group)) == (int)b->group);
		ck_assert(ovh_kind_name(b->kind) && ovh_unit_name(b->unit) && ovh_pin_name(b->pin));
		/* A hand-off batch runs a mode of `tvp run` by its registry name
		 * (start-batch-* map on a pool of their own). */
		if ((b->flags & OVH_BATCH) && b->group == OVH_GROUP_HANDOFF && !ovh_absent(b))
			ck_assert_msg(b->mode && mode_find(b->mode), "%s: no mode", b->name);
	}
	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		ck_assert_msg(ovh_find(required[i]), "%s missing", required[i]);
	ck_assert(ovh_find("bogus") == NULL);
}
END_TEST

static json_t *result_named(json_t *doc, const char *name)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(doc, "results"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0)
			return r;
	ck_abort_msg("no result named %s", name);
	return NULL;
}

/* The fastest sample of a kernel: a sample can only be slowed by the
 * machine (a core taken for a moment), so comparing two kernels' bests
 * asks what they cost, not which one the noise fell on. */
static double best(json_t *doc, const char *name)
{
	json_t *st = json_object_get(result_named(doc, name), "stats");
	json_t *m = json_object_get(st, "min_ns");

	return json_number_value(m ? m : json_object_get(st, "min_bytes"));
}

static double median(json_t *doc, const char *name)
{
	json_t *st = json_object_get(result_named(doc, name), "stats");
	json_t *m = json_object_get(st, "median_ns");

	return json_number_value(m ? m : json_object_get(st, "median_bytes"));
}

static const char *skipped_reason(json_t *doc, const char *name)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(doc, "skipped"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0)
			return json_string_value(json_object_get(r, "reason"));
	return NULL;
}

/* The start group: every process pool says how it started; start-up comes
 * per worker too; the targets' entries carry their ratio and target. */
static void assert_start_entries(json_t *doc)
{
	static const char *const methods[] = { "fork", "spawn", "forkserver" };
	json_t *r;

	for (size_t m = 0; m < ARRAY_SIZE(methods); m++) {
		char *name = xasprintf("start-pool-%s", methods[m]);

		r = result_named(doc, name);
		ck_assert_str_eq(json_string_value(json_object_get(r, "start")), methods[m]);
		ck_assert_int_eq(json_integer_value(json_object_get(r, "workers")), 2);
		ck_assert(fabs(json_number_value(json_object_get(r, "per_worker_ns")) -
			       median(doc, name) / 2) < 1e-6 * median(doc, name));
		free(name);
	}
	ck_assert(json_object_get(result_named(doc, "start-pool-thread"), "start") == NULL);
	r = result_named(doc, "start-pool-spawn");
	ck_assert_str_eq(json_string_value(json_object_get(r, "versus")), "start-posix-spawn-true-2");
	ck_assert(fabs(json_number_value(json_object_get(r, "ratio")) -
		       median(doc, "start-pool-spawn") / median(doc, "start-posix-spawn-true-2")) < 1e-9 *
		  json_number_value(json_object_get(r, "ratio")) + 1e-12);
	ck_assert(json_number_value(json_object_get(r, "target_ratio")) == 1.5);
	r = result_named(doc, "start-handoff-forkserver");
	ck_assert_str_eq(json_string_value(json_object_get(r, "versus")), "start-handoff-fork");
	ck_assert(json_number_value(json_object_get(r, "target_ratio")) == 1.1);
	ck_assert(json_number_value(json_object_get(r, "ratio")) > 0);
	r = result_named(doc, "start-batch-spawn");
	ck_assert_str_eq(json_string_value(json_object_get(r, "versus")), "start-batch-fork");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "iterations")), 20000);   /* --quick */
}

START_TEST(quick_run_is_ordered_and_valid)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/o.json", dir);
	struct tvp_cmd c;
	json_error_t jerr;
	json_t *doc, *r;
	size_t i;

	/* Orphans of tvp come to us, so a child tvp left behind is seen. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	tvp_run_cli(&c, 150, "overhead", "--quick", "--repeat", "2", "--workers", "3", "--output", out,
		    NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	ck_assert(strstr(c.out, "fork-exit-wait"));   /* the table */
	tvp_cmd_free(&c);
	tvp_assert_no_children();
	doc = json_load_file(out, 0, &jerr);
	ck_assert_msg(doc, "%s: %s", out, jerr.text);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "schema")), "tvp.overhead/1");
	ck_assert(json_is_false(json_object_get(doc, "interrupted")));
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "results")) +
				  json_array_size(json_object_get(doc, "skipped")),
			  ovh_count());
	json_array_foreach(json_object_get(doc, "results"), i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		const char *group = json_string_value(json_object_get(r, "group"));
		double m = median(doc, name);

		ck_assert_msg(json_is_null(json_object_get(r, "error")), "%s failed", name);
		ck_assert_uint_eq(json_array_size(json_object_get(r, "samples")), 2);
		ck_assert_msg(isfinite(m) && m > 0, "%s: median %g", name, m);
		/* The pools and the memory kernels record their workers, no other. */
		ck_assert_msg(json_is_integer(json_object_get(r, "workers")) ==
				      (!strcmp(group, "memory") || !strcmp(group, "handoff") ||
				       !strcmp(group, "start") || !strncmp(name, "pool-start-", 11)),
			      "%s: workers", name);
	}
	/* What a kernel not built in says instead of a figure. */
	for (size_t k = 0; k < ovh_count(); k++)
		if (ovh_absent(ovh_get(k)))
			ck_assert_msg(skipped_reason(doc, ovh_get(k)->name) &&
					      !strcmp(skipped_reason(doc, ovh_get(k)->name),
						      ovh_absent(ovh_get(k))),
				      "%s not skipped as not built", ovh_get(k)->name);
	assert_start_entries(doc);
	ck_assert(json_number_value(json_object_get(result_named(doc, "pipe-bw-4mib"), "bytes_per_s")) > 0);
	/* What the kernels measure, against each other: fork dearer with more
	 * memory, memcpy faster than a pipe, copy-on-write sharing. Not under a
	 * sanitizer (TVP_SAN, from the Makefile): ASan's shadow memory and
	 * TSan's own mappings are copied by every fork and counted in every PSS,
	 * so those builds measure the sanitizer, not the kernel. */
	if (!TVP_SAN[0]) {
		ck_assert_msg(best(doc, "fork-exit-wait-256mib") > best(doc, "fork-exit-wait-16mib"),
			      "fork after 256 MiB (%g ns) is not dearer than after 16 MiB (%g ns)",
			      best(doc, "fork-exit-wait-256mib"), best(doc, "fork-exit-wait-16mib"));
		ck_assert_msg(best(doc, "fork-exit-wait-1024mib") > best(doc, "fork-exit-wait-16mib"),
			      "fork after 1 GiB is not dearer than after 16 MiB");
		ck_assert_msg(best(doc, "memcpy-bw-4mib") < best(doc, "pipe-bw-4mib"),
			      "memcpy of 4 MiB (%g ns) is not faster than a pipe (%g ns)",
			      best(doc, "memcpy-bw-4mib"), best(doc, "pipe-bw-4mib"));
		/* Copy-on-write: after writing its copy a child owns the 64 MiB; before,
		 * it shares them with its parent and siblings. */
		ck_assert(median(doc, "cow-64mib-child-pss-after-write") > 60.0 * (1 << 20));
		ck_assert(median(doc, "cow-64mib-child-pss-before-write") <
			  0.6 * median(doc, "cow-64mib-child-pss-after-write"));
		/* An idle worker process costs more than an idle thread, however
		 * it started (a thread: its stack's touched pages). */
		ck_assert(median(doc, "start-memory-fork") > 4 * median(doc, "start-memory-thread"));
		ck_assert(median(doc, "start-memory-spawn") > 4 * median(doc, "start-memory-thread"));
		ck_assert(median(doc, "start-memory-forkserver") > 4 * median(doc, "start-memory-thread"));
	}
	json_decref(doc);
	assert_valid(out);
	/* The report puts the start group in one table and says what became
	 * of each target (met, missed, or undecided when the CIs overlap). */
	tvp_run_cli(&c, 60, "report", out, NULL);
	ck_assert_msg(c.status == 0, "report: exit %d: %s", c.status, c.err);
	ck_assert(strstr(c.out, "start method (pool of 2)") && strstr(c.out, "  forkserver "));
	ck_assert(strstr(c.out, "for reference, twice: posix_spawn of /bin/true "));
	ck_assert(strstr(c.out, "start-pool-spawn costs ") &&
		  strstr(c.out, "x start-posix-spawn-true-2 ("));
	ck_assert(strstr(c.out, "issue 14's target, at most 1.5x, ") &&
		  strstr(c.out, "issue 14's target, at most 1.1x, "));
	tvp_cmd_free(&c);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
}
END_TEST

static const struct {
	const char *args[4];
	const char *says;
} bad[] = {
	{ { "--only", "bogus" }, "pipe-roundtrip-process" },
	{ { "--only", "fork-exit-wait,," }, "--only" },
	{ { "--repeat", "0" }, "--repeat" },
	{ { "--pin", "elsewhere" }, "same" },
	{ { "--workers", "zero" }, "--workers" },
	{ { "--bogus" }, "--bogus" },
	{ { "--output", "/nonexistent-dir/x.json", "--quick" }, "cannot write" },
};

START_TEST(bad_command_lines_exit_2)
{
	struct tvp_cmd c;
	const char *const *a = bad[_i].args;

	tvp_run_cli(&c, 30, "overhead", a[0], a[1], a[2], NULL);
	tvp_assert_one_line_error(&c, 2, "tvp:", bad[_i].says);
	if (_i == 0)   /* the unknown name is listed with every accepted one */
		ck_assert(strstr(c.err, "'bogus'") && strstr(c.err, "thread-create-join") &&
			  strstr(c.err, "fork-exit-wait"));
	tvp_cmd_free(&c);
}
END_TEST

START_TEST(list_and_help)
{
	struct tvp_cmd c;

	tvp_run_cli(&c, 10, "overhead", "--list", NULL);
	ck_assert_int_eq(c.status, 0);
	for (size_t i = 0; i < ovh_count(); i++)
		ck_assert_msg(strstr(c.out, ovh_get(i)->name), "--list lacks %s", ovh_get(i)->name);
	ck_assert(strncmp(c.out, "thread-create-join ", 19) == 0);
	/* Start-up for each start method, threads beside them; a kernel not
	 * built in is listed with why. */
	ck_assert(strstr(c.out, "start-pool-fork ") && strstr(c.out, "start-pool-spawn ") &&
		  strstr(c.out, "start-pool-forkserver ") && strstr(c.out, "start-pool-thread "));
	for (size_t i = 0; i < ovh_count(); i++)
		if (ovh_absent(ovh_get(i))) {
			char *tail = xasprintf("[%s]\n", ovh_absent(ovh_get(i)));
			ck_assert_msg(strstr(c.out, tail), "--list lacks %s", tail);
			free(tail);
		}
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, "overhead", "--help", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(strstr(c.out, "--only") && strstr(c.out, "--pin"));
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, "--help", NULL);
	ck_assert(strstr(c.out, "overhead"));
	tvp_cmd_free(&c);
}
END_TEST

START_TEST(only_pin_and_stdout)
{
	struct tvp_cmd c;
	json_error_t jerr;
	json_t *doc, *r;
	size_t i;

	tvp_run_cli(&c, 60, "overhead", "--only", "wakeup", "--pin", "same", "--quick", "--repeat", "1",
		    "--quiet", "--output", "-", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	doc = json_loads(c.out, 0, &jerr);
	ck_assert_msg(doc, "stdout is not JSON alone: %s", jerr.text);
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "results")), 8);
	json_array_foreach(json_object_get(doc, "results"), i, r) {
		json_t *cpus = json_object_get(r, "cpus");
		ck_assert_str_eq(json_string_value(json_object_get(r, "pin")), "same");
		ck_assert_int_eq(json_integer_value(json_array_get(cpus, 0)),
				 json_integer_value(json_array_get(cpus, 1)));
	}
	json_decref(doc);
	tvp_cmd_free(&c);
}
END_TEST

START_TEST(sigint_writes_what_was_measured)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/i.json", dir);
	const char *bin = getenv("TVP_BIN");
	json_error_t jerr;
	json_t *doc, *r;
	size_t i, samples = 0;
	pid_t pid;
	int st;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		tvp_child_to_devnull();
		execl(bin, bin, "overhead", "--only",
		      "fork-exit-wait,pipe-roundtrip-process,fork-exit-wait-256mib,process-worker-memory",
		      "--quick", "--repeat", "10000", "--output", out, (char *)NULL);
		_exit(127);
	}
	sleep_ns(2500000000ull);
	kill(pid, SIGINT);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 130, "exit status %d", st);
	tvp_assert_no_children();
	doc = json_load_file(out, 0, &jerr);
	ck_assert_msg(doc, "%s: %s", out, jerr.text);
	ck_assert(json_is_true(json_object_get(doc, "interrupted")));
	json_array_foreach(json_object_get(doc, "results"), i, r)
		samples += json_array_size(json_object_get(r, "samples"));
	ck_assert_uint_gt(samples, 0);
	json_decref(doc);
	assert_valid(out);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
}
END_TEST

static Suite *overhead_suite(void)
{
	Suite *s = suite_create("overhead");
	TCase *tc = tvp_tcase(s, "kernels", 60);

	tcase_add_loop_test(tc, every_kernel_gives_positive_finite_figures, 0, (int)ovh_count());
	tcase_add_loop_test(tc, a_wave_is_every_worker_sleeping_twice, 0, 2);
	tcase_add_test(tc, registry_names_are_unique_and_complete);
	tc = tvp_tcase(s, "cli", 60);
	tcase_add_loop_test(tc, bad_command_lines_exit_2, 0, (int)ARRAY_SIZE(bad));
	tcase_add_test(tc, list_and_help);
	tcase_add_test(tc, only_pin_and_stdout);
	tc = tvp_tcase(s, "runs", 180);
	tcase_add_test(tc, quick_run_is_ordered_and_valid);
	tcase_add_test(tc, sigint_writes_what_was_measured);
	return s;
}

TVP_TEST_MAIN(overhead_suite)
