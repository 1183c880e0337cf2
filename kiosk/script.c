/* script.c - parsing the kiosk's script language (see script.h). Pure. */
#include "script.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define MAXW 6

/* Splits line into words; a "quoted string" is one word (\" and \\ escape). */
static int split(const char *line, char words[MAXW][QRSIG_PAYLOAD_SIZE + 32], bool *bad)
{
    int n = 0;
    const char *p = line;
    *bad = false;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p || *p == '#')
            break;
        if (n == MAXW) {
            *bad = true;
            return n;
        }
        size_t len = 0, cap = sizeof words[0];
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                if (len + 1 < cap)
                    words[n][len++] = *p;
                p++;
            }
            if (*p != '"') {
                *bad = true;
                return n;
            }
            p++;
        } else {
            while (*p && *p != ' ' && *p != '\t' && *p != '\r') {
                if (len + 1 < cap)
                    words[n][len++] = *p;
                p++;
            }
        }
        words[n][len] = '\0';
        n++;
    }
    return n;
}

static bool num(const char *s, float *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < -100000 || v > 100000)
        return false;
    *out = (float)v;
    return true;
}

usher_err kscript_parse(const char *line, int lineno, kscript_cmd *out, usher_errmsg *em)
{
    char w[MAXW][QRSIG_PAYLOAD_SIZE + 32];
    bool bad;
    int n = split(line, w, &bad);
    kscript_cmd c;
    memset(&c, 0, sizeof c);
    c.line = lineno;
    if (bad)
        return usher_fail(em, USHER_PARSE, "line %d: unterminated quote or too many words", lineno);
    if (n == 0) {
        *out = c;
        return USHER_OK;
    }
    const char *v = w[0];
    bool ok = false;
    if (!strcmp(v, "tap") && n == 3 && !strcmp(w[1], "seat")) {
        c.kind = SC_TAP_SEAT;
        ok = text_copy(c.arg, sizeof c.arg, w[2]);
    } else if (!strcmp(v, "tap") && n == 3 && !strcmp(w[1], "button")) {
        c.kind = SC_TAP_BUTTON;
        ok = text_copy(c.arg, sizeof c.arg, w[2]);
    } else if ((!strcmp(v, "tap") || !strcmp(v, "down") || !strcmp(v, "up") ||
                !strcmp(v, "move")) &&
               n == 3) {
        c.kind = v[0] == 't' ? SC_TAP : v[0] == 'd' ? SC_DOWN : v[0] == 'u' ? SC_UP : SC_MOVE;
        ok = num(w[1], &c.x) && num(w[2], &c.y);
    } else if (!strcmp(v, "drag") && n == 5) {
        c.kind = SC_DRAG;
        ok = num(w[1], &c.x) && num(w[2], &c.y) && num(w[3], &c.x2) && num(w[4], &c.y2);
    } else if (!strcmp(v, "zoom") && (n == 2 || n == 4)) {
        float f = 0;
        c.kind = SC_ZOOM;
        c.x = c.y = -1;
        ok = num(w[1], &f) && f > 0 && (n == 2 || (num(w[2], &c.x) && num(w[3], &c.y)));
        c.factor = f;
    } else if (!strcmp(v, "nudge") && n == 4) {
        c.kind = SC_NUDGE;
        ok = text_is_ident(w[1], 23) && text_copy(c.arg, sizeof c.arg, w[1]) && num(w[2], &c.x) &&
             num(w[3], &c.y);
    } else if (!strcmp(v, "type") && n == 2) {
        c.kind = SC_TYPE;
        ok = text_copy(c.arg, sizeof c.arg, w[1]);
    } else if (!strcmp(v, "key") && n == 2) {
        c.kind = SC_KEY;
        ok = text_copy(c.arg, sizeof c.arg, w[1]);
    } else if (!strcmp(v, "scan") && (n == 2 || n == 3)) {
        c.kind = SC_SCAN;
        ok = text_copy(c.arg, sizeof c.arg, w[1]) &&
             text_copy(c.end, sizeof c.end, n == 3 ? w[2] : "enter") &&
             (!strcmp(c.end, "enter") || !strcmp(c.end, "tab") || !strcmp(c.end, "none"));
    } else if ((!strcmp(v, "wait") || !strcmp(v, "sleep")) && n == 2) {
        c.kind = v[0] == 'w' ? SC_WAIT : SC_SLEEP;
        ok = text_parse_i64(w[1], 0, 86400000, &c.ms);
    } else if (!strcmp(v, "stall") && n == 2) {
        c.kind = SC_STALL;
        ok = text_parse_i64(w[1], 0, 3600000, &c.ms);
    } else if (!strcmp(v, "shot") && n == 2) {
        c.kind = SC_SHOT;
        ok = text_is_ident(w[1], 64) && text_copy(c.arg, sizeof c.arg, w[1]);
    } else if ((!strcmp(v, "expect") || !strcmp(v, "await")) && n >= 3) {
        c.kind = SC_EXPECT;
        c.await = v[0] == 'a';
        c.ms = 20000;
        const char *what = w[1];
        ok = text_copy(c.arg, sizeof c.arg, w[2]);
        if (!strcmp(what, "screen") && n == 3)
            c.what = EX_SCREEN;
        else if (!strcmp(what, "text") && n == 3)
            c.what = EX_TEXT;
        else if (!strcmp(what, "notext") && n == 3)
            c.what = EX_NOTEXT;
        else if (!strcmp(what, "verdict") && n == 3)
            c.what = EX_VERDICT;
        else if (!strcmp(what, "button") && n == 3)
            c.what = EX_BUTTON;
        else if (!strcmp(what, "seat") && n == 4) {
            c.what = EX_SEAT;
            ok = ok && text_copy(c.arg2, sizeof c.arg2, w[3]);
        } else
            ok = false;
    }
    if (!ok)
        return usher_fail(em, USHER_PARSE, "line %d: cannot read \"%s\" (see kiosk/README.md)",
                          lineno, line);
    *out = c;
    return USHER_OK;
}
