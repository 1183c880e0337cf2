/* kdoor.c - door mode of the kiosk's state machine: the verdict of a scan or
 * a typed code (admitted, already in, wrong entrance, refused, exit mode),
 * its check-in op, staff's admissions, the verdict's tone and timer. Pure. */
#include "kdoor.h"

#include <stdio.h>
#include <string.h>

#include "kshared.h"
#include "ktime.h"
#include "text.h"
#include "zone.h"

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
    usher_op *op = kshared__op(fx, w, kind, now);
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
        kshared__card(m, w, code, m->verdict.name, m->verdict.seat, note, fx);
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
            kshared__refused_scan(m, w, text, now, fx);
            return;
        }
        text_copy(code, sizeof code, qt.code);
    } else {
        if (!text[0])
            return;
        if (!kshared__typed_code(text, code)) {
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

void kdoor__reprint(kmodel *m, const kworld *w, int64_t now, keffects *fx)
{
    if (!kmodel_door_reprint_ok(m, w))
        return;
    const kverdict *v = &m->verdict;
    char note[KCARD_LINE_SIZE];
    snprintf(note, sizeof note, ktr_in(m->lang, "Admitted at %s"), w->id.device);
    kshared__card(m, w, v->code, v->name, v->seat, note, fx);
    m->verdict.reprinted = true;
    m->verdict_until = now + m->cfg.verdict_ms; /* time to hand it over */
}

void kdoor__timers(kmodel *m, const kworld *w, int64_t now)
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
