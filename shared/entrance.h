/* entrance.h - the venue's entrances as the organiser defines them (a name,
 * the ticket classes and the sections each admits) and the one rule of which
 * entrance a ticket belongs at (entrance_judge). The coordinator stores them,
 * every device receives them (protocol.h) and keeps them in its journal; the
 * door decides from that copy, offline too.
 */
#ifndef USHER_ENTRANCE_H
#define USHER_ENTRANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"
#include "error.h"

#define ENTRANCE_NAME_MAX 40 /* bytes of UTF-8 */
#define ENTRANCE_NAME_SIZE (ENTRANCE_NAME_MAX + 1)
#define ENTRANCE_MAX 32       /* entrances of one event */
#define ENTRANCE_MAX_RULES 16 /* classes, and sections, one entrance names */
#define ENTRANCE_MAX_DOORS 32 /* door devices one entrance lists */

/* One entrance. An empty classes list admits every class, an empty sections
 * list every section; both empty: every ticket. Invariant (entrance_check):
 * the name is valid, the rules are non-empty, without commas, and not twice
 * in one list; the doors are device ids. */
typedef struct entrance {
    char name[ENTRANCE_NAME_SIZE];
    char classes[ENTRANCE_MAX_RULES][USHER_CLASS_SIZE];
    size_t nclasses;
    char sections[ENTRANCE_MAX_RULES][USHER_SEAT_ID_SIZE]; /* section ids ("T07", "A") */
    size_t nsections;
    /* The door devices that belong to it (the coordinator's word; a device
     * counts the entrance's admissions from them: entrance_count.h). */
    char doors[ENTRANCE_MAX_DOORS][USHER_DEVICE_SIZE];
    size_t ndoors;
} entrance;

/* Every entrance of the event, and (on a device) the one it belongs to. */
typedef struct entrance_set {
    entrance all[ENTRANCE_MAX];
    size_t n;
    char mine[ENTRANCE_NAME_SIZE]; /* this device's entrance; "" = none (admits every ticket) */
} entrance_set;

/* True when name could name an entrance: 1..ENTRANCE_NAME_MAX bytes of
 * valid UTF-8 without control characters, not starting or ending with a
 * space, without a comma (lists) or a slash (the API's paths). */
bool entrance_name_ok(const char *name);

/* Two names name the same entrance when they fold the same (case and accents
 * ignored, fold.h): "Gate B" and "gate b" cannot both exist. */
bool entrance_same_name(const char *a, const char *b);

/* Parses "A, B" (a command line's or a form's list) into at most
 * ENTRANCE_MAX_RULES items of size bytes each, spaces around items dropped,
 * "" = no items. USHER_INVAL naming `what` ("classes") for an empty item, an
 * item too long, with control characters, a duplicate (ASCII case ignored)
 * or too many. out (stride `size`) and *n written only on success. */
usher_err entrance_parse_list(const char *text, const char *what, char *out, size_t size, size_t *n,
                              usher_errmsg *em) USHER_MUST_CHECK;

/* Joins a rule list with "," into out (size bytes; a list that fits in
 * ENTRANCE_MAX_RULES x item size always fits in 512). */
void entrance_join(const char *items, size_t stride, size_t n, char *out, size_t size);

/* USHER_INVAL naming what is wrong with e (its name, a rule), else OK. */
usher_err entrance_check(const entrance *e, usher_errmsg *em) USHER_MUST_CHECK;

/* True when entrance e admits a ticket of class tclass ("" = none) seated in
 * section `section` ("" = unseated): its class is one of e's classes (ASCII
 * case ignored) unless e names none, and its section one of e's sections
 * unless e names none. An unseated ticket is not in any section. */
bool entrance_admits(const entrance *e, const char *tclass, const char *section);

/* The entrance named name in s (entrance_same_name), or NULL. */
const entrance *entrance_find(const entrance_set *s, const char *name);

/* The door's rule. A door that belongs to entrance s->mine sends a ticket to
 * another entrance only when its own does not admit it and at least one
 * other does (a ticket no entrance admits has nowhere better to go: it is
 * admitted where it is). A door without an entrance, or with one that is no
 * longer defined, admits every ticket. Returns true when the ticket is at the
 * right entrance; false with `others` (stride ENTRANCE_NAME_SIZE, max items)
 * holding the entrances that admit it, *nothers how many (all of them
 * counted, at most max written). */
bool entrance_judge(const entrance_set *s, const char *tclass, const char *section, char *others,
                    size_t max, size_t *nothers);

#endif
