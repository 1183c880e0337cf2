/* kprintq.c - the cards waiting for the printer and the retry plan
 * (kprintq.h). */
#include "kprintq.h"

#include <string.h>

#include "text.h"

static const char *const state_names[] = {
#define KPRINTER_NAME(e, s) s,
    KPRINTER_MAP(KPRINTER_NAME)
#undef KPRINTER_NAME
};

const char *kprinter_state_name(kprinter_state s)
{
    if ((int)s < 0 || (size_t)s >= sizeof state_names / sizeof state_names[0])
        return "?";
    return state_names[s];
}

bool kprinter_takes_cards(kprinter_state s)
{
    return s == KPRINTER_READY || s == KPRINTER_PRINTING;
}

/* True when the comma-separated list has a reason starting with word (CUPS
 * adds -error, -warning or -report). */
static bool has_reason(const char *reasons, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = reasons; p && *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        if (!strncmp(p, word, n))
            return true;
        p = strchr(p, ',');
    }
    return false;
}

kprinter_state kprinter_classify(int ipp_state, const char *reasons, bool accepting)
{
    if (has_reason(reasons, "media-empty") || has_reason(reasons, "media-needed") ||
        has_reason(reasons, "media-jam"))
        return KPRINTER_NO_PAPER;
    if (has_reason(reasons, "offline") || has_reason(reasons, "shutdown") ||
        has_reason(reasons, "connecting-to-device"))
        return KPRINTER_OFFLINE;
    if (ipp_state == 5 || !accepting) /* IPP_PSTATE_STOPPED, or cupsreject */
        return KPRINTER_STOPPED;
    if (ipp_state == 4)
        return KPRINTER_PRINTING;
    if (ipp_state == 3)
        return KPRINTER_READY;
    return KPRINTER_UNKNOWN;
}

bool kprinter_report(const kprinter_status *s, printer_report *out)
{
    static const printer_state as[] = {
        [KPRINTER_OFF] = PRINTER_UNKNOWN,       [KPRINTER_UNKNOWN] = PRINTER_UNKNOWN,
        [KPRINTER_READY] = PRINTER_OK,          [KPRINTER_PRINTING] = PRINTER_OK,
        [KPRINTER_STOPPED] = PRINTER_STOPPED,   [KPRINTER_OFFLINE] = PRINTER_OFFLINE,
        [KPRINTER_NO_PAPER] = PRINTER_NO_PAPER, [KPRINTER_MISSING] = PRINTER_MISSING,
        [KPRINTER_NO_CUPS] = PRINTER_NO_CUPS,
    };
    if (s->state == KPRINTER_OFF || (int)s->state < 0 ||
        (size_t)s->state >= sizeof as / sizeof as[0] || !printer_name_ok(s->name))
        return false;
    memset(out, 0, sizeof *out);
    out->state = as[s->state];
    text_copy(out->name, sizeof out->name, s->name);
    out->waiting = s->waiting > 0 ? s->waiting : 0;
    out->printed = s->printed > 0 ? s->printed : 0;
    /* The problem only while there is one: a printer back to work reads fine. */
    if (printer_state_failing(out->state) && text_printable(s->problem) &&
        text_utf8_valid(s->problem, strlen(s->problem)))
        text_copy(out->problem, sizeof out->problem, s->problem);
    return true;
}

int64_t kprintq_backoff_ms(int attempts)
{
    int64_t ms = KPRINTQ_BACKOFF_MS;
    for (int i = 1; i < attempts && ms < KPRINTQ_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < KPRINTQ_BACKOFF_MAX_MS ? ms : KPRINTQ_BACKOFF_MAX_MS;
}

static void remove_at(kprintq *q, int i)
{
    q->n--;
    memmove(&q->items[i], &q->items[i + 1], (size_t)(q->n - i) * sizeof q->items[0]);
}

void kprintq_push(kprintq *q, const kcard *c, int64_t now)
{
    if (q->n == KPRINTQ_MAX) {
        int oldest = q->items[0].job ? 1 : 0; /* the one at the printer stays */
        remove_at(q, oldest);
        q->dropped++;
    }
    q->gen++;
    kprintq_item *it = &q->items[q->n++];
    memset(it, 0, sizeof *it);
    it->id = ++q->last_id;
    it->card = *c;
    it->next_at = now;
}

int kprintq_find(const kprintq *q, uint64_t id)
{
    for (int i = 0; i < q->n; i++)
        if (q->items[i].id == id)
            return i;
    return -1;
}

int kprintq_at_printer(const kprintq *q)
{
    for (int i = 0; i < q->n; i++)
        if (q->items[i].job)
            return i;
    return -1;
}

int kprintq_due(const kprintq *q, kprinter_state s, int64_t now)
{
    if (!q->n || !kprinter_takes_cards(s) || kprintq_at_printer(q) >= 0)
        return -1;
    /* In order: the oldest card goes first, when its wait is over. */
    return now >= q->items[0].next_at ? 0 : -1;
}

void kprintq_sent(kprintq *q, int i, int job)
{
    if (i >= 0 && i < q->n)
        q->items[i].job = job;
}

void kprintq_failed(kprintq *q, int i, int64_t now)
{
    if (i < 0 || i >= q->n)
        return;
    kprintq_item *it = &q->items[i];
    it->job = 0;
    it->attempts++;
    it->next_at = now + kprintq_backoff_ms(it->attempts);
}

void kprintq_done(kprintq *q, int i)
{
    if (i >= 0 && i < q->n) {
        remove_at(q, i);
        q->gen++;
    }
}
