/* coord_api_entrances.h - the entrances on the coordinator's JSON API: list
 * them with their counts, add and remove them, put a door at one, and the
 * entrances every device receives with its snapshot and sync answers. */
#ifndef USHER_COORD_API_ENTRANCES_H
#define USHER_COORD_API_ENTRANCES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "coord_entrance.h"
#include "coord_http.h"

/* The entrances and the asking device's own, as devices read them
 * (proto_entrances_encode); a new reference, NULL on OOM. */
json_t *coord_api_entrances_for(const http_request *req);

/* Each entrance with its doors and counts (admitted / expected / inside):
 * the array GET /v1/entrances and GET /v1/stats carry. The caller holds
 * engine_read_begin for st. A new reference, NULL on OOM. */
json_t *coord_api_entrances_counts(const http_request *req, const state *st);

/* The per-entrance gauges of /metrics (HELP, TYPE, one sample per entrance,
 * labelled entrance="NAME"); nothing when there are no entrances. The caller
 * holds engine_read_begin for st. */
void coord_api_entrances_metrics(FILE *f, const http_request *req, const state *st);

/* GET /v1/entrances, POST /v1/entrances {"name", "classes"?, "sections"?},
 * DELETE /v1/entrances/NAME, PUT or POST /v1/devices/ID {"entrance"}. */
void coord_api_entrances_get(http_request *req, http_reply *r);
void coord_api_entrances_post(http_request *req, http_reply *r);
void coord_api_entrance_delete(http_request *req, http_reply *r);
void coord_api_device_put(http_request *req, http_reply *r);
bool coord_api_entrance_path(const char *path); /* /v1/entrances/NAME */
bool coord_api_device_path(const char *path);   /* /v1/devices/ID */

#endif
