/* coord_role.h - which part this serve plays: the active coordinator (it
 * holds the store's one-writer lock) or a standby waiting for that lock; the
 * address it advertises to devices, the active's address, the serves of the
 * event it knows. Written by the standby thread (coord_standby.c), read by
 * the HTTP threads for /healthz and the standby's refusals: thread-safe. */
#ifndef USHER_COORD_ROLE_H
#define USHER_COORD_ROLE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "coorddb.h"
#include "error.h"

typedef enum {
    COORD_ROLE_STANDBY, /* another serve holds the lock: refuse, name the active */
    COORD_ROLE_ACTIVE,  /* this serve holds the lock and serves */
} coord_role_kind;

/* At most this many serves are remembered (and listed on /healthz). */
#define COORD_ROLE_MAX_SERVES 16

typedef struct coord_role coord_role;

/* A new record, standby, advertising self_url (copied). NULL on OOM. */
coord_role *coord_role_new(const char *self_url);
void coord_role_free(coord_role *r); /* NULL is a no-op */

void coord_role_set(coord_role *r, coord_role_kind k);
coord_role_kind coord_role_get(coord_role *r);
/* The address this serve advertises: set once (coord_role_set_self), before
 * the standby thread starts; read without a lock after that. */
const char *coord_role_self(const coord_role *r);
void coord_role_set_self(coord_role *r, const char *url);

/* The serves read from the store (coorddb_serves: the active first). The
 * active's address becomes the first one marked active; an active serve is
 * always its own active, whatever the list says. */
void coord_role_set_serves(coord_role *r, const coord_serve *s, size_t n);

/* The active's address into out ("" when none is known). */
void coord_role_active(coord_role *r, char *out, size_t size);

/* Adds "role", "self", "active" (omitted when unknown) and "coordinators"
 * (every known serve's address, this one's too, the active first) to o. */
void coord_role_put_json(coord_role *r, json_t *o);

/* Checks an address given to --advertise: http:// or https://, a host, an
 * optional :port, nothing after but an optional '/'; printable ASCII, no
 * spaces or commas (devices take a comma-separated list), shorter than
 * COORD_URL_SIZE. USHER_INVAL with the reason. */
usher_err coord_role_check_url(const char *url, usher_errmsg *em) USHER_MUST_CHECK;

/* The address to advertise when --advertise is not given: scheme, the listen
 * address's host (or, when it listens on every interface, 0.0.0.0, the
 * machine's hostname) and the port bound. Into out. */
void coord_role_default_url(bool tls, const char *listen_host, const char *hostname, unsigned port,
                            char *out, size_t size);

#endif
