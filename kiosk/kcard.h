/* kcard.h - a seat card to print (the guest's name, table and seat or the
 * door that admitted them, the event, a QR code of the seat): what it says,
 * line by line, and the QR code's text. Pure: no I/O; kcardpdf.c draws it,
 * kprint.c prints it. */
#ifndef USHER_KCARD_H
#define USHER_KCARD_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"

#define KCARD_LINE_SIZE 160
/* The QR code's text: the event's name, then "CODE SEAT (WORDS)". */
#define KCARD_QR_SIZE (USHER_EVENT_NAME_SIZE + USHER_CODE_SIZE + USHER_SEAT_ID_SIZE + 168)

typedef struct kcard {
    char event[USHER_EVENT_NAME_SIZE];
    char name[USHER_NAME_SIZE];
    char code[USHER_CODE_SIZE];
    char seat[USHER_SEAT_ID_SIZE]; /* "" = none (a door admits a guest without one) */
    char place[KCARD_LINE_SIZE];   /* the seat in words: "Table 7, seat 3" */
    char note[KCARD_LINE_SIZE];    /* the small last line: "Admitted at door-1", "" */
    char qr[KCARD_QR_SIZE];
} kcard;

/* Fills c (cleared first). event_name "" reads "Usher"; name "" reads
 * "Guest"; place is the seat in the guest's language (the caller's words: a
 * card carries no layout); note may be NULL. Text too long for a field is
 * cut at a character boundary, never in the middle of one. */
void kcard_make(kcard *c, const char *event_name, const char *code, const char *name,
                const char *seat, const char *place, const char *note);

/* The card as text to keep in the journal while it waits for the printer
 * (JSON of its fields; the QR code is made again from them): malloc'd, the
 * caller frees it; NULL when out of memory. */
char *kcard_to_text(const kcard *c);

/* The card kcard_to_text wrote, made again with kcard_make into *out: true,
 * or false (out untouched) for anything else: not JSON, a field missing or
 * not a string, text that is not printable UTF-8, no code. */
bool kcard_from_text(const char *text, kcard *out);

/* What a line of the card is, for its size and weight. */
typedef enum {
    KCARD_EVENT = 0, /* small, grey, first */
    KCARD_NAME,      /* the largest, up to two lines */
    KCARD_PLACE,     /* bold, never cut: set smaller to fit */
    KCARD_CODE,      /* the ticket code, never cut */
    KCARD_NOTE       /* small, grey */
} kcard_role;

typedef struct kcard_line {
    kcard_role role;
    const char *text; /* points into the card */
} kcard_line;

#define KCARD_LINES_MAX 5

/* The card's lines top to bottom (empty ones left out) into out (room for
 * KCARD_LINES_MAX). Returns how many. */
int kcard_lines(const kcard *c, kcard_line out[KCARD_LINES_MAX]);

#endif
