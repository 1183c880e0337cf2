/* kguest.c - the guest flow of the kiosk's state machine: code entry (typed or
 * scanned), refusals, the party, holding seats on the map, confirming, the
 * confirmation and what happens when the world changes under a guest. Pure. */
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "fold.h"
#include "kguest.h"
#include "kshared.h"
#include "text.h"
#include "ticketcode.h"
#include "timestamp.h"

#define LOCK_AFTER 3       /* wrong codes in a row before the keypad slows down */
#define LOCK_FIRST_MS 5000 /* then 5 s, doubling */
#define LOCK_MAX_MS 300000 /* at most 5 minutes */

int kmodel_choosing(const kmodel *m)
{
    for (int i = 0; i < m->nparty; i++)
        if (!m->party[i].seat[0])
            return i;
    return -1;
}

static const ticket_state *world_ticket(const kworld *w, const char *code)
{
    int ti = w->view ? state_find_ticket(w->view, code) : -1;
    return ti >= 0 ? state_ticket(w->view, ti) : NULL;
}

int kmodel_watched_ops(const kmodel *m, const char *ids[], int max)
{
    int n = 0;
    for (int i = 0; i < m->nparty && n < max; i++)
        if (m->party[i].assigned[0] && m->party[i].assign_op[0])
            ids[n++] = m->party[i].assign_op;
    return n;
}

bool kmodel_guest_refused(const kmodel *m, const kworld *w, int i)
{
    const kguest *g = &m->party[i];
    if (!g->assigned[0] || !g->assign_op[0])
        return false;
    const ticket_state *t = world_ticket(w, g->code);
    if (t && t->seat[0])
        return false; /* seated after all: a reseat, or an earlier seat kept */
    for (int k = 0; k < w->nops; k++)
        if (!strcmp(w->ops[k].op_id, g->assign_op))
            return w->ops[k].state == OUTBOX_REJECTED;
    return false;
}

const char *kmodel_guest_seat(const kmodel *m, const kworld *w, int i)
{
    const kguest *g = &m->party[i];
    const ticket_state *t = world_ticket(w, g->code);
    if (g->assigned[0] && t && t->seat[0])
        return t->seat;
    if (kmodel_guest_refused(m, w, i))
        return "";
    return g->assigned[0] ? g->assigned : g->seat;
}

int kmodel_confirmation_text(const kmodel *m, const kworld *w, char *out, size_t size)
{
    int lines = 0;
    if (!size)
        return 0;
    out[0] = '\0';
    int n = snprintf(out, size, "%s\n", w->id.event_name[0] ? w->id.event_name : "Usher");
    size_t used = n > 0 ? (size_t)n : 0;
    for (int i = 0; i < m->nparty && used < size; i++) {
        char words[96];
        const char *seat = kmodel_guest_seat(m, w, i);
        if (!seat[0])
            continue; /* refused: no seat to remember */
        kmodel_seat_words(w->l, m->lang, seat, words, sizeof words);
        n = snprintf(out + used, size - used, "%s %s (%s)\n", m->party[i].code, seat, words);
        if (n < 0 || (size_t)n >= size - used) {
            out[used] = '\0'; /* never half a line */
            break;
        }
        used += (size_t)n;
        lines++;
    }
    return lines;
}

static int party_index_of_seat(const kmodel *m, const char *seat_id)
{
    for (int i = 0; i < m->nparty; i++) {
        const kguest *g = &m->party[i];
        if ((g->seat[0] && !strcmp(g->seat, seat_id)) ||
            (g->assigned[0] && !strcmp(g->assigned, seat_id)))
            return i;
    }
    return -1;
}

klook kmodel_seat_look(const kmodel *m, const kworld *w, int si, int64_t now)
{
    const layout_seat *ls = layout_seat_at(w->l, si);
    if (party_index_of_seat(m, ls->id) >= 0)
        return LOOK_MINE;
    const seat_state *ss = state_seat(w->view, si);
    switch (state_seat_status(w->view, si, w->id.device, now)) {
    case SEAT_BLOCKED:
        return LOOK_BLOCKED;
    case SEAT_TAKEN:
        for (int i = 0; i < m->nparty; i++)
            if (!strcmp(m->party[i].code, ss->ticket))
                return LOOK_MINE;
        return LOOK_TAKEN;
    case SEAT_HELD_BY_ME: /* not this party's: a stale hold of an earlier session */
        break;
    case SEAT_HELD_OTHER:
    case SEAT_LEASED_OTHER:
        return LOOK_HELD;
    case SEAT_LEASED_BY_ME:
        break;
    case SEAT_FREE:
        if (w->policy == JOURNAL_POLICY_LEASE && kmodel_offline(w, now))
            return LOOK_UNAVAILABLE;
        break;
    }
    int c = kmodel_choosing(m);
    const char *klass = c >= 0 ? m->party[c].klass : m->nparty ? m->party[0].klass : "";
    if (!domain_class_allows(ls->klass, klass))
        return LOOK_CLASS;
    return LOOK_FREE;
}

void kguest__ensure_map(kmodel *m, const kworld *w)
{
    if (m->map_ready || !w->l)
        return;
    seatmap_fit(&m->map, w->l, kmodel_map_area(&m->cfg, m->lang), kmodel_finger_px(&m->cfg));
    m->map_ready = true;
}

/* ---- entry ---------------------------------------------------------------------- */

static void wrong_code(kmodel *m, int64_t now)
{
    m->wrong++;
    if (m->wrong >= LOCK_AFTER) {
        int64_t ms = LOCK_FIRST_MS;
        for (int i = LOCK_AFTER; i < m->wrong && ms < LOCK_MAX_MS; i++)
            ms *= 2;
        if (ms > LOCK_MAX_MS)
            ms = LOCK_MAX_MS;
        m->locked_until = now + ms;
    }
}

static void add_guest(kmodel *m, const char *code, const ticket_state *t)
{
    kguest *g = &m->party[m->nparty++];
    memset(g, 0, sizeof *g);
    text_copy(g->code, sizeof g->code, code);
    if (t) {
        text_copy(g->name, sizeof g->name, t->name);
        text_copy(g->klass, sizeof g->klass, t->klass);
        text_copy(g->had_seat, sizeof g->had_seat, t->seat);
    }
}

static bool in_party(const kmodel *m, const char *code)
{
    for (int i = 0; i < m->nparty; i++)
        if (!strcmp(m->party[i].code, code))
            return true;
    return false;
}

bool kmodel_name_proof_ok(const char *holder, const char *answer)
{
    char *h = fold_dup(holder), *a = fold_dup(answer);
    bool ok = false;
    if (h && a && a[0]) {
        const char *last = strrchr(h, ' ');
        const char *rest = strchr(h, ' ');
        ok = !strcmp(a, last ? last + 1 : h) || (rest && !strcmp(a, rest + 1)) ||
             (!rest && !strcmp(a, h));
    }
    free(h);
    free(a);
    return ok;
}

static void seated_offer(kmodel *m, const kworld *w, const char *code, const ticket_state *t);

/* The guest typed the holder's last name for m->proof_code. */
static void proof_submit(kmodel *m, const kworld *w, const char *answer, int64_t now)
{
    char code[USHER_CODE_SIZE];
    text_copy(code, sizeof code, m->proof_code);
    bool seated = m->proof_seated;
    m->proof_code[0] = '\0';
    m->proof_seated = false;
    int ti = state_find_ticket(w->view, code);
    const ticket_state *t = ti >= 0 ? state_ticket(w->view, ti) : NULL;
    if (!t)
        return;
    if (!kmodel_name_proof_ok(t->name, answer)) {
        wrong_code(m, now);
        kshared__msg(m, MSG_REFUSAL, "Name does not match",
                     "That is not the name on ticket %s. Please check it, or ask a member of "
                     "staff.",
                     code);
        return;
    }
    m->wrong = 0;
    if (seated || t->seat[0]) {
        seated_offer(m, w, code, t);
        return;
    }
    add_guest(m, code, t);
}

/* Asks for the holder's last name before the ticket joins the party. */
static void ask_proof(kmodel *m, const char *code, bool seated)
{
    text_copy(m->proof_code, sizeof m->proof_code, code);
    m->proof_seated = seated;
    m->entry[0] = '\0';
}

void kguest__submit(kmodel *m, const kworld *w, int64_t now, keffects *fx)
{
    char text[QRSIG_PAYLOAD_SIZE], code[USHER_CODE_SIZE] = "";
    text_copy(text, sizeof text, m->entry);
    m->entry[0] = '\0';
    m->entry_fast = 0;
    bool scanned = qrsig_is_payload(text);
    if (m->proof_code[0] && !scanned) {
        if (now < m->locked_until) {
            kshared__msg(m, MSG_REFUSAL, "Please wait",
                         "Too many wrong answers. Try again in %d seconds, or ask a member of "
                         "staff.",
                         (int)((m->locked_until - now + 999) / 1000));
            return;
        }
        if (text[0])
            proof_submit(m, w, text, now);
        return;
    }
    m->proof_code[0] = '\0';
    if (!scanned && now < m->locked_until) {
        kshared__msg(m, MSG_REFUSAL, "Please wait",
                     "Too many wrong ticket numbers. Try again in %d seconds, or ask a member "
                     "of staff.",
                     (int)((m->locked_until - now + 999) / 1000));
        return;
    }
    if (scanned) {
        qrsig_ticket qt;
        if (!w->have_pk || qrsig_read(w->pk, w->id.event_id, text, &qt, NULL)) {
            if (w->have_pk && qt.other_event) {
                if (qt.event_name[0])
                    kshared__msg(m, MSG_REFUSAL, "Another event",
                                 "This ticket is for %s, not for this event. Please ask a member "
                                 "of staff.",
                                 qt.event_name);
                else
                    kshared__msg(m, MSG_REFUSAL, "Another event",
                                 "This ticket is for another event. Please ask a member of "
                                 "staff.");
                return;
            }
            wrong_code(m, now);
            kshared__msg(m, MSG_REFUSAL, "Not a valid ticket",
                         "This QR code is not a ticket for %s: it is damaged or altered. Please "
                         "ask a member of staff.",
                         w->id.event_name[0] ? w->id.event_name : "this event");
            kshared__refused_scan(m, w, text, now, fx);
            return;
        }
        text_copy(code, sizeof code, qt.code);
    } else {
        if (!text[0])
            return;
        if (!kshared__typed_code(text, code)) {
            wrong_code(m, now);
            kshared__msg(m, MSG_REFUSAL, "Not a ticket number",
                         "Ticket numbers have letters, digits and dashes, like GALA-0001. "
                         "Please check and type it again.");
            return;
        }
    }
    if (in_party(m, code)) {
        kshared__msg(m, MSG_INFO, "Already added", "%s is already in your party.", code);
        return;
    }
    int ti = state_find_ticket(w->view, code);
    const ticket_state *t = ti >= 0 ? state_ticket(w->view, ti) : NULL;
    if (!t && !scanned) {
        wrong_code(m, now);
        if (ticketcode_is_generated(code) && !ticketcode_check_ok(code))
            kshared__msg(m, MSG_REFUSAL, "Mistyped?",
                         "%s cannot be a ticket number: one character looks wrong. Please "
                         "check it against your ticket and type it again.",
                         code);
        else
            kshared__msg(m, MSG_REFUSAL, "Unknown ticket",
                         "We cannot find ticket %s. Please check the number, or ask a member "
                         "of staff.",
                         code);
        return;
    }
    bool needs_proof = t && !scanned && kmodel_typed_needs_proof(w, code);
    if (!needs_proof)
        m->wrong = 0; /* a proven ticket; a weak code waits for its name */
    if (t && t->revoked) {
        kshared__msg(m, MSG_REFUSAL, "Ticket cancelled",
                     "Ticket %s was cancelled. Please see the front desk.", code);
        return;
    }
    if (m->nparty >= KPARTY_MAX) {
        kshared__msg(m, MSG_INFO, "Party full",
                     "A party can seat %d tickets at once. Choose these seats first, then "
                     "start again for the others.",
                     KPARTY_MAX);
        return;
    }
    /* A weak code typed proves nothing by itself: its holder's last name
     * does (a signed QR code is proof enough). The seat of a seated ticket is
     * shown only after the proof too. */
    if (needs_proof) {
        ask_proof(m, code, t->seat[0] != '\0');
        return;
    }
    if (t && t->seat[0]) {
        seated_offer(m, w, code, t);
        return;
    }
    add_guest(m, code, t);
}

static void seated_offer(kmodel *m, const kworld *w, const char *code, const ticket_state *t)
{
    char words[96];
    kmodel_seat_words(w->l, m->lang, t->seat, words, sizeof words);
    kshared__msg(m, MSG_INFO, "Already seated",
                 "%s already has a seat: %s (%s). Keep it, or change it?", code, words, t->seat);
    m->msg.offer_change = true;
    text_copy(m->msg.change_code, sizeof m->msg.change_code, code);
}

/* ---- buttons -------------------------------------------------------------------- */

static bool all_chosen(const kmodel *m)
{
    return m->nparty > 0 && kmodel_choosing(m) < 0;
}

static bool holds_still_mine(kmodel *m, const kworld *w, int64_t now, keffects *fx);

/* A seat card for every ticket of the party with a seat now (a reseat's
 * new one; none for a refused ticket). */
static void party_cards(const kmodel *m, const kworld *w, keffects *fx)
{
    for (int i = 0; i < m->nparty; i++) {
        const char *seat = kmodel_guest_seat(m, w, i);
        if (seat[0])
            kshared__card(m, w, m->party[i].code, m->party[i].name, seat, NULL, fx);
    }
}

static void confirm(kmodel *m, const kworld *w, int64_t now, keffects *fx)
{
    if (!all_chosen(m) || !holds_still_mine(m, w, now, fx))
        return;
    if (m->nparty > 1)
        op_new_id(m->party_id);
    for (int i = 0; i < m->nparty; i++) {
        kguest *g = &m->party[i];
        usher_op *op = kshared__op(fx, w, OP_ASSIGN, now);
        if (!op)
            return;
        text_copy(op->ticket, sizeof op->ticket, g->code);
        text_copy(op->seat, sizeof op->seat, g->seat);
        text_copy(op->expect_ticket_seat, sizeof op->expect_ticket_seat, g->had_seat);
        text_copy(op->party, sizeof op->party, m->party_id);
        text_copy(g->assigned, sizeof g->assigned, g->seat);
        text_copy(g->assign_op, sizeof g->assign_op, op->id);
    }
    m->screen = SCR_DONE;
    party_cards(m, w, fx);
}

void kguest__button(kmodel *m, const kworld *w, const char *name, int64_t now, keffects *fx)
{
    size_t len = strlen(m->entry);
    switch (m->screen) {
    case SCR_ATTRACT:
        if (!strncmp(name, "lang_", 5)) { /* one tap: the screen in that language */
            if (ktr_known(name + 5)) {
                text_copy(m->lang, sizeof m->lang, name + 5);
                m->lang_picked = true;
            }
            return;
        }
        m->screen = SCR_ENTRY;
        return;
    case SCR_ENTRY:
        if (!strncmp(name, "key_", 4) && name[4] && !name[5]) {
            if (now < m->locked_until)
                return;
            if (len + 1 < sizeof m->entry) {
                m->entry[len] = name[4];
                m->entry[len + 1] = '\0';
                m->entry_at = now;
                m->entry_fast = 0; /* a finger, not a scanner */
            }
        } else if (!strcmp(name, "del")) {
            if (len)
                m->entry[len - 1] = '\0';
        } else if (!strcmp(name, "ok")) {
            kguest__submit(m, w, now, fx);
        } else if (!strcmp(name, "change")) {
            const char *code = m->msg.change_code;
            int ti = state_find_ticket(w->view, code);
            if (ti >= 0 && m->nparty < KPARTY_MAX && !in_party(m, code))
                add_guest(m, code, state_ticket(w->view, ti));
            memset(&m->msg, 0, sizeof m->msg);
        } else if (!strcmp(name, "seats") && m->nparty > 0) {
            m->screen = SCR_SEATMAP;
            kguest__ensure_map(m, w);
        } else if (!strcmp(name, "cancel") || !strcmp(name, "back")) {
            kshared__go_home(m, w, now, fx);
        }
        return;
    case SCR_SEATMAP:
        if (!strcmp(name, "confirm") && all_chosen(m)) {
            if (holds_still_mine(m, w, now, fx))
                m->screen = SCR_CONFIRM;
        } else if (!strcmp(name, "back")) {
            m->screen = SCR_ENTRY;
        } else if (!strcmp(name, "cancel")) {
            kshared__go_home(m, w, now, fx);
        } else if (!strcmp(name, "zoomin") || !strcmp(name, "zoomout")) {
            krect a = m->map.area;
            seatmap_zoom(&m->map, name[4] == 'i' ? 1.6 : 1 / 1.6, a.x + a.w / 2, a.y + a.h / 2);
        } else if (!strcmp(name, "fit")) {
            m->map_ready = false;
            kguest__ensure_map(m, w);
        }
        return;
    case SCR_CONFIRM:
        if (!strcmp(name, "yes"))
            confirm(m, w, now, fx);
        else if (!strcmp(name, "back"))
            m->screen = SCR_SEATMAP;
        return;
    case SCR_DONE:
        if (!strcmp(name, "done"))
            kshared__go_home(m, w, now, fx);
        else if (!strcmp(name, "reprint") && m->reprints < KREPRINT_MAX) {
            m->reprints++; /* not a roll of labels for a bored child */
            party_cards(m, w, fx);
        }
        return;
    default:
        return;
    }
}

/* ---- the map -------------------------------------------------------------------- */

void kguest__map_tap(kmodel *m, const kworld *w, float x, float y, int64_t now, keffects *fx)
{
    kguest__ensure_map(m, w);
    if (!krect_has(m->map.area, x, y))
        return;
    if (!seatmap_tappable(&m->map)) { /* an overview: come closer first */
        seatmap_focus(&m->map, seatmap_tap_scale(&m->map), x, y);
        return;
    }
    int si = seatmap_hit(&m->map, w->l, x, y);
    if (si < 0)
        return;
    const layout_seat *ls = layout_seat_at(w->l, si);
    char words[96];
    kmodel_seat_words(w->l, m->lang, ls->id, words, sizeof words);
    int mine = party_index_of_seat(m, ls->id);
    if (mine >= 0) { /* tap again: let it go */
        kguest *g = &m->party[mine];
        usher_op *op = kshared__op(fx, w, OP_RELEASE, now);
        if (op)
            text_copy(op->seat, sizeof op->seat, g->seat);
        g->seat[0] = '\0';
        g->hold_until = 0;
        return;
    }
    int c = kmodel_choosing(m);
    switch (kmodel_seat_look(m, w, si, now)) {
    case LOOK_FREE:
        if (c < 0) {
            kshared__msg(m, MSG_INFO, "Every ticket has a seat",
                         "Tap one of your seats to free it, or tap Confirm.");
            return;
        }
        break;
    case LOOK_CLASS: {
        int ci = c >= 0 ? c : 0;
        kshared__msg(m, MSG_REFUSAL, "Not for this ticket",
                     "%s is for %s tickets; ticket %s is %s. Please choose a seat shown in "
                     "green.",
                     words, ls->klass, m->party[ci].code,
                     m->party[ci].klass[0] ? m->party[ci].klass : "without a class");
        return;
    }
    case LOOK_MINE:
        return; /* a party ticket's current seat (a change): nothing to do */
    case LOOK_TAKEN:
        kshared__msg(m, MSG_INFO, "Seat taken", "%s is taken. Please choose another seat.", words);
        return;
    case LOOK_HELD:
        kshared__msg(m, MSG_INFO, "Seat being chosen",
                     "Someone else is choosing %s right now. Please choose another seat.", words);
        return;
    case LOOK_BLOCKED:
        kshared__msg(m, MSG_INFO, "Seat not available",
                     "%s is not available tonight. Please choose another seat.", words);
        return;
    case LOOK_UNAVAILABLE:
    case LOOK_COUNT:
        kshared__msg(m, MSG_INFO, "Offline",
                     "This kiosk is offline: only the seats shown in green can be chosen now.");
        return;
    }
    kguest *g = &m->party[c];
    usher_op *op = kshared__op(fx, w, OP_HOLD, now);
    if (!op)
        return;
    int64_t ttl = w->id.hold_ttl_ms > 0 ? w->id.hold_ttl_ms : USHER_DEFAULT_HOLD_TTL_MS;
    text_copy(op->seat, sizeof op->seat, ls->id);
    op->ttl_ms = ttl;
    text_copy(g->seat, sizeof g->seat, ls->id);
    g->hold_until = now + ttl;
}

/* Takes party member i out of the party, letting its hold go. */
static void drop_guest(kmodel *m, const kworld *w, int i, int64_t now, keffects *fx)
{
    kguest *g = &m->party[i];
    if (g->seat[0] && !g->assigned[0]) {
        usher_op *op = fx ? kshared__op(fx, w, OP_RELEASE, now) : NULL;
        if (op)
            text_copy(op->seat, sizeof op->seat, g->seat);
    }
    memmove(&m->party[i], &m->party[i + 1], (size_t)(m->nparty - i - 1) * sizeof *g);
    m->nparty--;
    memset(&m->party[m->nparty], 0, sizeof *g);
}

/* Drops tickets the world now says were cancelled (revoked while the guest
 * chose), and chosen seats the world says are no longer held for us (taken
 * meanwhile by another kiosk, or a hold the coordinator refused), with a
 * message. Returns true when every ticket and chosen seat is still good. */
static bool holds_still_mine(kmodel *m, const kworld *w, int64_t now, keffects *fx)
{
    bool all = true;
    for (int i = 0; i < m->nparty; i++) {
        kguest *g = &m->party[i];
        if (g->assigned[0])
            continue;
        const ticket_state *t = world_ticket(w, g->code);
        if (t && t->revoked) {
            kshared__msg(m, MSG_REFUSAL, "Ticket cancelled",
                         "Ticket %s was cancelled. Please see the front desk.", g->code);
            drop_guest(m, w, i--, now, fx);
            all = false;
            if (m->screen == SCR_CONFIRM || m->screen == SCR_SEATMAP)
                m->screen = m->nparty ? SCR_SEATMAP : SCR_ENTRY;
            continue;
        }
        if (!g->seat[0])
            continue;
        int si = layout_find_seat(w->l, g->seat);
        seat_status s = si >= 0 ? state_seat_status(w->view, si, w->id.device, now) : SEAT_TAKEN;
        if (s == SEAT_HELD_BY_ME)
            continue;
        char words[96];
        kmodel_seat_words(w->l, m->lang, g->seat, words, sizeof words);
        kshared__msg(m, MSG_REFUSAL, "Seat taken meanwhile",
                     "Sorry: %s was just taken at another kiosk. Please choose another seat "
                     "for %s.",
                     words, g->code);
        g->seat[0] = '\0';
        g->hold_until = 0;
        all = false;
        if (m->screen == SCR_CONFIRM)
            m->screen = SCR_SEATMAP;
    }
    return all;
}

void kguest__timers(kmodel *m, const kworld *w, int64_t now, keffects *fx)
{
    bool guest_screen = m->screen == SCR_ENTRY || m->screen == SCR_SEATMAP ||
                        m->screen == SCR_CONFIRM || m->screen == SCR_DONE;
    int64_t idle = now - m->last_input_at;
    if (guest_screen && idle >= m->cfg.idle_ms) {
        kshared__go_home(m, w, now, fx);
        return;
    }
    /* Before the idle release takes a guest's seats or party: "Still there?". */
    bool at_stake = m->nparty > 0 && m->screen != SCR_DONE;
    if (guest_screen && at_stake && m->cfg.still_ms > 0 && m->msg.kind != MSG_STILL_THERE &&
        idle >= m->cfg.idle_ms - m->cfg.still_ms) {
        memset(&m->msg, 0, sizeof m->msg); /* its body counts down (ui.c) */
        m->msg.kind = MSG_STILL_THERE;
        text_copy(m->msg.title, sizeof m->msg.title, ktr_in(m->lang, "Still there?"));
        m->still_until = m->last_input_at + m->cfg.idle_ms;
    }
    if (m->screen != SCR_SEATMAP && m->screen != SCR_CONFIRM && m->screen != SCR_ENTRY)
        return;
    for (int i = 0; i < m->nparty; i++) {
        kguest *g = &m->party[i];
        if (g->seat[0] && !g->assigned[0] && now >= g->hold_until) {
            char words[96];
            kmodel_seat_words(w->l, m->lang, g->seat, words, sizeof words);
            usher_op *op = kshared__op(fx, w, OP_RELEASE, now);
            if (op)
                text_copy(op->seat, sizeof op->seat, g->seat);
            g->seat[0] = '\0';
            kshared__msg(m, MSG_INFO, "Time ran out",
                         "%s was kept for you for a while; it is free again. Please choose a "
                         "seat for %s.",
                         words, g->code);
            if (m->screen == SCR_CONFIRM)
                m->screen = SCR_SEATMAP;
        }
    }
    if (!m->msg.kind)
        holds_still_mine(m, w, now, fx);
}
