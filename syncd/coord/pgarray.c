/* pgarray.c - PostgreSQL array literals in text form, one element at a time. */
#include "pgarray.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static void add(pgarray *a, const char *v, size_t n)
{
    if (a->nomem)
        return;
    if (a->len + n + 3 > a->cap) {
        size_t cap = a->cap ? a->cap : 256;
        while (cap < a->len + n + 3)
            cap *= 2;
        char *bigger = realloc(a->s, cap);
        if (!bigger) {
            a->nomem = true;
            return;
        }
        a->s = bigger, a->cap = cap;
    }
    memcpy(a->s + a->len, v, n);
    a->len += n;
    a->s[a->len] = '\0';
}

void pgarray_text(pgarray *a, const char *v)
{
    v = v ? v : "";
    bool utf8 = text_utf8_valid(v, strlen(v));
    add(a, a->count ? ",\"" : "{\"", 2);
    const char *run = v;
    for (const char *c = v;; c++) {
        bool special = *c == '"' || *c == '\\' || (!utf8 && (unsigned char)*c >= 0x80);
        if (*c && !special)
            continue;
        add(a, run, (size_t)(c - run));
        if (!*c)
            break;
        if (*c == '"' || *c == '\\') {
            char esc[2] = {'\\', *c};
            add(a, esc, 2);
        } else {
            add(a, "?", 1);
        }
        run = c + 1;
    }
    add(a, "\"", 1);
    a->count++;
}

void pgarray_i64(pgarray *a, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%s%lld", a->count ? "," : "{", (long long)v);
    add(a, t, (size_t)n);
    a->count++;
}

const char *pgarray_finish(pgarray *a)
{
    add(a, a->count ? "}" : "{}", a->count ? 1 : 2);
    return a->nomem ? NULL : a->s;
}

void pgarray_clear(pgarray *a)
{
    a->len = 0;
    a->count = 0;
    a->nomem = false;
    if (a->s)
        a->s[0] = '\0';
}

void pgarray_release(pgarray *a)
{
    free(a->s);
    a->s = NULL;
    a->len = a->cap = a->count = 0;
    a->nomem = false;
}
