/* ui.h - what the screen shows, as data: ui_build turns (model, world, now)
 * into a display list of rectangles, texts, seats, buttons and a QR code. The
 * draw layer (draw.c) renders it; the shell hit-tests its buttons on the
 * frame it drew (the model only hears "button NAME" or "map tap at x, y");
 * test scripts look for texts in it. Geometry comes from klayout.h, words
 * from ktr.h. Pure: no SDL, no I/O beyond reading the catalogues. */
#ifndef USHER_UI_H
#define USHER_UI_H

#include <stdbool.h>
#include <stdint.h>

#include "klayout.h"
#include "kmodel.h"
#include "seatmap.h"

typedef struct kcolor {
    uint8_t r, g, b, a;
} kcolor;

/* The colour of each seat look (index klook), for the map and the legend. */
extern const kcolor ui_look_colors[LOOK_COUNT];

typedef enum {
    UI_FILL = 1, /* a filled rectangle */
    UI_FRAME,    /* a rectangle's outline */
    UI_DISC,     /* a filled circle inscribed in r */
    UI_RING,     /* a circle's outline inscribed in r */
    UI_TEXT,     /* text in r: align -1 left, 0 centred, 1 right; vertically centred */
    UI_SEATS,    /* every seat of the frame, clipped to r */
    UI_QR,       /* the frame's qr_text as a QR code, dark on white, fitted in r
                  * (square); the item's text is a hash of it, so that a new
                  * code is a changed item */
} ui_kind;

typedef struct ui_item {
    ui_kind kind;
    krect r;
    kcolor c;
    ui_font font;
    float px;   /* UI_TEXT: size in pixels (klayout's px[font], or a seat label's) */
    int align;  /* -1 start, 0 centre, 1 end (already mirrored in an RTL language) */
    bool wrap;  /* UI_TEXT: break lines to r's width, top-aligned, r.h at most */
    bool fixed; /* never mirrored (the venue's map, the keypad of Latin codes) */
    char text[400];
} ui_item;

typedef struct ui_button {
    char name[24]; /* "confirm", "key_A", ... (the script's `tap button NAME`) */
    krect r;
    bool enabled;
    bool fixed; /* never mirrored */
} ui_button;

typedef struct ui_seat {
    float x, y, radius; /* screen */
    klook look;
    int index; /* layout seat index */
} ui_seat;

#define UI_MAX_BUTTONS 80

typedef struct ui_frame {
    ui_item *items;
    int nitems, cap;
    ui_button buttons[UI_MAX_BUTTONS];
    int nbuttons;
    ui_seat *seats; /* only those inside the map area */
    int nseats, seatcap;
    bool skip_seats; /* set by a caller that needs buttons only */
    bool rtl;        /* laid out for a right-to-left language (mirrored) */
    bool oom;
    char qr_text[KMODEL_QR_TEXT_SIZE]; /* what the UI_QR item shows, "" = none */
} ui_frame;

void ui_frame_init(ui_frame *f);
void ui_frame_release(ui_frame *f);

/* Rebuilds f (emptied first) for the model and world at now. */
void ui_build(const kmodel *m, const kworld *w, int64_t now, ui_frame *f);

/* A hash of everything drawn: equal hashes, equal pictures (redraw only on
 * change). */
uint64_t ui_frame_hash(const ui_frame *f);

/* The shell's hit test: for a KIN_UP, in->button becomes the name of the
 * enabled button under the finger on f (the frame on screen), "" if none. */
void ui_hit(const ui_frame *f, kiosk_input *in);

/* The enabled button under (x, y), or NULL; the topmost wins. */
const ui_button *ui_button_at(const ui_frame *f, float x, float y);
/* The button of that name (enabled or not), or NULL. */
const ui_button *ui_find_button(const ui_frame *f, const char *name);
/* True when some text item contains needle. */
bool ui_has_text(const ui_frame *f, const char *needle);

/* A script's test hook: moves button name by (dx, dy) in f (an overlap
 * made on purpose shows that the layout check catches one). */
void ui_nudge_button(ui_frame *f, const char *name, float dx, float dy);

/* WCAG 2 contrast ratio of two opaque colours (1 to 21; text needs 4.5 for
 * AA): (L1 + 0.05) / (L2 + 0.05) of their relative luminances. */
double ui_contrast(kcolor a, kcolor b);

/* The colour under text item i: the last filled rectangle or disc drawn
 * before it that holds the text's centre (the screen's background when
 * none). */
kcolor ui_text_background(const ui_frame *f, int i);

#endif
