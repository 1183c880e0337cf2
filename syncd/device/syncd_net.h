/* syncd_net.h - usher-syncd's HTTP client (libcurl): one keep-alive connection to
 * the coordinator, bearer token, bounded bodies. It only carries answers:
 * what an answer means (and whether it is the coordinator's at all) is
 * decided by syncd_plan.c. */
#ifndef USHER_SYNCD_NET_H
#define USHER_SYNCD_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum {
    NET_OK = 0,  /* an HTTP answer arrived, whatever its status */
    NET_OFFLINE, /* refused, timed out, cut short or too large: no answer */
} net_result;

typedef struct syncd_net syncd_net;

/* base_url: "http://host:port" or "https://..." (no trailing path). cacert:
 * a PEM file of the certificates to trust for https (a venue's own CA or a
 * self-signed coordinator), or NULL for the system's. */
usher_err syncd_net_new(const char *base_url, const char *token, const char *cacert,
                        syncd_net **out, usher_errmsg *em) USHER_MUST_CHECK;
void syncd_net_free(syncd_net *n);

/* GET or POST (body != NULL) path. On NET_OK *status is the HTTP status and
 * *resp (malloc'd, NUL-terminated, NULL when the answer had no body; the
 * caller frees) the body of *len bytes. On NET_OFFLINE err says in a sentence
 * why no answer came, and *resp is NULL. */
net_result syncd_net_call(syncd_net *n, const char *path, const char *body, char **resp,
                          size_t *len, long *status, char *err, size_t errsize);

/* True when the last call failed because the coordinator's host refused the
 * connection (nobody listens: the coordinator is down or restarting). Such a
 * try costs a SYN and a RST, so the loop may retry it briskly. */
bool syncd_net_refused(const syncd_net *n);

/* The last answer's Retry-After in seconds (0 = none or not a number). */
int64_t syncd_net_retry_after(const syncd_net *n);

/* True when a finished transfer on c failed to connect with ECONNREFUSED. */
bool syncd_net__conn_refused(void *curl_handle, int curl_code);

#endif
