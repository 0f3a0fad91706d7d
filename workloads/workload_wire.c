/* workload_wire.c: a workload instance as bytes and the instance a spawned
 * worker runs (workload_wire.h). */
#include "workloads/workload_wire.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "par/sys.h"
#include "par/task_registry.h"

#define WIRE_MAGIC 0x57505654u      /* "TVPW" */
#define WIRE_VERSION 1u
#define WIRE_NULL UINT32_MAX        /* an option left at its default */

/* The bytes: a header, then size, quick, the name, the option values and
 * the exported state, each length-prefixed. */
struct wire_head {
	uint32_t magic, version;
	uint64_t total;             /* bytes in all, this header included */
};

struct wbuf {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct wbuf *b, const void *data, size_t len)
{
	if (len == 0)
		return;   /* an empty state: data may be NULL */
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put_u32(struct wbuf *b, uint32_t v)
{
	put(b, &v, sizeof v);
}

static void put_bytes(struct wbuf *b, const void *data, size_t len)
{
	uint64_t n = len;

	put(b, &n, sizeof n);
	put(b, data, len);
}

int workload_wire_encode(const struct workload_inst *wi, void **bytes, size_t *len, char *err,
			 size_t errlen)
{
	const struct workload *wl = wi->wl;
	struct wire_head h = { WIRE_MAGIC, WIRE_VERSION, 0 };
	struct wbuf b = { NULL, 0, 0 };
	void *state = NULL;
	size_t state_len = 0;
	uint32_t nopts = 0;
	char why[256] = "";
	int rc;

	if (wl->export_state && (rc = wl->export_state(wi, &state, &state_len, why, sizeof why))) {
		snprintf(err, errlen, "workload %s: %s", wl->name, why[0] ? why : strerror(-rc));
		return rc;
	}
	while (wl->options && wl->options[nopts].name)
		nopts++;
	put(&b, &h, sizeof h);
	put(&b, &wi->size, sizeof wi->size);
	put_u32(&b, wi->quick);
	put_bytes(&b, wl->name, strlen(wl->name));
	put_u32(&b, nopts);
	for (uint32_t i = 0; i < nopts; i++) {
		const char *v = wi->opt_values ? wi->opt_values[i] : NULL;

		if (v)
			put_bytes(&b, v, strlen(v));
		else
			put(&b, &(uint64_t){ WIRE_NULL }, sizeof(uint64_t));
	}
	put_bytes(&b, state, state_len);
	free(state);
	h.total = b.len;
	memcpy(b.p, &h, sizeof h);
	*bytes = b.p;
	*len = b.len;
	return 0;
}

/* Reading: each get fails once the bytes run out. */
struct rbuf {
	const unsigned char *p;
	size_t len, off;
};

static bool get(struct rbuf *r, void *out, size_t len)
{
	if (r->len - r->off < len)
		return false;
	memcpy(out, r->p + r->off, len);
	r->off += len;
	return true;
}

/* A length-prefixed item: *data points into the bytes. *n is WIRE_NULL
 * for an option left at its default. */
static bool get_bytes(struct rbuf *r, const unsigned char **data, uint64_t *n)
{
	if (!get(r, n, sizeof *n))
		return false;
	if (*n == WIRE_NULL) {
		*data = NULL;
		return true;
	}
	if (r->len - r->off < *n)
		return false;
	*data = r->p + r->off;
	r->off += (size_t)*n;
	return true;
}

static char *strndup_x(const unsigned char *p, uint64_t n)
{
	char *s = xmalloc((size_t)n + 1);

	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	return s;
}

int workload_wire_decode(struct workload_inst *out, const void *bytes, size_t len, char *err,
			 size_t errlen)
{
	struct rbuf r = { bytes, len, 0 };
	struct wire_head h;
	const unsigned char *p;
	uint64_t n;
	uint32_t quick, nopts, want = 0;
	char name[64], why[256] = "";
	int rc;

	memset(out, 0, sizeof *out);
	if (!get(&r, &h, sizeof h) || h.magic != WIRE_MAGIC || h.version != WIRE_VERSION ||
	    h.total != len || !get(&r, &out->size, sizeof out->size) || !get(&r, &quick, sizeof quick) ||
	    !get_bytes(&r, &p, &n) || !p || n >= sizeof name)
		goto bad;
	memcpy(name, p, (size_t)n);
	name[n] = '\0';
	out->wl = workload_find(name);
	if (!out->wl) {
		snprintf(err, errlen, "no workload called '%s' in this program", name);
		return -EINVAL;
	}
	out->quick = quick != 0;
	while (out->wl->options && out->wl->options[want].name)
		want++;
	if (!get(&r, &nopts, sizeof nopts) || nopts != want)
		goto bad;
	out->opt_values = xcalloc(nopts + 1, sizeof *out->opt_values);
	for (uint32_t i = 0; i < nopts; i++) {
		if (!get_bytes(&r, &p, &n))
			goto bad_release;
		((char **)out->opt_values)[i] = p ? strndup_x(p, n) : NULL;
	}
	if (!get_bytes(&r, &p, &n) || !p || r.off != len)
		goto bad_release;
	if (out->wl->import_state &&
	    (rc = out->wl->import_state(out, p, (size_t)n, why, sizeof why)) != 0) {
		snprintf(err, errlen, "workload %s: %s", name, why[0] ? why : strerror(-rc));
		workload_wire_release(out);
		return rc;
	}
	return 0;

bad_release:
	workload_wire_release(out);
bad:
	snprintf(err, errlen, "malformed workload instance (%zu bytes)", len);
	return -EINVAL;
}

void workload_wire_release(struct workload_inst *wi)
{
	if (wi->wl && wi->wl->drop_state && wi->state)
		wi->wl->drop_state(wi);
	for (size_t i = 0; wi->opt_values && wi->wl->options && wi->wl->options[i].name; i++)
		free((char *)wi->opt_values[i]);
	free((void *)wi->opt_values);
	memset(wi, 0, sizeof *wi);
}

/* This process's instance: set once, before the first task, by the one
 * thread a spawned worker runs tasks on. */
static struct workload_inst local_inst;
static int local_rc;                /* 0: none installed; 1 installed; <0 failed */
static char local_err[256];

int workload_wire_install(const void *bytes, size_t len, char *err, size_t errlen)
{
	int rc = workload_wire_decode(&local_inst, bytes, len, local_err, sizeof local_err);

	local_rc = rc ? rc : 1;
	if (rc)
		snprintf(err, errlen, "%s", local_err);
	return rc;
}

void workload_wire_init(void *arg)
{
	struct wire_head h;
	char err[256];

	if (!arg) {
		local_rc = -EINVAL;
		snprintf(local_err, sizeof local_err, "no workload instance was sent");
		return;
	}
	memcpy(&h, arg, sizeof h);
	if (h.magic != WIRE_MAGIC || h.total < sizeof h) {
		local_rc = -EINVAL;
		snprintf(local_err, sizeof local_err, "malformed workload instance");
		return;
	}
	workload_wire_install(arg, (size_t)h.total, err, sizeof err);
}
TASK_REGISTER(workload_wire_init);

int workload_wire_local(const struct workload_inst **wi, struct task_result *out)
{
	if (local_rc == 0)
		return 0;
	if (local_rc < 0)
		return task_result_error(out, local_rc, "spawned worker %d could not rebuild the "
					 "workload: %s", (int)getpid(), local_err);
	*wi = &local_inst;
	return 1;
}
