/* layout_gen.c - whole layouts from the "gala:TxS" / "theatre:RxS" specs (their
 * seats placed by layout_place.c). */
#include "layout.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "layout__internal.h"
#include "text.h"

#define ROW_PITCH 90.0     /* generated theatre: between rows */
#define THEATRE_CURVE 0.05 /* generated theatre: depth of the curve / row width */

/* --- "gala:" and "theatre:" specs --- */

static const char spec_forms[] =
    "use \"gala:TABLESxSEATS\" (e.g. \"gala:25x10\") or \"theatre:ROWSxSEATS\" "
    "(e.g. \"theatre:20x30\"), optionally followed by \",vip=N\"";

typedef struct spec {
    section_kind kind;
    long count, seats, vip;
} spec;

/* Reads 1..7 decimal digits at *p and advances past them. */
static bool read_count(const char **p, long *out)
{
    const char *s = *p;
    long v = 0;
    int n = 0;
    for (; *s >= '0' && *s <= '9'; s++, n++) {
        if (n == 7)
            return false;
        v = v * 10 + (*s - '0');
    }
    if (n == 0)
        return false;
    *out = v;
    *p = s;
    return true;
}

static usher_err parse_spec(const char *text, spec *sp, usher_errmsg *em)
{
    const char *p = strchr(text, ':');
    if (p && p - text == 4 && !strncmp(text, "gala", 4))
        sp->kind = SECTION_TABLE;
    else if (p && p - text == 7 && !strncmp(text, "theatre", 7))
        sp->kind = SECTION_ROW;
    else
        return usher_fail(em, USHER_INVAL, "layout spec \"%.60s\": unknown shape; %s", text,
                          spec_forms);
    p++;
    sp->vip = 0;
    bool ok = read_count(&p, &sp->count) && *p == 'x';
    if (ok)
        p++;
    ok = ok && read_count(&p, &sp->seats);
    if (ok && *p == ',') {
        ok = !strncmp(p, ",vip=", 5);
        if (ok)
            p += 5;
        ok = ok && read_count(&p, &sp->vip);
    }
    if (!ok || *p)
        return usher_fail(em, USHER_INVAL, "layout spec \"%.60s\" is not understood; %s", text,
                          spec_forms);
    const char *what = sp->kind == SECTION_TABLE ? "tables" : "rows";
    if (sp->count < 1 || sp->count > LAYOUT_MAX_SECTIONS)
        return usher_fail(em, USHER_INVAL,
                          "layout spec \"%.60s\": the number of %s must be 1 to %d; %s", text, what,
                          LAYOUT_MAX_SECTIONS, spec_forms);
    if (sp->seats < 1 || sp->seats > LAYOUT_MAX_SEATS_PER_SECTION)
        return usher_fail(
            em, USHER_INVAL, "layout spec \"%.60s\": seats per %s must be 1 to %d; %s", text,
            sp->kind == SECTION_TABLE ? "table" : "row", LAYOUT_MAX_SEATS_PER_SECTION, spec_forms);
    if (sp->count * sp->seats > USHER_MAX_SEATS)
        return usher_fail(em, USHER_INVAL,
                          "layout spec \"%.60s\": %ld seats in all; at most %d; %s", text,
                          sp->count * sp->seats, USHER_MAX_SEATS, spec_forms);
    if (sp->vip > sp->count)
        return usher_fail(em, USHER_INVAL, "layout spec \"%.60s\": vip=%ld but only %ld %s; %s",
                          text, sp->vip, sp->count, what, spec_forms);
    return USHER_OK;
}

/* Row names A..Z, AA..AZ, BA.. for 0, 1, ... */
static void row_name(int i, char *out, size_t size)
{
    char rev[8];
    int n = 0;
    for (i++; i > 0 && n < (int)sizeof rev; i /= 26) {
        i--;
        rev[n++] = (char)('A' + i % 26);
    }
    size_t k = 0;
    while (n > 0 && k + 1 < size)
        out[k++] = rev[--n];
    out[k] = '\0';
}

/* Tables in a square-ish grid, one seat's width of aisle between chairs. */
static usher_err generate_gala(layout *l, const spec *sp, usher_errmsg *em)
{
    int n = (int)sp->count, cols = 1, width = layout__digits(n) < 2 ? 2 : layout__digits(n);
    while (cols * cols < n)
        cols++;
    double r = layout__default_radius((int)sp->seats);
    double pitch = 2 * r + 2 * LAYOUT_SEAT_SIZE;
    char name[USHER_EVENT_NAME_SIZE];
    snprintf(name, sizeof name, "Gala: %d table%s of %ld seat%s", n, n == 1 ? "" : "s", sp->seats,
             sp->seats == 1 ? "" : "s");
    layout__set_name(l, name);
    for (int t = 0; t < n; t++) {
        layout_section sec = {.kind = SECTION_TABLE, .radius = r};
        sec.first_seat = layout_seat_count(l);
        sec.seat_count = (int)sp->seats;
        if (!layout__numbered_id(sec.id, "T", "", width, t + 1))
            return usher_fail(em, USHER_INVAL, "table ids would be too long");
        snprintf(sec.label, sizeof sec.label, "Table %d", t + 1);
        text_copy(sec.klass, sizeof sec.klass, t < sp->vip ? "VIP" : "");
        sec.x = (t % cols + 0.5) * pitch;
        sec.y = (t / cols + 0.5) * pitch;
        usher_err err = layout__push_section(l, &sec, em);
        if (!err)
            err = layout__generate_seats(l, t, 0, 0, em);
        if (err)
            return err;
    }
    return USHER_OK;
}

/* Rows A.. one behind the other (stage toward y-), their ends gently curved. */
static usher_err generate_theatre(layout *l, const spec *sp, usher_errmsg *em)
{
    int n = (int)sp->count;
    double width = (double)(sp->seats - 1) * LAYOUT__ROW_SPACING;
    double depth = round(THEATRE_CURVE * width);
    char name[USHER_EVENT_NAME_SIZE];
    snprintf(name, sizeof name, "Theatre: %d row%s of %ld seat%s", n, n == 1 ? "" : "s", sp->seats,
             sp->seats == 1 ? "" : "s");
    layout__set_name(l, name);
    for (int r = 0; r < n; r++) {
        layout_section sec = {.kind = SECTION_ROW};
        sec.first_seat = layout_seat_count(l);
        sec.seat_count = (int)sp->seats;
        row_name(r, sec.id, sizeof sec.id);
        snprintf(sec.label, sizeof sec.label, "Row %s", sec.id);
        text_copy(sec.klass, sizeof sec.klass, r < sp->vip ? "VIP" : "");
        sec.x = width / 2 + 2 * LAYOUT_SEAT_SIZE;
        sec.y = 4 * LAYOUT_SEAT_SIZE + depth + r * ROW_PITCH;
        usher_err err = layout__push_section(l, &sec, em);
        if (!err)
            err = layout__generate_seats(l, r, LAYOUT__ROW_SPACING, depth, em);
        if (err)
            return err;
    }
    return USHER_OK;
}

const char *layout_generated_label(const layout_section *sec)
{
    const char *word = sec->kind == SECTION_TABLE ? "Table "
                       : sec->kind == SECTION_ROW ? "Row "
                                                  : NULL;
    if (!word || strncmp(sec->label, word, strlen(word)) != 0)
        return NULL;
    const char *rest = sec->label + strlen(word);
    /* A table's number is its position; a row's name is its id. */
    if (sec->kind == SECTION_ROW)
        return strcmp(rest, sec->id) == 0 ? rest : NULL;
    if (!rest[0] || rest[0] == '0')
        return NULL;
    for (const char *p = rest; *p; p++)
        if (*p < '0' || *p > '9')
            return NULL;
    return rest;
}

usher_err layout_generate(const char *text, layout **out, usher_errmsg *em)
{
    if (!text || !out)
        return usher_fail(em, USHER_INVAL, "no layout spec given; %s", spec_forms);
    spec sp = {0};
    usher_err err = parse_spec(text, &sp, em);
    if (err)
        return err;
    layout *l = layout__alloc();
    if (!l)
        return layout__oom(em);
    err = sp.kind == SECTION_TABLE ? generate_gala(l, &sp, em) : generate_theatre(l, &sp, em);
    if (err) {
        layout_free(l);
        return err;
    }
    layout__finish(l);
    *out = l;
    return USHER_OK;
}
