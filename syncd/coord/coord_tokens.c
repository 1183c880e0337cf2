/* coord_tokens.c - bearer tokens: checked once against the database on the
 * committer, then trusted from a small cache for AUTH_TTL_MS and re-checked in
 * the background while in use. */
#include "coord_engine__internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "timestamp.h"

static void token_key(const char *token, uint8_t h[32])
{
    crypto_generichash(h, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

/* The slot holding hash h, or -1 (misc_lock held). */
static int auth_find(engine *e, const uint8_t h[32])
{
    size_t base = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
    for (size_t i = 0; i < AUTH_PROBES; i++) {
        size_t k = (base + i) & (AUTH_SLOTS - 1);
        if (e->auth[k].used && sodium_memcmp(e->auth[k].hash, h, 32) == 0)
            return (int)k;
    }
    return -1;
}

/* Caches dev as the device of hash h, or forgets h when dev is NULL (misc_lock
 * held). A full neighbourhood gives up its oldest check. */
static void auth_store(engine *e, const uint8_t h[32], const coord_device *dev)
{
    int k = auth_find(e, h);
    if (!dev) {
        if (k >= 0)
            e->auth[k].used = false;
        return;
    }
    if (k < 0) {
        size_t base = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
        for (size_t i = 0; i < AUTH_PROBES; i++) {
            size_t j = (base + i) & (AUTH_SLOTS - 1);
            if (!e->auth[j].used) {
                k = (int)j;
                break;
            }
            if (k < 0 || e->auth[j].checked_at < e->auth[k].checked_at)
                k = (int)j;
        }
    }
    memcpy(e->auth[k].hash, h, 32);
    e->auth[k].dev = *dev;
    e->auth[k].checked_at = timestamp_mono_ms();
    e->auth[k].used = true;
    e->auth[k].refreshing = false;
}

/* The database job of a token check (committer thread). */
static usher_err auth_in_db(coorddb *db, void *arg)
{
    engine_auth_job *j = arg;
    uint8_t h[32];
    token_key(j->token, h);
    usher_err err = coorddb_device_auth(db, j->token, &j->dev, NULL);
    pthread_mutex_lock(&j->e->misc_lock);
    if (err == USHER_OK || err == USHER_FORBIDDEN)
        auth_store(j->e, h, err ? NULL : &j->dev);
    else {
        int k = auth_find(j->e, h); /* the database failed: try again later */
        if (k >= 0)
            j->e->auth[k].refreshing = false;
    }
    pthread_mutex_unlock(&j->e->misc_lock);
    return err;
}

void engine_auth_prepare(engine *e, engine_req *req, engine_auth_job *job, const char *token)
{
    memset(job, 0, sizeof *job);
    job->e = e;
    text_copy(job->token, sizeof job->token, token);
    req->db_fn = auth_in_db;
    req->db_arg = job;
    req->db_quiet = true;
    req->ops = NULL;
    req->nops = 0;
    req->cursor = -1;
}

/* A background re-check: the request and its job in one block, freed when done. */
typedef struct auth_refresh {
    engine_req req; /* first: done() gets its address */
    engine_auth_job job;
} auth_refresh;

static void auth_refresh_done(engine_req *req)
{
    free(req);
}

usher_err engine_auth_cached(engine *e, const char *token, coord_device *out)
{
    if (!token || strlen(token) != COORD_TOKEN_SIZE - 1)
        return USHER_FORBIDDEN;
    uint8_t h[32];
    token_key(token, h);
    int64_t now = timestamp_mono_ms();
    bool refresh = false;
    usher_err err = USHER_BUSY;
    pthread_mutex_lock(&e->misc_lock);
    int k = auth_find(e, h);
    if (k >= 0 && now - e->auth[k].checked_at < AUTH_TTL_MS) {
        *out = e->auth[k].dev;
        err = USHER_OK;
        if (now - e->auth[k].checked_at >= AUTH_REFRESH_MS && !e->auth[k].refreshing)
            refresh = e->auth[k].refreshing = true;
    }
    pthread_mutex_unlock(&e->misc_lock);
    if (refresh) {
        auth_refresh *r = calloc(1, sizeof *r);
        if (r) {
            engine_auth_prepare(e, &r->req, &r->job, token);
            r->req.done = auth_refresh_done;
            engine_submit(e, &r->req);
        } else {
            pthread_mutex_lock(&e->misc_lock);
            if ((k = auth_find(e, h)) >= 0)
                e->auth[k].refreshing = false;
            pthread_mutex_unlock(&e->misc_lock);
        }
    }
    return err;
}
