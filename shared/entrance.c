/* entrance.c - entrances: names, rule lists, and which entrance admits a ticket. */
#include "entrance.h"

#include <string.h>
#include <strings.h>

#include "fold.h"
#include "text.h"

bool entrance_name_ok(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    return len >= 1 && len <= ENTRANCE_NAME_MAX && text_utf8_valid(name, len) &&
           text_printable(name) && name[0] != ' ' && name[len - 1] != ' ' && !strchr(name, ',') &&
           !strchr(name, '/');
}

bool entrance_same_name(const char *a, const char *b)
{
    return !strcmp(a, b) || fold_equal(a, b);
}

usher_err entrance_parse_list(const char *text, const char *what, char *out, size_t size, size_t *n,
                              usher_errmsg *em)
{
    char items[ENTRANCE_MAX_RULES][64];
    size_t count = 0;
    const char *p = text ? text : "";
    while (*p == ' ')
        p++;
    if (!*p) {
        *n = 0;
        return USHER_OK;
    }
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *start = p;
        while (len && *start == ' ')
            start++, len--;
        while (len && start[len - 1] == ' ')
            len--;
        if (!len)
            return usher_fail(em, USHER_INVAL, "%s: an empty name in \"%s\"", what, text);
        if (len >= size || len >= sizeof items[0])
            return usher_fail(em, USHER_INVAL, "%s: \"%.*s\" is longer than %zu bytes", what,
                              (int)len, start, size - 1);
        if (count == ENTRANCE_MAX_RULES)
            return usher_fail(em, USHER_INVAL, "%s: more than %d names", what, ENTRANCE_MAX_RULES);
        text_copyn(items[count], sizeof items[count], start, len);
        if (!text_utf8_valid(items[count], len) || !text_printable(items[count]))
            return usher_fail(em, USHER_INVAL, "%s: \"%.*s\" is not printable UTF-8", what,
                              (int)len, start);
        for (size_t i = 0; i < count; i++)
            if (!strcasecmp(items[i], items[count]))
                return usher_fail(em, USHER_INVAL, "%s: \"%s\" is named twice", what, items[count]);
        count++;
        if (!end)
            break;
        p = end + 1;
    }
    for (size_t i = 0; i < count; i++)
        text_copy(out + i * size, size, items[i]);
    *n = count;
    return USHER_OK;
}

void entrance_join(const char *items, size_t stride, size_t n, char *out, size_t size)
{
    if (!size)
        return;
    out[0] = 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const char *it = items + i * stride;
        size_t len = strlen(it);
        if (used + (i > 0) + len + 1 > size)
            break;
        if (i)
            out[used++] = ',';
        memcpy(out + used, it, len + 1);
        used += len;
    }
}

static usher_err check_rules(const char *items, size_t stride, size_t n, const char *what,
                             const char *name, usher_errmsg *em)
{
    if (n > ENTRANCE_MAX_RULES)
        return usher_fail(em, USHER_INVAL, "entrance \"%s\": more than %d %s", name,
                          ENTRANCE_MAX_RULES, what);
    for (size_t i = 0; i < n; i++) {
        const char *it = items + i * stride;
        size_t len = strnlen(it, stride);
        if (!len || len == stride || !text_utf8_valid(it, len) || !text_printable(it) ||
            strchr(it, ','))
            return usher_fail(em, USHER_INVAL, "entrance \"%s\": %s[%zu] is not a name", name, what,
                              i);
        for (size_t k = 0; k < i; k++)
            if (!strcasecmp(items + k * stride, it))
                return usher_fail(em, USHER_INVAL, "entrance \"%s\": %s \"%s\" is named twice",
                                  name, what, it);
    }
    return USHER_OK;
}

usher_err entrance_check(const entrance *e, usher_errmsg *em)
{
    if (!entrance_name_ok(e->name))
        return usher_fail(em, USHER_INVAL,
                          "an entrance's name is 1 to %d bytes of printable UTF-8, without a "
                          "comma or a slash, no spaces at either end",
                          ENTRANCE_NAME_MAX);
    usher_err err =
        check_rules(e->classes[0], sizeof e->classes[0], e->nclasses, "classes", e->name, em);
    if (!err)
        err = check_rules(e->sections[0], sizeof e->sections[0], e->nsections, "sections", e->name,
                          em);
    return err;
}

bool entrance_admits(const entrance *e, const char *tclass, const char *section)
{
    bool class_ok = e->nclasses == 0, section_ok = e->nsections == 0;
    for (size_t i = 0; i < e->nclasses && !class_ok; i++)
        class_ok = tclass && tclass[0] && !strcasecmp(e->classes[i], tclass);
    for (size_t i = 0; i < e->nsections && !section_ok; i++)
        section_ok = section && section[0] && !strcasecmp(e->sections[i], section);
    return class_ok && section_ok;
}

const entrance *entrance_find(const entrance_set *s, const char *name)
{
    if (!name || !name[0])
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (entrance_same_name(s->all[i].name, name))
            return &s->all[i];
    return NULL;
}

bool entrance_judge(const entrance_set *s, const char *tclass, const char *section, char *others,
                    size_t max, size_t *nothers)
{
    *nothers = 0;
    const entrance *mine = entrance_find(s, s->mine);
    if (!mine || entrance_admits(mine, tclass, section))
        return true;
    for (size_t i = 0; i < s->n; i++) {
        if (&s->all[i] == mine || !entrance_admits(&s->all[i], tclass, section))
            continue;
        if (*nothers < max)
            text_copy(others + *nothers * ENTRANCE_NAME_SIZE, ENTRANCE_NAME_SIZE, s->all[i].name);
        (*nothers)++;
    }
    return *nothers == 0;
}
