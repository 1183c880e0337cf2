/* ticketcode.c - what a ticket code is (see ticketcode.h): characters, normal
 * form, generated codes with their check character, strong or weak. Pure. */
#include "ticketcode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "text.h"

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static bool is_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool ticketcode_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool ticketcode_typed_char_ok(char c)
{
    return is_alnum(c) || c == '-';
}

bool ticketcode_valid(const char *code)
{
    if (!code)
        return false;
    size_t n = 0;
    for (; code[n]; n++)
        if (n >= TICKETCODE_MAX || !ticketcode_char_ok(code[n]))
            return false;
    return n > 0;
}

void ticketcode_upcase(char *code)
{
    for (; code && *code; code++)
        *code = upper(*code);
}

bool ticketcode_normalize(char *code)
{
    if (!code)
        return false;
    size_t n = strlen(code), start = 0;
    while (start < n && strchr(" \t\r\n", code[start]))
        start++;
    while (n > start && strchr(" \t\r\n", code[n - 1]))
        n--;
    n -= start;
    memmove(code, code + start, n);
    code[n] = '\0';
    ticketcode_upcase(code);
    return ticketcode_valid(code);
}

/* ---- generated codes ------------------------------------------------------ */

/* Generated codes use Crockford's base32 alphabet: no I, L, O or U, so that
 * nothing reads as 1, 0 or a rude word. A character's value is its index. */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#define GEN_GROUP 5               /* characters per group */
#define GEN_CHARS (2 * GEN_GROUP) /* nine random + one check character */
#define GEN_TAIL (GEN_CHARS + 1)  /* "XXXXX-XXXXC" */
#define GEN_PREFIX_MAX 12

static int crockford_value(char c)
{
    const char *hit = c ? strchr(crockford, upper(c)) : NULL;
    return hit ? (int)(hit - crockford) : -1;
}

/* The check character.
 *
 * The ten characters' values v0..v9 are read as elements of GF(32), the field
 * of polynomials over GF(2) modulo x^5 + x^2 + 1 (irreducible, so a field; as
 * 31 is prime, x generates all 31 non-zero elements). Addition is XOR. A code
 * is valid when S = sum of w_i * v_i = 0 with w_i = x^(9-i): ten distinct,
 * non-zero weights (x^0..x^9), the check character v9 having weight 1, so
 * v9 = sum over i < 9 of w_i * v_i.
 *
 * One substituted character (v_i -> v_i + e, e != 0) changes S by w_i * e,
 * which is non-zero: a field has no zero divisors. Two swapped characters a !=
 * b at positions i != j (neighbours or not) change S by (w_i + w_j) * (a + b),
 * non-zero as both factors are. So every single mistake and every transposition
 * among the ten characters is caught, the check character's own included.
 *
 * Why not a weighted sum mod 31: values 0 ('0') and 31 ('Z') are equal mod 31,
 * so that substitution would slip through. Crockford's mod 37 needs 37 check
 * symbols (* ~ $ = U), which would break the [A-Z0-9-] code charset. */
static unsigned gf32_mul(unsigned a, unsigned b)
{
    unsigned r = 0;
    while (b) {
        if (b & 1)
            r ^= a;
        b >>= 1;
        a <<= 1;
        if (a & 32)
            a ^= 0x25; /* x^5 = x^2 + 1 */
    }
    return r;
}

/* Horner: after n values, S = sum of v_i * x^(n-1-i). */
static unsigned gf32_syndrome(const unsigned *v, size_t n)
{
    unsigned s = 0;
    for (size_t k = 0; k < n; k++)
        s = gf32_mul(s, 2) ^ v[k];
    return s;
}

usher_err ticketcode_generate(const char *prefix, char out[USHER_CODE_SIZE], usher_errmsg *em)
{
    if (!prefix)
        prefix = "";
    size_t plen = strlen(prefix);
    for (size_t k = 0; k < plen; k++) {
        if (!is_alnum(prefix[k])) {
            unsigned char c = (unsigned char)prefix[k];
            size_t seq = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            char what[24];
            if (c > 0x20 && c < 0x7f)
                snprintf(what, sizeof what, "'%c'", c);
            else if (seq > 1 && seq <= plen - k && text_utf8_valid(prefix + k, seq))
                snprintf(what, sizeof what, "\"%.*s\"", (int)seq, prefix + k);
            else
                snprintf(what, sizeof what, "byte 0x%02x", c);
            return usher_fail(em, USHER_INVAL,
                              "the ticket code prefix has a character that is not allowed: %s "
                              "(use 1 to %d letters A-Z or digits 0-9)",
                              what, GEN_PREFIX_MAX);
        }
    }
    if (plen > GEN_PREFIX_MAX)
        return usher_fail(em, USHER_INVAL,
                          "the ticket code prefix is too long (%zu characters; at most %d)", plen,
                          GEN_PREFIX_MAX);
    if (sodium_init() < 0)
        return usher_fail(em, USHER_IO, "cannot initialise libsodium to make random codes");
    unsigned v[GEN_CHARS];
    for (size_t k = 0; k + 1 < GEN_CHARS; k++)
        v[k] = randombytes_uniform(32);
    v[GEN_CHARS - 1] = gf32_mul(gf32_syndrome(v, GEN_CHARS - 1), 2);
    char code[USHER_CODE_SIZE];
    size_t o = 0;
    for (size_t k = 0; k < plen; k++)
        code[o++] = upper(prefix[k]);
    if (plen)
        code[o++] = '-';
    for (size_t k = 0; k < GEN_CHARS; k++) {
        if (k == GEN_GROUP)
            code[o++] = '-';
        code[o++] = crockford[v[k]];
    }
    code[o] = '\0';
    memcpy(out, code, o + 1);
    return USHER_OK;
}

/* Reads the ten values of a generated code's tail; false when it has not
 * that shape. */
static bool generated_values(const char *code, unsigned v[GEN_CHARS])
{
    if (!code)
        return false;
    size_t n = strlen(code);
    if (n < GEN_TAIL)
        return false;
    size_t plen = n - GEN_TAIL;
    if (plen > 0) {
        if (plen < 2 || plen - 1 > GEN_PREFIX_MAX || code[plen - 1] != '-')
            return false;
        for (size_t k = 0; k + 1 < plen; k++)
            if (!is_alnum(code[k]))
                return false;
    }
    const char *tail = code + plen;
    if (tail[GEN_GROUP] != '-')
        return false;
    for (size_t k = 0, o = 0; k < GEN_TAIL; k++) {
        if (k == GEN_GROUP)
            continue;
        int val = crockford_value(tail[k]);
        if (val < 0)
            return false;
        v[o++] = (unsigned)val;
    }
    return true;
}

bool ticketcode_is_generated(const char *code)
{
    unsigned v[GEN_CHARS];
    return generated_values(code, v);
}

bool ticketcode_check_ok(const char *code)
{
    unsigned v[GEN_CHARS];
    return generated_values(code, v) && gf32_syndrome(v, GEN_CHARS) == 0;
}

/* ---- strong or weak ------------------------------------------------------- */

static const char *const strength_names[] = {"strong", "weak"};

const char *ticketcode_strength_name(ticketcode_strength s)
{
    return s == TICKETCODE_WEAK ? strength_names[1] : strength_names[0];
}

int ticketcode_strength_parse(const char *name)
{
    for (int i = 0; name && i < 2; i++)
        if (!strcmp(name, strength_names[i]))
            return i;
    return -1;
}

#define SYMBOLS 37 /* A-Z, 0-9, '-' */
#define SMALL_FILE 40

static int symbol(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= '0' && c <= '9')
        return 26 + (c - '0');
    return 36;
}

/* Per place (from the start, and from the end) the character most codes
 * have there, or 0 when no character is shared by most codes. */
typedef struct places {
    char head[TICKETCODE_MAX], tail[TICKETCODE_MAX];
} places;

static char dominant(const size_t count[SYMBOLS], size_t n)
{
    int best = 0;
    for (int k = 1; k < SYMBOLS; k++)
        if (count[k] > count[best])
            best = k;
    size_t c = count[best];
    bool most = c >= 3 && c * 4 > n && (n >= SMALL_FILE || c * 2 > n);
    if (!most || best == 36)
        return 0;
    return best < 26 ? (char)('A' + best) : (char)('0' + best - 26);
}

static usher_err find_places(const char *const *codes, size_t n, places *p)
{
    size_t(*head)[SYMBOLS] = calloc(TICKETCODE_MAX, sizeof *head);
    size_t(*tail)[SYMBOLS] = calloc(TICKETCODE_MAX, sizeof *tail);
    usher_err err = head && tail ? USHER_OK : USHER_NOMEM;
    if (err)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!ticketcode_valid(codes[i]))
            continue;
        size_t len = strlen(codes[i]);
        for (size_t k = 0; k < len; k++) {
            head[k][symbol(codes[i][k])]++;
            tail[len - 1 - k][symbol(codes[i][k])]++;
        }
    }
    for (size_t k = 0; k < TICKETCODE_MAX; k++) {
        p->head[k] = dominant(head[k], n);
        p->tail[k] = dominant(tail[k], n);
    }
out:
    free(head);
    free(tail);
    return err;
}

/* NULL when code has enough letters and digits, and enough of its own; else
 * why not. */
static const char *too_few_chars(const char *code, const places *p)
{
    size_t len = strlen(code);
    int all = 0, own = 0;
    for (size_t k = 0; k < len; k++) {
        char c = code[k];
        if (c == '-')
            continue;
        all++;
        if (c != p->head[k] && c != p->tail[len - 1 - k])
            own++;
    }
    if (all < TICKETCODE_STRONG_CHARS)
        return "it has fewer than 10 letters and digits";
    if (own < TICKETCODE_OWN_CHARS)
        return "most of its letters and digits are the same in most other codes";
    return NULL;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* True when a and b (valid codes) have one length and differ only in their
 * last two characters: neighbours of a counter. */
static bool neighbours(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return la == lb && la > 2 && !memcmp(a, b, la - 2);
}

/* Counts one weak code; the first one is the report's example. `other`, the
 * code it follows, may be NULL. */
static void mark_weak(ticketcode_report *out, const char *code, const char *why, const char *other)
{
    if (!out->weak++) {
        snprintf(out->example, sizeof out->example, "%.32s", code ? code : "");
        snprintf(out->why, sizeof out->why, "%s%s", why, other ? other : "");
    }
    out->strength = TICKETCODE_WEAK;
}

void ticketcode_classify(const char *const *codes, size_t n, ticketcode_report *out)
{
    memset(out, 0, sizeof *out);
    out->strength = TICKETCODE_STRONG;
    if (!n)
        return;
    places p;
    const char **sorted = malloc(n * sizeof *sorted);
    if (!sorted || find_places(codes, n, &p) != USHER_OK) {
        /* Out of memory: the safe answer. */
        free(sorted);
        out->strength = TICKETCODE_WEAK;
        out->weak = n;
        snprintf(out->why, sizeof out->why, "not checked (out of memory)");
        return;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ticketcode_valid(codes[i])) {
            mark_weak(out, codes[i], "not a ticket code", NULL);
            continue;
        }
        const char *few = ticketcode_check_ok(codes[i]) ? NULL : too_few_chars(codes[i], &p);
        if (few) {
            mark_weak(out, codes[i], few, NULL);
            continue;
        }
        sorted[m++] = codes[i];
    }
    qsort(sorted, m, sizeof *sorted, by_text);
    for (size_t i = 0; i < m; i++) {
        const char *prev = i > 0 ? sorted[i - 1] : NULL;
        const char *next = i + 1 < m ? sorted[i + 1] : NULL;
        if (prev && neighbours(prev, sorted[i]))
            mark_weak(out, sorted[i], "it differs only in its last two characters from ", prev);
        else if (next && neighbours(sorted[i], next))
            mark_weak(out, sorted[i], "it differs only in its last two characters from ", next);
    }
    free(sorted);
}
