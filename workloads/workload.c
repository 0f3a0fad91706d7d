/* workload.c: the registry look-up, the one task function every mode runs
 * (registered by name for spawned workers), and the size parsers workloads
 * share. */
#include "workloads/workload.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "par/task_registry.h"
#include "workloads/workload_wire.h"

int workload_run_task(const void *arg, size_t arg_len, struct task_result *out)
{
	const struct task_arg *ta = arg;
	const struct workload_inst *wi;
	int rc;

	if (arg_len != sizeof *ta)
		return task_result_error(out, -EINVAL, "task argument of %zu bytes, expected %zu",
					 arg_len, sizeof *ta);
	wi = ta->wi;
	/* A spawned worker runs the instance it rebuilt: ta->wi is an address
	 * in the parent. */
	rc = workload_wire_local(&wi, out);
	if (rc < 0)
		return rc;
	return wi->wl->task(wi, ta->index, out);
}
TASK_REGISTER(workload_run_task);

int workload_touch_task(const void *arg, size_t arg_len, struct task_result *out)
{
	const struct task_arg *ta = arg;
	const struct workload_inst *wi;
	volatile const struct workload *wl;
	int rc;

	if (arg_len != sizeof *ta)
		return 0;   /* workload_run_task will say so */
	wi = ta->wi;
	rc = workload_wire_local(&wi, out);
	if (rc < 0)
		return rc;
	wl = wi->wl;
	(void)wl->task;
	return 0;
}
TASK_REGISTER(workload_touch_task);

bool workload_verify_u64(const struct task_result *r, uint64_t index, uint64_t want,
			 const char *what, char *err, size_t errlen)
{
	uint64_t got;

	if (r->len != sizeof got) {
		snprintf(err, errlen, "task %" PRIu64 " returned %zu bytes, expected %zu", index, r->len,
			 sizeof got);
		return false;
	}
	memcpy(&got, task_result_data(r), sizeof got);
	if (got != want) {
		snprintf(err, errlen, "task %" PRIu64 ": %s %" PRIu64 ", expected %" PRIu64, index, what,
			 got, want);
		return false;
	}
	return true;
}

const struct workload *workload_find(const char *name)
{
	for (size_t i = 0; i < workloads_count; i++)
		if (strcmp(workloads[i]->name, name) == 0)
			return workloads[i];
	return NULL;
}

const char *workload_opt(const struct workload_inst *wi, const char *name)
{
	const struct workload_option *o = wi->wl->options;

	for (size_t i = 0; o && o[i].name; i++)
		if (strcmp(o[i].name, name) == 0)
			return wi->opt_values && wi->opt_values[i] ? wi->opt_values[i] : o[i].def;
	return NULL;
}

struct unit {
	const char *suffix;
	uint64_t mult;
};

/* Reads a whole number with an optional fraction ("2.5M") and one of the
 * given suffixes (case-insensitive; "" is the bare unit). */
static bool parse_scaled(const char *text, const struct unit *units, uint64_t min,
			 uint64_t max, uint64_t *out, const char *what, char *err,
			 size_t errlen)
{
	char *end;
	long double v;

	if (!text || !*text || !(*text >= '0' && *text <= '9'))
		goto bad;
	errno = 0;
	v = strtold(text, &end);
	/* Decimal only ("2.5", "1e3"): strtold would also take "0x10". */
	if (errno || end == text || strspn(text, "0123456789.eE+-") != (size_t)(end - text))
		goto bad;
	for (const struct unit *u = units; u->suffix; u++) {
		if (strcasecmp(end, u->suffix) != 0)
			continue;
		v *= (long double)u->mult;
		if (v < (long double)min || v > (long double)max) {
			/* The caller says what is accepted (a workload's
			 * size_help, an option's range). */
			snprintf(err, errlen, "'%s' is out of range", text);
			return false;
		}
		*out = (uint64_t)(v + 0.5L);
		return true;
	}
bad:
	snprintf(err, errlen, "'%s' is not %s", text ? text : "", what);
	return false;
}

bool parse_count(const char *text, uint64_t min, uint64_t max, uint64_t *out,
		 char *err, size_t errlen)
{
	static const struct unit u[] = {
		{ "", 1 }, { "K", 1000 }, { "M", 1000000 }, { "G", 1000000000 }, { NULL, 0 }
	};
	return parse_scaled(text, u, min, max, out, "a count",
			    err, errlen);
}

bool parse_bytes(const char *text, uint64_t min, uint64_t max, uint64_t *out,
		 char *err, size_t errlen)
{
	static const struct unit u[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1ull << 10 }, { "KB", 1ull << 10 }, { "KiB", 1ull << 10 },
		{ "M", 1ull << 20 }, { "MB", 1ull << 20 }, { "MiB", 1ull << 20 },
		{ "G", 1ull << 30 }, { "GB", 1ull << 30 }, { "GiB", 1ull << 30 },
		{ NULL, 0 }
	};
	return parse_scaled(text, u, min, max, out, "a byte size",
			    err, errlen);
}

bool parse_duration(const char *text, uint64_t min_ns, uint64_t max_ns,
		    uint64_t *out_ns, char *err, size_t errlen)
{
	static const struct unit u[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 }, { NULL, 0 }
	};

	/* A bare number is ambiguous but for nought. */
	if (text && !strcmp(text, "0") && min_ns == 0) {
		*out_ns = 0;
		return true;
	}
	return parse_scaled(text, u, min_ns, max_ns, out_ns,
			    "a duration", err, errlen);
}
