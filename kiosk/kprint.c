/* kprint.c - seat cards through CUPS on a worker thread (kprint.h). The
 * queue and the retry plan are kprintq's; here are only the thread, libcups
 * and the words for staff. */
#include "kprint.h"

#include <cups/cups.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kcardpdf.h"
#include "text.h"

#define POLL_MS 1000 /* the printer's state is asked this often */
#define WAIT_S 0.5   /* a silent CUPS is checked on this often... */
#define WAITS_MAX 20 /* ...and given up after this many (10 s) in a round */

struct kprint {
    pthread_t thread;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake;
    bool stop;
    atomic_bool stopping; /* read while CUPS keeps the worker waiting */
    /* the worker's own: the round's connection to CUPS, and its waits */
    http_t *http;
    int waits;
    char name[128];
    char font[128];
    kprintq q;
    kprinter_status st;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool kprint_name_ok(const char *name)
{
    return printer_name_ok(name);
}

static void problem(kprint *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(kprint *p, const char *fmt, ...)
{
    char text[sizeof p->st.problem];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&p->lock);
    bool is_new = strcmp(text, p->st.problem) != 0;
    text_copy(p->st.problem, sizeof p->st.problem, text);
    pthread_mutex_unlock(&p->lock);
    if (is_new)
        fprintf(stderr, "usher-kiosk: printer %s: %s\n", p->name, text);
}

/* Asks CUPS for the queue's state (without the lock: CUPS may be slow), on
 * the round's connection (cupsGetNamedDest would also ask for the default
 * printer on a connection of its own, waiting a minute on a hung CUPS). */
static kprinter_state ask_printer(kprint *p, char *reasons, size_t size)
{
    static const char *const want[] = {"printer-state", "printer-state-reasons",
                                       "printer-is-accepting-jobs"};
    reasons[0] = '\0';
    char uri[HTTP_MAX_URI];
    httpAssembleURIf(HTTP_URI_CODING_ALL, uri, sizeof uri, "ipp", NULL, "localhost", 0,
                     "/printers/%s", p->name);
    ipp_t *req = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
    ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", 3, NULL, want);
    ipp_t *resp = cupsDoRequest(p->http, req, "/"); /* frees req */
    ipp_status_t status = cupsLastError();
    if (!resp || status > IPP_STATUS_OK_CONFLICTING) {
        ippDelete(resp);
        if (status == IPP_STATUS_ERROR_NOT_FOUND) {
            problem(p, "not found in CUPS; add it with lpadmin -p %s -E -v URI -m MODEL", p->name);
            return KPRINTER_MISSING;
        }
        problem(p, "CUPS does not answer at %s (%s)", cupsServer(), cupsLastErrorString());
        return KPRINTER_NO_CUPS;
    }
    ipp_attribute_t *st = ippFindAttribute(resp, "printer-state", IPP_TAG_ENUM);
    ipp_attribute_t *acc = ippFindAttribute(resp, "printer-is-accepting-jobs", IPP_TAG_BOOLEAN);
    ipp_attribute_t *why = ippFindAttribute(resp, "printer-state-reasons", IPP_TAG_KEYWORD);
    size_t used = 0;
    for (int i = 0; why && i < ippGetCount(why) && used + 1 < size; i++) {
        const char *r = ippGetString(why, i, NULL);
        if (!r || !strcmp(r, "none"))
            continue;
        int n = snprintf(reasons + used, size - used, "%s%s", used ? "," : "", r);
        if (n < 0 || (size_t)n >= size - used) {
            reasons[used] = '\0'; /* whole reasons only */
            break;
        }
        used += (size_t)n;
    }
    kprinter_state s =
        kprinter_classify(st ? ippGetInteger(st, 0) : 0, reasons, !acc || ippGetBoolean(acc, 0));
    ippDelete(resp);
    if (!kprinter_takes_cards(s))
        problem(p, "%s%s%s%s", kprinter_state_name(s), reasons[0] ? " (" : "", reasons,
                reasons[0] ? ")" : "");
    return s;
}

/* The state of one of our jobs (IPP_JSTATE_*), asked for that job alone
 * (Get-Job-Attributes: the scheduler keeps hundreds of finished jobs); 0
 * when CUPS does not know it, -1 when CUPS could not be asked (the card is
 * not sent again: it may be coming out). */
static int job_state(kprint *p, int job)
{
    char uri[HTTP_MAX_URI];
    httpAssembleURIf(HTTP_URI_CODING_ALL, uri, sizeof uri, "ipp", NULL, "localhost", 0, "/jobs/%d",
                     job);
    ipp_t *req = ippNewRequest(IPP_OP_GET_JOB_ATTRIBUTES);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", NULL, uri);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, cupsUser());
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", NULL,
                 "job-state");
    ipp_t *resp = cupsDoRequest(p->http, req, "/"); /* frees req */
    ipp_status_t status = cupsLastError();
    ipp_attribute_t *a = resp ? ippFindAttribute(resp, "job-state", IPP_TAG_ENUM) : NULL;
    int st = a ? ippGetInteger(a, 0) : status == IPP_STATUS_ERROR_NOT_FOUND ? 0 : -1;
    ippDelete(resp);
    return st;
}

/* Renders the card and hands it to CUPS: the job id, 0 on failure (said). */
static int send_card(kprint *p, const kcard *c)
{
    const char *tmp = getenv("TMPDIR"); /* systemd's PrivateTmp, a read-only root's tmpfs */
    char path[4096];
    snprintf(path, sizeof path, "%s/usher-card-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        problem(p, "no temporary file for a card in %s", tmp && tmp[0] ? tmp : "/tmp");
        return 0;
    }
    close(fd);
    usher_errmsg em = {{0}};
    int job = 0;
    int cut = 0;
    if (kcardpdf_write(c, p->font, path, &cut, &em)) {
        problem(p, "%s", em.text);
    } else {
        if (cut) /* printed all the same: the guest is waiting */
            fprintf(stderr, "usher-kiosk: the seat card of %s shortens a long name\n", c->code);
        char title[96];
        snprintf(title, sizeof title, "Usher seat card %s", c->code);
        job = cupsPrintFile2(p->http, p->name, path, title, 0, NULL);
        if (job <= 0) {
            problem(p, "could not send a card (%s); trying again", cupsLastErrorString());
            job = 0;
        }
    }
    unlink(path);
    return job;
}

/* The card at the printer: done, failed (tried again) or still going. */
static void watch_job(kprint *p, uint64_t id, int job, kprinter_state s, int64_t now)
{
    int js = job_state(p, job);
    if (js < 0)
        return; /* CUPS did not answer: asked again at the next round */
    if (js == IPP_JSTATE_STOPPED && kprinter_takes_cards(s)) {
        /* CUPS stopped the job (a filter failed) but the printer goes on:
         * the card would wait for ever; it is sent again instead. */
        problem(p, "CUPS stopped card job %d (its error_log says why); trying again", job);
        cupsCancelJob2(p->http, p->name, job, 0);
        js = IPP_JSTATE_ABORTED;
    }
    pthread_mutex_lock(&p->lock);
    int i = kprintq_find(&p->q, id);
    if (js == IPP_JSTATE_COMPLETED) {
        kprintq_done(&p->q, i);
        p->st.printed++;
    } else if (js == IPP_JSTATE_ABORTED || js == IPP_JSTATE_CANCELED || js == 0) {
        kprintq_failed(&p->q, i, now);
    }
    pthread_mutex_unlock(&p->lock);
    if (js == IPP_JSTATE_ABORTED || js == IPP_JSTATE_CANCELED || js == 0)
        problem(p, "card job %d %s; trying again", job,
                js ? (js == IPP_JSTATE_ABORTED ? "aborted" : "cancelled") : "lost");
}

/* libcups asks this every WAIT_S while CUPS is silent: go on waiting, or
 * give up (the kiosk quits, or CUPS has not answered for 10 s). */
static int keep_waiting(http_t *http, void *ctx)
{
    (void)http;
    kprint *p = ctx;
    return !atomic_load(&p->stopping) && ++p->waits < WAITS_MAX;
}

/* The round's connection to CUPS (where CUPS_SERVER or client.conf says),
 * with bounded waits; NULL when it cannot be reached (said). */
static http_t *connect_cups(kprint *p)
{
    p->waits = 0;
    int cancel = 0;
    http_t *http =
        httpConnect2(cupsServer(), ippPort(), NULL, AF_UNSPEC, cupsEncryption(), 1, 5000, &cancel);
    if (!http) {
        problem(p, "CUPS does not answer at %s (%s)", cupsServer(), cupsLastErrorString());
        return NULL;
    }
    httpSetTimeout(http, WAIT_S, keep_waiting, p);
    return http;
}

static void *worker(void *arg)
{
    kprint *p = arg;
    for (;;) {
        char reasons[128] = "";
        p->http = connect_cups(p);
        kprinter_state s = p->http ? ask_printer(p, reasons, sizeof reasons) : KPRINTER_NO_CUPS;
        int64_t now = mono_ms();
        pthread_mutex_lock(&p->lock);
        p->st.state = s;
        text_copy(p->st.reasons, sizeof p->st.reasons, reasons);
        int at = kprintq_at_printer(&p->q);
        uint64_t at_id = at >= 0 ? p->q.items[at].id : 0;
        int at_job = at >= 0 ? p->q.items[at].job : 0;
        pthread_mutex_unlock(&p->lock);
        if (at_job && p->http)
            watch_job(p, at_id, at_job, s, now);

        pthread_mutex_lock(&p->lock);
        int due = p->http ? kprintq_due(&p->q, s, now) : -1;
        kcard card;
        uint64_t id = 0;
        if (due >= 0) {
            card = p->q.items[due].card;
            id = p->q.items[due].id;
        }
        pthread_mutex_unlock(&p->lock);
        if (due >= 0) {
            int job = send_card(p, &card);
            pthread_mutex_lock(&p->lock);
            int i = kprintq_find(&p->q, id);
            if (job)
                kprintq_sent(&p->q, i, job);
            else
                kprintq_failed(&p->q, i, now);
            pthread_mutex_unlock(&p->lock);
        }

        if (p->http)
            httpClose(p->http);
        p->http = NULL;
        pthread_mutex_lock(&p->lock);
        p->st.waiting = p->q.n;
        p->st.dropped = p->q.dropped;
        if (!p->stop) {
            /* Sooner while a job is at the printer: its card should be
             * counted as printed as it comes out. */
            int64_t ms = kprintq_at_printer(&p->q) >= 0 ? POLL_MS / 4 : POLL_MS;
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += ms / 1000;
            until.tv_nsec += (long)(ms % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&p->wake, &p->lock, &until);
        }
        bool stop = p->stop;
        pthread_mutex_unlock(&p->lock);
        if (stop)
            break;
    }
    return NULL;
}

usher_err kprint_start(const char *printer, const char *font, kprint **out, usher_errmsg *em)
{
    if (!kprint_name_ok(printer))
        return usher_fail(em, USHER_INVAL,
                          "--printer '%s': not a CUPS queue name (1 to 127 printable "
                          "characters without spaces, '/', '#' or '\\'; lpstat -p lists them)",
                          printer);
    kprint *p = calloc(1, sizeof *p);
    if (!p)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    text_copy(p->name, sizeof p->name, printer);
    text_copy(p->font, sizeof p->font, font);
    p->st.state = KPRINTER_UNKNOWN;
    text_copy(p->st.name, sizeof p->st.name, printer);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (pthread_create(&p->thread, NULL, worker, p) != 0) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return usher_fail(em, USHER_NOMEM, "cannot start the printer's thread");
    }
    *out = p;
    return USHER_OK;
}

void kprint_stop(kprint *p)
{
    if (!p)
        return;
    atomic_store(&p->stopping, true); /* a wait for CUPS ends within WAIT_S */
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    if (p->q.n)
        fprintf(stderr, "usher-kiosk: %d seat cards were not printed (printer %s: %s)\n", p->q.n,
                p->name, kprinter_state_name(p->st.state));
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void kprint_cards(kprint *p, const kcard *cards, int n)
{
    int64_t now = mono_ms();
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < n; i++)
        kprintq_push(&p->q, &cards[i], now);
    p->st.waiting = p->q.n;
    p->st.dropped = p->q.dropped;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

void kprint_status(kprint *p, kprinter_status *out)
{
    pthread_mutex_lock(&p->lock);
    *out = p->st;
    out->waiting = p->q.n;
    out->queue_gen = p->q.gen;
    pthread_mutex_unlock(&p->lock);
}

int kprint_waiting(kprint *p, kcard *out, int max)
{
    pthread_mutex_lock(&p->lock);
    int n = p->q.n < max ? p->q.n : max;
    for (int i = 0; i < n; i++)
        out[i] = p->q.items[i].card;
    pthread_mutex_unlock(&p->lock);
    return n;
}
