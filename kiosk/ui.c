/* ui.c - the display list of every screen (see ui.h). Pure: positions come from
 * the screen size in the model's config, words from the model and the world. */
#include "ui.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entrance_count.h"
#include "ktime.h"
#include "ktr.h"
#include "text.h"
#include "timestamp.h"

/* The language of the frame being built (ui_build sets it). */
static const char *ui_lang = "";
#define _(s) ktr_in(ui_lang, s)

const kcolor ui_look_colors[LOOK_COUNT] = {
    [LOOK_FREE] = {46, 170, 90, 255},       [LOOK_HELD] = {235, 160, 40, 255},
    [LOOK_TAKEN] = {120, 120, 130, 255},    [LOOK_MINE] = {40, 120, 235, 255},
    [LOOK_BLOCKED] = {40, 40, 44, 255},     [LOOK_CLASS] = {130, 80, 160, 255},
    [LOOK_UNAVAILABLE] = {75, 75, 85, 255},
};

#define N_(s) s
static const char *const look_words[LOOK_COUNT] = {
    [LOOK_FREE] = N_("Free"),
    [LOOK_HELD] = N_("Being chosen"),
    [LOOK_TAKEN] = N_("Taken"),
    [LOOK_MINE] = N_("Yours"),
    [LOOK_BLOCKED] = N_("Blocked"),
    [LOOK_CLASS] = N_("Not for your ticket"),
    [LOOK_UNAVAILABLE] = N_("Not offered offline"),
};

static const kcolor BG = {22, 26, 38, 255}, BAR = {34, 40, 58, 255}, WHITE = {255, 255, 255, 255},
                    DIM = {170, 176, 196, 255}, BTN = {60, 90, 160, 255},
                    BTN_OFF = {60, 64, 78, 255}, BTN_GO = {20, 120, 60, 255},
                    FIELD = {245, 245, 250, 255}, INK = {20, 20, 30, 255},
                    DIM_INK = {88, 92, 108, 255}, MINE_TEXT = {110, 165, 255, 255},
                    VERDICT_GREEN = {20, 120, 50, 255}, RED = {210, 50, 50, 255},
                    GREEN = {40, 170, 80, 255}, AMBER = {235, 150, 20, 255},
                    MAPBG = {30, 36, 52, 255}, TABLE = {70, 78, 100, 255};

static double channel(uint8_t c)
{
    double s = c / 255.0;
    return s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4);
}

static double luminance(kcolor c)
{
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
}

double ui_contrast(kcolor a, kcolor b)
{
    double la = luminance(a), lb = luminance(b);
    return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

kcolor ui_text_background(const ui_frame *f, int i)
{
    krect t = f->items[i].r;
    float cx = t.x + t.w / 2, cy = t.y + t.h / 2;
    for (int k = i - 1; k >= 0; k--) {
        const ui_item *it = &f->items[k];
        if ((it->kind == UI_FILL || it->kind == UI_DISC) && krect_has(it->r, cx, cy))
            return it->c;
    }
    return BG;
}

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

static krect R(float x, float y, float w, float h)
{
    krect r = {x, y, w, h};
    return r;
}

/* While true, items and buttons are made `fixed` (not mirrored in RTL). */
static bool ui_fixed;

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
    it->fixed = ui_fixed;
    it->kind = kind;
    it->r = r;
    it->c = c;
    return it;
}

static void fill(ui_frame *f, krect r, kcolor c)
{
    add(f, UI_FILL, r, c);
}

/* The geometry of the frame being built (ui_build sets it). */
static klayout ui_L;

static ui_item *textf(ui_frame *f, krect r, ui_font font, int align, kcolor c, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static ui_item *textf(ui_frame *f, krect r, ui_font font, int align, kcolor c, const char *fmt, ...)
{
    ui_item *it = add(f, UI_TEXT, r, c);
    if (!it)
        return NULL;
    it->font = font;
    it->px = ui_L.px[font];
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
    ui_item *it = textf(f, r, font, 0, enabled ? WHITE : DIM, "%s", label);
    /* A label never taller than its button (never under the minimum). */
    if (it && it->px * 1.6f > r.h)
        it->px = fmaxf(ui_L.min_px, floorf(r.h / 1.6f));
    if (f->nbuttons < UI_MAX_BUTTONS) {
        ui_button *b = &f->buttons[f->nbuttons++];
        text_copy(b->name, sizeof b->name, name);
        b->r = r;
        b->enabled = enabled;
        b->fixed = ui_fixed;
    }
}

void ui_nudge_button(ui_frame *f, const char *name, float dx, float dy)
{
    for (int i = 0; i < f->nbuttons; i++) {
        ui_button *b = &f->buttons[i];
        if (strcmp(b->name, name) != 0)
            continue;
        krect old = b->r;
        b->r.x += dx;
        b->r.y += dy;
        for (int k = 0; k < f->nitems; k++) /* its fill, frame and label move too */
            if (!memcmp(&f->items[k].r, &old, sizeof old)) {
                f->items[k].r.x += dx;
                f->items[k].r.y += dy;
            }
    }
}

void ui_hit(const ui_frame *f, kiosk_input *in)
{
    if (in->kind != KIN_UP)
        return;
    const ui_button *b = ui_button_at(f, in->x, in->y);
    text_copy(in->button, sizeof in->button, b ? b->name : "");
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

static float LINE(ui_font font)
{
    return klayout_line(&ui_L, font);
}

static void age_words(int64_t ms, char *out, size_t size)
{
    int64_t s = ms / 1000;
    if (s < 10)
        snprintf(out, size, "%s", _("just now"));
    else if (s < 60)
        snprintf(out, size, _("%d s ago"), (int)(s / 10 * 10));
    else if (s < 3600)
        snprintf(out, size, _("%d min ago"), (int)(s / 60));
    else
        snprintf(out, size, _("%d h ago"), (int)(s / 3600));
}

/* About how wide text is at px, a little more rather than less (Noto Sans:
 * a space, punctuation and i j l f t 0.3 em, a digit 0.57, a capital 0.66,
 * other letters 0.55, CJK a whole em; measured within 11% on the kiosk's
 * own words), to choose between a long and a short form before Pango lays
 * it out; Pango still shortens what does not fit. */
static float est_width(const char *text, float px)
{
    float em = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        unsigned char c = *p;
        if ((c & 0xc0) == 0x80)
            continue; /* inside a character */
        if (c >= 0xe2)
            em += 1.0f;
        else if (c == ' ' || strchr(",.:;()-'!|ijlft", c))
            em += 0.3f;
        else if (c >= '0' && c <= '9')
            em += 0.57f;
        else if (c >= 'A' && c <= 'Z')
            em += 0.66f;
        else
            em += 0.55f;
    }
    return em * px * 1.06f;
}

static void status_bar(const kmodel *m, const kworld *w, int64_t now, ui_frame *f)
{
    const klayout *L = &ui_L;
    float W = (float)L->w, top = L->bar, g = L->gap;
    fill(f, R(0, 0, W, top), BAR);
    bool off = kmodel_offline(w, now);
    float d = top * 0.4f;
    add(f, UI_DISC, R(top * 0.4f, (top - d) / 2, d, d), off ? RED : GREEN);
    /* Three boxes side by side that never meet: a text too long is shortened.
     * The sync line gets the room it needs up to 60% of the bar, the state's
     * word up to 30%, the event's name the rest between them. */
    char age[32], sync[160];
    if (w->st.last_sync_at > 0)
        age_words(now - w->st.last_sync_at, age, sizeof age);
    else
        text_copy(age, sizeof age, _("never"));
    if (w->unsaved)
        snprintf(sync, sizeof sync, _("synced %s - %lld pending - %lld NOT SAVED"), age,
                 (long long)w->pending, (long long)w->unsaved);
    else
        snprintf(sync, sizeof sync, _("synced %s - %lld pending"), age, (long long)w->pending);
    const char *link = off ? _("OFFLINE") : _("Online");
    float px = ui_L.px[FONT_S];
    float x1 = fminf(top + 1.2f * est_width(link, px) + 2 * g, W * 0.3f);
    float x2 = fmaxf(W - g - 1.2f * est_width(sync, px) - 2 * g, W * 0.4f);
    textf(f, R(top, 0, x1 - top - g, top), FONT_S, -1, WHITE, "%s", link);
    textf(f, R(x1, 0, x2 - x1 - g, top), FONT_S, 0, DIM, "%s%s%s",
          w->id.event_name[0] ? w->id.event_name : "Usher", m->mode == KMODE_DOOR ? " - " : "",
          m->mode == KMODE_DOOR ? w->id.device : "");
    textf(f, R(x2, 0, W - x2 - g, top), FONT_S, 1, w->unsaved ? AMBER : DIM, "%s", sync);
}

/* A modal box over the screen: title, body, and its buttons. */
static void msg_box(const kmodel *m, int64_t now, ui_frame *f)
{
    const klayout *L = &ui_L;
    float W = (float)L->w, H = (float)L->h, g = L->gap;
    kcolor veil = {0, 0, 0, 160};
    fill(f, R(0, 0, W, H), veil);
    f->nbuttons = 0; /* modal: only the box's own buttons can be tapped */
    float bw = W * (L->portrait ? 0.9f : 0.7f), bh = L->target;
    float body_h = 4 * LINE(FONT_M);
    float boxh = 4 * g + LINE(FONT_L) + body_h + bh;
    if (boxh > L->body.h - 2 * g)
        boxh = L->body.h - 2 * g;
    krect box = R((W - bw) / 2, L->bar + (L->body.h - boxh) / 2, bw, boxh);
    fill(f, box, FIELD);
    bool refusal = m->msg.kind == MSG_REFUSAL;
    add(f, UI_FRAME, box, refusal ? RED : BTN);
    textf(f, R(box.x + g, box.y + g, box.w - 2 * g, LINE(FONT_L)), FONT_L, 0, refusal ? RED : INK,
          "%s", m->msg.title);
    float by = box.y + box.h - bh - g, ty = box.y + 2 * g + LINE(FONT_L);
    ui_item *body = NULL;
    if (m->msg.kind == MSG_STILL_THERE) {
        int s = (int)((m->still_until - now + 999) / 1000);
        body =
            textf(f, R(box.x + g, ty, box.w - 2 * g, by - g - ty), FONT_M, 0, INK,
                  _("Your seats are released in %d s. Tap anywhere to keep going."), s < 0 ? 0 : s);
    } else {
        body = textf(f, R(box.x + g, ty, box.w - 2 * g, by - g - ty), FONT_M, 0, INK, "%s",
                     m->msg.body);
    }
    if (body)
        body->wrap = true;
    if (m->msg.offer_change) {
        float w2 = (box.w - 3 * g) / 2;
        button(f, "keep", R(box.x + g, by, w2, bh), _("Keep it"), true, BTN, FONT_M);
        button(f, "change", R(box.x + 2 * g + w2, by, w2, bh), _("Change seat"), true, BTN_GO,
               FONT_M);
    } else {
        float w1 = box.w / 3 < L->finger * 2 ? L->finger * 2 : box.w / 3;
        button(f, "ok", R(box.x + (box.w - w1) / 2, by, w1, bh),
               m->msg.kind == MSG_STILL_THERE ? _("Keep going") : _("OK"), true, BTN, FONT_M);
    }
}

/* ---- guest screens ------------------------------------------------------------------ */

static void attract(const kmodel *m, const kworld *w, ui_frame *f)
{
    const klayout *L = &ui_L;
    float W = (float)L->w, g = L->gap, y0 = L->body.y;
    /* The language buttons along the bottom; the rest of the screen starts. */
    float lh = L->target;
    int n = ktr_nlangs;
    float lw = (W - (n + 1) * g) / n;
    float ly = L->h - g - lh;
    button(f, "start", R(0, y0, W, ly - g - y0), "", true, BG, FONT_S);
    for (int i = 0; i < n; i++) {
        char name[24];
        snprintf(name, sizeof name, "lang_%s", ktr_langs[i]);
        bool on = !strcmp(ktr_langs[i], m->lang);
        button(f, name, R(g + i * (lw + g), ly, lw, lh), ktr_native(ktr_langs[i]), true,
               on ? BTN_GO : BTN, FONT_S);
    }
    float avail = ly - g - y0;
    textf(f, R(g, y0 + avail * 0.12f, W - 2 * g, LINE(FONT_XL)), FONT_XL, 0, WHITE, "%s",
          w->id.event_name[0] ? w->id.event_name : _("Welcome"));
    textf(f, R(g, y0 + avail * 0.45f, W - 2 * g, LINE(FONT_L)), FONT_L, 0, WHITE, "%s",
          _("Find your seat"));
    ui_item *it =
        textf(f, R(g, y0 + avail * 0.45f + LINE(FONT_L) + g, W - 2 * g, 2 * LINE(FONT_M)), FONT_M,
              0, DIM, "%s", _("Touch the screen, or scan the QR code on your ticket"));
    if (it)
        it->wrap = true;
}

static const char *const keyrows[] = {"1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM"};

static void entry(const kmodel *m, const kworld *w, int64_t now, ui_frame *f)
{
    (void)w;
    const klayout *L = &ui_L;
    float W = (float)L->w, H = (float)L->h, g = L->gap;
    float y = L->body.y + g;
    if (m->proof_code[0])
        textf(f, R(g, y, W - 2 * g, LINE(FONT_L)), FONT_L, -1, WHITE,
              _("Ticket %s: please type the holder's last name"), m->proof_code);
    else
        textf(f, R(g, y, W - 2 * g, LINE(FONT_L)), FONT_L, -1, WHITE, "%s",
              m->nparty ? _("Add another ticket, or choose your seats")
                        : _("Type or scan your ticket number"));
    y += LINE(FONT_L) + g;
    float fh = fmaxf(L->target, LINE(FONT_L)), fw = L->portrait ? W - 2 * g : W * 0.5f;
    fill(f, R(g, y, fw, fh), FIELD);
    if (m->entry[0])
        textf(f, R(2 * g, y, fw - 2 * g, fh), FONT_L, -1, INK, "%s", m->entry);
    else
        textf(f, R(2 * g, y, fw - 2 * g, fh), FONT_L, -1, DIM_INK,
              m->proof_code[0] ? _("Last name") : "GALA-0001");
    bool locked = now < m->locked_until;
    float bx = 2 * g + fw, by = y;
    if (L->portrait) { /* the buttons on a row of their own */
        bx = g;
        by = y + fh + g;
    }
    float bw = (W - bx - 3 * g) / 3;
    button(f, "ok", R(bx, by, bw - g, fh), m->proof_code[0] ? _("OK") : _("Add"),
           m->entry[0] != '\0', BTN_GO, FONT_M);
    char seats[64];
    snprintf(seats, sizeof seats, _("Seats (%d)"), m->nparty);
    button(f, "seats", R(bx + bw, by, bw - g, fh), seats, m->nparty > 0, BTN, FONT_M);
    button(f, "cancel", R(bx + 2 * bw, by, bw - g, fh), _("Cancel"), true, BTN_OFF, FONT_M);
    y = by + fh + g;
    float ph = LINE(FONT_M);
    if (locked) {
        textf(f, R(g, y, W - 2 * g, ph), FONT_M, -1, AMBER,
              _("Too many wrong numbers: the keypad is paused for %d s"),
              (int)((m->locked_until - now + 999) / 1000));
    } else if (m->nparty) {
        char line[400];
        size_t used = (size_t)snprintf(line, sizeof line, "%s", _("Your party:"));
        for (int i = 0; i < m->nparty && used < sizeof line; i++) {
            int n = snprintf(line + used, sizeof line - used, "%s %s%s%s", i ? "," : "",
                             m->party[i].code, m->party[i].name[0] ? " " : "", m->party[i].name);
            used += n > 0 ? (size_t)n : 0;
        }
        textf(f, R(g, y, W - 2 * g, ph), FONT_M, -1, DIM, "%s", line);
    }
    y += ph + g;
    /* The keypad: 4 rows of 10 keys in the rest of the screen, no taller than
     * two fingers a key. */
    float kh = (H - y - g) / 4, kw = (W - 2 * g) / 10;
    if (kh > 2 * L->finger)
        kh = 2 * L->finger;
    ui_fixed = true; /* codes are Latin, read left to right in any language */
    for (int r = 0; r < 4; r++) {
        for (int c = 0; keyrows[r][c]; c++) {
            char name[8] = "key_", label[2] = {keyrows[r][c], 0};
            name[4] = keyrows[r][c];
            name[5] = '\0';
            button(f, name, R(g + c * kw, y + r * kh, kw - 3, kh - 3), label, !locked, BTN, FONT_L);
        }
    }
    button(f, "del", R(g + 7 * kw, y + 3 * kh, 3 * kw - 3, kh - 3), _("Delete"), !locked, BTN_OFF,
           FONT_M);
    ui_fixed = false;
}

/* A held seat's line in form 0 (code, seat's words, countdown), 1 (the
 * words and the countdown) or 2 (the seat's id and the countdown). */
static void held_text(const kmodel *m, const kworld *w, int64_t now, int i, int form, char *out,
                      size_t size)
{
    const kguest *g = &m->party[i];
    const char *seat = kmodel_guest_seat(m, w, i);
    char words[96];
    kmodel_seat_words(w->l, m->lang, seat, words, sizeof words);
    int s = (int)((g->hold_until - now + 999) / 1000);
    if (form == 0)
        snprintf(out, size, _("%s: %s (held %d:%02d)"), g->code, words, s / 60, s % 60);
    else
        snprintf(out, size, _("%s (held %d:%02d)"), form == 1 ? words : seat, s / 60, s % 60);
}

static bool held_row(const kmodel *m, const kworld *w, int64_t now, int i)
{
    return kmodel_guest_seat(m, w, i)[0] && !m->party[i].assigned[0] &&
           m->party[i].hold_until > now;
}

/* The form of the held lines (held_text): the most telling one in which
 * every line fits the panel's width, the same for every line. */
static int held_form(const kmodel *m, const kworld *w, int64_t now, float width)
{
    int form = 0;
    for (int i = 0; i < m->nparty; i++) {
        char text[sizeof((ui_item *)0)->text];
        while (form < 2 && held_row(m, w, now, i)) {
            held_text(m, w, now, i, form, text, sizeof text);
            if (est_width(text, ui_L.px[FONT_S]) <= width)
                break;
            form++;
        }
    }
    return form;
}

static void seat_row(const kmodel *m, const kworld *w, int64_t now, int i, int form, ui_frame *f,
                     krect r)
{
    const kguest *g = &m->party[i];
    char words[96] = "";
    const char *seat = kmodel_guest_seat(m, w, i);
    if (seat[0])
        kmodel_seat_words(w->l, m->lang, seat, words, sizeof words);
    bool choosing = kmodel_choosing(m) == i;
    kcolor c = seat[0] ? MINE_TEXT : choosing ? WHITE : DIM;
    char text[sizeof((ui_item *)0)->text];
    if (held_row(m, w, now, i)) {
        /* The seat and its countdown matter most: on a narrow panel the
         * ticket code goes first, then the seat's words give way to its id. */
        held_text(m, w, now, i, form, text, sizeof text);
        textf(f, r, FONT_S, -1, c, "%s", text);
    } else if (seat[0]) {
        textf(f, r, FONT_S, -1, c, "%s: %s", g->code, words);
    } else {
        const char *what = choosing ? _("tap a green seat") : "-";
        snprintf(text, sizeof text, "%s: %s", g->code, what);
        /* On a narrow panel the one choosing reads what to do, the code
         * is in the heading above. */
        textf(f, r, FONT_S, -1, c, "%s",
              choosing && est_width(text, ui_L.px[FONT_S]) > r.w ? what : text);
    }
}

/* A small text centred in box r, only when it fits at the smallest size. */
static void label_in(ui_frame *f, krect r, kcolor c, const char *text)
{
    float px = ui_L.min_px;
    if (r.h < px * 1.45f || r.w < px * 0.62f * (float)strlen(text))
        return;
    ui_item *it = textf(f, r, FONT_S, 0, c, "%s", text);
    if (it)
        it->px = px;
}

/* The overview of a stadium (seatmap_lod): each section drawn as short runs
 * of its seats (runs of LOD_RUN or more, at most LOD_ITEMS in all: short runs
 * follow a curved row closely, and few items keep the frame short), each run green
 * as its free share, so where the free seats are shows at a glance; a
 * section's name and free seats where they fit; the party's own seats on
 * top. A tap comes closer (kguest__map_tap). */
#define LOD_RUN 20
#define LOD_ITEMS 600 /* runs a frame at most: each is an item to draw and compare */
static void sections_layer(const kmodel *m, const kworld *w, int64_t now, ui_frame *f)
{
    int n = layout_seat_count(w->l);
    int run = n / LOD_ITEMS > LOD_RUN ? n / LOD_ITEMS : LOD_RUN;
    const seatmap *mp = &m->map;
    krect a = mp->area;
    const kcolor full = ui_look_colors[LOOK_TAKEN], free_c = ui_look_colors[LOOK_FREE];
    float half = fmaxf(seatmap_seat_radius(mp), 1.0f);
    for (int s = 0; s < layout_section_count(w->l); s++) {
        const layout_section *sec = layout_section_at(w->l, s);
        int end = sec->first_seat + sec->seat_count, sec_free = 0, runs = 0;
        krect mid = {0, 0, 0, 0}; /* the run in the middle: where the name goes */
        for (int i0 = sec->first_seat; i0 < end; i0 += run) {
            float x0 = 1e30f, y0 = 1e30f, x1 = -1e30f, y1 = -1e30f;
            int nfree = 0, k = 0;
            for (int i = i0; i < end && i < i0 + run; i++, k++) {
                const layout_seat *ls = layout_seat_at(w->l, i);
                float x, y;
                seatmap_to_screen(mp, ls->x, ls->y, &x, &y);
                x0 = fminf(x0, x - half), x1 = fmaxf(x1, x + half);
                y0 = fminf(y0, y - half), y1 = fmaxf(y1, y + half);
                nfree += state_seat_status(w->view, i, w->id.device, now) == SEAT_FREE;
            }
            sec_free += nfree;
            if (runs++ == (sec->seat_count / run) / 2)
                mid = R(x0, y0, x1 - x0, y1 - y0);
            x0 = fmaxf(x0, a.x), y0 = fmaxf(y0, a.y);
            x1 = fminf(x1, a.x + a.w), y1 = fminf(y1, a.y + a.h);
            if (x1 <= x0 || y1 <= y0)
                continue;
            double share = (double)nfree / k;
            kcolor c = {(uint8_t)(full.r + (free_c.r - full.r) * share),
                        (uint8_t)(full.g + (free_c.g - full.g) * share),
                        (uint8_t)(full.b + (free_c.b - full.b) * share), 255};
            fill(f, R(x0, y0, x1 - x0, y1 - y0), c);
        }
        /* The name and free count where the section is drawn big enough to
         * read (a row as thick as a line of text), over its middle. */
        krect box = R(mid.x - mid.w, mid.y, 3 * mid.w, mid.h);
        if (box.h >= ui_L.min_px * 1.45f && box.w >= ui_L.min_px * 6 && box.x >= a.x &&
            box.y >= a.y && box.x + box.w <= a.x + a.w && box.y + box.h <= a.y + a.h) {
            char words[64];
            snprintf(words, sizeof words, "%s %d", sec->id, sec_free);
            label_in(f, box, INK, words);
        }
    }
    /* The party's own seats stay visible at any distance. */
    for (int i = 0; i < m->nparty; i++) {
        const char *sid = m->party[i].seat[0] ? m->party[i].seat : m->party[i].assigned;
        int si = sid[0] ? layout_find_seat(w->l, sid) : -1;
        if (si < 0)
            continue;
        const layout_seat *ls = layout_seat_at(w->l, si);
        float x, y, r = SEATMAP_LOD_PX * 2;
        seatmap_to_screen(mp, ls->x, ls->y, &x, &y);
        if (krect_has(a, x, y))
            add(f, UI_DISC, R(x - r, y - r, 2 * r, 2 * r), ui_look_colors[LOOK_MINE]);
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
            krect box = R(x - r * 0.7f, y - r * 0.7f, 1.4f * r, 1.4f * r);
            if (box.x >= a.x && box.y >= a.y && box.x + box.w <= a.x + a.w &&
                box.y + box.h <= a.y + a.h) {
                const char *sp = strrchr(sec->label, ' ');
                label_in(f, box, WHITE, sp ? sp + 1 : sec->label);
            }
        } else if (sec->seat_count > 0) {
            const layout_seat *first = layout_seat_at(w->l, sec->first_seat);
            float fx, fy;
            seatmap_to_screen(mp, first->x, first->y, &fx, &fy);
            krect box = R(fx - 5 * sr, fy - sr, 3.5f * sr, 2 * sr);
            if (box.y >= a.y && box.y + box.h <= a.y + a.h && box.x >= a.x)
                label_in(f, box, DIM, sec->id);
        }
    }
    int n = layout_seat_count(w->l);
    if (seatmap_lod(mp, n)) {
        sections_layer(m, w, now, f);
        return;
    }
    add(f, UI_SEATS, a, WHITE);
    if (f->skip_seats)
        return;
    if (f->seatcap < n) {
        ui_seat *p = realloc(f->seats, (size_t)n * sizeof *p);
        if (!p) {
            f->oom = true;
            return;
        }
        f->seats = p;
        f->seatcap = n;
    }
    /* Seat numbers on the seats once a number fits on a disc. */
    bool numbers = sr * 1.4f >= ui_L.min_px * 1.45f;
    /* Section by section, skipping those wholly off the map: close up on a
     * stadium most of its 250,000 seats are, and each costs a read. */
    int ns = layout_section_count(w->l), covered = 0;
    for (int sc = 0; sc < ns; sc++)
        covered += layout_section_at(w->l, sc)->seat_count;
    bool by_section = covered == n; /* every seat in its section's run */
    for (int sc = 0; sc < (by_section ? ns : 1); sc++) {
        int i = 0, end = n;
        if (by_section) {
            const layout_section *sec = layout_section_at(w->l, sc);
            float x0, y0, x1, y1;
            seatmap_to_screen(mp, sec->minx, sec->miny, &x0, &y0);
            seatmap_to_screen(mp, sec->maxx, sec->maxy, &x1, &y1);
            i = sec->first_seat;
            end = i + sec->seat_count;
            if (x1 + sr < a.x || y1 + sr < a.y || x0 - sr > a.x + a.w || y0 - sr > a.y + a.h)
                continue;
        }
        for (; i < end; i++) {
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
            if (numbers && x - sr >= a.x && y - sr >= a.y && x + sr <= a.x + a.w &&
                y + sr <= a.y + a.h)
                label_in(f, R(x - sr * 0.7f, y - sr * 0.7f, 1.4f * sr, 1.4f * sr),
                         s->look == LOOK_HELD ? INK : WHITE, ls->label);
        }
    }
}

static void seatmap_screen(const kmodel *m, const kworld *w, int64_t now, ui_frame *f)
{
    const klayout *L = &ui_L;
    float H = (float)L->h, g = L->gap, finger = L->key;
    /* The gutter beside the map: the zoom buttons never cover a seat. */
    krect gu = L->gutter;
    fill(f, gu, BG);
    float zx = gu.x + g;
    button(f, "zoomin", R(zx, gu.y + g, finger, finger), "+", true, BTN, FONT_L);
    button(f, "zoomout", R(zx, gu.y + 2 * g + finger, finger, finger), "-", true, BTN, FONT_L);
    button(f, "fit", R(zx, gu.y + 3 * g + 2 * finger, finger, finger), _("All"), true, BTN, FONT_S);
    /* The panel: who chooses, the party, the legend, the buttons; beside the
     * map in landscape, below it in portrait (buttons then on the right). */
    krect p = L->panel;
    fill(f, p, BG);
    float bh = L->target, bw = p.w - 2 * g, bx = p.x + g, by = p.y + p.h - 3 * (bh + g);
    float tx = p.x + g, tw = p.w - 2 * g, ty = p.y + g, tbottom = by - g;
    if (L->portrait) {
        bw = p.w * 0.36f;
        bx = p.x + p.w - g - bw;
        by = p.y + g;
        tw = bx - g - tx;
        tbottom = p.y + p.h - g;
    }
    int c = kmodel_choosing(m);
    float lh = LINE(FONT_S);
    if (c >= 0) {
        const char *who = m->party[c].name[0] ? m->party[c].name : m->party[c].code;
        char head[sizeof((ui_item *)0)->text];
        snprintf(head, sizeof head, _("Seat for %s"), who);
        textf(f, R(tx, ty, tw, LINE(FONT_M)), FONT_M, -1, WHITE, "%s",
              est_width(head, ui_L.px[FONT_M]) > tw ? who : head);
    } else if (est_width(_("Every ticket has a seat"), ui_L.px[FONT_M]) <= tw)
        textf(f, R(tx, ty, tw, LINE(FONT_M)), FONT_M, -1, WHITE, "%s",
              _("Every ticket has a seat"));
    else /* a narrow panel (the 7" screen) */
        textf(f, R(tx, ty, tw, LINE(FONT_M)), FONT_M, -1, WHITE, "%s", _("Seats chosen"));
    ty += LINE(FONT_M);
    if (!seatmap_tappable(&m->map) && ty + lh <= tbottom) {
        /* Two lines on a narrow panel, when there is room for them. */
        /* Tables where the layout has them; a theatre's rows otherwise. */
        bool tables = false;
        for (int si = 0; w->l && si < layout_section_count(w->l) && !tables; si++)
            tables = layout_section_at(w->l, si)->kind == SECTION_TABLE;
        const char *hint = tables ? _("Tap near your table") : _("Tap near your row");
        float hh = est_width(hint, ui_L.px[FONT_S]) > tw && ty + 2 * lh <= tbottom ? 2 * lh : lh;
        ui_item *it = textf(f, R(tx, ty, tw, hh), FONT_S, -1, WHITE, "%s", hint);
        if (it && hh > lh)
            it->wrap = true;
        ty += hh;
    }
    int form = held_form(m, w, now, tw);
    for (int i = 0; i < m->nparty && ty + lh <= tbottom; i++, ty += lh)
        seat_row(m, w, now, i, form, f, R(tx, ty, tw, lh));
    ty += g;
    bool lease_off = w->policy == JOURNAL_POLICY_LEASE && kmodel_offline(w, now);
    /* The whole legend when it fits; on a short panel (the 7" screen) only
     * the looks of the seats on screen. */
    bool shown[LOOK_COUNT] = {false};
    int want = 0;
    for (int k = 0; k < LOOK_COUNT; k++)
        want += k != LOOK_UNAVAILABLE || lease_off;
    bool all = ty + want * lh <= tbottom || !f->nseats;
    for (int i = 0; !all && i < f->nseats; i++)
        shown[f->seats[i].look] = true;
    for (int k = 0; k < LOOK_COUNT && ty + lh <= tbottom; k++) {
        if ((k == LOOK_UNAVAILABLE && !lease_off) || (!all && !shown[k]))
            continue;
        float d = lh * 0.6f;
        add(f, UI_DISC, R(tx, ty + (lh - d) / 2, d, d), ui_look_colors[k]);
        textf(f, R(tx + d * 1.5f, ty, tw - d * 1.5f, lh), FONT_S, -1, DIM, "%s", _(look_words[k]));
        ty += lh;
    }
    button(f, "confirm", R(bx, by, bw, bh), _("Confirm"), c < 0 && m->nparty > 0, BTN_GO, FONT_M);
    button(f, "back", R(bx, by + bh + g, bw, bh), _("Add tickets"), true, BTN, FONT_M);
    button(f, "cancel", R(bx, by + 2 * (bh + g), bw, bh), _("Cancel"), true, BTN_OFF, FONT_M);
    (void)H;
}

/* Why the coordinator refused an assign, for the guest. */
static const char *refusal_words(const kmodel *m, const kworld *w, int i)
{
    for (int k = 0; k < w->nops; k++) {
        if (strcmp(w->ops[k].op_id, m->party[i].assign_op) != 0)
            continue;
        switch (w->ops[k].reason) {
        case REASON_REVOKED:
            return _("ticket cancelled, please see the front desk");
        case REASON_CLASS_NOT_ALLOWED:
            return _("that seat is not for this ticket, please choose again");
        case REASON_SEAT_TAKEN:
        case REASON_SEAT_HELD:
        case REASON_SEAT_LEASED:
        case REASON_SEAT_BLOCKED:
        case REASON_NO_FREE_SEAT:
            return _("the seat was taken and none is free, please ask staff");
        default:
            break;
        }
    }
    return _("please ask a member of staff");
}

/* The party a line each from y down to at most bottom; returns the y after. */
static float party_list(const kmodel *m, const kworld *w, ui_frame *f, float x, float y, float wd,
                        float bottom)
{
    float lh = LINE(FONT_M);
    for (int i = 0; i < m->nparty && y + lh <= bottom; i++, y += lh) {
        krect r = R(x, y, wd, lh);
        if (kmodel_guest_refused(m, w, i)) {
            textf(f, r, FONT_M, -1, AMBER, _("%s %s: NOT seated - %s"), m->party[i].code,
                  m->party[i].name, refusal_words(m, w, i));
            continue;
        }
        char words[96];
        const char *seat = kmodel_guest_seat(m, w, i);
        kmodel_seat_words(w->l, m->lang, seat, words, sizeof words);
        textf(f, r, FONT_M, -1, WHITE, "%s %s: %s", m->party[i].code, m->party[i].name, words);
    }
    return y;
}

static void confirm_screen(const kmodel *m, const kworld *w, ui_frame *f)
{
    const klayout *L = &ui_L;
    float W = (float)L->w, H = (float)L->h, g = L->gap;
    float y = L->body.y + g, bh = L->target, bw = (W - 3 * g) / 2;
    textf(f, R(g, y, W - 2 * g, LINE(FONT_L)), FONT_L, -1, WHITE, "%s",
          _("Please confirm your seats"));
    party_list(m, w, f, g, y + LINE(FONT_L) + g, W - 2 * g, H - 2 * g - bh);
    button(f, "back", R(g, H - g - bh, bw, bh), _("Change"), true, BTN, FONT_M);
    button(f, "yes", R(2 * g + bw, H - g - bh, bw, bh), _("Yes, seat us"), true, BTN_GO, FONT_M);
}

static void done_screen(const kmodel *m, const kworld *w, ui_frame *f)
{
    const klayout *L = &ui_L;
    float W = (float)L->w, H = (float)L->h, g = L->gap, top = L->body.y;
    float bh = L->target;
    /* Landscape: the words on the left, the code on the right; portrait: the
     * code below the words. */
    float q = H - top - 3 * g - bh, lw;
    if (q > W * 0.4f)
        q = W * 0.4f;
    lw = L->portrait ? W - 2 * g : W - q - 3 * g;
    int refused = 0;
    for (int i = 0; i < m->nparty; i++)
        refused += kmodel_guest_refused(m, w, i);
    float y = top + g;
    textf(f, R(g, y, lw, LINE(FONT_L)), FONT_L, -1, refused ? AMBER : WHITE, "%s",
          !refused              ? _("You are seated!")
          : refused < m->nparty ? _("Not every ticket could be seated")
                                : _("We could not seat you"));
    y += LINE(FONT_L) + g;
    float bottom = H - 2 * g - bh;
    y = party_list(m, w, f, g, y, lw, bottom) + g;
    if (kmodel_party_needs_staff(m, w) && y + LINE(FONT_M) <= bottom) {
        /* the note is for staff: the guest only learns to ask for them */
        textf(f, R(g, y, lw, LINE(FONT_M)), FONT_M, -1, AMBER, "%s",
              _("Please see a member of staff"));
        y += LINE(FONT_M) + g;
    }
    for (int i = 0; i < m->nparty && y + 2 * LINE(FONT_M) <= bottom; i++) {
        const char *now_seat = kmodel_guest_seat(m, w, i);
        if (now_seat[0] && strcmp(now_seat, m->party[i].assigned) != 0) {
            char was[96], is[96];
            kmodel_seat_words(w->l, m->lang, m->party[i].assigned, was, sizeof was);
            kmodel_seat_words(w->l, m->lang, now_seat, is, sizeof is);
            ui_item *it = textf(f, R(g, y, lw, 2 * LINE(FONT_M)), FONT_M, -1, AMBER,
                                _("Seat changed: %s was taken at another kiosk just before; %s "
                                  "now sits at %s."),
                                was, m->party[i].code, is);
            if (it)
                it->wrap = true;
            y += 2 * LINE(FONT_M) + g;
        }
    }
    if (kmodel_confirmation_text(m, w, f->qr_text, sizeof f->qr_text) > 0) {
        if (y + 2 * LINE(FONT_S) <= bottom) {
            ui_item *it = textf(f, R(g, y, lw, 2 * LINE(FONT_S)), FONT_S, -1, DIM, "%s",
                                _("Take a photo of the code to remember your seats."));
            if (it)
                it->wrap = true;
            y += 2 * LINE(FONT_S) + g;
        }
        krect qr = R(W - q - g, top + g, q, q);
        if (L->portrait) {
            q = bottom - y;
            if (q > W * 0.7f)
                q = W * 0.7f;
            qr = R((W - q) / 2, y, q, q);
        }
        ui_item *it = add(f, UI_QR, qr, INK);
        if (it) {
            uint64_t h = 1469598103934665603ull;
            for (const char *p = f->qr_text; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ull;
            snprintf(it->text, sizeof it->text, "qr %016llx", (unsigned long long)h);
        }
    } else {
        f->qr_text[0] = '\0';
    }
    if (w->printer.state != KPRINTER_OFF && !refused) { /* a seat card came out, or will */
        float hw = (lw - g) / 2;
        button(f, "done", R(g, H - g - bh, hw, bh), _("Done"), true, BTN_GO, FONT_M);
        button(f, "reprint", R(g + hw + g, H - g - bh, hw, bh), _("Print my card again"),
               m->reprints < KREPRINT_MAX, BTN, FONT_M);
        return;
    }
    button(f, "done", R(g, H - g - bh, lw, bh), _("Done"), true, BTN_GO, FONT_M);
}

/* ---- door and staff ------------------------------------------------------------------ */

/* The door's entrance, NULL when it has none (or one no longer defined). */
static const entrance *door_entrance(const kworld *w)
{
    return w->entrances ? entrance_find(w->entrances, w->entrances->mine) : NULL;
}

/* The count line's height: two lines in portrait when it names the door's
 * entrance (a name may take 40 bytes). */
static float counts_h(const kworld *w)
{
    return (ui_L.portrait && door_entrance(w) ? 2 : 1) * LINE(FONT_M);
}

static void counts(const kmodel *m, const kworld *w, int64_t now, ui_frame *f, kcolor c)
{
    const klayout *L = &ui_L;
    state_stats st;
    state_get_stats(w->view, now, &st);
    float h = counts_h(w);
    krect line = R(L->gap, L->h - L->gap - h, L->w - 2 * L->gap, h);
    const entrance *e = door_entrance(w);
    if (e) /* the door's entrance first: its people inside, then everyone's */
    {
        ui_item *it =
            textf(f, line, FONT_M, 0, c, _("Entrance %s: %lld in \u00b7 all: %d"), e->name,
                  (long long)(w->entrance_inside_known ? w->entrance_inside
                                                       : entrance_count_inside(e, w->view)),
                  st.inside);
        if (it)
            it->wrap = h > LINE(FONT_M);
    } else
        textf(f, line, FONT_M, 0, c, _("Checked in %d of %d, inside now %d   (admitted here: %d)"),
              st.checked_in, st.tickets, st.inside, m->admitted);
}

static void door_screen(const kmodel *m, const kworld *w, int64_t now, ui_frame *f)
{
    const klayout *L = &ui_L;
    float W = (float)L->w, g = L->gap, y = L->body.y + L->body.h * 0.15f;
    textf(f, R(g, y, W - 2 * g, LINE(FONT_XL)), FONT_XL, 0, WHITE, "%s",
          m->exit_mode ? _("EXIT: scan guests going out") : _("Scan a ticket"));
    y += LINE(FONT_XL) + g;
    textf(f, R(g, y, W - 2 * g, LINE(FONT_M)), FONT_M, 0, DIM, "%s",
          _("Hold the QR code under the scanner"));
    y += LINE(FONT_M) + g;
    if (m->entry[0])
        textf(f, R(g, y, W - 2 * g, LINE(FONT_M)), FONT_M, 0, WHITE, "%s", m->entry);
    /* Exit mode and back: one toggle above the count line. */
    float bh = L->target, bw = W * 0.3f;
    button(f, "exit_mode", R(W - g - bw, L->h - 2 * g - counts_h(w) - bh, bw, bh),
           m->exit_mode ? _("Entry mode") : _("Exit mode"), true, BTN, FONT_M);
    counts(m, w, now, f, DIM);
}

static void verdict_screen(const kmodel *m, const kworld *w, int64_t now, ui_frame *f)
{
    const klayout *L = &ui_L;
    float W = (float)L->w, H = (float)L->h, g = L->gap, top = L->body.y;
    const kverdict *v = &m->verdict;
    kcolor bg = v->kind == VERDICT_ADMITTED                                ? VERDICT_GREEN
                : v->kind == VERDICT_ALREADY || v->kind == VERDICT_SHOW_QR ? AMBER
                                                                           : RED;
    if (!v->saved && v->kind != VERDICT_REFUSED)
        bg = AMBER; /* never green before the check-in is durable */
    button(f, "ok", R(0, top, W, H - top), "", true, bg, FONT_S);
    /* Dark words on amber, white on green and red: 4.5:1 at least (WCAG AA). */
    kcolor fg = bg.r == AMBER.r && bg.g == AMBER.g && bg.b == AMBER.b ? INK : WHITE;
    /* One column from the top, each line in its own band: nothing meets. */
    float y = top + g, tw = W - 2 * g;
    bool staff = v->kind == VERDICT_ADMITTED || v->kind == VERDICT_ALREADY;
    if (staff && v->attention) {
        /* A word in its own band, not only a colour: amber on green and red,
         * dark on amber. */
        bool on_amber = fg.r == INK.r && fg.g == INK.g && fg.b == INK.b;
        fill(f, R(0, y, W, LINE(FONT_L)), on_amber ? INK : AMBER);
        textf(f, R(g, y, tw, LINE(FONT_L)), FONT_L, 0, on_amber ? AMBER : INK, "%s",
              _("ATTENTION: special care for this guest"));
        y += LINE(FONT_L) + g;
    }
    if (v->wrong_entrance) { /* the guest reads where to go; staff read the title */
        textf(f, R(g, y, tw, LINE(FONT_L)), FONT_L, 0, fg, "%s", _(v->title));
        y += LINE(FONT_L);
    }
    textf(f, R(g, y, tw, LINE(FONT_XL)), FONT_XL, 0, fg, "%s",
          !v->saved     ? _("NOT RECORDED \u2013 tell staff")
          : v->go_to[0] ? v->go_to
                        : _(v->title));
    y += LINE(FONT_XL) + g;
    if (v->name[0]) {
        textf(f, R(g, y, tw, LINE(FONT_L)), FONT_L, 0, fg, "%s", v->name);
        y += LINE(FONT_L);
    }
    char words[96] = "";
    if (v->seat[0])
        kmodel_seat_words(w->l, m->lang, v->seat, words, sizeof words);
    else if (v->kind != VERDICT_REFUSED && !v->wrong_entrance) /* room for where to go */
        text_copy(words, sizeof words, _("No seat chosen yet"));
    if (words[0]) {
        textf(f, R(g, y, tw, LINE(FONT_L)), FONT_L, 0, fg, "%s", words);
        y += LINE(FONT_L);
    }
    y += g;
    float bottom = H - 2 * g - counts_h(w);
    if (kmodel_door_reprint_ok(m, w)) {
        /* A guest whose card did not come out, or got lost: above the counts. */
        float bh = L->target, bw = fmaxf(W * 0.35f, 2 * L->finger);
        bottom -= bh + g;
        button(f, "reprint_card", R(W - g - bw, bottom + g, bw, bh), _("Print my card again"), true,
               BTN, FONT_M);
    }
    if (v->wrong_entrance) /* the Admit here button's row */
        bottom -= L->target + g;
    if (staff && v->note[0] && y + LINE(FONT_M) <= bottom) {
        /* as many lines as fit (up to 4), one kept for the detail */
        int lines = (int)((bottom - y) / LINE(FONT_M)) - (v->detail[0] || !v->saved ? 1 : 0);
        lines = lines > 4 ? 4 : lines < 1 ? 1 : lines;
        float nh = (float)lines * LINE(FONT_M);
        ui_item *ni = textf(f, R(g, y, tw, nh), FONT_M, 0, fg, _("Note: %s"), v->note);
        if (ni)
            ni->wrap = true;
        y += nh + g;
    }
    float dh = 2 * LINE(FONT_M);
    if (y + dh + LINE(FONT_S) > bottom)
        dh = LINE(FONT_M);
    ui_item *it = NULL;
    bool room = y + LINE(FONT_M) <= bottom + LINE(FONT_M) / 2; /* a long note may take it */
    if (room && !v->saved)
        it = textf(f, R(g, y, tw, dh), FONT_M, 0, fg,
                   _("%s, but this door could not save the scan; it keeps trying."), _(v->title));
    else if (room && v->detail[0])
        it = textf(f, R(g, y, tw, dh), FONT_M, 0, fg, "%s", v->detail);
    if (it)
        it->wrap = true;
    y += dh;
    if (v->code[0] && y + LINE(FONT_S) <= bottom)
        textf(f, R(g, y, tw, LINE(FONT_S)), FONT_S, 0, fg, "%s", v->code);
    if (v->wrong_entrance) { /* staff only: the PIN follows */
        float bh = L->target, bw = L->portrait ? W - 2 * g : W * 0.4f;
        button(f, "override", R(W - g - bw, H - 2 * g - counts_h(w) - bh, bw, bh),
               _("Admit here (staff)"), true, BTN, FONT_M);
    }
    counts(m, w, now, f, fg);
}

/* A device's role as staff read it (role_name is the wire's word). */
static const char *role_words(usher_role role)
{
    switch (role) {
    case ROLE_KIOSK:
        return _("guest kiosk");
    case ROLE_DOOR:
        return _("door kiosk");
    case ROLE_ADMIN:
        return _("admin");
    default:
        return "?";
    }
}

static void pin_screen(const kmodel *m, ui_frame *f)
{
    const klayout *L = &ui_L;
    float W = (float)L->w, H = (float)L->h, g = L->gap, top = L->body.y;
    float th = LINE(FONT_L);
    textf(f, R(g, top + g, W - 2 * g, th), FONT_L, 0, WHITE, "%s", _("Staff PIN"));
    char stars[16] = "";
    size_t n = strlen(m->pin);
    for (size_t i = 0; i < n && i + 1 < sizeof stars; i++)
        stars[i] = '*';
    stars[n < sizeof stars ? n : sizeof stars - 1] = '\0';
    float fw = W * 0.4f, fy = top + 2 * g + th;
    fill(f, R((W - fw) / 2, fy, fw, th), FIELD);
    textf(f, R((W - fw) / 2, fy, fw, th), FONT_L, 0, INK, "%s", stars);
    float ky = fy + th + g, kh = (H - ky - g) / 4, kw = kh * 1.6f;
    if (kh > 2 * L->finger)
        kh = 2 * L->finger;
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
    button(f, "pin_del", R(kx, ky + 3 * kh, kw - 4, kh - 4), _("Del"), true, BTN_OFF, FONT_M);
    button(f, "pin_0", R(kx + kw, ky + 3 * kh, kw - 4, kh - 4), "0", true, BTN, FONT_L);
    button(f, "pin_ok", R(kx + 2 * kw, ky + 3 * kh, kw - 4, kh - 4), _("OK"), true, BTN_GO, FONT_M);
    button(f, "pin_cancel", R(kx + 3 * kw + g, ky + 3 * kh, W - kx - 3 * kw - 2 * g, kh - 4),
           _("Cancel"), true, BTN_OFF, FONT_M);
}

/* The seat-card printer on the maintenance screen: its state and cards,
 * then the last problem. Returns the y below. */
static float printer_lines(const kprinter_status *p, ui_frame *f, float x, float y, float tw,
                           float lh, float bottom)
{
    if (p->state == KPRINTER_OFF || y + lh > bottom)
        return y;
    bool fine = kprinter_takes_cards(p->state) || p->state == KPRINTER_UNKNOWN;
    textf(f, R(x, y, tw, lh), FONT_M, -1, fine ? WHITE : AMBER,
          _("Printer %s: %s, cards waiting: %d, printed: %d"), p->name,
          _(kprinter_state_name(p->state)), p->waiting, p->printed);
    y += lh;
    if (p->problem[0] && y + lh <= bottom) {
        textf(f, R(x, y, tw, lh), FONT_S, -1, fine ? DIM : AMBER, _("Printer problem: %s"),
              p->problem);
        y += lh;
    }
    return y;
}

static void maint_screen(const kmodel *m, const kworld *w, int64_t now, ui_frame *f)
{
    const klayout *L = &ui_L;
    float W = (float)L->w, H = (float)L->h, g = L->gap;
    float lh = LINE(FONT_M), y = L->body.y + g, tw = W - 2 * g;
    float bh = L->target, by = H - g - bh;
    textf(f, R(g, y, tw, LINE(FONT_L)), FONT_L, -1, WHITE, "%s", _("Maintenance"));
    y += LINE(FONT_L) + g;
    char last[64] = "";
    if (w->st.last_sync_at)
        ktime_at(ui_lang, KTIME_DATETIME, w->st.last_sync_at, last, sizeof last);
    else
        text_copy(last, sizeof last, _("never"));
    textf(f, R(g, y, tw, lh), FONT_M, -1, WHITE, _("Device: %s (%s)"), w->id.device,
          role_words(w->id.role));
    y += lh;
    textf(f, R(g, y, tw, lh), FONT_M, -1, WHITE, _("Event: %s - mode %s"), w->id.event_name,
          m->mode == KMODE_DOOR ? _("door") : _("guest"));
    y += lh;
    textf(f, R(g, y, tw, lh), FONT_M, -1, WHITE, _("Sync: %s, %lld pending, offline policy %s"),
          kmodel_offline(w, now) ? _("offline") : _("online"), (long long)w->pending,
          w->policy == JOURNAL_POLICY_LEASE ? _("lease") : _("optimistic"));
    y += lh;
    textf(f, R(g, y, tw, lh), FONT_M, -1, WHITE, _("Last sync: %s"), last);
    y += lh;
    int64_t skew = w->st.clock_offset_ms;
    if (w->st.clock_measured_at &&
        (skew > USHER_CLOCK_SKEW_ALERT_MS || -skew > USHER_CLOCK_SKEW_ALERT_MS) &&
        y + lh <= by - g) {
        textf(f, R(g, y, tw, lh), FONT_S, -1, AMBER,
              _("Clock: this device is %lld s %s the coordinator (times shown are the "
                "coordinator's)"),
              (long long)((skew < 0 ? -skew : skew) / 1000),
              skew > 0 ? _("behind") : _("ahead of"));
        y += lh;
    }
    if (w->st.last_error[0] && y + lh <= by - g) {
        textf(f, R(g, y, tw, lh), FONT_S, -1, AMBER, _("Last error: %s"), w->st.last_error);
        y += lh;
    }
    if ((w->unsaved || m->save_error[0]) && y + lh <= by - g) {
        textf(f, R(g, y, tw, lh), FONT_S, -1, AMBER,
              _("Kiosk: %lld ops not saved yet; last save error: %s"), (long long)w->unsaved,
              m->save_error[0] ? m->save_error : _("none"));
        y += lh;
    }
    y = printer_lines(&w->printer, f, g, y, tw, lh, by - g);
    bool door = m->mode == KMODE_DOOR;
    int nb = door ? 5 : 4, b = 0;
    float bw = (W - (float)(nb + 1) * g) / (float)nb;
#define NEXT_BUTTON R(g + (float)b++ * (bw + g), by, bw, bh)
    if (door) /* a guest whose QR code will not scan: found by name, admitted by staff */
        button(f, "find", NEXT_BUTTON, _("Find guest"), true, BTN_GO, FONT_M);
    button(f, "guest", NEXT_BUTTON, _("Guest mode"), door, BTN, FONT_M);
    button(f, "door", NEXT_BUTTON, _("Door mode"), !door, BTN, FONT_M);
    button(f, "back", NEXT_BUTTON, _("Back"), true, door ? BTN : BTN_GO, FONT_M);
    button(f, "quit", NEXT_BUTTON, _("Quit"), true, RED, FONT_M);
#undef NEXT_BUTTON
}

#define FIND_COLUMN_MM 60.0 /* a staff search match's button, at least, in two columns */

/* Staff search (door, behind the PIN): the query, the matches as buttons
 * (tap one to admit), and a keypad with a space key. */
static void find_screen(const kmodel *m, const kworld *w, ui_frame *f)
{
    const klayout *L = &ui_L;
    float W = (float)L->w, H = (float)L->h, g = L->gap, y = L->body.y + g, tw = W - 2 * g;
    float lh = LINE(FONT_M), th = fmaxf(L->target, LINE(FONT_L));
    char line[128];
    size_t chars = 0;
    for (const char *p = m->find; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80 && *p != ' ';
    /* Where the matches go: between the query and the keypad at the bottom
     * (a finger high at least), in two columns when one does not hold them
     * all and the screen is wide enough (the 7" 800x480 screen: four). */
    float y0 = y + lh + g + th + 3; /* the matches 3 px apart, from the query too */
    float kh = fmaxf(L->finger + 3, fminf(2 * L->finger, (H - y0 - g) / 7)), kw = tw / 10;
    float ky = H - g - 4 * kh;
    float rh = L->target + 3;
    int rows = (int)((ky - y0) / rh), cols = 1;
    if (rows < 0)
        rows = 0;
    if (rows < m->nfind && tw >= 2 * FIND_COLUMN_MM * L->ppmm + g)
        cols = 2;
    int shown = rows * cols < m->nfind ? rows * cols : m->nfind;
    if (chars < KFIND_MIN_CHARS)
        snprintf(line, sizeof line, "%s", _("Find a guest: type part of a name or ticket number"));
    else if (!m->find_total)
        snprintf(line, sizeof line, "%s", _("No guest matches: check the spelling"));
    else if (m->find_total > (size_t)shown)
        snprintf(line, sizeof line, _("%zu guests match: type more to narrow it down"),
                 m->find_total);
    else
        snprintf(line, sizeof line, _("%zu found: tap the guest to admit them"), m->find_total);
    textf(f, R(g, y, tw, lh), FONT_M, -1, WHITE, "%s", line);
    y += lh + g;
    float bw = fmaxf(W * 0.2f, 2 * L->finger);
    fill(f, R(g, y, tw - bw - g, th), FIELD);
    if (m->find[0])
        textf(f, R(2 * g, y, tw - bw - 3 * g, th), FONT_L, -1, INK, "%s", m->find);
    else
        textf(f, R(2 * g, y, tw - bw - 3 * g, th), FONT_L, -1, DIM_INK, "%s", _("Name or number"));
    button(f, "back", R(W - g - bw, y, bw, th), _("Back"), true, BTN_OFF, FONT_M);
    y = y0;
    float cw = cols == 2 ? (tw - g) / 2 : tw;
    for (int i = 0; i < shown; i++) {
        int ti = state_find_ticket(w->view, m->find_hits[i]);
        const ticket_state *t = ti >= 0 ? state_ticket(w->view, ti) : NULL;
        if (!t)
            continue;
        char seat[96] = "", label[400], name[8] = "find_0";
        name[5] = (char)('0' + i);
        if (t->seat[0])
            kmodel_seat_words(w->l, m->lang, t->seat, seat, sizeof seat);
        const char *st = t->revoked         ? _("cancelled")
                         : t->checked_in_at ? _("already in")
                         : !t->seat[0]      ? _("no seat yet")
                                            : seat;
        snprintf(label, sizeof label, "%s \u00b7 %s \u00b7 %s", t->name, t->code, st);
        /* in columns: down the first, then the second */
        button(f, name,
               R(g + (float)(i / rows) * (cw + g), y + (float)(i % rows) * rh, cw, L->target),
               label, true, t->revoked || t->checked_in_at ? BTN_OFF : BTN,
               cols == 2 ? FONT_S : FONT_M);
    }
    ui_fixed = true; /* the keys are Latin, read left to right in any language */
    for (int r = 0; r < 4; r++) {
        for (int c = 0; keyrows[r][c]; c++) {
            char kname[8] = "key_", label[2] = {keyrows[r][c], 0};
            kname[4] = keyrows[r][c];
            kname[5] = '\0';
            button(f, kname, R(g + c * kw, ky + r * kh, kw - 3, kh - 3), label, true, BTN, FONT_L);
        }
    }
    button(f, "key_space", R(g + 7 * kw, ky + 3 * kh, kw - 3, kh - 3), "\u2423", true, BTN, FONT_L);
    button(f, "del", R(g + 8 * kw, ky + 3 * kh, 2 * kw - 3, kh - 3), _("Delete"), true, BTN_OFF,
           FONT_M);
    ui_fixed = false;
}

/* An RTL language reads the screen from the right: every item and button
 * is mirrored, except fixed ones (the venue's map, the code keypad). */
static void mirror(ui_frame *f)
{
    float W = (float)ui_L.w;
    for (int i = 0; i < f->nitems; i++) {
        ui_item *it = &f->items[i];
        if (it->fixed)
            continue;
        it->r.x = W - it->r.x - it->r.w;
        it->align = -it->align;
    }
    for (int i = 0; i < f->nbuttons; i++)
        if (!f->buttons[i].fixed)
            f->buttons[i].r.x = W - f->buttons[i].r.x - f->buttons[i].r.w;
}

/* The journal's disk is full: the kiosk cannot save, and says so to the
 * guest and to staff (what to do) instead of taking the next guest. */
static void storage_screen(ui_frame *f)
{
    float g = ui_L.gap, W = (float)ui_L.w, H = (float)ui_L.h;
    ui_item *it = textf(f, R(g, H * 0.3f, W - 2 * g, 2 * LINE(FONT_L)), FONT_L, 0, AMBER, "%s",
                        _("This kiosk cannot save: storage full, ask staff"));
    if (it)
        it->wrap = true;
    it = textf(f, R(g, H * 0.3f + 2 * LINE(FONT_L) + g, W - 2 * g, 3 * LINE(FONT_M)), FONT_M, 0,
               DIM, "%s",
               _("Staff: free space on the disk of this device's journal; the kiosk goes on by "
                 "itself once there is room."));
    if (it)
        it->wrap = true;
}

void ui_build(const kmodel *m, const kworld *w, int64_t now, ui_frame *f)
{
    bool skip = f->skip_seats;
    f->nitems = f->nbuttons = f->nseats = 0;
    f->qr_text[0] = '\0';
    f->oom = false;
    ui_lang = m->lang;
    ui_fixed = false;
    f->rtl = ktr_rtl(m->lang);
    klayout_compute(&ui_L, m->cfg.w, m->cfg.h, m->cfg.ppmm);
    float W = (float)ui_L.w, H = (float)ui_L.h;
    /* The seat map's own fills tile the screen: no background under them
     * (a million pixels fewer to write on a software renderer). */
    if (!w->l || m->screen != SCR_SEATMAP || !m->map_ready)
        fill(f, R(0, 0, W, H), BG);
    if (!w->l && m->screen == SCR_STORAGE) {
        storage_screen(f);
        if (f->rtl)
            mirror(f);
        return;
    }
    if (!w->l) {
        float g = ui_L.gap;
        textf(f, R(g, H * 0.35f, W - 2 * g, LINE(FONT_L)), FONT_L, 0, WHITE, "%s",
              _("Waiting for the coordinator"));
        ui_item *it = textf(f, R(g, H * 0.35f + LINE(FONT_L) + g, W - 2 * g, 3 * LINE(FONT_M)),
                            FONT_M, 0, DIM, "%s",
                            _("This kiosk has not been set up yet: usher-syncd fetches the event "
                              "when it reaches the coordinator."));
        if (it)
            it->wrap = true;
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
        attract(m, w, f);
        break;
    case SCR_ENTRY:
        entry(m, w, now, f);
        break;
    case SCR_SEATMAP:
        if (m->map_ready) {
            ui_fixed = true; /* the venue is never mirrored */
            map_layer(m, w, now, f);
            ui_fixed = false;
            seatmap_screen(m, w, now, f);
        }
        break;
    case SCR_CONFIRM:
        confirm_screen(m, w, f);
        break;
    case SCR_DONE:
        done_screen(m, w, f);
        break;
    case SCR_DOOR:
        door_screen(m, w, now, f);
        break;
    case SCR_VERDICT:
        verdict_screen(m, w, now, f);
        break;
    case SCR_PIN:
        pin_screen(m, f);
        break;
    case SCR_MAINT:
        maint_screen(m, w, now, f);
        break;
    case SCR_FIND:
        find_screen(m, w, f);
        break;
    case SCR_STORAGE:
        storage_screen(f);
        break;
    }
    if (bar_last)
        status_bar(m, w, now, f);
    if (m->msg.kind)
        msg_box(m, now, f);
    if (f->rtl)
        mirror(f);
    f->skip_seats = skip;
}
