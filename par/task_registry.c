/* task_registry.c: task functions and initializers by name, for workers
 * that are a fresh image of the program (see task_registry.h).
 *
 * DESIGN
 * A small array under a mutex: a program registers tens of functions, and
 * lookups are rare (a worker caches the last id it ran, the fork pool the
 * last function it sent). Entries are allocated one by one and never
 * removed, so a name handed out stays valid. The id of a name is its 64-bit
 * FNV-1a hash (never 0); two names with one id are refused like two
 * functions with one name. The digest is a sum of the sealed entries' mixed
 * ids, so it does not depend on the order in which the constructors ran.
 */
#include "par/task_registry.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "par/sys.h"

struct entry {
	char name[TASK_NAME_MAX];
	uint64_t id;
	task_any_fn fn;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry **entries;
static size_t n_entries, cap_entries;
static size_t n_sealed;
static bool sealed;
static char conflict[TASK_NAME_MAX];

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;
}

/* splitmix64's finaliser: spreads the bits of one id before they are summed. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static struct entry *find_locked(const char *name, uint64_t id, task_any_fn fn)
{
	for (size_t i = 0; i < n_entries; i++) {
		struct entry *e = entries[i];

		if ((name && strcmp(e->name, name) == 0) || (id && e->id == id) ||
		    (fn && e->fn == fn))
			return e;
	}
	return NULL;
}

int task_registry_add(const char *name, task_any_fn fn)
{
	size_t len = name ? strlen(name) : 0;
	uint64_t id;
	struct entry *e;
	int rc = 0;

	if (len == 0 || len >= TASK_NAME_MAX || !fn)
		return -EINVAL;
	id = fnv1a(name);
	pthread_mutex_lock(&mu);
	e = find_locked(name, id, fn);
	if (e) {
		if (e->fn != fn || strcmp(e->name, name) != 0) {
			rc = -EEXIST;
			if (!conflict[0])
				memcpy(conflict, name, len + 1);
		}
		goto out_unlock;
	}
	if (n_entries == cap_entries) {
		cap_entries = cap_entries ? 2 * cap_entries : 32;
		entries = xrealloc(entries, cap_entries * sizeof *entries);
	}
	e = xmalloc(sizeof *e);
	entries[n_entries++] = e;
	memcpy(e->name, name, len + 1);
	e->id = id;
	e->fn = fn;
out_unlock:
	pthread_mutex_unlock(&mu);
	return rc;
}

const char *task_registry_name(task_any_fn fn)
{
	struct entry *e;

	if (!fn)
		return NULL;
	pthread_mutex_lock(&mu);
	e = find_locked(NULL, 0, fn);
	pthread_mutex_unlock(&mu);
	return e ? e->name : NULL;
}

uint64_t task_registry_id(task_any_fn fn)
{
	struct entry *e;

	if (!fn)
		return 0;
	pthread_mutex_lock(&mu);
	e = find_locked(NULL, 0, fn);
	pthread_mutex_unlock(&mu);
	return e ? e->id : 0;
}

task_any_fn task_registry_by_id(uint64_t id)
{
	struct entry *e;

	if (!id)
		return NULL;
	pthread_mutex_lock(&mu);
	e = find_locked(NULL, id, NULL);
	pthread_mutex_unlock(&mu);
	return e ? e->fn : NULL;
}

task_any_fn task_registry_find(const char *name)
{
	struct entry *e;

	if (!name)
		return NULL;
	pthread_mutex_lock(&mu);
	e = find_locked(name, 0, NULL);
	pthread_mutex_unlock(&mu);
	return e ? e->fn : NULL;
}

uint64_t task_registry_digest(void)
{
	uint64_t d = 0;
	size_t n;

	pthread_mutex_lock(&mu);
	n = sealed ? n_sealed : n_entries;
	for (size_t i = 0; i < n; i++)
		d += mix(entries[i]->id);
	d ^= mix(n);
	pthread_mutex_unlock(&mu);
	return d;
}

void task_registry_seal(void)
{
	pthread_mutex_lock(&mu);
	if (!sealed) {
		sealed = true;
		n_sealed = n_entries;
	}
	pthread_mutex_unlock(&mu);
}

const char *task_registry_conflict(void)
{
	const char *c;

	pthread_mutex_lock(&mu);
	c = conflict[0] ? conflict : NULL;
	pthread_mutex_unlock(&mu);
	return c;
}
