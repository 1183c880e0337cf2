/* syncd_events.c - a libcurl Server-Sent Events reader on its own thread. */
#include "syncd_events.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"
#include "syncd_net.h"

#define RETRY_CAP_MS 2000
#define RETRY_REFUSED_CAP_MS 250 /* nobody listens: the coordinator restarts; see syncd_main.c */

struct syncd_events {
    pthread_mutex_t url_lock; /* url, written by syncd_events_follow */
    char url[600];
    atomic_bool moved; /* url changed: end the stream, reconnect at once */
    char auth[256];
    char cacert[4096]; /* "" = the system's certificate store */
    int notify_fd;
    pthread_t thread;
    atomic_bool stop, connected;
    proto_sse_reader in;    /* the stream's frames (shared/protocol.c) */
    pthread_mutex_t q_lock; /* q, nq, conn, trusted */
    change q[SYNCD_EVENTS_QUEUE];
    size_t nq;
    uint64_t conn, trusted;       /* this connection's number; the one a round vouched for */
    bool want_changes, want_pull; /* what the frames just read ask of the loop */
};

static void nudge(syncd_events *ev)
{
    char b = SYNCD_EVENTS_PULL;
    (void)!write(ev->notify_fd, &b, 1);
}

/* The reader's sink: a whole frame with a new id (NULL: pull). */
static void on_frame(void *ctx, const change *c)
{
    syncd_events *ev = ctx;
    pthread_mutex_lock(&ev->q_lock);
    if (c && ev->trusted == ev->conn && ev->nq < SYNCD_EVENTS_QUEUE) {
        ev->q[ev->nq++] = *c;
        ev->want_changes = true;
    } else {
        ev->want_pull = true; /* the pull is the fallback */
    }
    pthread_mutex_unlock(&ev->q_lock);
}

/* One byte for what the frames fed since the last call ask. */
static void tell(syncd_events *ev)
{
    pthread_mutex_lock(&ev->q_lock);
    char b = ev->want_pull ? SYNCD_EVENTS_PULL : ev->want_changes ? SYNCD_EVENTS_CHANGES : 0;
    ev->want_pull = ev->want_changes = false;
    pthread_mutex_unlock(&ev->q_lock);
    if (b)
        (void)!write(ev->notify_fd, &b, 1);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    syncd_events *ev = userdata;
    size_t n = size * nmemb;
    (void)proto_sse_reader_feed(&ev->in, ptr, n);
    tell(ev);
    if (!atomic_load(&ev->connected)) {
        atomic_store(&ev->connected, true);
        nudge(ev); /* (re)connected: whatever we missed is worth a round */
    }
    return atomic_load(&ev->stop) || atomic_load(&ev->moved) ? 0 : n;
}

static int on_progress(void *clientp, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    syncd_events *ev = clientp;
    return atomic_load(&ev->stop) || atomic_load(&ev->moved) ? 1 : 0;
}

static void sleep_ms(syncd_events *ev, long ms)
{
    for (long t = 0; t < ms && !atomic_load(&ev->stop) && !atomic_load(&ev->moved); t += 50) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void *run(void *arg)
{
    syncd_events *ev = arg;
    CURL *c = curl_easy_init();
    long backoff = 100;
    bool first = true; /* connection 1, numbered at the start: the loop's first round vouches */
    while (c && !atomic_load(&ev->stop)) {
        char last[64];
        proto_sse_last_id_header(ev->in.last_id, last, sizeof last);
        struct curl_slist *h = curl_slist_append(NULL, ev->auth);
        if (ev->in.last_id > 0)
            h = curl_slist_append(h, last);
        curl_easy_reset(c);
        char url[sizeof ev->url];
        pthread_mutex_lock(&ev->url_lock);
        memcpy(url, ev->url, sizeof url);
        atomic_store(&ev->moved, false);
        pthread_mutex_unlock(&ev->url_lock);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, ev);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, ev);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L); /* an error answer is not a stream */
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        if (ev->cacert[0])
            curl_easy_setopt(c, CURLOPT_CAINFO, ev->cacert);
        /* The coordinator comments every 15 s: 40 s of silence is a dead link. */
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 40L);
        proto_sse_reader_restart(&ev->in); /* a frame cut off: a pull */
        tell(ev);
        pthread_mutex_lock(&ev->q_lock);
        if (!first)
            ev->conn++; /* a new connection: no round has vouched for it */
        first = false;
        pthread_mutex_unlock(&ev->q_lock);
        int64_t before = ev->in.last_id;
        CURLcode rc = curl_easy_perform(c);
        curl_slist_free_all(h);
        bool was = atomic_exchange(&ev->connected, false);
        /* A stream that was up and broke: the coordinator may be gone. A sync
         * round finds out now (and the kiosk shows OFFLINE) rather than at
         * the next 10 s poll. Once per break, so it cannot defeat backoff. */
        if (was && !atomic_load(&ev->stop))
            nudge(ev);
        long cap = syncd_net__conn_refused(c, (int)rc) ? RETRY_REFUSED_CAP_MS : RETRY_CAP_MS;
        if (atomic_load(&ev->moved))
            continue; /* another coordinator: at once */
        if (was || ev->in.last_id != before)
            backoff = 100;
        else if (backoff < cap)
            backoff *= 2;
        if (backoff > cap)
            backoff = cap;
        sleep_ms(ev, backoff / 2 + rand() % (backoff / 2 + 1));
    }
    if (c)
        curl_easy_cleanup(c);
    return NULL;
}

usher_err syncd_events_start(const char *base_url, const char *token, const char *cacert,
                             int notify_fd, syncd_events **out, usher_errmsg *em)
{
    syncd_events *ev = calloc(1, sizeof *ev);
    if (!ev)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    snprintf(ev->url, sizeof ev->url, "%s/v1/events", base_url);
    snprintf(ev->auth, sizeof ev->auth, "Authorization: Bearer %s", token);
    snprintf(ev->cacert, sizeof ev->cacert, "%s", cacert ? cacert : "");
    ev->notify_fd = notify_fd;
    proto_sse_reader_init(&ev->in, 0);
    proto_sse_reader_sink(&ev->in, on_frame, ev);
    ev->conn = 1; /* before the loop's first round can ask (syncd_events_connection) */
    pthread_mutex_init(&ev->url_lock, NULL);
    pthread_mutex_init(&ev->q_lock, NULL);
    atomic_init(&ev->moved, false);
    atomic_init(&ev->stop, false);
    atomic_init(&ev->connected, false);
    if (pthread_create(&ev->thread, NULL, run, ev) != 0) {
        pthread_mutex_destroy(&ev->url_lock);
        pthread_mutex_destroy(&ev->q_lock);
        free(ev);
        return usher_fail(em, USHER_IO, "cannot start the event-stream thread");
    }
    *out = ev;
    return USHER_OK;
}

void syncd_events_follow(syncd_events *ev, const char *base_url)
{
    if (!ev)
        return;
    pthread_mutex_lock(&ev->url_lock);
    snprintf(ev->url, sizeof ev->url, "%s/v1/events", base_url);
    atomic_store(&ev->moved, true);
    pthread_mutex_unlock(&ev->url_lock);
}

size_t syncd_events_take(syncd_events *ev, change *out, size_t max)
{
    if (!ev)
        return 0;
    pthread_mutex_lock(&ev->q_lock);
    size_t n = ev->nq < max ? ev->nq : max;
    memcpy(out, ev->q, n * sizeof *out);
    memmove(ev->q, ev->q + n, (ev->nq - n) * sizeof *ev->q);
    ev->nq -= n;
    pthread_mutex_unlock(&ev->q_lock);
    return n;
}

uint64_t syncd_events_connection(syncd_events *ev)
{
    if (!ev)
        return 0;
    pthread_mutex_lock(&ev->q_lock);
    uint64_t c = ev->conn;
    pthread_mutex_unlock(&ev->q_lock);
    return c;
}

void syncd_events_trust(syncd_events *ev, uint64_t connection)
{
    if (!ev)
        return;
    pthread_mutex_lock(&ev->q_lock);
    if (connection == ev->conn)
        ev->trusted = connection;
    pthread_mutex_unlock(&ev->q_lock);
}

bool syncd_events_connected(syncd_events *ev)
{
    return ev && atomic_load(&ev->connected);
}

void syncd_events_stop(syncd_events *ev)
{
    if (!ev)
        return;
    atomic_store(&ev->stop, true);
    pthread_join(ev->thread, NULL);
    pthread_mutex_destroy(&ev->url_lock);
    pthread_mutex_destroy(&ev->q_lock);
    free(ev);
}
