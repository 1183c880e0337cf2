/* kinput.h - the kiosk's own input events: what a finger, a mouse, a keyboard, a
 * barcode scanner (a keyboard wedge) or a test script did, as plain data. SDL
 * events become these in one place (sdlin.c); the script runner makes the same. */
#ifndef USHER_KINPUT_H
#define USHER_KINPUT_H

#include <stdbool.h>

typedef enum {
    KIN_NONE = 0,
    KIN_DOWN, /* a finger or the mouse button went down at x, y */
    KIN_MOVE, /* ...moved while down */
    KIN_UP,   /* ...lifted at x, y */
    KIN_TEXT, /* text typed (UTF-8), a scanner's characters too */
    KIN_KEY,  /* a special key */
    KIN_ZOOM, /* pinch or wheel: scale by factor around x, y */
    KIN_TICK, /* nothing happened: time passed (timers, countdowns) */
} kin_kind;

typedef enum {
    KKEY_NONE = 0,
    KKEY_RETURN,
    KKEY_TAB,
    KKEY_BACKSPACE,
    KKEY_ESCAPE,
} kkey;

typedef struct kiosk_input {
    kin_kind kind;
    int finger;   /* 0 = the first finger or the mouse; others are ignored for taps */
    float x, y;   /* window pixels */
    float factor; /* KIN_ZOOM: > 1 zooms in */
    kkey key;
    char text[64]; /* KIN_TEXT, NUL-terminated */
    /* KIN_UP: the enabled button under the finger on the frame the shell
     * drew ("confirm", "key_A"), "" when none (a map tap, if on the map).
     * The shell's hit test fills it: the model never builds a view. */
    char button[24];
} kiosk_input;

/* "Return", "Tab", "BackSpace", "Escape" (as in the script language) -> a key;
 * KKEY_NONE when unknown. */
kkey kinput_key_parse(const char *name);

#endif
