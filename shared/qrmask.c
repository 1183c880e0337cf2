/* qrmask.c - the QR mask with the lowest penalty, one 64-bit word a row and a
 * column. The penalty rules are the standard's (as libqrencode and Nayuki's
 * qrcodegen score them); a decoder reads any mask, the choice only keeps a
 * symbol easy to find and to sample. */
#include "qrmask.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct lines {
    uint64_t row[QRMASK_MAX_WIDTH]; /* bit x of row[y]: module (x, y) */
    uint64_t col[QRMASK_MAX_WIDTH]; /* bit y of col[x] */
} lines;

static int version_of(int width)
{
    if (width < 21 || width > QRMASK_MAX_WIDTH || (width - 17) % 4 != 0)
        return 0;
    return (width - 17) / 4;
}

static uint64_t ones(int n)
{
    return n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
}

static void fill(lines *l, int x, int y, int w, int h)
{
    for (int r = y; r < y + h; r++)
        l->row[r] |= ones(w) << x;
    for (int c = x; c < x + w; c++)
        l->col[c] |= ones(h) << y;
}

int qrmask_alignment(int version, int pos[7])
{
    if (version < 2 || version > 40)
        return 0;
    int n = version / 7 + 2;
    int step = version == 32 ? 26 : (version * 4 + n * 2 + 1) / (n * 2 - 2) * 2;
    pos[0] = 6;
    for (int i = n - 1, p = version * 4 + 10; i >= 1; i--, p -= step)
        pos[i] = p;
    return n;
}

/* Finder patterns with their separators and format areas, timing patterns,
 * alignment patterns, version information: every module no mask touches. */
static void function_modules(int width, lines *f)
{
    *f = (lines){{0}, {0}};
    int v = version_of(width);
    fill(f, 6, 0, 1, width);
    fill(f, 0, 6, width, 1);
    fill(f, 0, 0, 9, 9);
    fill(f, width - 8, 0, 8, 9);
    fill(f, 0, width - 8, 9, 8);
    int pos[7], n = qrmask_alignment(v, pos);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (!((i == 0 && j == 0) || (i == 0 && j == n - 1) || (i == n - 1 && j == 0)))
                fill(f, pos[i] - 2, pos[j] - 2, 5, 5);
    if (v >= 7) {
        fill(f, width - 11, 0, 3, 6);
        fill(f, 0, width - 11, 6, 3);
    }
}

static bool mask_dark(int mask, int x, int y)
{
    switch (mask) {
    case 0:
        return (x + y) % 2 == 0;
    case 1:
        return y % 2 == 0;
    case 2:
        return x % 3 == 0;
    case 3:
        return (x + y) % 3 == 0;
    case 4:
        return (x / 3 + y / 2) % 2 == 0;
    case 5:
        return x * y % 2 + x * y % 3 == 0;
    case 6:
        return (x * y % 2 + x * y % 3) % 2 == 0;
    default:
        return ((x + y) % 2 + x * y % 3) % 2 == 0;
    }
}

/* Every mask repeats every 6 modules across and 12 down: row[m][y % 12] and
 * col[m][x % 6] are its words. */
typedef struct patterns {
    uint64_t row[8][12], col[8][6];
} patterns;

static patterns the_patterns; /* made once, read only after */
static pthread_once_t patterns_once = PTHREAD_ONCE_INIT;

static void patterns_make(void)
{
    patterns *p = &the_patterns;
    for (int m = 0; m < 8; m++) {
        for (int y = 0; y < 12; y++) {
            uint64_t b = 0, w = 0;
            for (int x = 0; x < 6; x++)
                b |= (uint64_t)mask_dark(m, x, y) << x;
            for (int s = 0; s < 64; s += 6)
                w |= b << s;
            p->row[m][y] = w;
        }
        for (int x = 0; x < 6; x++) {
            uint64_t b = 0, w = 0;
            for (int y = 0; y < 12; y++)
                b |= (uint64_t)mask_dark(m, x, y) << y;
            for (int s = 0; s < 64; s += 12)
                w |= b << s;
            p->col[m][x] = w;
        }
    }
}

/* ---- format information ------------------------------------------------ */

static unsigned format_word(int ecl_bits, int mask)
{
    unsigned data = (unsigned)(ecl_bits << 3 | mask), rem = data;
    for (int i = 0; i < 10; i++)
        rem = (rem << 1) ^ ((rem >> 9) * 0x537);
    return ((data << 10) | (rem & 0x3ff)) ^ 0x5412;
}

/* Where bit i of the format word sits, in its first (copy 0) and second copy. */
static void format_cell(int width, int copy, int i, int *x, int *y)
{
    if (copy == 0) {
        if (i < 6)
            *x = 8, *y = i;
        else if (i < 8)
            *x = 8, *y = i + 1;
        else if (i == 8)
            *x = 7, *y = 8;
        else
            *x = 14 - i, *y = 8;
    } else if (i < 8) {
        *x = width - 1 - i, *y = 8;
    } else {
        *x = 8, *y = width - 15 + i;
    }
}

bool qrmask_format(const unsigned char *modules, int width, int *mask, int *ecl_bits)
{
    if (!version_of(width))
        return false;
    for (int copy = 0; copy < 2; copy++) {
        unsigned word = 0;
        for (int i = 0; i < 15; i++) {
            int x, y;
            format_cell(width, copy, i, &x, &y);
            word |= (unsigned)(modules[y * width + x] != 0) << i;
        }
        for (int e = 0; e < 4; e++)
            for (int m = 0; m < 8; m++)
                if (format_word(e, m) == word) {
                    *mask = m;
                    *ecl_bits = e;
                    return true;
                }
    }
    return false;
}

static void put_format(lines *l, int width, unsigned word)
{
    for (int copy = 0; copy < 2; copy++)
        for (int i = 0; i < 15; i++) {
            int x, y;
            format_cell(width, copy, i, &x, &y);
            uint64_t bit = (word >> i) & 1;
            l->row[y] = (l->row[y] & ~((uint64_t)1 << x)) | bit << x;
            l->col[x] = (l->col[x] & ~((uint64_t)1 << y)) | bit << y;
        }
}

/* ---- penalty ------------------------------------------------------------- */

/* N1: a run of k >= 5 modules of one colour scores 3 + (k - 5): the k - 4
 * windows of five it holds, plus 2 for the run. */
static long runs(uint64_t x, uint64_t full)
{
    long p = 0;
    for (int colour = 0; colour < 2; colour++, x = ~x & full) {
        uint64_t a = x & x >> 1 & x >> 2 & x >> 3 & x >> 4;
        p += __builtin_popcountll(a) + 2 * __builtin_popcountll(a & ~(a << 1));
    }
    return p;
}

/* N3: 1:1:3:1:1 dark-light-dark-light-dark with four light modules before or
 * after it; beyond the symbol is the light quiet zone. */
static long finders(uint64_t x, int width)
{
    static const unsigned pat[2] = {0x5d0, 0x05d}; /* 0000 1011101, 1011101 0000 (bit 0 first) */
    uint64_t p = x << 4;
    long n = 0;
    for (int k = 0; k < 2; k++) {
        uint64_t m = ones(width - 2);
        for (int b = 0; b < 11; b++)
            m &= (pat[k] >> b & 1) ? p >> b : ~(p >> b);
        n += __builtin_popcountll(m);
    }
    return 40 * n;
}

/* On x86-64 a clone with the POPCNT instruction, picked at load time on a
 * processor that has it (the baseline's popcount is a library call: a sixth
 * of a code's time). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("popcnt", "default")))
#endif
static long
penalty(const lines *l, int width)
{
    uint64_t full = ones(width);
    long p = 0, dark = 0;
    for (int i = 0; i < width; i++) {
        p += runs(l->row[i], full) + runs(l->col[i], full);
        p += finders(l->row[i], width) + finders(l->col[i], width);
        dark += __builtin_popcountll(l->row[i]);
    }
    for (int y = 0; y + 1 < width; y++) { /* N2: 2x2 blocks of one colour */
        uint64_t a = l->row[y], b = l->row[y + 1], same = ~(a ^ b);
        uint64_t block = same & same >> 1 & ~(a ^ a >> 1) & ones(width - 1);
        p += 3 * __builtin_popcountll(block);
    }
    long total = (long)width * width; /* N4: 10 for every 5 % from half dark */
    long k = (labs(dark * 20 - total * 10) + total - 1) / total - 1;
    return p + 10 * (k > 0 ? k : 0);
}

static void lines_of(const unsigned char *modules, int width, lines *l)
{
    *l = (lines){{0}, {0}};
    for (int y = 0; y < width; y++)
        for (int x = 0; x < width; x++)
            if (modules[y * width + x]) {
                l->row[y] |= (uint64_t)1 << x;
                l->col[x] |= (uint64_t)1 << y;
            }
}

long qrmask_penalty(const unsigned char *modules, int width)
{
    if (width < 5 || width > QRMASK_MAX_WIDTH)
        return -1;
    lines l;
    lines_of(modules, width, &l);
    return penalty(&l, width);
}

/* The symbol under mask m: data modules of the unmasked u flipped where m is
 * dark, the format information for m. */
static void masked(const lines *u, const lines *data, const patterns *pt, int width, int ecl_bits,
                   int m, lines *out)
{
    for (int i = 0; i < width; i++) {
        out->row[i] = u->row[i] ^ (pt->row[m][i % 12] & data->row[i]);
        out->col[i] = u->col[i] ^ (pt->col[m][i % 6] & data->col[i]);
    }
    put_format(out, width, format_word(ecl_bits, m));
}

/* The unmasked symbol of a finished one, with its data modules and level. */
typedef struct plain {
    lines u, data;
    const patterns *pt;
    int ecl_bits;
} plain;

static bool plain_of(const unsigned char *modules, int width, plain *p)
{
    int have;
    if (!qrmask_format(modules, width, &have, &p->ecl_bits))
        return false;
    pthread_once(&patterns_once, patterns_make);
    p->pt = &the_patterns;
    function_modules(width, &p->data);
    uint64_t full = ones(width);
    lines_of(modules, width, &p->u);
    for (int i = 0; i < width; i++) {
        p->data.row[i] = full & ~p->data.row[i];
        p->data.col[i] = full & ~p->data.col[i];
        p->u.row[i] ^= p->pt->row[have][i % 12] & p->data.row[i];
        p->u.col[i] ^= p->pt->col[have][i % 6] & p->data.col[i];
    }
    return true;
}

void qrmask_function_rows(int width, uint64_t rows[QRMASK_MAX_WIDTH])
{
    lines f;
    function_modules(width, &f);
    for (int y = 0; y < width; y++)
        rows[y] = f.row[y];
}

static void store(const lines *l, int width, unsigned char *modules)
{
    for (int y = 0; y < width; y++)
        for (int x = 0; x < width; x++)
            modules[y * width + x] = (unsigned char)(l->row[y] >> x & 1);
}

bool qrmask_apply(unsigned char *modules, int width, int mask)
{
    plain p;
    if (mask < 0 || mask > 7 || !plain_of(modules, width, &p))
        return false;
    lines l;
    masked(&p.u, &p.data, p.pt, width, p.ecl_bits, mask, &l);
    store(&l, width, modules);
    return true;
}

static int choose(plain *pp, int width, unsigned char *modules);

int qrmask_choose(unsigned char *modules, int width)
{
    plain p;
    if (!plain_of(modules, width, &p))
        return -1;
    return choose(&p, width, modules);
}

int qrmask_finish(unsigned char *modules, int width, int ecl_bits)
{
    if (!version_of(width) || ecl_bits < 0 || ecl_bits > 3)
        return -1;
    plain p;
    pthread_once(&patterns_once, patterns_make);
    p.pt = &the_patterns;
    p.ecl_bits = ecl_bits;
    function_modules(width, &p.data);
    uint64_t full = ones(width);
    lines_of(modules, width, &p.u);
    for (int i = 0; i < width; i++) {
        p.data.row[i] = full & ~p.data.row[i];
        p.data.col[i] = full & ~p.data.col[i];
    }
    return choose(&p, width, modules);
}

static int choose(plain *pp, int width, unsigned char *modules)
{
    const plain p = *pp;
    lines cand, best;
    int chosen = -1;
    long low = 0;
    for (int m = 0; m < 8; m++) {
        masked(&p.u, &p.data, p.pt, width, p.ecl_bits, m, &cand);
        long score = penalty(&cand, width);
        if (chosen < 0 || score < low) {
            chosen = m, low = score;
            best = cand;
        }
    }
    store(&best, width, modules);
    return chosen;
}
