/* app.c - the kiosk's shell: journal in, effects out (see app.h). */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qrsig.h"
#include "text.h"
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
    usher_err err = journal_open(db, &a->j, em);
    if (err)
        return err;
    int64_t now = kapp_now(a);
    kapp_refresh(a, now, true);
    kmodel_init(&a->m, cfg, &a->w, now);
    return USHER_OK;
}

void kapp_close(kapp *a)
{
    state_free(a->view);
    layout_free(a->l);
    journal_free(a->j);
    memset(a, 0, sizeof *a);
}

int64_t kapp_now(const kapp *a)
{
    return timestamp_now_ms() + a->clock_offset;
}

static bool load_layout(kapp *a)
{
    usher_errmsg em = {{0}};
    char *json = NULL;
    usher_err err = journal_get_layout_json(a->j, &json, &em);
    if (err == USHER_NOTFOUND)
        return false; /* not bootstrapped yet */
    if (err) {
        note_error(a, "reading the layout", &em);
        return false;
    }
    err = layout_from_json(json, strlen(json), &a->l, &em);
    free(json);
    if (err) {
        note_error(a, "the journal's layout", &em);
        return false;
    }
    return true;
}

bool kapp_refresh(kapp *a, int64_t now, bool force)
{
    int64_t dv = journal_data_version(a->j);
    if (!force && a->loaded && dv == a->dv)
        return false;
    a->dv = dv;
    usher_errmsg em = {{0}};
    kworld w = a->w;
    if (journal_get_identity(a->j, &w.id, &em) || journal_get_status(a->j, &w.st, &em) ||
        journal_pending_count(a->j, &w.pending, &em)) {
        note_error(a, "reading the journal", &em);
        return false;
    }
    int lease_size;
    if (journal_get_policy(a->j, &w.policy, &lease_size, &em))
        w.policy = JOURNAL_POLICY_OPTIMISTIC;
    /* The identity comes last at bootstrap: no device yet = not ready. */
    if (!a->l && w.id.device[0])
        load_layout(a);
    if (a->l) {
        state *v = NULL;
        if (journal_load_view(a->j, a->l, now, &v, &em)) {
            note_error(a, "reading the seat view", &em);
            return false;
        }
        state_free(a->view);
        a->view = v;
    }
    w.l = a->view ? a->l : NULL;
    w.view = a->view;
    w.have_pk = qrsig_pk_from_text(w.id.pubkey_hex, w.pk);
    a->w = w;
    a->loaded = true;
    a->last_error[0] = '\0';
    return true;
}

static void apply(kapp *a, const keffects *fx, int64_t now)
{
    if (fx->nops) {
        usher_errmsg em = {{0}};
        if (journal_append_all(a->j, fx->ops, (size_t)fx->nops, &em)) {
            note_error(a, "saving", &em);
            kmodel_save_failed(&a->m, &a->w, em.text);
        } else {
            a->appended += fx->nops;
            if (a->w.st.wake_socket[0])
                wake_send(a->w.st.wake_socket);
        }
        kapp_refresh(a, now, true);
    }
    if (fx->quit)
        a->quit = true;
}

void kapp_input(kapp *a, const kiosk_input *in, int64_t now)
{
    keffects fx;
    kmodel_update(&a->m, &a->w, in, now, &fx);
    apply(a, &fx, now);
    if (fx.nops) { /* let the model see its own ops at once (a refused hold...) */
        kiosk_input tick = {.kind = KIN_TICK};
        kmodel_update(&a->m, &a->w, &tick, now, &fx);
        apply(a, &fx, now);
    }
}
