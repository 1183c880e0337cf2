/* coord_role.c - this serve's part (active or standby), its advertised
 * address and the serves it knows, behind one mutex. */
#include "coord_role.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

struct coord_role {
    pthread_mutex_t mu;
    coord_role_kind kind;
    char self[COORD_URL_SIZE];
    char active[COORD_URL_SIZE];
    coord_serve serves[COORD_ROLE_MAX_SERVES];
    size_t nserves;
};

coord_role *coord_role_new(const char *self_url)
{
    coord_role *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_init(&r->mu, NULL);
    r->kind = COORD_ROLE_STANDBY;
    text_copy(r->self, sizeof r->self, self_url ? self_url : "");
    return r;
}

void coord_role_free(coord_role *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->mu);
    free(r);
}

/* A standby's active: the first serve of the list marked active, never
 * itself (mu held). */
static void pick_active(coord_role *r)
{
    r->active[0] = '\0';
    for (size_t i = 0; i < r->nserves; i++)
        if (r->serves[i].active && strcmp(r->serves[i].url, r->self) != 0) {
            text_copy(r->active, sizeof r->active, r->serves[i].url);
            break;
        }
}

void coord_role_set(coord_role *r, coord_role_kind k)
{
    pthread_mutex_lock(&r->mu);
    r->kind = k;
    if (k == COORD_ROLE_ACTIVE)
        text_copy(r->active, sizeof r->active, r->self);
    else
        pick_active(r); /* from the last list read (the next read may say more) */
    pthread_mutex_unlock(&r->mu);
}

coord_role_kind coord_role_get(coord_role *r)
{
    pthread_mutex_lock(&r->mu);
    coord_role_kind k = r->kind;
    pthread_mutex_unlock(&r->mu);
    return k;
}

const char *coord_role_self(const coord_role *r)
{
    return r->self;
}

void coord_role_set_self(coord_role *r, const char *url)
{
    pthread_mutex_lock(&r->mu);
    text_copy(r->self, sizeof r->self, url);
    if (r->kind == COORD_ROLE_ACTIVE)
        text_copy(r->active, sizeof r->active, url);
    pthread_mutex_unlock(&r->mu);
}

void coord_role_set_serves(coord_role *r, const coord_serve *s, size_t n)
{
    if (n > COORD_ROLE_MAX_SERVES)
        n = COORD_ROLE_MAX_SERVES;
    pthread_mutex_lock(&r->mu);
    memcpy(r->serves, s, n * sizeof *s);
    r->nserves = n;
    if (r->kind == COORD_ROLE_ACTIVE)
        text_copy(r->active, sizeof r->active, r->self);
    else
        pick_active(r);
    pthread_mutex_unlock(&r->mu);
}

void coord_role_active(coord_role *r, char *out, size_t size)
{
    pthread_mutex_lock(&r->mu);
    text_copy(out, size, r->active);
    pthread_mutex_unlock(&r->mu);
}

void coord_role_put_json(coord_role *r, json_t *o)
{
    if (!o)
        return;
    pthread_mutex_lock(&r->mu);
    json_object_set_new(o, "role",
                        json_string(r->kind == COORD_ROLE_ACTIVE ? "active" : "standby"));
    json_object_set_new(o, "self", json_string(r->self));
    if (r->active[0])
        json_object_set_new(o, "active", json_string(r->active));
    json_t *list = json_array();
    /* The active first, then this one, then the others as read. */
    if (r->active[0])
        json_array_append_new(list, json_string(r->active));
    if (strcmp(r->self, r->active) != 0)
        json_array_append_new(list, json_string(r->self));
    for (size_t i = 0; i < r->nserves; i++)
        if (strcmp(r->serves[i].url, r->active) != 0 && strcmp(r->serves[i].url, r->self) != 0)
            json_array_append_new(list, json_string(r->serves[i].url));
    json_object_set_new(o, "coordinators", list);
    pthread_mutex_unlock(&r->mu);
}

usher_err coord_role_check_url(const char *url, usher_errmsg *em)
{
    size_t n = strlen(url);
    const char *host = !strncmp(url, "http://", 7)    ? url + 7
                       : !strncmp(url, "https://", 8) ? url + 8
                                                      : NULL;
    if (!host)
        return usher_fail(em, USHER_INVAL,
                          "--advertise %.80s: an address devices use, http://HOST:PORT or "
                          "https://HOST:PORT",
                          url);
    if (n >= COORD_URL_SIZE)
        return usher_fail(em, USHER_INVAL, "--advertise: at most %d bytes", COORD_URL_SIZE - 1);
    for (const char *c = url; *c; c++)
        if (*c <= ' ' || *c > '~' || *c == ',' || *c == '"' || *c == '\\')
            return usher_fail(em, USHER_INVAL,
                              "--advertise %.80s: no spaces, commas, quotes or other than "
                              "printable ASCII",
                              url);
    size_t hn = strcspn(host, ":/");
    if (hn == 0)
        return usher_fail(em, USHER_INVAL, "--advertise %.80s: the host is missing", url);
    const char *rest = host + hn;
    if (*rest == ':') {
        const char *port = rest + 1;
        size_t pn = strspn(port, "0123456789");
        int64_t p = 0;
        char digits[8];
        if (pn == 0 || pn > 5 || !text_copyn(digits, sizeof digits, port, pn) ||
            !text_parse_i64(digits, 1, 65535, &p))
            return usher_fail(em, USHER_INVAL, "--advertise %.80s: a port from 1 to 65535", url);
        rest = port + pn;
    }
    if (*rest && strcmp(rest, "/") != 0)
        return usher_fail(em, USHER_INVAL,
                          "--advertise %.80s: no path after the host and port (devices add "
                          "/v1/...)",
                          url);
    return USHER_OK;
}

void coord_role_default_url(bool tls, const char *listen_host, const char *hostname, unsigned port,
                            char *out, size_t size)
{
    const char *host = listen_host;
    if (!host || !*host || !strcmp(host, "0.0.0.0"))
        host = hostname && *hostname ? hostname : "127.0.0.1";
    snprintf(out, size, "%s://%s:%u", tls ? "https" : "http", host, port);
}
