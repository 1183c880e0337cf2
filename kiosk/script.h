/* script.h - the kiosk's script language (kiosk/README.md): one command a line,
 * parsed here (pure); app.c runs them through the same input path as a person.
 */
#ifndef USHER_SCRIPT_H
#define USHER_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "qrsig.h"

typedef enum {
    SC_NONE = 0,   /* blank line or # comment */
    SC_TAP,        /* tap X Y */
    SC_TAP_SEAT,   /* tap seat ID */
    SC_TAP_BUTTON, /* tap button NAME */
    SC_DOWN,       /* down X Y   (finger down; `wait` then `up` for a long press) */
    SC_MOVE,       /* move X Y */
    SC_UP,         /* up X Y */
    SC_DRAG,       /* drag X1 Y1 X2 Y2 */
    SC_ZOOM,       /* zoom FACTOR [X Y] (a pinch) */
    SC_TYPE,       /* type TEXT (a person at a keyboard) */
    SC_KEY,        /* key Return|Tab|BackSpace|Escape */
    SC_SCAN,       /* scan PAYLOAD [enter|tab|none] (a keyboard-wedge scanner) */
    SC_WAIT,       /* wait MS (the kiosk's clock jumps) */
    SC_SLEEP,      /* sleep MS (real time passes: syncd may work) */
    SC_SHOT,       /* shot NAME */
    SC_EXPECT,     /* expect WHAT ... / await WHAT ... */
    SC_NUDGE,      /* nudge BUTTON DX DY (a test of the layout check: moves a button) */
    SC_STALL,      /* stall MS (the main loop hangs: no ticks, no watchdog pings) */
} kscript_kind;

typedef enum {
    EX_SCREEN = 1, /* screen NAME */
    EX_TEXT,       /* text "..." */
    EX_NOTEXT,     /* notext "..." */
    EX_SEAT,       /* seat ID LOOK */
    EX_VERDICT,    /* verdict admitted|already|refused */
    EX_BUTTON,     /* button NAME (on screen and enabled) */
} kscript_expect;

typedef struct kscript_cmd {
    kscript_kind kind;
    int line;
    float x, y, x2, y2;
    double factor;
    int64_t ms;
    kscript_expect what;
    bool await; /* `await ...`: poll the journal for up to 20 s of real time */
    char arg[QRSIG_PAYLOAD_SIZE + 32];
    char arg2[32];
    char end[8]; /* scan: "enter", "tab", "none" */
} kscript_cmd;

/* Parses one line (without its newline). SC_NONE for blank lines and
 * comments. USHER_PARSE with a message saying what is wrong otherwise. */
usher_err kscript_parse(const char *line, int lineno, kscript_cmd *out,
                        usher_errmsg *em) USHER_MUST_CHECK;

#endif
