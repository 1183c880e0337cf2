/* kshared.c - the helpers under every screen of the kiosk's state machine:
 * message boxes, ops, typed codes, refused scans, seat cards, the words of a
 * seat, the party's reset and the way home. Calls nothing of the screens
 * (kshared.h). Pure. */
#include "kshared.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "ticketcode.h"

double kmodel_finger_px(const kconfig *cfg)
{
    klayout L;
    klayout_compute(&L, cfg->w, cfg->h, cfg->ppmm);
    return L.finger;
}

krect kmodel_map_area(const kconfig *cfg, const char *lang)
{
    klayout L;
    klayout_compute(&L, cfg->w, cfg->h, cfg->ppmm);
    return klayout_map_rect(&L, ktr_rtl(lang));
}

bool kmodel_offline(const kworld *w, int64_t now)
{
    if (!w->st.online)
        return true;
    /* syncd tries at least every 10 s while it runs; a silent one is gone. */
    return w->st.last_attempt_at > 0 && now - w->st.last_attempt_at > 30000;
}

void kmodel_seat_words(const layout *l, const char *lang, const char *seat_id, char *out,
                       size_t size)
{
    int si = l ? layout_find_seat(l, seat_id) : -1;
    if (si < 0) {
        snprintf(out, size, "%s", seat_id[0] ? seat_id : ktr_in(lang, "no seat"));
        return;
    }
    const layout_seat *s = layout_seat_at(l, si);
    const layout_section *sec = layout_section_at(l, s->section);
    /* A generated section's label is said in the guest's language; an
     * organiser's own label as written; "seat" is ours. */
    const char *n = layout_generated_label(sec);
    if (n && sec->kind == SECTION_TABLE)
        snprintf(out, size, ktr_in(lang, "Table %s, seat %s"), n, s->label);
    else if (n)
        snprintf(out, size, ktr_in(lang, "Row %s, seat %s"), n, s->label);
    else
        snprintf(out, size, ktr_in(lang, "%s, seat %s"), sec->label, s->label);
}

bool kmodel_typed_needs_proof(const kworld *w, const char *code)
{
    return w->id.settings.codes == TICKETCODE_WEAK && !ticketcode_check_ok(code);
}

void kshared__card(const kmodel *m, const kworld *w, const char *code, const char *name,
                   const char *seat, const char *note, keffects *fx)
{
    if (!fx || w->printer.state == KPRINTER_OFF || fx->ncards >= KPARTY_MAX)
        return;
    char words[96] = "";
    if (seat && seat[0])
        kmodel_seat_words(w->l, m->lang, seat, words, sizeof words);
    kcard_make(&fx->cards[fx->ncards++], w->id.event_name, code, name, seat, words, note);
}

void kshared__msg(kmodel *m, kmsg_kind kind, const char *title, const char *fmt, ...)
{
    memset(&m->msg, 0, sizeof m->msg);
    m->msg.kind = kind;
    /* Written in the guest's language now: the catalogue has the words. */
    text_copy(m->msg.title, sizeof m->msg.title, ktr_in(m->lang, title));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->msg.body, sizeof m->msg.body, ktr_in(m->lang, fmt), ap);
    va_end(ap);
}

bool kshared__typed_code(const char *text, char code[USHER_CODE_SIZE])
{
    /* Normalised in a buffer as long as any entry, so that a code too long
     * is refused rather than cut to a ticket's length and accepted. */
    char typed[QRSIG_PAYLOAD_SIZE];
    code[0] = '\0';
    if (!text_copy(typed, sizeof typed, text) || !ticketcode_normalize(typed))
        return false;
    if (!text_copy(code, USHER_CODE_SIZE, typed)) {
        code[0] = '\0';
        return false;
    }
    return true;
}

void kshared__refused_scan(kmodel *m, const kworld *w, const char *payload, int64_t now,
                           keffects *fx)
{
    (void)m;
    usher_op *op = fx ? kshared__op(fx, w, OP_SCAN_REFUSED, now) : NULL;
    if (!op)
        return;
    size_t o = 0;
    for (const char *p = payload; *p == ' ' || *p == '\t'; p++)
        payload = p + 1;
    for (const char *p = payload; *p && o + 1 < sizeof op->note; p++)
        op->note[o++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
    op->note[o] = '\0';
    if (!o)
        text_copy(op->note, sizeof op->note, "?");
}

usher_op *kshared__op(keffects *fx, const kworld *w, op_kind kind, int64_t now)
{
    if (fx->nops >= KEFFECT_MAX_OPS)
        return NULL;
    usher_op *op = &fx->ops[fx->nops++];
    op_init(op, kind, w->id.device, now);
    return op;
}

/* `usher-coord event set --lang` delivers the event's language with the settings. */
const char *kshared__default_lang(const kmodel *m, const kworld *w)
{
    if (!m->cfg.lang_fixed && ktr_known(w->id.settings.lang))
        return w->id.settings.lang;
    return m->cfg.lang;
}

static void release_holds(kmodel *m, const kworld *w, int64_t now, keffects *fx)
{
    for (int i = 0; i < m->nparty; i++) {
        kguest *g = &m->party[i];
        if (g->seat[0] && !g->assigned[0]) {
            usher_op *op = fx ? kshared__op(fx, w, OP_RELEASE, now) : NULL;
            if (op)
                text_copy(op->seat, sizeof op->seat, g->seat);
            g->seat[0] = '\0';
        }
    }
}

void kshared__party_reset(kmodel *m, const kworld *w, int64_t now, keffects *fx)
{
    release_holds(m, w, now, fx);
    m->proof_code[0] = '\0';
    m->proof_seated = false;
    m->nparty = 0;
    m->reprints = 0;
    memset(m->party, 0, sizeof m->party);
    m->party_id[0] = '\0';
    m->map_ready = false;
}

void kshared__go_home(kmodel *m, const kworld *w, int64_t now, keffects *fx)
{
    kshared__party_reset(m, w, now, fx);
    m->entry[0] = '\0';
    m->entry_fast = 0;
    m->find[0] = '\0'; /* the guest list stays behind the PIN */
    m->override_code[0] = '\0';
    m->nfind = 0;
    memset(&m->msg, 0, sizeof m->msg);
    /* The next guest: the default language. */
    text_copy(m->lang, sizeof m->lang, kshared__default_lang(m, w));
    m->lang_picked = false;
    if (!w->l)
        m->screen = SCR_WAITING;
    else
        m->screen = m->mode == KMODE_DOOR ? SCR_DOOR : SCR_ATTRACT;
}
