/* app.c - the kiosk's shell: journal in, effects out (see app.h). */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "journal_print.h"
#include "entrance_count.h"
#include "qrsig.h"
#include "text.h"
#include "zone.h"
#include "timestamp.h"
#include "wake.h"

static void note_error(kapp *a, const char *what, const usher_errmsg *em)
{
    char text[USHER_ERRMSG_SIZE];
    snprintf(text, sizeof text, "%s: %s", what, em->text);
    if (strcmp(text, a->last_error) != 0)
        fprintf(stderr, "usher-kiosk: %s\n", text);
    text_copy(a->last_error, sizeof a->last_error, text);
}

usher_err kapp_open(kapp *a, const char *db, const kconfig *cfg, usher_errmsg *em)
{
    memset(a, 0, sizeof *a);
    struct stat sb;
    if (stat(db, &sb) != 0)
        return usher_fail(em, USHER_NOTFOUND,
                          "%s: no such journal (start usher-syncd with --db %s first: it "
                          "creates the journal)",
                          db, db);
    if (!(a->db = strdup(db)) || !(a->entrances = calloc(1, sizeof *a->entrances))) {
        free(a->db);
        a->db = NULL;
        return usher_fail(em, USHER_NOMEM, "out of memory");
    }
    usher_errmsg full = {{0}};
    usher_err err = journal_open(db, &a->j, &full);
    if (err == USHER_FULL) {
        note_error(a, "opening the journal", &full);
        a->w.storage_full = true;
        a->reopen_at = timestamp_mono_ms() + KAPP_REOPEN_MS;
    } else if (err) {
        if (em)
            *em = full;
        free(a->db);
        free(a->entrances);
        a->db = NULL;
        a->entrances = NULL;
        return err;
    } else {
        journal_set_busy_timeout(a->j, KAPP_BUSY_MS);
    }
    int64_t now = kapp_now(a);
    if (a->j)
        kapp_refresh(a, now, true);
    kmodel_init(&a->m, cfg, &a->w, now);
    return USHER_OK;
}

/* No journal yet (its disk was full): tries to open it again, at most every
 * KAPP_REOPEN_MS. True when it is open now. */
static bool reopen(kapp *a)
{
    if (a->j)
        return true;
    int64_t mono = timestamp_mono_ms();
    if (mono < a->reopen_at)
        return false;
    a->reopen_at = mono + KAPP_REOPEN_MS;
    usher_errmsg em = {{0}};
    if (journal_open(a->db, &a->j, &em)) {
        note_error(a, "opening the journal", &em);
        return false;
    }
    journal_set_busy_timeout(a->j, KAPP_BUSY_MS);
    a->w.storage_full = false;
    fprintf(stderr, "usher-kiosk: the journal opened: there is space on its disk again\n");
    return true;
}

static usher_err flush(kapp *a, int64_t now, usher_errmsg *em);

void kapp_close(kapp *a)
{
    if (a->nunsaved && a->j) {
        usher_errmsg em = {{0}};
        journal_set_busy_timeout(a->j, KAPP_BUSY_LAST_MS);
        if (flush(a, kapp_now(a), &em)) {
            int64_t lost = 0;
            for (int i = 0; i < a->nunsaved; i++)
                lost += a->unsaved[i].nops;
            fprintf(stderr, "usher-kiosk: %lld ops could not be saved before quitting: %s\n",
                    (long long)lost, em.text);
        }
    }
    free(a->unsaved);
    free(a->db);
    free(a->entrances);
    state_free(a->view);
    layout_free(a->l);
    journal_free(a->j);
    memset(a, 0, sizeof *a);
}

int64_t kapp_now(const kapp *a)
{
    /* The coordinator's time as usher-syncd measured it: what the replica's
     * hold times are in, and what every op and screen here is dated by. */
    return timestamp_now_ms() + a->clock_offset + a->w.st.clock_offset_ms;
}

/* Reads the layout into *out once bootstrapped; false on an error (noted),
 * true when read or not there yet (*out NULL). */
static bool load_layout(kapp *a, layout **out)
{
    usher_errmsg em = {{0}};
    char *json = NULL;
    *out = NULL;
    usher_err err = journal_get_layout_json(a->j, &json, &em);
    if (err == USHER_NOTFOUND)
        return true; /* not bootstrapped yet: syncd's bootstrap moves data_version */
    if (err) {
        note_error(a, "reading the layout", &em);
        return false;
    }
    err = layout_from_json(json, strlen(json), out, &em);
    free(json);
    if (err) {
        note_error(a, "the journal's layout", &em);
        return false;
    }
    return true;
}

/* The outbox states of the ops the model waits on. */
static usher_err read_watched(kapp *a, kworld *w, usher_errmsg *em)
{
    const char *ids[KPARTY_MAX];
    int n = kmodel_watched_ops(&a->m, ids, KPARTY_MAX);
    w->nops = 0;
    for (int i = 0; i < n; i++) {
        outbox_entry e;
        usher_err err = journal_outbox_get(a->j, ids[i], &e, em);
        if (err == USHER_NOTFOUND)
            continue; /* not saved (yet) */
        if (err)
            return err;
        kop_state *s = &w->ops[w->nops++];
        text_copy(s->op_id, sizeof s->op_id, ids[i]);
        s->state = e.state;
        s->reason = e.v.reason;
    }
    return USHER_OK;
}

/* Reads the world again; the seat view too when reread_view, when someone
 * else wrote the journal since the last read, or when the view is not known
 * to be the journal's (view_stale). */
static bool refresh(kapp *a, int64_t now, bool force, bool reread_view)
{
    /* data_version is read before the journal, and kept only once all of it
     * was read: a change committed in between is read again next time, and a
     * read that failed is tried again at the next call, not when syncd
     * happens to write again. */
    if (!a->j && !reopen(a))
        return false;
    int64_t dv = journal_data_version(a->j);
    if (!force && a->loaded && dv == a->dv && dv >= 0)
        return false;
    bool others = !a->loaded || dv != a->dv || dv < 0;
    usher_errmsg em = {{0}};
    kworld w = a->w;
    if (journal_get_identity(a->j, &w.id, &em) || journal_get_status(a->j, &w.st, &em) ||
        journal_pending_count(a->j, &w.pending, &em) || read_watched(a, &w, &em)) {
        note_error(a, "reading the journal", &em);
        return false;
    }
    int lease_size;
    if (journal_get_policy(a->j, &w.policy, &lease_size, &em))
        w.policy = JOURNAL_POLICY_OPTIMISTIC;
    /* The entrances (and this door's) as usher-syncd last stored them. */
    if (others && journal_entrances(a->j, a->entrances, &em)) {
        note_error(a, "reading the entrances", &em);
        return false;
    }
    w.entrances = a->entrances;
    /* The identity comes last at bootstrap: no device yet = not ready. The
     * coordinator's new layout moves the stamp (usher-syncd rebuilt the
     * replica over it): read it again, and the map is fitted to it again. The
     * stamp is read before the layout, so a newer one is read next time. */
    layout *nl = NULL;
    int64_t stamp = journal_layout_stamp(a->j);
    if (w.id.device[0] && (!a->l || stamp != a->layout_stamp) && !load_layout(a, &nl))
        return false;
    const layout *l = nl ? nl : a->l;
    now += w.st.clock_offset_ms - a->w.st.clock_offset_ms; /* newly measured */
    if (l && (nl || reread_view || others || a->view_stale || !a->view)) {
        state *v = NULL;
        if (journal_load_view(a->j, l, now, &v, &em)) {
            note_error(a, "reading the seat view", &em);
            layout_free(nl);
            return false;
        }
        state_free(a->view);
        a->view = v;
        a->view_stale = false;
        a->view_reads++;
    }
    if (nl) {
        layout_free(a->l);
        a->l = nl;
        a->layout_stamp = stamp;
        a->m.map_ready = false;
    }
    w.l = a->view ? a->l : NULL;
    w.view = a->view;
    w.have_pk = qrsig_pk_from_text(w.id.pubkey_hex, w.pk);
    /* Times people read are in the event's zone; sync may bring a new one. */
    if (strcmp(w.id.settings.tz[0] ? w.id.settings.tz : "UTC", zone_current()) != 0)
        zone_use(w.id.settings.tz);
    a->w = w;
    a->dv = dv;
    a->loaded = true;
    a->last_error[0] = '\0';
    return true;
}

/* The door's entrance's count line, once per change of the view. */
static void count_entrance(kapp *a)
{
    const entrance *e = entrance_find(a->entrances, a->entrances->mine);
    a->w.entrance_inside_known = e && a->view;
    a->w.entrance_inside = a->w.entrance_inside_known ? entrance_count_inside(e, a->view) : 0;
}

bool kapp_refresh(kapp *a, int64_t now, bool force)
{
    bool changed = refresh(a, now, force, true);
    if (changed)
        count_entrance(a);
    return changed;
}

/* Appends ops in one transaction, and applies them to the view as a full
 * read would (the journal is the view's plus these ops). An op id already
 * in the outbox means an earlier try was written after all (its commit
 * reported a failure): then only the missing ones are appended, so that no
 * op is written twice, and the view is read again (a read since may hold
 * those ops already). */
static usher_err save_ops(kapp *a, const usher_op *ops, int n, int64_t now, usher_errmsg *em)
{
    if (!a->j)
        return usher_fail(em, USHER_FULL, "storage full: the journal cannot be opened");
    usher_err err = journal_append_all(a->j, ops, (size_t)n, em);
    if (!err && a->view) {
        for (int i = 0; i < n; i++)
            journal_view_apply(a->view, &ops[i], now);
        count_entrance(a);
    }
    if (err != USHER_EXISTS)
        return err;
    a->view_stale = true;
    for (int i = 0; i < n; i++) {
        outbox_entry e;
        err = journal_outbox_get(a->j, ops[i].id, &e, em);
        if (err == USHER_NOTFOUND)
            err = journal_append(a->j, &ops[i], em);
        if (err)
            return err;
    }
    return USHER_OK;
}

/* The cards of ops now durable (a guest's seats, an admission), or of a
 * reprint: a card never tells of a seat the journal does not have. */
static void print_cards(kapp *a, const keffects *fx, int64_t now)
{
    if (!fx->ncards || !a->printer.print)
        return;
    a->printer.print(a->printer.ctx, fx->cards, fx->ncards);
    /* The cards are in the journal before the next screen: a kiosk that
     * stops now prints them when it starts again. */
    if (a->printer.status)
        a->printer.status(a->printer.ctx, &a->w.printer);
    kapp_printer_save(a, now);
}

static bool same_report(const printer_report *x, const printer_report *y)
{
    return x->state == y->state && !strcmp(x->name, y->name) && x->waiting == y->waiting &&
           x->printed == y->printed && !strcmp(x->problem, y->problem);
}

void kapp_printer_save(kapp *a, int64_t now)
{
    if (!a->printer.status || !a->j)
        return;
    printer_report r;
    bool has = kprinter_report(&a->w.printer, &r);
    bool report_changed =
        !a->print_saved || has != a->saved_has || (has && !same_report(&r, &a->saved_report));
    uint64_t gen = a->w.printer.queue_gen;
    if (!report_changed && a->print_saved && gen == a->saved_gen)
        return;
    kcard cards[KPRINTQ_MAX];
    char *texts[KPRINTQ_MAX];
    int n = a->printer.waiting ? a->printer.waiting(a->printer.ctx, cards, KPRINTQ_MAX) : 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if ((texts[k] = kcard_to_text(&cards[i])) != NULL)
            k++;
    usher_errmsg em = {{0}};
    usher_err err =
        journal_print_save(a->j, has ? &r : NULL, (const char *const *)texts, (size_t)k, now, &em);
    for (int i = 0; i < k; i++)
        free(texts[i]);
    if (err) {
        note_error(a, "saving the printer's state", &em);
        return;
    }
    a->print_saved = true;
    a->saved_has = has;
    if (has)
        a->saved_report = r;
    a->saved_gen = gen;
    if (report_changed && a->w.st.wake_socket[0])
        wake_send(a->w.st.wake_socket);
}

void kapp_printer_restore(kapp *a)
{
    if (!a->j)
        return;
    usher_errmsg em = {{0}};
    if (!a->printer.print) {
        if (journal_print_forget(a->j, &em))
            note_error(a, "forgetting the printer", &em);
        return;
    }
    char **texts = NULL;
    size_t n = 0;
    if (journal_print_cards(a->j, &texts, &n, &em)) {
        note_error(a, "reading the cards to print", &em);
        return;
    }
    kcard *cards = n ? calloc(n, sizeof *cards) : NULL;
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (cards && kcard_from_text(texts[i], &cards[k]))
            k++;
        else if (cards)
            fprintf(stderr, "usher-kiosk: a seat card kept in the journal cannot be read: "
                            "dropped\n");
        free(texts[i]);
    }
    free(texts);
    if (k) {
        fprintf(stderr, "usher-kiosk: %d seat card%s from before the restart to print\n", k,
                k == 1 ? "" : "s");
        a->printer.print(a->printer.ctx, cards, k);
    }
    free(cards);
}

static void count_unsaved(kapp *a)
{
    int64_t n = 0;
    for (int i = 0; i < a->nunsaved; i++)
        n += a->unsaved[i].nops;
    a->w.unsaved = n;
}

/* Saves the unsaved batches, oldest first, until one fails. */
static usher_err flush(kapp *a, int64_t now, usher_errmsg *em)
{
    usher_err err = USHER_OK;
    while (a->nunsaved) {
        keffects *b = &a->unsaved[0];
        err = save_ops(a, b->ops, b->nops, now, em);
        if (err == USHER_INVAL) { /* can never be saved: say so, do not block the rest */
            note_error(a, "dropping an op the journal refuses", em);
            err = USHER_OK;
        } else if (err) {
            break;
        } else {
            a->appended += b->nops;
            kmodel_saved(&a->m, &a->w, b, now);
            print_cards(a, b, now);
        }
        a->nunsaved--;
        memmove(&a->unsaved[0], &a->unsaved[1], (size_t)a->nunsaved * sizeof *a->unsaved);
    }
    count_unsaved(a);
    return err;
}

static void keep_unsaved(kapp *a, const keffects *fx)
{
    if (a->nunsaved == a->capunsaved) {
        int cap = a->capunsaved ? 2 * a->capunsaved : 8;
        keffects *p = realloc(a->unsaved, (size_t)cap * sizeof *p);
        if (!p) {
            fprintf(stderr, "usher-kiosk: out of memory: %d ops lost\n", fx->nops);
            return;
        }
        a->unsaved = p;
        a->capunsaved = cap;
    }
    a->unsaved[a->nunsaved++] = *fx;
    count_unsaved(a);
}

static void apply(kapp *a, keffects *fx, int64_t now)
{
    int64_t before = a->appended;
    if (fx->tone) {
        a->tone = fx->tone;
        a->ntones++;
    }
    /* Unsaved ops are retried with every new op, otherwise once a second: a
     * locked journal costs each try up to its busy timeout, and ticks come
     * several times a second. */
    bool retry = a->nunsaved && (fx->nops || now - a->last_retry >= 1000);
    if (retry)
        a->last_retry = now;
    if (fx->nops || retry) {
        usher_errmsg em = {{0}};
        usher_err err = flush(a, now, &em);
        if (!err && fx->nops)
            err = save_ops(a, fx->ops, fx->nops, now, &em);
        if (err && fx->nops) {
            note_error(a, "saving", &em);
            /* A full disk: syncd's next round finds it too and records it
             * (storage_full), so the next guest sees the storage screen. */
            if (err == USHER_FULL && a->j && a->w.st.wake_socket[0])
                wake_send(a->w.st.wake_socket);
            kmodel_save_failed(&a->m, &a->w, fx, em.text, now);
            if (fx->nops)
                keep_unsaved(a, fx);
        } else if (!err) {
            a->appended += fx->nops;
            if (fx->nops) {
                kmodel_saved(&a->m, &a->w, fx, now);
                print_cards(a, fx, now);
            }
            if (a->w.st.wake_socket[0])
                wake_send(a->w.st.wake_socket);
        }
        /* The kiosk's own commits do not move its data_version: the status
         * and the outbox are read again, the seat view only when someone
         * else wrote meanwhile (save_ops applied the ops to it). */
        if (fx->nops || a->appended != before)
            refresh(a, now, true, false);
        count_unsaved(a);
    }
    if (!fx->nops && fx->ncards) /* a reprint: nothing to save */
        print_cards(a, fx, now);
    if (fx->quit)
        a->quit = true;
}

void kapp_input(kapp *a, const kiosk_input *in, int64_t now)
{
    keffects fx;
    if (a->printer.status) {
        a->printer.status(a->printer.ctx, &a->w.printer);
        kapp_printer_save(a, now);
    }
    kmodel_update(&a->m, &a->w, in, now, &fx);
    apply(a, &fx, now);
    if (fx.nops) { /* let the model see its own ops at once (a refused hold...) */
        kiosk_input tick = {.kind = KIN_TICK};
        kmodel_update(&a->m, &a->w, &tick, now, &fx);
        apply(a, &fx, now);
    }
}
