/* test_run_api.c: the run loop as an API (bench/run/run.h): several specs
 * measured as one matrix, written as one document. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bench/run/run.h"
#include "bench/util.h"
#include "par/pin.h"
#include "testutil.h"

static void parse(struct run_options *o, const char *line)
{
	char buf[512], *argv[32], *save = NULL, err[512];
	int argc = 0;

	snprintf(buf, sizeof buf, "run %s", line);
	for (char *t = strtok_r(buf, " ", &save); t && argc < 31; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	ck_assert_msg(run_options_parse(o, 2, argc, argv, err, sizeof err) == 0, "%s: %s", line, err);
}

static void load_topology(void)
{
	char err[512];

	ck_assert_msg(pin_topology_load(err, sizeof err) == 0, "topology: %s", err);
}

/* Validates path against the results schema /2 (77: no validator here). */
static int validate(const char *path)
{
	const char *root = getenv("TVP_ROOT") ? getenv("TVP_ROOT") : ".";
	char *cmd = xasprintf("sh '%s/scripts/validate-json.sh' '%s/docs/schema/tvp.results-2.schema.json' '%s'",
			      root, root, path);
	int st = system(cmd);

	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The common settings of a short quiet run writing to path. */
static struct run_common quiet_common(const char *path, unsigned repeat)
{
	return (struct run_common){ .command = "bench", .output = path, .seed = 7, .seed_given = true,
				    .warmup = 0, .min_repeat = repeat, .max_repeat = repeat,
				    .quiet = true };
}

START_TEST(two_specs_make_one_document)
{
	struct run_options specs[2];
	struct run_common c;
	char *dir = tvp_tmpdir(), path[4096];
	json_error_t jerr;
	json_t *doc, *results, *config;
	size_t groups = 0;

	SKIP_UNDER_TSAN("thread-pool then fork-pool cells in one process");
	load_topology();
	parse(&specs[0], "--workload count --mode serial,thread-pool --workers 2 --size 200000 --tasks 2");
	parse(&specs[1], "--workload count --mode serial,fork-pool --workers 1,3 --size 100000 --tasks 3");
	snprintf(path, sizeof path, "%s/r.json", dir);
	c = quiet_common(path, 2);
	ck_assert_int_eq(run_execute(specs, 2, &c), 0);
	doc = json_load_file(path, 0, &jerr);
	ck_assert_msg(doc != NULL, "%s", jerr.text);
	results = json_object_get(doc, "results");
	config = json_object_get(doc, "config");
	ck_assert_uint_eq(json_array_size(results), 2 + 3);
	ck_assert_uint_eq(json_array_size(json_object_get(config, "specs")), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(config, "sizes")), 2);
	for (size_t i = 0; i < json_array_size(results); i++) {
		json_t *cell = json_array_get(results, i);
		const char *mode = json_string_value(json_object_get(cell, "mode"));

		ck_assert_uint_eq(json_array_size(json_object_get(cell, "samples")), 2);
		groups += strcmp(mode, "serial") == 0;
		if (strcmp(mode, "fork-pool") == 0)
			ck_assert_int_eq(json_integer_value(json_object_get(cell, "tasks")), 3);
		if (strcmp(mode, "thread-pool") == 0)
			ck_assert_int_eq(json_integer_value(json_object_get(cell, "size")), 200000);
	}
	ck_assert_uint_eq(groups, 2);
	if (validate(path) != 77)
		ck_assert_int_eq(validate(path), 0);
	json_decref(doc);
	run_options_release(&specs[0]);
	run_options_release(&specs[1]);
	tvp_rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(one_spec_has_no_specs_list)
{
	struct run_options o;
	struct run_common c;
	char *dir = tvp_tmpdir(), path[4096];
	json_t *doc;

	load_topology();
	parse(&o, "--workload count --mode serial --size 100000 --tasks 1 --repeat 1");
	snprintf(path, sizeof path, "%s/r.json", dir);
	run_common_from_options(&c, &o);
	ck_assert_str_eq(c.command, "run");
	ck_assert_uint_eq(c.min_repeat, 1);
	c.output = path;
	c.quiet = true;
	ck_assert_int_eq(run_execute(&o, 1, &c), 0);
	doc = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_null(json_object_get(json_object_get(doc, "config"), "specs"));
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "results")), 1);
	json_decref(doc);
	run_options_release(&o);
	tvp_rm_rf(dir);
	free(dir);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("run_api");
	TCase *tc = tvp_tcase(s, "api", 120);

	tcase_add_test(tc, two_specs_make_one_document);
	tcase_add_test(tc, one_spec_has_no_specs_list);
	return s;
}

TVP_TEST_MAIN(api_suite)
