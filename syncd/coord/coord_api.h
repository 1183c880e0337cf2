/* coord_api.h - the coordinator's JSON API: /v1/sync, snapshot, layout, public key,
 * and the organisers' endpoints (seats, tickets, check-ins, alerts, devices,
 * stats, seat and ticket actions, CSV exports), /metrics and /healthz. */
#ifndef USHER_COORD_API_H
#define USHER_COORD_API_H

#include "coord_http.h"

/* Routes an authenticated request (or /healthz, /metrics) and fills r, or
 * submits it to the engine (the connection then waits; r is left empty). */
void coord_api_dispatch(http_request *req, http_reply *r);

#endif
