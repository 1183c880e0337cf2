/* kmodel.c - the top of the kiosk's state machine: inputs and timers
 * dispatched to the screens (guest flow kguest.c, door kdoor.c, staff search
 * kfind.c, their helpers kshared.c), the staff PIN and maintenance screen,
 * saves that failed. Nothing below calls back into it. Pure. */
#include "kmodel.h"

#include <math.h>
#include <string.h>

#include "kdoor.h"
#include "kfind.h"
#include "kguest.h"
#include "kshared.h"
#include "text.h"

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

void kmodel_init(kmodel *m, const kconfig *cfg, const kworld *w, int64_t now)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    if (!ktr_known(m->cfg.lang))
        text_copy(m->cfg.lang, sizeof m->cfg.lang, "en");
    text_copy(m->lang, sizeof m->lang, kshared__default_lang(m, w));
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
            kshared__msg(m, MSG_REFUSAL, "No staff PIN",
                         "This event has no staff PIN yet: run 'usher-coord event set --pin new' "
                         "and let this kiosk sync, or start it with --pin.");
        else
            kshared__msg(m, MSG_REFUSAL, "Wrong PIN", "That PIN is not right.");
    } else if (!strcmp(name, "find") && m->screen == SCR_MAINT && m->mode == KMODE_DOOR) {
        kfind__open(m, w);
    } else if (!strcmp(name, "pin_cancel") || !strcmp(name, "back")) {
        m->pin[0] = '\0';
        m->override_code[0] = '\0';
        m->screen = m->pin_back;
    } else if (!strcmp(name, "guest") || !strcmp(name, "door")) {
        kshared__party_reset(m, w, now, fx);
        m->mode = name[0] == 'g' ? KMODE_GUEST : KMODE_DOOR;
        kshared__go_home(m, w, now, fx);
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
        kdoor__reprint(m, w, now, fx);
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
        text_copy(m->lang, sizeof m->lang, kshared__default_lang(m, w));
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
        kshared__go_home(m, w, now, fx);
    kdoor__timers(m, w, now);
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
        kshared__msg(m, MSG_REFUSAL, "Not saved",
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
