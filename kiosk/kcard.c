/* kcard.c - what a seat card says (kcard.h). */
#include "kcard.h"

#include <stdio.h>
#include <string.h>

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
