/* rush_proxy.h - one loopback TCP proxy per simulated device, between its
 * usher-syncd and the coordinator, that the rush can cut: offline, existing
 * connections are closed and new ones are accepted and closed at once, as
 * when a venue's Wi-Fi drops; online again, bytes flow untouched. */
#ifndef USHER_RUSH_PROXY_H
#define USHER_RUSH_PROXY_H

#include <stdbool.h>

#include "error.h"

typedef struct rush_proxy rush_proxy;

/* Listens on n free loopback ports, each forwarding to host:port, served by
 * one thread. Free with rush_proxy_free. */
usher_err rush_proxy_new(const char *host, int port, int n, rush_proxy **out, usher_errmsg *em);
void rush_proxy_free(rush_proxy *p); /* NULL is a no-op */

/* The port device i's usher-syncd connects to. */
int rush_proxy_port(const rush_proxy *p, int i);

/* Cuts (offline = true) or restores device i's link. */
void rush_proxy_set_offline(rush_proxy *p, int i, bool offline);
bool rush_proxy_offline(rush_proxy *p, int i);

#endif
