/* kmodel.c - the kiosk's state machine: dispatch of inputs, timers, the status,
 * door mode and the staff screens (the guest flow is in kguest.c). Pure. */
#include "kmodel.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kmodel__internal.h"
#include "ktime.h"
#include "text.h"
#include "ticketcode.h"
#include "timestamp.h"
#include "ui.h"
#include "zone.h"

static const char *const screen_names[] = {
#define KSCREEN_NAME(e, s) s,
    KSCREEN_MAP(KSCREEN_NAME)
#undef KSCREEN_NAME
};
static const char *const look_names[] = {
#define KLOOK_NAME(e, s) s,
    KLOOK_MAP(KLOOK_NAME)
#undef KLOOK_NAME
};

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

const char *kscreen_name(kscreen s)
{
    return (int)s >= 0 && (int)s < NELEM(screen_names) ? screen_names[s] : "?";
}

int kscreen_parse(const char *name)
{
    for (int i = 0; i < NELEM(screen_names); i++)
        if (!strcmp(name, screen_names[i]))
            return i;
    return -1;
}

const char *klook_name(klook k)
{
    return (int)k >= 0 && (int)k < NELEM(look_names) ? look_names[k] : "?";
}

int klook_parse(const char *name)
{
    for (int i = 0; i < NELEM(look_names); i++)
        if (!strcmp(name, look_names[i]))
            return i;
    return -1;
}

kkey kinput_key_parse(const char *name)
{
    static const struct {
        const char *name;
        kkey key;
    } keys[] = {{"Return", KKEY_RETURN},
                {"Enter", KKEY_RETURN},
                {"Tab", KKEY_TAB},
                {"BackSpace", KKEY_BACKSPACE},
                {"Escape", KKEY_ESCAPE}};
    for (int i = 0; i < NELEM(keys); i++)
        if (!strcmp(name, keys[i].name))
            return keys[i].key;
    return KKEY_NONE;
}

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

void kmodel__card(const kmodel *m, const kworld *w, const char *code, const char *name,
                  const char *seat, const char *note, keffects *fx)
{
    if (!fx || w->printer.state == KPRINTER_OFF || fx->ncards >= KPARTY_MAX)
        return;
    char words[96] = "";
    if (seat && seat[0])
        kmodel_seat_words(w->l, m->lang, seat, words, sizeof words);
    kcard_make(&fx->cards[fx->ncards++], w->id.event_name, code, name, seat, words, note);
}

void kmodel__msg(kmodel *m, kmsg_kind kind, const char *title, const char *fmt, ...)
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

bool kmodel__typed_code(const char *text, char code[USHER_CODE_SIZE])
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

void kmodel__refused_scan(kmodel *m, const kworld *w, const char *payload, int64_t now,
                          keffects *fx)
{
    (void)m;
    usher_op *op = fx ? kmodel__op(fx, w, OP_SCAN_REFUSED, now) : NULL;
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

usher_op *kmodel__op(keffects *fx, const kworld *w, op_kind kind, int64_t now)
{
    if (fx->nops >= KEFFECT_MAX_OPS)
        return NULL;
    usher_op *op = &fx->ops[fx->nops++];
    op_init(op, kind, w->id.device, now);
    return op;
}

/* The language a new guest sees: the event's (`usher-coord event set --lang`,
 * delivered with the settings) unless this kiosk was started with --lang. */
static const char *default_lang(const kmodel *m, const kworld *w)
{
    if (!m->cfg.lang_fixed && ktr_known(w->id.settings.lang))
        return w->id.settings.lang;
    return m->cfg.lang;
}

/* The journal's disk is full: nothing the next guest does could be saved.
 * The kiosk says so from a screen nobody is using (a guest already at it
 * carries on, each failed save said as it happens) and goes on by itself
 * once there is space. */
static bool storage_full(const kworld *w)
{
    return w->storage_full || w->st.storage_full;
}

static bool idle_screen(kscreen s)
{
    return s == SCR_WAITING || s == SCR_ATTRACT || s == SCR_DOOR || s == SCR_STORAGE;
}

void kmodel__go_home(kmodel *m, const kworld *w, int64_t now, keffects *fx)
{
    kguest__reset(m, w, now, fx);
    m->entry[0] = '\0';
    m->entry_fast = 0;
    m->find[0] = '\0'; /* the guest list stays behind the PIN */
    m->override_code[0] = '\0';
    m->nfind = 0;
    memset(&m->msg, 0, sizeof m->msg);
    text_copy(m->lang, sizeof m->lang, default_lang(m, w)); /* the next guest: the default */
    m->lang_picked = false;
    if (!w->l)
        m->screen = SCR_WAITING;
    else
        m->screen = m->mode == KMODE_DOOR ? SCR_DOOR : SCR_ATTRACT;
}

void kmodel_init(kmodel *m, const kconfig *cfg, const kworld *w, int64_t now)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    if (!ktr_known(m->cfg.lang))
        text_copy(m->cfg.lang, sizeof m->cfg.lang, "en");
    text_copy(m->lang, sizeof m->lang, default_lang(m, w));
    m->mode = cfg->mode;
    m->exit_mode = cfg->exit_door;
    if (cfg->mode_auto && w->l)
        m->mode = w->id.role == ROLE_DOOR ? KMODE_DOOR : KMODE_GUEST;
    m->last_input_at = now;
    m->screen = storage_full(w)         ? SCR_STORAGE
                : !w->l                 ? SCR_WAITING
                : m->mode == KMODE_DOOR ? SCR_DOOR
                                        : SCR_ATTRACT;
}

/* ---- door mode ---------------------------------------------------------------- */

static void verdict_set(kmodel *m, kverdict_kind kind, const char *code, const char *title,
                        int64_t now)
{
    memset(&m->verdict, 0, sizeof m->verdict);
    m->verdict.kind = kind;
    m->verdict.at = now;
    text_copy(m->verdict.code, sizeof m->verdict.code, code);
    text_copy(m->verdict.title, sizeof m->verdict.title, title);
    m->screen = SCR_VERDICT;
    m->verdict.saved = true; /* until a check-in op is made for it */
    m->verdict_until = now + m->cfg.verdict_ms;
    m->verdict_seq++;
}

/* What door staff must know about the ticket: its note and flag. */
static void verdict_note(kmodel *m, const ticket_state *t)
{
    text_copy(m->verdict.note, sizeof m->verdict.note, t->note);
    m->verdict.attention = t->attention;
}

static const char *const tone_names[] = {"none", "admitted", "already", "refused", "attention"};

const char *ktone_name(ktone t)
{
    return (unsigned)t < sizeof tone_names / sizeof *tone_names ? tone_names[t] : "none";
}

bool kmodel_door_reprint_ok(const kmodel *m, const kworld *w)
{
    const kverdict *v = &m->verdict;
    if (m->screen != SCR_VERDICT || w->printer.state == KPRINTER_OFF || v->reprinted ||
        v->checkout || !v->saved || !v->code[0] || !w->view ||
        (v->kind != VERDICT_ADMITTED && v->kind != VERDICT_ALREADY))
        return false;
    int ti = state_find_ticket(w->view, v->code);
    const ticket_state *t = ti >= 0 ? state_ticket(w->view, ti) : NULL;
    return t && t->checked_in_at && !t->checked_out_at && !t->revoked;
}

ktone kmodel_verdict_tone(const kverdict *v)
{
    bool staff = v->attention || v->note[0];
    switch (v->kind) {
    case VERDICT_ADMITTED:
        return staff ? KTONE_ATTENTION : KTONE_ADMITTED;
    case VERDICT_ALREADY:
        return staff ? KTONE_ATTENTION : KTONE_ALREADY;
    case VERDICT_SHOW_QR:
        return KTONE_ALREADY;
    case VERDICT_REFUSED:
        return KTONE_REFUSED;
    }
    return KTONE_NONE;
}

/* Records the scan on screen as a checkin op. The verdict is final only once
 * that op is durable (kmodel_saved): its timer starts then, and an admission
 * counts then. */
static void verdict_record_kind(kmodel *m, const kworld *w, op_kind kind, const char *code,
                                bool admits, int64_t now, keffects *fx)
{
    usher_op *op = kmodel__op(fx, w, kind, now);
    if (!op)
        return;
    text_copy(op->ticket, sizeof op->ticket, code);
    const entrance *mine = w->entrances ? entrance_find(w->entrances, w->entrances->mine) : NULL;
    if (kind == OP_CHECKIN && mine) /* the door's entrance when it scanned */
        text_copy(op->entrance, sizeof op->entrance, mine->name);
    text_copy(m->verdict.op_id, sizeof m->verdict.op_id, op->id);
    m->verdict.saved = false;
    m->verdict_until = INT64_MAX;
    if (admits) {
        fx->admitted++;
        char note[KCARD_LINE_SIZE];
        snprintf(note, sizeof note, ktr_in(m->lang, "Admitted at %s"), w->id.device);
        kmodel__card(m, w, code, m->verdict.name, m->verdict.seat, note, fx);
    }
}

static void verdict_record(kmodel *m, const kworld *w, const char *code, bool admits, int64_t now,
                           keffects *fx)
{
    verdict_record_kind(m, w, OP_CHECKIN, code, admits, now, fx);
}

/* Exit mode: a ticket inside is scanned out (a checkout op), any other is
 * only told so. */
static void door_exit(kmodel *m, const kworld *w, const char *code, const ticket_state *t,
                      int64_t now, keffects *fx)
{
    if (t && t->checked_in_at && !t->checked_out_at && !t->revoked) {
        verdict_set(m, VERDICT_ADMITTED, code, N_("GOODBYE"), now);
        m->verdict.checkout = true;
        text_copy(m->verdict.name, sizeof m->verdict.name, t->name);
        text_copy(m->verdict.seat, sizeof m->verdict.seat, t->seat);
        text_copy(
            m->verdict.detail, sizeof m->verdict.detail,
            ktr_in(m->lang, "Scanned out: the guest may come back in if re-entry is allowed"));
        verdict_record_kind(m, w, OP_CHECKOUT, code, false, now, fx);
        return;
    }
    verdict_set(m, VERDICT_ALREADY, code, N_("NOT INSIDE"), now);
    if (t)
        text_copy(m->verdict.name, sizeof m->verdict.name, t->name);
    text_copy(m->verdict.detail, sizeof m->verdict.detail,
              ktr_in(m->lang, "This ticket is not checked in: nothing was recorded"));
}

/* When, in the event's time zone (the shell picks it) and the guest's
 * language: the time of day, with the day too when it was not today. */
static void already_detail(kmodel *m, int64_t at, const char *door, int64_t now)
{
    char when[64];
    struct tm a, b;
    bool today = zone_local(at, &a) && zone_local(now, &b) && a.tm_year == b.tm_year &&
                 a.tm_yday == b.tm_yday;
    ktime_at(m->lang, today ? KTIME_TIME : KTIME_DATETIME, at, when, sizeof when);
    snprintf(m->verdict.detail, sizeof m->verdict.detail, ktr_in(m->lang, "Checked in at %s by %s"),
             when, door[0] ? door : ktr_in(m->lang, "a door"));
}

/* The section id of the ticket's seat ("" = unseated). */
static const char *ticket_section(const kworld *w, const ticket_state *t)
{
    int si = t->seat[0] && w->l ? layout_find_seat(w->l, t->seat) : -1;
    return si >= 0 ? layout_section_at(w->l, layout_seat_at(w->l, si)->section)->id : "";
}

/* True when the door's entrance admits t, or no other does (entrance_judge);
 * otherwise fills `names` with the entrances that do ("B", "B or C"). */
static bool entrance_ok(const kmodel *m, const kworld *w, const ticket_state *t, char *names,
                        size_t size)
{
    char others[3][ENTRANCE_NAME_SIZE];
    size_t n = 0;
    if (!w->entrances || !t ||
        entrance_judge(w->entrances, t->klass, ticket_section(w, t), others[0], 3, &n))
        return true;
    if (n == 1)
        text_copy(names, size, others[0]);
    else if (n == 2)
        snprintf(names, size, ktr_in(m->lang, "%s or %s"), others[0], others[1]);
    else
        snprintf(names, size, ktr_in(m->lang, "%s, %s or another"), others[0], others[1]);
    return false;
}

/* WRONG ENTRANCE: amber "Entrance B, please", nothing recorded; staff may
 * admit the guest here behind the PIN (kdoor__admit_override). */
static bool door_wrong_entrance(kmodel *m, const kworld *w, const char *code, const ticket_state *t,
                                int64_t now)
{
    char names[3 * ENTRANCE_NAME_SIZE + 32];
    if (entrance_ok(m, w, t, names, sizeof names))
        return false;
    verdict_set(m, VERDICT_ALREADY, code, N_("WRONG ENTRANCE"), now);
    m->verdict.wrong_entrance = true;
    text_copy(m->verdict.name, sizeof m->verdict.name, t->name);
    text_copy(m->verdict.seat, sizeof m->verdict.seat, t->seat);
    verdict_note(m, t);
    snprintf(m->verdict.go_to, sizeof m->verdict.go_to, ktr_in(m->lang, "Entrance %s, please"),
             names);
    text_copy(
        m->verdict.detail, sizeof m->verdict.detail,
        ktr_in(m->lang,
               "Not admitted here. Staff may admit the guest: Admit here, then the staff PIN"));
    return true;
}

void kdoor__submit(kmodel *m, const kworld *w, int64_t now, keffects *fx)
{
    char text[QRSIG_PAYLOAD_SIZE], code[USHER_CODE_SIZE] = "";
    text_copy(text, sizeof text, m->entry);
    m->entry[0] = '\0';
    m->entry_fast = 0;
    bool scanned = qrsig_is_payload(text);
    if (scanned) {
        qrsig_ticket qt;
        if (!w->have_pk || qrsig_read(w->pk, w->id.event_id, text, &qt, NULL)) {
            if (w->have_pk && qt.other_event) {
                /* A genuine mistake far more often than a forgery: no alert. */
                verdict_set(m, VERDICT_REFUSED, "", N_("ANOTHER EVENT"), now);
                if (qt.event_name[0])
                    snprintf(m->verdict.detail, sizeof m->verdict.detail,
                             ktr_in(m->lang, "This ticket is for %s, not for this event. Send "
                                             "the guest to the front desk"),
                             qt.event_name);
                else
                    text_copy(m->verdict.detail, sizeof m->verdict.detail,
                              ktr_in(m->lang, "This ticket is for another event. Send the guest "
                                              "to the front desk"));
                return;
            }
            verdict_set(m, VERDICT_REFUSED, "", N_("NOT VALID"), now);
            snprintf(m->verdict.detail, sizeof m->verdict.detail,
                     ktr_in(m->lang, "This QR code is not a ticket for %s: it is forged, "
                                     "altered or damaged. Send the guest to the front desk"),
                     w->id.event_name[0] ? w->id.event_name : ktr_in(m->lang, "this event"));
            kmodel__refused_scan(m, w, text, now, fx);
            return;
        }
        text_copy(code, sizeof code, qt.code);
    } else {
        if (!text[0])
            return;
        if (!kmodel__typed_code(text, code)) {
            verdict_set(m, VERDICT_REFUSED, "", N_("NOT VALID"), now);
            text_copy(m->verdict.detail, sizeof m->verdict.detail,
                      ktr_in(m->lang, "That is not a ticket code: scan the QR code again"));
            return;
        }
    }
    int ti = state_find_ticket(w->view, code);
    if (ti < 0 && !scanned) {
        verdict_set(m, VERDICT_REFUSED, code, N_("UNKNOWN TICKET"), now);
        snprintf(
            m->verdict.detail, sizeof m->verdict.detail,
            ktr_in(m->lang, "%s is not a ticket of this event: send the guest to the front desk"),
            code);
        return;
    }
    const ticket_state *t = ti >= 0 ? state_ticket(w->view, ti) : NULL;
    if (m->exit_mode) {
        door_exit(m, w, code, t, now, fx);
        return;
    }
    if (t && !scanned && kmodel_typed_needs_proof(w, code) && !t->revoked) {
        /* A weak code alone proves nothing: not green, not recorded. */
        verdict_set(m, VERDICT_SHOW_QR, code, N_("SHOW THE QR CODE"), now);
        text_copy(m->verdict.detail, sizeof m->verdict.detail,
                  ktr_in(m->lang, "Please show the QR code of your ticket, or ask staff"));
        return;
    }
    if (t && t->revoked) {
        verdict_set(m, VERDICT_REFUSED, code, N_("REVOKED"), now);
        text_copy(m->verdict.name, sizeof m->verdict.name, t->name);
        text_copy(m->verdict.detail, sizeof m->verdict.detail,
                  ktr_in(m->lang, "This ticket was cancelled: send the guest to the front desk"));
        /* Recorded all the same: the organisers get a revoked-scan alert. */
        verdict_record(m, w, code, false, now, fx);
        return;
    }
    bool admits = false;
    bool would_admit =
        t && (!t->checked_in_at || (t->checked_out_at && !w->id.settings.reentry_refused));
    if (would_admit && door_wrong_entrance(m, w, code, t, now))
        return;
    if (t && t->checked_in_at && t->checked_out_at && !w->id.settings.reentry_refused) {
        verdict_set(m, VERDICT_ADMITTED, code, N_("WELCOME BACK"), now);
        text_copy(m->verdict.name, sizeof m->verdict.name, t->name);
        text_copy(m->verdict.seat, sizeof m->verdict.seat, t->seat);
        verdict_note(m, t);
        text_copy(m->verdict.detail, sizeof m->verdict.detail,
                  ktr_in(m->lang, "Re-entry: the guest was scanned out earlier"));
        admits = true;
    } else if (t && t->checked_in_at && t->checked_out_at) {
        verdict_set(m, VERDICT_REFUSED, code, N_("NO RE-ENTRY"), now);
        text_copy(m->verdict.name, sizeof m->verdict.name, t->name);
        text_copy(m->verdict.detail, sizeof m->verdict.detail,
                  ktr_in(m->lang, "This guest left and this event does not allow re-entry"));
    } else if (t && t->checked_in_at) {
        verdict_set(m, VERDICT_ALREADY, code, N_("ALREADY CHECKED IN"), now);
        text_copy(m->verdict.name, sizeof m->verdict.name, t->name);
        text_copy(m->verdict.seat, sizeof m->verdict.seat, t->seat);
        verdict_note(m, t);
        already_detail(m, t->checked_in_at, t->checkin_device, now);
    } else {
        verdict_set(m, VERDICT_ADMITTED, code, N_("WELCOME"), now);
        if (t) {
            text_copy(m->verdict.name, sizeof m->verdict.name, t->name);
            text_copy(m->verdict.seat, sizeof m->verdict.seat, t->seat);
            verdict_note(m, t);
        } else {
            text_copy(m->verdict.detail, sizeof m->verdict.detail,
                      ktr_in(m->lang, "Signed ticket, not synced to this door yet"));
        }
        admits = true;
    }
    /* Every scan is recorded: a second one raises the alert at the coordinator. */
    verdict_record(m, w, code, admits, now, fx);
}

void kdoor__admit_manual(kmodel *m, const kworld *w, const char *code, int64_t now, keffects *fx)
{
    int ti = state_find_ticket(w->view, code);
    const ticket_state *t = ti >= 0 ? state_ticket(w->view, ti) : NULL;
    if (!t) {
        verdict_set(m, VERDICT_REFUSED, code, N_("UNKNOWN TICKET"), now);
        return;
    }
    if (t->revoked) {
        verdict_set(m, VERDICT_REFUSED, code, N_("REVOKED"), now);
        text_copy(m->verdict.name, sizeof m->verdict.name, t->name);
        text_copy(m->verdict.detail, sizeof m->verdict.detail,
                  ktr_in(m->lang, "This ticket was cancelled: send the guest to the front desk"));
        return;
    }
    if (t->checked_in_at) {
        /* Staff chose this guest knowingly: shown, not recorded again. */
        verdict_set(m, VERDICT_ALREADY, code, N_("ALREADY CHECKED IN"), now);
        text_copy(m->verdict.name, sizeof m->verdict.name, t->name);
        text_copy(m->verdict.seat, sizeof m->verdict.seat, t->seat);
        verdict_note(m, t);
        already_detail(m, t->checked_in_at, t->checkin_device, now);
        return;
    }
    verdict_set(m, VERDICT_ADMITTED, code, N_("WELCOME"), now);
    text_copy(m->verdict.name, sizeof m->verdict.name, t->name);
    text_copy(m->verdict.seat, sizeof m->verdict.seat, t->seat);
    verdict_note(m, t);
    text_copy(m->verdict.detail, sizeof m->verdict.detail,
              ktr_in(m->lang, "Admitted by staff after a name check"));
    char names[3 * ENTRANCE_NAME_SIZE + 32];
    bool here = entrance_ok(m, w, t, names, sizeof names);
    verdict_record(m, w, code, true, now, fx);
    usher_op *op = fx && fx->nops ? &fx->ops[fx->nops - 1] : NULL;
    if (op && op->kind == OP_CHECKIN) {
        op->manual = true;
        if (!here && op->entrance[0]) /* staff chose knowingly: recorded as such */
            text_copy(op->override, sizeof op->override, OP_OVERRIDE_ENTRANCE);
    }
}

void kdoor__admit_override(kmodel *m, const kworld *w, const char *code, int64_t now, keffects *fx)
{
    int ti = state_find_ticket(w->view, code);
    const ticket_state *t = ti >= 0 ? state_ticket(w->view, ti) : NULL;
    bool back = t && t->checked_in_at && t->checked_out_at && !w->id.settings.reentry_refused;
    if (!t || t->revoked || (t->checked_in_at && !back)) {
        /* Things moved meanwhile (sync): the scan's own verdict says how. */
        text_copy(m->entry, sizeof m->entry, code);
        kdoor__submit(m, w, now, fx);
        return;
    }
    verdict_set(m, VERDICT_ADMITTED, code, back ? N_("WELCOME BACK") : N_("WELCOME"), now);
    text_copy(m->verdict.name, sizeof m->verdict.name, t->name);
    text_copy(m->verdict.seat, sizeof m->verdict.seat, t->seat);
    verdict_note(m, t);
    text_copy(m->verdict.detail, sizeof m->verdict.detail,
              ktr_in(m->lang, "Admitted here by staff: not this entrance's ticket"));
    verdict_record(m, w, code, true, now, fx);
    usher_op *op = fx && fx->nops ? &fx->ops[fx->nops - 1] : NULL;
    if (op && op->kind == OP_CHECKIN && op->entrance[0])
        text_copy(op->override, sizeof op->override, OP_OVERRIDE_ENTRANCE);
}

/* A verdict on screen follows the world: the coordinator may say another door
 * admitted the ticket first. */
static void door_timers(kmodel *m, const kworld *w, int64_t now)
{
    if (m->screen != SCR_VERDICT)
        return;
    if (now >= m->verdict_until) {
        m->screen = SCR_DOOR;
        return;
    }
    if (m->verdict.kind == VERDICT_ADMITTED && m->verdict.code[0] && !m->verdict.checkout) {
        int ti = state_find_ticket(w->view, m->verdict.code);
        const ticket_state *t = ti >= 0 ? state_ticket(w->view, ti) : NULL;
        if (t && t->checked_in_at && t->checkin_device[0] &&
            strcmp(t->checkin_device, w->id.device) != 0) {
            m->verdict.kind = VERDICT_ALREADY;
            m->verdict_seq++; /* staff hear the change too */
            text_copy(m->verdict.title, sizeof m->verdict.title, N_("ALREADY CHECKED IN"));
            already_detail(m, t->checked_in_at, t->checkin_device, now);
        }
    }
}

/* ---- staff ---------------------------------------------------------------------- */

static bool in_corner(const kmodel *m, float x, float y)
{
    float c = (float)kmodel_finger_px(&m->cfg);
    return x < c && y < c;
}

static void staff_button(kmodel *m, const kworld *w, const char *name, int64_t now, keffects *fx)
{
    if (m->screen == SCR_FIND && kfind__button(m, w, name, now, fx))
        return;
    size_t len = strlen(m->pin);
    if (!strncmp(name, "pin_", 4) && name[4] >= '0' && name[4] <= '9' && !name[5]) {
        if (len + 1 < sizeof m->pin) {
            m->pin[len] = name[4];
            m->pin[len + 1] = '\0';
        }
    } else if (!strcmp(name, "pin_del")) {
        if (len)
            m->pin[len - 1] = '\0';
    } else if (!strcmp(name, "pin_ok")) {
        /* --pin on this device, else the event's PIN (its hash came by sync). */
        bool ok = m->cfg.pin[0] ? !strcmp(m->pin, m->cfg.pin)
                                : settings_pin_check(w->id.settings.pin_hash, m->pin);
        m->pin[0] = '\0';
        if (ok && m->override_code[0]) {
            char code[USHER_CODE_SIZE];
            text_copy(code, sizeof code, m->override_code);
            m->override_code[0] = '\0';
            kdoor__admit_override(m, w, code, now, fx);
        } else if (ok)
            m->screen = SCR_MAINT;
        else if (!m->cfg.pin[0] && !w->id.settings.pin_hash[0])
            kmodel__msg(m, MSG_REFUSAL, "No staff PIN",
                        "This event has no staff PIN yet: run 'usher-coord event set --pin new' "
                        "and let this kiosk sync, or start it with --pin.");
        else
            kmodel__msg(m, MSG_REFUSAL, "Wrong PIN", "That PIN is not right.");
    } else if (!strcmp(name, "find") && m->screen == SCR_MAINT && m->mode == KMODE_DOOR) {
        kfind__open(m, w);
    } else if (!strcmp(name, "pin_cancel") || !strcmp(name, "back")) {
        m->pin[0] = '\0';
        m->override_code[0] = '\0';
        m->screen = m->pin_back;
    } else if (!strcmp(name, "guest") || !strcmp(name, "door")) {
        kguest__reset(m, w, now, fx);
        m->mode = name[0] == 'g' ? KMODE_GUEST : KMODE_DOOR;
        kmodel__go_home(m, w, now, fx);
    } else if (!strcmp(name, "quit")) {
        m->quit_asked = true;
        if (fx)
            fx->quit = true;
    }
}

static void open_pin(kmodel *m)
{
    if (m->screen == SCR_PIN || m->screen == SCR_MAINT || m->screen == SCR_FIND)
        return;
    m->pin_back = m->screen == SCR_VERDICT ? SCR_DOOR : m->screen;
    m->pin[0] = '\0';
    memset(&m->msg, 0, sizeof m->msg);
    m->screen = SCR_PIN;
    m->down = false;
}

/* ---- dispatch ------------------------------------------------------------------- */

static bool entry_screen(const kmodel *m)
{
    return m->screen == SCR_ENTRY || m->screen == SCR_DOOR || m->screen == SCR_VERDICT ||
           m->screen == SCR_ATTRACT;
}

static void submit(kmodel *m, const kworld *w, int64_t now, keffects *fx)
{
    if (m->screen == SCR_DOOR || m->screen == SCR_VERDICT)
        kdoor__submit(m, w, now, fx);
    else if (m->screen == SCR_ENTRY)
        kguest__submit(m, w, now, fx);
    else if (m->screen == SCR_PIN)
        staff_button(m, w, "pin_ok", now, fx);
}

static void on_text(kmodel *m, const kworld *w, const char *text, int64_t now)
{
    if (m->screen == SCR_FIND) {
        kfind__text(m, w, text);
        return;
    }
    if (m->screen == SCR_PIN) {
        for (const char *p = text; *p; p++) {
            char name[8] = "pin_0";
            name[4] = *p;
            if (*p >= '0' && *p <= '9')
                staff_button(m, w, name, now, NULL);
        }
        return;
    }
    if (!entry_screen(m))
        return; /* during a message too: kept for the entry field once it closes */
    if (m->screen == SCR_ATTRACT)
        m->screen = SCR_ENTRY;
    bool fast = m->entry[0] && now - m->entry_at < 50;
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        size_t len = strlen(m->entry);
        bool utf8 = c >= 0x80 && m->proof_code[0]; /* a name may have accents */
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8) || len + 1 >= sizeof m->entry)
            continue; /* codes and payloads are ASCII */
        m->entry[len] = (char)c;
        m->entry[len + 1] = '\0';
        if (fast || p != text)
            m->entry_fast++;
    }
    m->entry_at = now;
}

static void on_key(kmodel *m, const kworld *w, kkey key, int64_t now, keffects *fx)
{
    if (key == KKEY_RETURN || key == KKEY_TAB) {
        if (m->msg.kind && !m->msg.offer_change) {
            memset(&m->msg, 0, sizeof m->msg);
            /* What was typed behind the message goes in now. */
            if (!m->entry[0] || m->screen != SCR_ENTRY)
                return;
        }
        submit(m, w, now, fx);
    } else if (key == KKEY_BACKSPACE) {
        if (m->screen == SCR_PIN) {
            staff_button(m, w, "pin_del", now, fx);
        } else if (m->screen == SCR_FIND) {
            kfind__backspace(m, w);
        } else {
            size_t len = strlen(m->entry);
            if (len)
                m->entry[len - 1] = '\0';
        }
    } else if (key == KKEY_ESCAPE) {
        if (m->msg.kind)
            memset(&m->msg, 0, sizeof m->msg);
        else if (m->screen == SCR_PIN || m->screen == SCR_MAINT || m->screen == SCR_FIND)
            staff_button(m, w, "back", now, fx);
        else if (m->screen == SCR_SEATMAP || m->screen == SCR_CONFIRM || m->screen == SCR_ENTRY)
            kguest__button(m, w, "back", now, fx);
    }
}

/* A tap: name is the button the shell found under the finger ("" = none). */
static void on_tap(kmodel *m, const kworld *w, const char *name, float x, float y, int64_t now,
                   keffects *fx)
{
    if (m->msg.kind == MSG_STILL_THERE) { /* a tap anywhere keeps going */
        memset(&m->msg, 0, sizeof m->msg);
        return;
    }
    if (m->msg.kind) { /* modal */
        if (!strcmp(name, "ok") || !strcmp(name, "keep")) {
            memset(&m->msg, 0, sizeof m->msg);
        } else if (!strcmp(name, "change")) {
            kguest__button(m, w, name, now, fx);
        }
        return;
    }
    if (m->screen == SCR_PIN || m->screen == SCR_MAINT || m->screen == SCR_FIND) {
        if (name[0])
            staff_button(m, w, name, now, fx);
        return;
    }
    if (m->screen == SCR_STORAGE)
        return;
    if (m->screen == SCR_DOOR && !strcmp(name, "exit_mode")) {
        m->exit_mode = !m->exit_mode;
        return;
    }
    if (m->screen == SCR_VERDICT && !strcmp(name, "reprint_card")) {
        if (kmodel_door_reprint_ok(m, w)) {
            const kverdict *v = &m->verdict;
            char note[KCARD_LINE_SIZE];
            snprintf(note, sizeof note, ktr_in(m->lang, "Admitted at %s"), w->id.device);
            kmodel__card(m, w, v->code, v->name, v->seat, note, fx);
            m->verdict.reprinted = true;
            m->verdict_until = now + m->cfg.verdict_ms; /* time to hand it over */
        }
        return;
    }
    if (m->screen == SCR_VERDICT && !strcmp(name, "override") && m->verdict.wrong_entrance) {
        text_copy(m->override_code, sizeof m->override_code, m->verdict.code);
        open_pin(m);
        return;
    }
    if (m->screen == SCR_VERDICT || m->screen == SCR_DOOR) {
        if (!strcmp(name, "ok") || m->screen == SCR_VERDICT)
            m->screen = SCR_DOOR;
        return;
    }
    if (name[0])
        kguest__button(m, w, name, now, fx);
    else if (m->screen == SCR_SEATMAP)
        kguest__map_tap(m, w, x, y, now, fx);
}

static void timers(kmodel *m, const kworld *w, int64_t now, keffects *fx)
{
    if (storage_full(w) && (!w->l || idle_screen(m->screen))) {
        m->screen = SCR_STORAGE;
        return;
    }
    if (!w->l) {
        m->screen = SCR_WAITING;
        return;
    }
    if (m->screen == SCR_WAITING || m->screen == SCR_STORAGE) {
        /* Set up at last: the device's role picks the mode unless told. */
        if (m->cfg.mode_auto)
            m->mode = w->id.role == ROLE_DOOR ? KMODE_DOOR : KMODE_GUEST;
        m->screen = m->mode == KMODE_DOOR ? SCR_DOOR : SCR_ATTRACT;
    }
    /* Sync may bring a new default language: the screens nobody is using follow it. */
    if ((m->screen == SCR_ATTRACT && !m->lang_picked) || m->screen == SCR_DOOR)
        text_copy(m->lang, sizeof m->lang, default_lang(m, w));
    /* The staff gesture: the top-left corner held long enough opens the PIN. */
    if (m->down && in_corner(m, m->down_x, m->down_y) && !m->dragged &&
        now - m->down_at >= m->cfg.longpress_ms)
        open_pin(m);
    /* A scanner that ends its payload with nothing: a pause after fast typing. */
    if ((m->screen == SCR_ENTRY || m->screen == SCR_DOOR || m->screen == SCR_VERDICT) &&
        m->entry[0] && !m->msg.kind && now - m->entry_at >= 300 &&
        (qrsig_is_payload(m->entry) || m->entry_fast >= 4))
        submit(m, w, now, fx);
    if ((m->screen == SCR_PIN || m->screen == SCR_MAINT || m->screen == SCR_FIND) &&
        now - m->last_input_at >= m->cfg.idle_ms)
        kmodel__go_home(m, w, now, fx);
    door_timers(m, w, now);
    kguest__timers(m, w, now, fx);
}

static void update(kmodel *m, const kworld *w, const kiosk_input *in, int64_t now, keffects *fx);

void kmodel_update(kmodel *m, const kworld *w, const kiosk_input *in, int64_t now, keffects *fx)
{
    memset(fx, 0, sizeof *fx);
    unsigned seq = m->verdict_seq;
    update(m, w, in, now, fx);
    /* One owner for the door's sounds: whatever put a verdict on screen. */
    if (m->verdict_seq != seq && m->screen == SCR_VERDICT)
        fx->tone = kmodel_verdict_tone(&m->verdict);
}

static void update(kmodel *m, const kworld *w, const kiosk_input *in, int64_t now, keffects *fx)
{
    if (in->kind != KIN_TICK && in->kind != KIN_NONE) {
        m->last_input_at = now;
        /* Typing or a key also answers "Still there?" (a tap does, in on_tap). */
        if (m->msg.kind == MSG_STILL_THERE && (in->kind == KIN_TEXT || in->kind == KIN_KEY))
            memset(&m->msg, 0, sizeof m->msg);
    }
    timers(m, w, now, fx);
    if (!w->l)
        return;
    /* On the storage screen only the staff gesture (corner down, up). */
    if (m->screen == SCR_STORAGE && in->kind != KIN_DOWN && in->kind != KIN_UP)
        return;
    switch (in->kind) {
    case KIN_DOWN:
        if (in->finger != 0)
            break;
        m->down = true;
        m->dragged = false;
        m->down_x = m->last_x = in->x;
        m->down_y = m->last_y = in->y;
        m->down_at = now;
        break;
    case KIN_MOVE:
        if (!m->down || in->finger != 0)
            break;
        if (hypotf(in->x - m->down_x, in->y - m->down_y) > kmodel_finger_px(&m->cfg) / 3)
            m->dragged = true;
        if (m->dragged && m->screen == SCR_SEATMAP && m->map_ready)
            seatmap_pan(&m->map, in->x - m->last_x, in->y - m->last_y);
        m->last_x = in->x;
        m->last_y = in->y;
        break;
    case KIN_UP:
        if (!m->down || in->finger != 0)
            break;
        m->down = false;
        if (in_corner(m, m->down_x, m->down_y) && now - m->down_at >= m->cfg.longpress_ms)
            open_pin(m);
        else if (!m->dragged)
            on_tap(m, w, in->button, in->x, in->y, now, fx);
        break;
    case KIN_TEXT:
        on_text(m, w, in->text, now);
        break;
    case KIN_KEY:
        on_key(m, w, in->key, now, fx);
        break;
    case KIN_ZOOM:
        if (m->screen == SCR_SEATMAP && m->map_ready)
            seatmap_zoom(&m->map, in->factor, in->x, in->y);
        break;
    case KIN_TICK:
    case KIN_NONE:
        break;
    }
    if (m->screen == SCR_SEATMAP)
        kguest__ensure_map(m, w);
}

void kmodel_saved(kmodel *m, const kworld *w, const keffects *fx, int64_t now)
{
    (void)w;
    m->admitted += fx->admitted;
    for (int i = 0; i < fx->nops; i++) {
        if ((fx->ops[i].kind != OP_CHECKIN && fx->ops[i].kind != OP_CHECKOUT) ||
            !m->verdict.op_id[0] || strcmp(fx->ops[i].id, m->verdict.op_id) != 0 ||
            m->verdict.saved)
            continue;
        m->verdict.saved = true;
        m->verdict_until = now + m->cfg.verdict_ms;
    }
}

/* Undoes what the model assumed of one op that was not saved; true when the
 * op is undone (the shell forgets it), false when it must be kept. */
static bool undo_op(kmodel *m, const usher_op *op)
{
    switch (op->kind) {
    case OP_HOLD:
        for (int i = 0; i < m->nparty; i++) {
            kguest *g = &m->party[i];
            if (!g->assigned[0] && !strcmp(g->seat, op->seat)) {
                g->seat[0] = '\0';
                g->hold_until = 0;
            }
        }
        return true;
    case OP_ASSIGN:
        for (int i = 0; i < m->nparty; i++) {
            kguest *g = &m->party[i];
            if (!strcmp(g->assign_op, op->id)) {
                g->assigned[0] = '\0';
                g->assign_op[0] = '\0';
            }
        }
        if (m->screen == SCR_DONE)
            m->screen = SCR_CONFIRM;
        return true;
    default:
        return false; /* releases and check-ins happened: recorded late */
    }
}

void kmodel_save_failed(kmodel *m, const kworld *w, keffects *fx, const char *why, int64_t now)
{
    (void)w;
    (void)now;
    text_copy(m->save_error, sizeof m->save_error, why);
    int kept = 0;
    bool undone = false;
    for (int i = 0; i < fx->nops; i++) {
        if (undo_op(m, &fx->ops[i]))
            undone = true;
        else
            fx->ops[kept++] = fx->ops[i];
    }
    fx->nops = kept;
    if (undone)
        fx->ncards = 0; /* the assigns went back: no seat to print (a check-in is kept) */
    /* A guest learns only that it did not work and what to do; the journal's
     * words (SQLite's) are for staff. A door verdict says NOT RECORDED
     * itself while its op waits (ui.c). */
    if (undone)
        kmodel__msg(m, MSG_REFUSAL, "Not saved",
                    "This kiosk could not save that; please try again or ask staff.");
}

bool kmodel_party_needs_staff(const kmodel *m, const kworld *w)
{
    for (int i = 0; i < m->nparty; i++) {
        int ti = state_find_ticket(w->view, m->party[i].code);
        const ticket_state *t = ti >= 0 ? state_ticket(w->view, ti) : NULL;
        if (t && (t->attention || t->note[0]) && !kmodel_guest_refused(m, w, i))
            return true;
    }
    return false;
}
