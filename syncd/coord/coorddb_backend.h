/* coorddb_backend.h - for implementers of a coordinator store other than the
 * SQLite one in coorddb.c: the table of functions coorddb.h's contract
 * dispatches to, and how a program plugs one in.
 *
 * libusher holds the contract and the SQLite store only; a program that links
 * another store (usher-coord links PostgreSQL's, syncd/coord/coordpg.c) registers it
 * once at start, before any coorddb_open. Every function has the meaning of
 * its coorddb_ namesake in coorddb.h, on the implementation's own handle.
 */
#ifndef USHER_COORDDB_BACKEND_H
#define USHER_COORDDB_BACKEND_H

#include "coorddb.h"

typedef struct coorddb_impl coorddb_impl; /* defined by each implementation */

typedef struct coorddb_backend {
    const char *name; /* "PostgreSQL", for messages */
    usher_err (*open)(const char *where, const char *event_id, bool create, coorddb_impl **out,
                      usher_errmsg *em);
    usher_err (*events)(const char *where, coorddb_event_row **out, size_t *n, usher_errmsg *em);
    void (*free)(coorddb_impl *db);
    usher_err (*lock)(coorddb_impl *db, usher_errmsg *em);
    usher_err (*init_event)(coorddb_impl *db, const char *name, const layout *l, int64_t now,
                            usher_errmsg *em);
    usher_err (*set_settings)(coorddb_impl *db, const event_settings *s, usher_errmsg *em);
    usher_err (*get_event)(coorddb_impl *db, coord_event *out, usher_errmsg *em);
    usher_err (*layout_json)(coorddb_impl *db, char **json, usher_errmsg *em);
    usher_err (*load)(coorddb_impl *db, const state_config *cfg, layout **l, state **st,
                      usher_errmsg *em);
    usher_err (*add_tickets)(coorddb_impl *db, state *st, const ticket_list *tl, int64_t now,
                             size_t *added, usher_errmsg *em);
    int64_t (*ops_unsaved)(const coorddb_impl *db);
    usher_err (*save_op_ids)(coorddb_impl *db, usher_errmsg *em);
    usher_err (*find_verdict)(coorddb_impl *db, const char *op_id, verdict *out, usher_errmsg *em);
    usher_err (*find_verdicts)(coorddb_impl *db, const char *const *op_ids, size_t n, verdict *out,
                               bool *found, usher_errmsg *em);
    usher_err (*commit)(coorddb_impl *db, const usher_op *ops, apply_result *res, size_t n,
                        int64_t now, int64_t *last_seq, usher_errmsg *em);
    usher_err (*admin_change)(coorddb_impl *db, state *st, coorddb_admin_fn fn, void *arg,
                              const coord_alert *trail, size_t ntrail, const ticket_list *new_codes,
                              int64_t now, int64_t *last_seq, usher_errmsg *em);
    int64_t (*last_seq)(coorddb_impl *db);
    usher_err (*changes_since)(coorddb_impl *db, int64_t cursor, size_t max, change **out,
                               size_t *n, bool *more, usher_errmsg *em);
    usher_err (*device_add)(coorddb_impl *db, const char *id, usher_role role, int64_t now,
                            char token[COORD_TOKEN_SIZE], usher_errmsg *em);
    usher_err (*device_auth)(coorddb_impl *db, const char *token, coord_device *out,
                             usher_errmsg *em);
    usher_err (*device_seen)(coorddb_impl *db, const char *id, int64_t now, int64_t cursor,
                             int64_t pending, usher_errmsg *em);
    usher_err (*device_set_disabled)(coorddb_impl *db, const char *id, bool disabled,
                                     usher_errmsg *em);
    usher_err (*devices)(coorddb_impl *db, coord_device **out, size_t *n, usher_errmsg *em);
    usher_err (*alerts)(coorddb_impl *db, bool open_only, size_t max, coord_alert **out, size_t *n,
                        usher_errmsg *em);
    usher_err (*alert_ack)(coorddb_impl *db, int64_t id, int64_t now, usher_errmsg *em);
    usher_err (*checkins)(coorddb_impl *db, coord_checkin **out, size_t *n, usher_errmsg *em);
    usher_err (*revoked_scans)(coorddb_impl *db, coord_checkin **out, size_t *n, usher_errmsg *em);
    bool (*unsure)(const coorddb_impl *db);
    bool (*lock_lost)(const coorddb_impl *db);
    usher_err (*serve_seen)(coorddb_impl *db, const char *url, coorddb_serve_role role, int64_t now,
                            usher_errmsg *em);
    usher_err (*serves)(coorddb_impl *db, int64_t seen_after, coord_serve *out, size_t max,
                        size_t *n, usher_errmsg *em);
    usher_err (*add_alerts)(coorddb_impl *db, const alert *a, size_t n, int64_t now,
                            usher_errmsg *em);
    usher_err (*devices_seen)(coorddb_impl *db, const coord_device *devs, size_t n,
                              usher_errmsg *em);
    usher_err (*read_rows)(coorddb_impl *db, const char *sql, coorddb_row_fn fn, void *arg,
                           usher_errmsg *em);
    usher_err (*layout_version)(coorddb_impl *db, int64_t *out, usher_errmsg *em);
    usher_err (*set_layout)(coorddb_impl *db, const state *next, const coord_alert *trail,
                            size_t ntrail, int64_t now, int64_t *version, int64_t *last_seq,
                            usher_errmsg *em);
    usher_err (*import_seats)(coorddb_impl *db, ticket_list *out, usher_errmsg *em);
    usher_err (*renew_log_id)(coorddb_impl *db, usher_errmsg *em);
    usher_err (*write)(coorddb_impl *db, const char *sql, const char *const *params, size_t n,
                       int64_t *changed, usher_errmsg *em);
} coorddb_backend;

/* The store coorddb_open uses for PostgreSQL connection strings
 * (coordwhere.h); NULL (the default) refuses them with a sentence. Call once,
 * before any thread opens a store. b must outlive every coorddb. */
void coorddb_set_postgresql(const coorddb_backend *b);

#endif
