/* kcard.c - what a seat card says (kcard.h). */
#include "kcard.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Copies src into dst (size bytes), cut at a UTF-8 character boundary when
 * it does not fit. */
static void copy_cut(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--; /* src[n] would be the first byte left out: not a continuation */
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void kcard_make(kcard *c, const char *event_name, const char *code, const char *name,
                const char *seat, const char *place, const char *note)
{
    memset(c, 0, sizeof *c);
    copy_cut(c->event, sizeof c->event, event_name && event_name[0] ? event_name : "Usher");
    copy_cut(c->name, sizeof c->name, name && name[0] ? name : "Guest");
    copy_cut(c->code, sizeof c->code, code ? code : "");
    copy_cut(c->seat, sizeof c->seat, seat ? seat : "");
    copy_cut(c->place, sizeof c->place, place ? place : "");
    copy_cut(c->note, sizeof c->note, note ? note : "");
    /* The same line as the confirmation screen's QR code has for a ticket. */
    if (c->seat[0])
        snprintf(c->qr, sizeof c->qr, "%s\n%s %s (%s)\n", c->event, c->code, c->seat, c->place);
    else
        snprintf(c->qr, sizeof c->qr, "%s\n%s\n", c->event, c->code);
}

int kcard_lines(const kcard *c, kcard_line out[KCARD_LINES_MAX])
{
    const struct {
        kcard_role role;
        const char *text;
    } all[KCARD_LINES_MAX] = {
        {KCARD_EVENT, c->event}, {KCARD_NAME, c->name}, {KCARD_PLACE, c->place},
        {KCARD_CODE, c->code},   {KCARD_NOTE, c->note},
    };
    int n = 0;
    for (int i = 0; i < KCARD_LINES_MAX; i++)
        if (all[i].text[0])
            out[n++] = (kcard_line){all[i].role, all[i].text};
    return n;
}

char *kcard_to_text(const kcard *c)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "event", c->event, "name", c->name,
                          "code", c->code, "seat", c->seat, "place", c->place, "note", c->note);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

/* The field's text when it is a string of printable UTF-8, else NULL. */
static const char *field(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (!s || strlen(s) != json_string_length(v) || !text_utf8_valid(s, strlen(s)) ||
        !text_printable(s))
        return NULL;
    return s;
}

bool kcard_from_text(const char *text, kcard *out)
{
    json_t *o = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
    const char *f[6] = {NULL};
    static const char *const keys[6] = {"event", "name", "code", "seat", "place", "note"};
    bool ok = json_is_object(o);
    for (int i = 0; ok && i < 6; i++)
        ok = (f[i] = field(o, keys[i])) != NULL;
    if (ok && f[2][0])
        kcard_make(out, f[0], f[2], f[1], f[3], f[4], f[5]);
    ok = ok && f[2][0];
    json_decref(o);
    return ok;
}
