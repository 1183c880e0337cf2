/* ui.c - the display list of every screen (see ui.h). Pure: positions come from
 * the screen size in the model's config, words from the model and the world. */
#include "ui.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "timestamp.h"

const kcolor ui_look_colors[LOOK_COUNT] = {
    [LOOK_FREE] = {46, 170, 90, 255},       [LOOK_HELD] = {235, 160, 40, 255},
    [LOOK_TAKEN] = {120, 120, 130, 255},    [LOOK_MINE] = {40, 120, 235, 255},
    [LOOK_BLOCKED] = {40, 40, 44, 255},     [LOOK_CLASS] = {130, 80, 160, 255},
    [LOOK_UNAVAILABLE] = {75, 75, 85, 255},
};

static const char *const look_words[LOOK_COUNT] = {
    [LOOK_FREE] = "Free",
    [LOOK_HELD] = "Being chosen",
    [LOOK_TAKEN] = "Taken",
    [LOOK_MINE] = "Yours",
    [LOOK_BLOCKED] = "Blocked",
    [LOOK_CLASS] = "Not for your ticket",
    [LOOK_UNAVAILABLE] = "Not offered offline",
};

static const kcolor BG = {22, 26, 38, 255}, BAR = {34, 40, 58, 255}, WHITE = {255, 255, 255, 255},
                    DIM = {170, 176, 196, 255}, BTN = {60, 90, 160, 255},
                    BTN_OFF = {60, 64, 78, 255}, BTN_GO = {30, 140, 80, 255},
                    FIELD = {245, 245, 250, 255}, INK = {20, 20, 30, 255},
                    DIM_INK = {88, 92, 108, 255}, RED = {210, 50, 50, 255},
                    GREEN = {40, 170, 80, 255}, AMBER = {235, 150, 20, 255},
                    MAPBG = {30, 36, 52, 255}, TABLE = {70, 78, 100, 255};

void ui_frame_init(ui_frame *f)
{
    memset(f, 0, sizeof *f);
}

void ui_frame_release(ui_frame *f)
{
    free(f->items);
    free(f->seats);
    memset(f, 0, sizeof *f);
}

float ui_status_height(int h)
{
    float s = h / 16.0f;
    return s < 28 ? 28 : s > 48 ? 48 : s;
}

static krect R(float x, float y, float w, float h)
{
    krect r = {x, y, w, h};
    return r;
}

static ui_item *add(ui_frame *f, ui_kind kind, krect r, kcolor c)
{
    if (f->nitems == f->cap) {
        int cap = f->cap ? 2 * f->cap : 64;
        ui_item *p = realloc(f->items, (size_t)cap * sizeof *p);
        if (!p) {
            f->oom = true;
            return NULL;
        }
        f->items = p;
        f->cap = cap;
    }
    ui_item *it = &f->items[f->nitems++];
    memset(it, 0, offsetof(ui_item, text) + 1);
    it->kind = kind;
    it->r = r;
    it->c = c;
    return it;
}

static void fill(ui_frame *f, krect r, kcolor c)
{
    add(f, UI_FILL, r, c);
}

static ui_item *textf(ui_frame *f, krect r, ui_font font, int align, kcolor c, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static ui_item *textf(ui_frame *f, krect r, ui_font font, int align, kcolor c, const char *fmt, ...)
{
    ui_item *it = add(f, UI_TEXT, r, c);
    if (!it)
        return NULL;
    it->font = font;
    it->align = align;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->text, sizeof it->text, fmt, ap);
    va_end(ap);
    return it;
}

static void button(ui_frame *f, const char *name, krect r, const char *label, bool enabled,
                   kcolor c, ui_font font)
{
    fill(f, r, enabled ? c : BTN_OFF);
    add(f, UI_FRAME, r, BG);
    textf(f, r, font, 0, enabled ? WHITE : DIM, "%s", label);
    if (f->nbuttons < UI_MAX_BUTTONS) {
        ui_button *b = &f->buttons[f->nbuttons++];
        text_copy(b->name, sizeof b->name, name);
        b->r = r;
        b->enabled = enabled;
    }
}

const ui_button *ui_button_at(const ui_frame *f, float x, float y)
{
    for (int i = f->nbuttons - 1; i >= 0; i--)
        if (f->buttons[i].enabled && krect_has(f->buttons[i].r, x, y))
            return &f->buttons[i];
    return NULL;
}

const ui_button *ui_find_button(const ui_frame *f, const char *name)
{
    for (int i = f->nbuttons - 1; i >= 0; i--)
        if (!strcmp(f->buttons[i].name, name))
            return &f->buttons[i];
    return NULL;
}

bool ui_has_text(const ui_frame *f, const char *needle)
{
    for (int i = 0; i < f->nitems; i++)
        if (f->items[i].kind == UI_TEXT && strstr(f->items[i].text, needle))
            return true;
    return false;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

uint64_t ui_frame_hash(const ui_frame *f)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < f->nitems; i++) {
        const ui_item *it = &f->items[i];
        h = fnv(h, &it->kind, sizeof it->kind);
        h = fnv(h, &it->r, sizeof it->r);
        h = fnv(h, &it->c, sizeof it->c);
        h = fnv(h, &it->font, sizeof it->font);
        h = fnv(h, it->text, strlen(it->text));
    }
    for (int i = 0; i < f->nseats; i++) {
        const ui_seat *s = &f->seats[i];
        h = fnv(h, &s->x, sizeof s->x);
        h = fnv(h, &s->y, sizeof s->y);
        h = fnv(h, &s->radius, sizeof s->radius);
        h = fnv(h, &s->look, sizeof s->look);
    }
    return h;
}

/* ---- pieces ----------------------------------------------------------------------- */

float ui_font_px(int h, ui_font font)
{
    static const float div[FONT_COUNT] = {28, 20, 13, 7};
    float px = h / div[font];
    return px < 9 ? 9 : px;
}

static float font_px(const kmodel *m, ui_font font)
{
    return ui_font_px(m->cfg.h, font);
}

static void age_words(int64_t ms, char *out, size_t size)
{
    int64_t s = ms / 1000;
    if (s < 10)
        snprintf(out, size, "just now");
    else if (s < 60)
        snprintf(out, size, "%d s ago", (int)(s / 10 * 10));
    else if (s < 3600)
        snprintf(out, size, "%d min ago", (int)(s / 60));
    else
        snprintf(out, size, "%d h ago", (int)(s / 3600));
}

static void status_bar(const kmodel *m, const kworld *w, int64_t now, ui_frame *f)
{
    float W = (float)m->cfg.w, top = ui_status_height(m->cfg.h);
    fill(f, R(0, 0, W, top), BAR);
    bool off = kmodel_offline(w, now);
    float d = top * 0.4f;
    add(f, UI_DISC, R(top * 0.4f, (top - d) / 2, d, d), off ? RED : GREEN);
    textf(f, R(top, 0, W * 0.25f, top), FONT_S, -1, WHITE, "%s", off ? "OFFLINE" : "Online");
    textf(f, R(W * 0.25f, 0, W * 0.4f, top), FONT_S, 0, DIM, "%s%s%s",
          w->id.event_name[0] ? w->id.event_name : "Usher", m->mode == KMODE_DOOR ? " - door " : "",
          m->mode == KMODE_DOOR ? w->id.device : "");
    char age[32];
    if (w->st.last_sync_at > 0)
        age_words(now - w->st.last_sync_at, age, sizeof age);
    else
        text_copy(age, sizeof age, "never");
    if (w->unsaved)
        textf(f, R(W * 0.6f, 0, W * 0.4f - top * 0.3f, top), FONT_S, 1, AMBER,
              "synced %s - %lld pending - %lld NOT SAVED", age, (long long)w->pending,
              (long long)w->unsaved);
    else
        textf(f, R(W * 0.6f, 0, W * 0.4f - top * 0.3f, top), FONT_S, 1, DIM,
              "synced %s - %lld pending", age, (long long)w->pending);
}

static void msg_box(const kmodel *m, ui_frame *f)
{
    float W = (float)m->cfg.w, H = (float)m->cfg.h;
    kcolor veil = {0, 0, 0, 160};
    fill(f, R(0, 0, W, H), veil);
    krect box = R(W * 0.15f, H * 0.2f, W * 0.7f, H * 0.6f);
    fill(f, box, FIELD);
    add(f, UI_FRAME, box, m->msg.kind == MSG_REFUSAL ? RED : BTN);
    float pad = H * 0.03f, th = font_px(m, FONT_L) * 1.4f;
    textf(f, R(box.x + pad, box.y + pad, box.w - 2 * pad, th), FONT_L, 0,
          m->msg.kind == MSG_REFUSAL ? RED : INK, "%s", m->msg.title);
    ui_item *body = textf(f, R(box.x + pad, box.y + pad + th, box.w - 2 * pad, box.h * 0.45f),
                          FONT_M, 0, INK, "%s", m->msg.body);
    if (body)
        body->wrap = true;
    float bh = (float)kmodel_finger_px(&m->cfg) * 1.2f, by = box.y + box.h - bh - pad;
    if (m->msg.offer_change) {
        float bw = (box.w - 3 * pad) / 2;
        button(f, "keep", R(box.x + pad, by, bw, bh), "Keep it", true, BTN, FONT_M);
        button(f, "change", R(box.x + 2 * pad + bw, by, bw, bh), "Change seat", true, BTN_GO,
               FONT_M);
    } else {
        button(f, "ok", R(box.x + box.w / 2 - box.w / 6, by, box.w / 3, bh), "OK", true, BTN,
               FONT_M);
    }
}

/* ---- guest screens ------------------------------------------------------------------ */

static void attract(const kmodel *m, const kworld *w, ui_frame *f, float top)
{
    float W = (float)m->cfg.w, H = (float)m->cfg.h;
    button(f, "start", R(0, top, W, H - top), "", true, BG, FONT_S);
    textf(f, R(0, top + H * 0.12f, W, H * 0.2f), FONT_XL, 0, WHITE, "%s",
          w->id.event_name[0] ? w->id.event_name : "Welcome");
    textf(f, R(0, top + H * 0.4f, W, H * 0.12f), FONT_L, 0, WHITE, "Find your seat");
    textf(f, R(0, top + H * 0.55f, W, H * 0.1f), FONT_M, 0, DIM,
          "Touch the screen, or scan the QR code on your ticket");
}

static const char *const keyrows[] = {"1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM"};

static void entry(const kmodel *m, const kworld *w, int64_t now, ui_frame *f, float top)
{
    float W = (float)m->cfg.w, H = (float)m->cfg.h, pad = H * 0.015f + 2;
    float finger = (float)kmodel_finger_px(&m->cfg);
    float th = font_px(m, FONT_L) * 1.3f;
    if (m->proof_code[0])
        textf(f, R(pad, top + pad, W - 2 * pad, th), FONT_L, -1, WHITE,
              "Ticket %s: please type the holder's last name", m->proof_code);
    else
        textf(f, R(pad, top + pad, W - 2 * pad, th), FONT_L, -1, WHITE,
              m->nparty ? "Add another ticket, or choose your seats"
                        : "Type or scan your ticket number");
    float fy = top + 2 * pad + th, fh = finger * 1.1f, fw = W * 0.5f;
    fill(f, R(pad, fy, fw, fh), FIELD);
    if (m->entry[0])
        textf(f, R(pad * 2, fy, fw - 2 * pad, fh), FONT_L, -1, INK, "%s", m->entry);
    else
        textf(f, R(pad * 2, fy, fw - 2 * pad, fh), FONT_L, -1, DIM_INK,
              m->proof_code[0] ? "Last name" : "GALA-0001");
    bool locked = now < m->locked_until;
    float bw = (W - fw - 5 * pad) / 3;
    button(f, "ok", R(2 * pad + fw, fy, bw, fh), m->proof_code[0] ? "OK" : "Add",
           m->entry[0] != '\0', BTN_GO, FONT_M);
    char seats[40];
    snprintf(seats, sizeof seats, "Seats (%d)", m->nparty);
    button(f, "seats", R(3 * pad + fw + bw, fy, bw, fh), seats, m->nparty > 0, BTN, FONT_M);
    button(f, "cancel", R(4 * pad + fw + 2 * bw, fy, bw, fh), "Cancel", true, BTN_OFF, FONT_M);
    float py = fy + fh + pad * 0.5f, ph = font_px(m, FONT_M) * 1.4f;
    if (locked) {
        textf(f, R(pad, py, W - 2 * pad, ph), FONT_M, -1, AMBER,
              "Too many wrong numbers: the keypad is paused for %d s",
              (int)((m->locked_until - now + 999) / 1000));
    } else if (m->nparty) {
        char line[400] = "Your party:";
        size_t used = strlen(line);
        for (int i = 0; i < m->nparty && used < sizeof line; i++) {
            int n = snprintf(line + used, sizeof line - used, "%s %s%s%s", i ? "," : "",
                             m->party[i].code, m->party[i].name[0] ? " " : "", m->party[i].name);
            used += n > 0 ? (size_t)n : 0;
        }
        textf(f, R(pad, py, W - 2 * pad, ph), FONT_M, -1, DIM, "%s", line);
    }
    /* The keypad: 4 rows of 10 cells filling the rest of the screen. */
    float ky = py + ph + pad * 0.5f, kh = (H - ky - pad) / 4, kw = (W - 2 * pad) / 10;
    for (int r = 0; r < 4; r++) {
        for (int c = 0; keyrows[r][c]; c++) {
            char name[8] = "key_", label[2] = {keyrows[r][c], 0};
            name[4] = keyrows[r][c];
            name[5] = '\0';
            button(f, name, R(pad + c * kw, ky + r * kh, kw - 3, kh - 3), label, !locked, BTN,
                   FONT_L);
        }
    }
    button(f, "del", R(pad + 7 * kw, ky + 3 * kh, 3 * kw - 3, kh - 3), "Delete", !locked, BTN_OFF,
           FONT_M);
}

static void seat_row(const kmodel *m, const kworld *w, int64_t now, int i, ui_frame *f, krect r)
{
    const kguest *g = &m->party[i];
    char words[96] = "";
    const char *seat = kmodel_guest_seat(m, w, i);
    if (seat[0])
        kmodel_seat_words(w->l, seat, words, sizeof words);
    bool choosing = kmodel_choosing(m) == i;
    kcolor c = seat[0] ? ui_look_colors[LOOK_MINE] : choosing ? WHITE : DIM;
    if (seat[0] && !g->assigned[0] && g->hold_until > now) {
        int s = (int)((g->hold_until - now + 999) / 1000);
        textf(f, r, FONT_S, -1, c, "%s: %s (held %d:%02d)", g->code, words, s / 60, s % 60);
    } else if (seat[0]) {
        textf(f, r, FONT_S, -1, c, "%s: %s", g->code, words);
    } else {
        textf(f, r, FONT_S, -1, c, "%s: %s", g->code, choosing ? "tap a green seat" : "-");
    }
}

static void map_layer(const kmodel *m, const kworld *w, int64_t now, ui_frame *f)
{
    const seatmap *mp = &m->map;
    krect a = mp->area;
    fill(f, a, MAPBG);
    float sr = seatmap_seat_radius(mp);
    for (int s = 0; s < layout_section_count(w->l); s++) {
        const layout_section *sec = layout_section_at(w->l, s);
        float x, y;
        seatmap_to_screen(mp, sec->x, sec->y, &x, &y);
        if (sec->kind == SECTION_TABLE) {
            float r = (float)((sec->radius - LAYOUT_SEAT_SIZE * 0.75) * mp->scale);
            if (r < 1 || x + r < a.x || y + r < a.y || x - r > a.x + a.w || y - r > a.y + a.h)
                continue;
            add(f, UI_DISC, R(x - r, y - r, 2 * r, 2 * r), TABLE);
            if (r > 14) {
                const char *num = sec->label;
                const char *sp = strrchr(num, ' ');
                textf(f, R(x - r, y - r, 2 * r, 2 * r), FONT_S, 0, WHITE, "%s", sp ? sp + 1 : num);
            }
        } else if (sr > 6 && sec->seat_count > 0) {
            const layout_seat *first = layout_seat_at(w->l, sec->first_seat);
            float fx, fy;
            seatmap_to_screen(mp, first->x, first->y, &fx, &fy);
            if (fy > a.y && fy < a.y + a.h && fx - 4 * sr > a.x)
                textf(f, R(fx - 5 * sr, fy - sr, 3.5f * sr, 2 * sr), FONT_S, 1, DIM, "%s", sec->id);
        }
    }
    add(f, UI_SEATS, a, WHITE);
    if (f->skip_seats)
        return;
    int n = layout_seat_count(w->l);
    if (f->seatcap < n) {
        ui_seat *p = realloc(f->seats, (size_t)n * sizeof *p);
        if (!p) {
            f->oom = true;
            return;
        }
        f->seats = p;
        f->seatcap = n;
    }
    for (int i = 0; i < n; i++) {
        const layout_seat *ls = layout_seat_at(w->l, i);
        float x, y;
        seatmap_to_screen(mp, ls->x, ls->y, &x, &y);
        if (x + sr < a.x || y + sr < a.y || x - sr > a.x + a.w || y - sr > a.y + a.h)
            continue;
        ui_seat *s = &f->seats[f->nseats++];
        s->x = x;
        s->y = y;
        s->radius = sr;
        s->index = i;
        s->look = kmodel_seat_look(m, w, i, now);
    }
}

static void seatmap_screen(const kmodel *m, const kworld *w, int64_t now, ui_frame *f, float top)
{
    float W = (float)m->cfg.w, H = (float)m->cfg.h;
    float finger = (float)kmodel_finger_px(&m->cfg);
    map_layer(m, w, now, f);
    krect a = m->map.area;
    float zb = finger;
    button(f, "zoomin", R(a.x + a.w - zb - 6, a.y + 6, zb, zb), "+", true, BTN, FONT_L);
    button(f, "zoomout", R(a.x + a.w - zb - 6, a.y + 12 + zb, zb, zb), "-", true, BTN, FONT_L);
    button(f, "fit", R(a.x + a.w - zb - 6, a.y + 18 + 2 * zb, zb, zb), "All", true, BTN, FONT_S);
    if (!seatmap_tappable(&m->map))
        textf(f, R(a.x, a.y + a.h - font_px(m, FONT_M) * 1.6f, a.w, font_px(m, FONT_M) * 1.5f),
              FONT_M, 0, WHITE, "Tap near your table to come closer");
    /* The panel: who chooses, the party, the legend, the buttons. */
    float px = a.x + a.w, pw = W - px, pad = 8, y = top + pad;
    fill(f, R(px, top, pw, H - top), BG);
    int c = kmodel_choosing(m);
    float lh = font_px(m, FONT_S) * 1.5f;
    if (c >= 0)
        textf(f, R(px + pad, y, pw - 2 * pad, lh * 1.2f), FONT_M, -1, WHITE, "Seat for %s",
              m->party[c].name[0] ? m->party[c].name : m->party[c].code);
    else
        textf(f, R(px + pad, y, pw - 2 * pad, lh * 1.2f), FONT_M, -1, WHITE,
              "Every ticket has a seat");
    y += lh * 1.3f;
    for (int i = 0; i < m->nparty; i++, y += lh)
        seat_row(m, w, now, i, f, R(px + pad, y, pw - 2 * pad, lh));
    y += lh * 0.3f;
    bool lease_off = w->policy == JOURNAL_POLICY_LEASE && kmodel_offline(w, now);
    for (int k = 0; k < LOOK_COUNT; k++) {
        if (k == LOOK_UNAVAILABLE && !lease_off)
            continue;
        float d = lh * 0.7f;
        add(f, UI_DISC, R(px + pad, y + (lh - d) / 2, d, d), ui_look_colors[k]);
        textf(f, R(px + pad + d * 1.5f, y, pw - 2 * pad - d * 1.5f, lh), FONT_S, -1, DIM, "%s",
              look_words[k]);
        y += lh;
    }
    float bh = finger, by = H - pad - bh;
    button(f, "confirm", R(px + pad, by - 2 * (bh + pad), pw - 2 * pad, bh), "Confirm",
           c < 0 && m->nparty > 0, BTN_GO, FONT_M);
    button(f, "back", R(px + pad, by - (bh + pad), pw - 2 * pad, bh), "Add tickets", true, BTN,
           FONT_M);
    button(f, "cancel", R(px + pad, by, pw - 2 * pad, bh), "Cancel", true, BTN_OFF, FONT_M);
}

/* Why the coordinator refused an assign, for the guest. */
static const char *refusal_words(const kmodel *m, const kworld *w, int i)
{
    for (int k = 0; k < w->nops; k++) {
        if (strcmp(w->ops[k].op_id, m->party[i].assign_op) != 0)
            continue;
        switch (w->ops[k].reason) {
        case REASON_REVOKED:
            return "ticket cancelled, please see the front desk";
        case REASON_CLASS_NOT_ALLOWED:
            return "that seat is not for this ticket, please choose again";
        case REASON_SEAT_TAKEN:
        case REASON_SEAT_HELD:
        case REASON_SEAT_LEASED:
        case REASON_SEAT_BLOCKED:
        case REASON_NO_FREE_SEAT:
            return "the seat was taken and none is free, please ask staff";
        default:
            break;
        }
    }
    return "please ask a member of staff";
}

static void party_list(const kmodel *m, const kworld *w, ui_frame *f, krect r)
{
    float lh = font_px(m, FONT_M) * 1.6f;
    for (int i = 0; i < m->nparty; i++) {
        if (kmodel_guest_refused(m, w, i)) {
            textf(f, R(r.x, r.y + i * lh, r.w, lh), FONT_M, -1, AMBER, "%s %s: NOT seated - %s",
                  m->party[i].code, m->party[i].name, refusal_words(m, w, i));
            continue;
        }
        char words[96];
        const char *seat = kmodel_guest_seat(m, w, i);
        kmodel_seat_words(w->l, seat, words, sizeof words);
        textf(f, R(r.x, r.y + i * lh, r.w, lh), FONT_M, -1, WHITE, "%s %s: %s", m->party[i].code,
              m->party[i].name, words);
    }
}

static void confirm_screen(const kmodel *m, const kworld *w, ui_frame *f, float top)
{
    float W = (float)m->cfg.w, H = (float)m->cfg.h, pad = 16;
    float finger = (float)kmodel_finger_px(&m->cfg);
    textf(f, R(pad, top + pad, W - 2 * pad, font_px(m, FONT_L) * 1.4f), FONT_L, -1, WHITE,
          "Please confirm your seats");
    party_list(m, w, f, R(pad, top + pad + font_px(m, FONT_L) * 1.8f, W - 2 * pad, H));
    float bh = finger * 1.2f, bw = (W - 3 * pad) / 2;
    button(f, "back", R(pad, H - pad - bh, bw, bh), "Change", true, BTN, FONT_M);
    button(f, "yes", R(2 * pad + bw, H - pad - bh, bw, bh), "Yes, seat us", true, BTN_GO, FONT_M);
}

static void done_screen(const kmodel *m, const kworld *w, ui_frame *f, float top)
{
    float W = (float)m->cfg.w, H = (float)m->cfg.h, pad = 16;
    float finger = (float)kmodel_finger_px(&m->cfg);
    float q = H - top - 3 * pad - finger * 1.2f;
    if (q > W * 0.4f)
        q = W * 0.4f;
    float lw = W - q - 3 * pad;
    int refused = 0;
    for (int i = 0; i < m->nparty; i++)
        refused += kmodel_guest_refused(m, w, i);
    textf(f, R(pad, top + pad, lw, font_px(m, FONT_L) * 1.4f), FONT_L, -1, refused ? AMBER : WHITE,
          "%s",
          !refused              ? "You are seated!"
          : refused < m->nparty ? "Not every ticket could be seated"
                                : "We could not seat you");
    float y = top + pad + font_px(m, FONT_L) * 1.8f;
    party_list(m, w, f, R(pad, y, lw, H));
    y += m->nparty * font_px(m, FONT_M) * 1.6f + pad;
    for (int i = 0; i < m->nparty; i++) {
        const char *now_seat = kmodel_guest_seat(m, w, i);
        if (now_seat[0] && strcmp(now_seat, m->party[i].assigned) != 0) {
            char was[96], is[96];
            kmodel_seat_words(w->l, m->party[i].assigned, was, sizeof was);
            kmodel_seat_words(w->l, now_seat, is, sizeof is);
            ui_item *it = textf(f, R(pad, y, lw, font_px(m, FONT_M) * 3.2f), FONT_M, -1, AMBER,
                                "Seat changed: %s was taken at another kiosk just before; %s "
                                "now sits at %s.",
                                was, m->party[i].code, is);
            if (it)
                it->wrap = true;
            y += font_px(m, FONT_M) * 3.4f;
        }
    }
    if (kmodel_confirmation_text(m, w, f->qr_text, sizeof f->qr_text) > 0) {
        textf(f, R(pad, y, lw, font_px(m, FONT_M) * 1.5f), FONT_M, -1, DIM,
              "Take a photo of the code to remember your seats.");
        ui_item *qr = add(f, UI_QR, R(W - q - pad, top + pad, q, q), INK);
        if (qr) {
            uint64_t h = 1469598103934665603ull;
            for (const char *p = f->qr_text; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ull;
            snprintf(qr->text, sizeof qr->text, "qr %016llx", (unsigned long long)h);
        }
    } else {
        f->qr_text[0] = '\0';
    }
    button(f, "done", R(pad, H - pad - finger * 1.2f, lw, finger * 1.2f), "Done", true, BTN_GO,
           FONT_M);
}

/* ---- door and staff ------------------------------------------------------------------ */

static void counts(const kmodel *m, const kworld *w, int64_t now, ui_frame *f, krect r, kcolor c)
{
    state_stats st;
    state_get_stats(w->view, now, &st);
    textf(f, r, FONT_M, 0, c, "Checked in %d of %d   (admitted here: %d)", st.checked_in,
          st.tickets, m->admitted);
}

static void door_screen(const kmodel *m, const kworld *w, int64_t now, ui_frame *f, float top)
{
    float W = (float)m->cfg.w, H = (float)m->cfg.h;
    textf(f, R(0, top + H * 0.15f, W, H * 0.2f), FONT_XL, 0, WHITE, "Scan a ticket");
    textf(f, R(0, top + H * 0.4f, W, H * 0.1f), FONT_M, 0, DIM,
          "Hold the QR code under the scanner");
    if (m->entry[0])
        textf(f, R(0, top + H * 0.52f, W, H * 0.08f), FONT_M, 0, WHITE, "%s", m->entry);
    counts(m, w, now, f, R(0, H - H * 0.15f, W, H * 0.1f), DIM);
}

static void verdict_screen(const kmodel *m, const kworld *w, int64_t now, ui_frame *f, float top)
{
    float W = (float)m->cfg.w, H = (float)m->cfg.h;
    const kverdict *v = &m->verdict;
    kcolor bg = v->kind == VERDICT_ADMITTED                                ? GREEN
                : v->kind == VERDICT_ALREADY || v->kind == VERDICT_SHOW_QR ? AMBER
                                                                           : RED;
    if (!v->saved && v->kind != VERDICT_REFUSED)
        bg = AMBER; /* never green before the check-in is durable */
    button(f, "ok", R(0, top, W, H - top), "", true, bg, FONT_S);
    if (v->saved) {
        textf(f, R(0, top + H * 0.05f, W, H * 0.2f), FONT_XL, 0, WHITE, "%s", v->title);
    } else {
        textf(f, R(0, top + H * 0.05f, W, H * 0.2f), FONT_XL, 0, WHITE,
              "NOT RECORDED \u2013 tell staff");
        ui_item *it =
            textf(f, R(W * 0.05f, top + H * 0.56f, W * 0.9f, H * 0.16f), FONT_M, 0, WHITE,
                  "%s, but this door could not save the scan; it keeps trying.", v->title);
        if (it)
            it->wrap = true;
    }
    if (v->name[0])
        textf(f, R(0, top + H * 0.28f, W, H * 0.12f), FONT_L, 0, WHITE, "%s", v->name);
    char words[96] = "";
    if (v->seat[0])
        kmodel_seat_words(w->l, v->seat, words, sizeof words);
    else if (v->kind != VERDICT_REFUSED)
        text_copy(words, sizeof words, "No seat chosen yet");
    if (words[0])
        textf(f, R(0, top + H * 0.42f, W, H * 0.12f), FONT_L, 0, WHITE, "%s", words);
    if (v->detail[0] && v->saved) {
        ui_item *it = textf(f, R(W * 0.05f, top + H * 0.56f, W * 0.9f, H * 0.16f), FONT_M, 0, WHITE,
                            "%s", v->detail);
        if (it)
            it->wrap = true;
    }
    if (v->code[0])
        textf(f, R(0, top + H * 0.70f, W, H * 0.07f), FONT_S, 0, WHITE, "%s", v->code);
    counts(m, w, now, f, R(0, H - H * 0.12f, W, H * 0.1f), WHITE);
}

static void pin_screen(const kmodel *m, ui_frame *f, float top)
{
    float W = (float)m->cfg.w, H = (float)m->cfg.h, pad = 8;
    float th = font_px(m, FONT_L) * 1.4f;
    textf(f, R(0, top + pad, W, th), FONT_L, 0, WHITE, "Staff PIN");
    char stars[16] = "";
    size_t n = strlen(m->pin);
    for (size_t i = 0; i < n && i + 1 < sizeof stars; i++)
        stars[i] = '*';
    stars[n < sizeof stars ? n : sizeof stars - 1] = '\0';
    float fw = W * 0.4f, fy = top + 2 * pad + th;
    fill(f, R((W - fw) / 2, fy, fw, th), FIELD);
    textf(f, R((W - fw) / 2, fy, fw, th), FONT_L, 0, INK, "%s", stars);
    float ky = fy + th + pad, kh = (H - ky - pad) / 4, kw = kh * 1.6f;
    if (kw * 3 > W * 0.6f)
        kw = W * 0.2f;
    float kx = (W - 3 * kw) / 2;
    static const char *const labels = "123456789";
    for (int i = 0; i < 9; i++) {
        char name[8] = "pin_0", label[2] = {labels[i], 0};
        name[4] = labels[i];
        button(f, name, R(kx + (i % 3) * kw, ky + (i / 3) * kh, kw - 4, kh - 4), label, true, BTN,
               FONT_L);
    }
    button(f, "pin_del", R(kx, ky + 3 * kh, kw - 4, kh - 4), "Del", true, BTN_OFF, FONT_M);
    button(f, "pin_0", R(kx + kw, ky + 3 * kh, kw - 4, kh - 4), "0", true, BTN, FONT_L);
    button(f, "pin_ok", R(kx + 2 * kw, ky + 3 * kh, kw - 4, kh - 4), "OK", true, BTN_GO, FONT_M);
    button(f, "pin_cancel", R(W - kx + pad, ky + 3 * kh, kx - 2 * pad, kh - 4), "Cancel", true,
           BTN_OFF, FONT_M);
}

static void maint_screen(const kmodel *m, const kworld *w, int64_t now, ui_frame *f, float top)
{
    float W = (float)m->cfg.w, H = (float)m->cfg.h, pad = 12;
    float lh = font_px(m, FONT_M) * 1.5f, y = top + pad;
    textf(f, R(pad, y, W - 2 * pad, lh), FONT_L, -1, WHITE, "Maintenance");
    y += lh * 1.4f;
    char last[TIMESTAMP_TEXT_SIZE] = "never";
    if (w->st.last_sync_at)
        timestamp_format(w->st.last_sync_at, last);
    textf(f, R(pad, y, W - 2 * pad, lh), FONT_M, -1, WHITE, "Device: %s (%s)", w->id.device,
          role_name(w->id.role) ? role_name(w->id.role) : "?");
    y += lh;
    textf(f, R(pad, y, W - 2 * pad, lh), FONT_M, -1, WHITE, "Event: %s - mode %s", w->id.event_name,
          m->mode == KMODE_DOOR ? "door" : "guest");
    y += lh;
    textf(f, R(pad, y, W - 2 * pad, lh), FONT_M, -1, WHITE,
          "Sync: %s, %lld pending, offline policy %s",
          kmodel_offline(w, now) ? "offline" : "online", (long long)w->pending,
          w->policy == JOURNAL_POLICY_LEASE ? "lease" : "optimistic");
    y += lh;
    textf(f, R(pad, y, W - 2 * pad, lh), FONT_M, -1, WHITE, "Last sync: %s", last);
    y += lh;
    if (w->st.last_error[0]) {
        textf(f, R(pad, y, W - 2 * pad, lh), FONT_S, -1, AMBER, "Last error: %s", w->st.last_error);
        y += lh;
    }
    if (w->unsaved || m->save_error[0])
        textf(f, R(pad, y, W - 2 * pad, lh), FONT_S, -1, AMBER,
              "Kiosk: %lld ops not saved yet; last save error: %s", (long long)w->unsaved,
              m->save_error[0] ? m->save_error : "none");
    float bh = (float)kmodel_finger_px(&m->cfg) * 1.2f, bw = (W - 5 * pad) / 4, by = H - pad - bh;
    button(f, "guest", R(pad, by, bw, bh), "Guest mode", m->mode != KMODE_GUEST, BTN, FONT_M);
    button(f, "door", R(2 * pad + bw, by, bw, bh), "Door mode", m->mode != KMODE_DOOR, BTN, FONT_M);
    button(f, "back", R(3 * pad + 2 * bw, by, bw, bh), "Back", true, BTN_GO, FONT_M);
    button(f, "quit", R(4 * pad + 3 * bw, by, bw, bh), "Quit", true, RED, FONT_M);
}

void ui_build(const kmodel *m, const kworld *w, int64_t now, ui_frame *f)
{
    bool skip = f->skip_seats;
    f->nitems = f->nbuttons = f->nseats = 0;
    f->qr_text[0] = '\0';
    f->oom = false;
    float W = (float)m->cfg.w, H = (float)m->cfg.h, top = ui_status_height(m->cfg.h);
    /* The seat map's own fills tile the screen: no background under them
     * (a million pixels fewer to write on a software renderer). */
    if (!w->l || m->screen != SCR_SEATMAP || !m->map_ready)
        fill(f, R(0, 0, W, H), BG);
    if (!w->l) {
        textf(f, R(0, H * 0.35f, W, H * 0.15f), FONT_L, 0, WHITE, "Waiting for the coordinator");
        textf(f, R(0, H * 0.5f, W, H * 0.1f), FONT_M, 0, DIM,
              "This kiosk has not been set up yet: usher-syncd fetches the event when it "
              "reaches the coordinator.");
        return;
    }
    /* The seat map pans under the status bar: on that screen the bar is
     * drawn last, over whatever part of a table reaches into it. */
    bool bar_last = m->screen == SCR_SEATMAP && m->map_ready;
    if (!bar_last)
        status_bar(m, w, now, f);
    switch (m->screen) {
    case SCR_WAITING:
    case SCR_ATTRACT:
        attract(m, w, f, top);
        break;
    case SCR_ENTRY:
        entry(m, w, now, f, top);
        break;
    case SCR_SEATMAP:
        if (m->map_ready)
            seatmap_screen(m, w, now, f, top);
        break;
    case SCR_CONFIRM:
        confirm_screen(m, w, f, top);
        break;
    case SCR_DONE:
        done_screen(m, w, f, top);
        break;
    case SCR_DOOR:
        door_screen(m, w, now, f, top);
        break;
    case SCR_VERDICT:
        verdict_screen(m, w, now, f, top);
        break;
    case SCR_PIN:
        pin_screen(m, f, top);
        break;
    case SCR_MAINT:
        maint_screen(m, w, now, f, top);
        break;
    }
    if (bar_last)
        status_bar(m, w, now, f);
    if (m->msg.kind)
        msg_box(m, f);
    f->skip_seats = skip;
}
