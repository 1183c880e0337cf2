/* error.h - Usher's one error enum, its stable codes, and optional message buffers.
 *
 * Every fallible libusher function returns usher_err (0 = USHER_OK) and, when
 * given a non-NULL usher_errmsg, writes a sentence for a person into it on
 * failure only ("tickets.csv line 14: missing ticket number").
 */
#ifndef USHER_ERROR_H
#define USHER_ERROR_H

#include <stddef.h>

/* X(name, stable code, default text). Codes never change once released. */
#define USHER_ERR_MAP(X)                                                                           \
    X(OK, 0, "success")                                                                            \
    X(NOMEM, 1, "out of memory")                                                                   \
    X(INVAL, 2, "invalid argument")                                                                \
    X(PARSE, 3, "malformed input")                                                                 \
    X(IO, 4, "input/output error")                                                                 \
    X(DB, 5, "database error")                                                                     \
    X(NOTFOUND, 6, "not found")                                                                    \
    X(EXISTS, 7, "already exists")                                                                 \
    X(TOOBIG, 8, "too large")                                                                      \
    X(SCHEMA, 9, "database schema is from a newer or unknown version")                             \
    X(SIGNATURE, 10, "signature does not verify")                                                  \
    X(FORBIDDEN, 11, "not allowed")                                                                \
    X(BUSY, 12, "busy, try again")                                                                 \
    X(CONFLICT, 13, "conflict with current state")                                                 \
    X(FULL, 14, "storage full")

typedef enum {
#define USHER_ERR_ENUM(name, code, text) USHER_##name = code,
    USHER_ERR_MAP(USHER_ERR_ENUM)
#undef USHER_ERR_ENUM
} usher_err;

/* A caller-supplied message buffer; pass NULL where no message is wanted. */
#define USHER_ERRMSG_SIZE 512
typedef struct usher_errmsg {
    char text[USHER_ERRMSG_SIZE];
} usher_errmsg;

/* The default text of an error code; never NULL ("unknown error" for strays). */
const char *usher_strerror(usher_err err);

/* The stable short name of an error code ("NOTFOUND"), for logs and JSON. */
const char *usher_errname(usher_err err);

/* Writes a printf-style message into em (if non-NULL) and returns err, so that
 * a failure path reads `return usher_fail(em, USHER_PARSE, "line %d: ...", n);`. */
usher_err usher_fail(usher_errmsg *em, usher_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes an existing message in em with "prefix: " (for context layering). */
void usher_errmsg_prefix(usher_errmsg *em, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define USHER_MUST_CHECK __attribute__((warn_unused_result))

#endif
