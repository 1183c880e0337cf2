/* fold.c - case- and accent-insensitive text for comparison, on utf8proc. */
#include "fold.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "text.h"

char *fold_dup(const char *s)
{
    if (!s || !text_utf8_valid(s, strlen(s)))
        return NULL;
    utf8proc_uint8_t *mapped = NULL;
    /* CASEFOLD + COMPAT: full case folding and compatibility forms (fi, ①);
     * DECOMPOSE + STRIPMARK: accents come off as separate marks and are
     * dropped; IGNORE: soft hyphens and joiners vanish; LUMP: the many dashes,
     * quotes and spaces become their ASCII look-alikes. */
    utf8proc_ssize_t n =
        utf8proc_map((const utf8proc_uint8_t *)s, 0, &mapped,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE |
                         UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE | UTF8PROC_LUMP);
    if (n < 0)
        return NULL;
    /* Runs of white space become one space; none at either end. */
    char *out = (char *)mapped;
    size_t w = 0;
    bool space = false;
    for (utf8proc_ssize_t r = 0; r < n; r++) {
        char c = out[r];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            space = w > 0;
            continue;
        }
        if (space)
            out[w++] = ' ';
        space = false;
        out[w++] = c;
    }
    out[w] = '\0';
    return out;
}

usher_err fold_into(const char *s, char *out, size_t cap)
{
    if (cap > 0)
        out[0] = '\0';
    char *f = fold_dup(s);
    if (!f)
        return USHER_PARSE;
    bool fit = strlen(f) < cap;
    if (fit)
        memcpy(out, f, strlen(f) + 1);
    free(f);
    return fit ? USHER_OK : USHER_TOOBIG;
}

bool fold_contains(const char *haystack, const char *needle)
{
    char *h = fold_dup(haystack), *n = fold_dup(needle);
    bool hit = h && n && strstr(h, n) != NULL;
    free(h);
    free(n);
    return hit;
}

bool fold_equal(const char *a, const char *b)
{
    char *fa = fold_dup(a), *fb = fold_dup(b);
    bool same = fa && fb && strcmp(fa, fb) == 0;
    free(fa);
    free(fb);
    return same;
}
