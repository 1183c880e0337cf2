/* qrenc.c - alphanumeric QR codes, versions 1 to 9, as qrcodegen makes them. */
#include "qrenc.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define MAX_VERSION 9
#define MAX_CODEWORDS 292 /* version 9: 2336 raw modules */

static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* The standard's tables for versions 1..9 ([0] unused), levels L, M, Q, H. */
static const int8_t ecc_per_block[4][MAX_VERSION + 1] = {
    {-1, 7, 10, 15, 20, 26, 18, 20, 24, 30},
    {-1, 10, 16, 26, 18, 24, 16, 18, 22, 22},
    {-1, 13, 22, 18, 26, 18, 24, 18, 22, 20},
    {-1, 17, 28, 22, 16, 22, 28, 26, 26, 24},
};
static const int8_t blocks_of[4][MAX_VERSION + 1] = {
    {-1, 1, 1, 1, 1, 1, 2, 2, 2, 2},
    {-1, 1, 1, 1, 2, 2, 4, 4, 4, 5},
    {-1, 1, 1, 2, 2, 4, 4, 6, 6, 8},
    {-1, 1, 1, 2, 4, 4, 4, 5, 6, 8},
};
static const int ecl_bits_of[4] = {1, 0, 3, 2}; /* L M Q H as the format names them */

/* ---- GF(256) over x^8 + x^4 + x^3 + x^2 + 1 ------------------------------ */

static uint8_t gf_exp[512], gf_log[256];
static pthread_once_t gf_once = PTHREAD_ONCE_INIT;

static void gf_make(void)
{
    unsigned x = 1;
    for (int i = 0; i < 255; i++) {
        gf_exp[i] = (uint8_t)x;
        gf_log[x] = (uint8_t)i;
        x <<= 1;
        if (x & 0x100)
            x ^= 0x11d;
    }
    for (int i = 255; i < 512; i++)
        gf_exp[i] = gf_exp[i - 255];
}

static uint8_t gf_mul(uint8_t a, uint8_t b)
{
    return a && b ? gf_exp[gf_log[a] + gf_log[b]] : 0;
}

/* The generator polynomial of a degree, highest term first and implied. */
static void rs_divisor(int degree, uint8_t out[])
{
    memset(out, 0, (size_t)degree);
    out[degree - 1] = 1;
    uint8_t root = 1;
    for (int i = 0; i < degree; i++) {
        for (int j = 0; j < degree; j++) {
            out[j] = gf_mul(out[j], root);
            if (j + 1 < degree)
                out[j] ^= out[j + 1];
        }
        root = gf_mul(root, 0x02);
    }
}

static void rs_remainder(const uint8_t data[], int n, const uint8_t div[], int degree,
                         uint8_t out[])
{
    memset(out, 0, (size_t)degree);
    for (int i = 0; i < n; i++) {
        uint8_t factor = data[i] ^ out[0];
        memmove(&out[0], &out[1], (size_t)degree - 1);
        out[degree - 1] = 0;
        if (!factor)
            continue;
        int lf = gf_log[factor];
        for (int j = 0; j < degree; j++)
            if (div[j])
                out[j] ^= gf_exp[gf_log[div[j]] + lf];
    }
}

/* ---- codewords ----------------------------------------------------------- */

static int raw_modules(int v)
{
    int r = (16 * v + 128) * v + 64;
    if (v >= 2) {
        int n = v / 7 + 2;
        r -= (25 * n - 10) * n - 55;
        if (v >= 7)
            r -= 36;
    }
    return r;
}

static int data_codewords(int v, int e)
{
    return raw_modules(v) / 8 - ecc_per_block[e][v] * blocks_of[e][v];
}

typedef struct bits {
    uint8_t b[MAX_CODEWORDS];
    int n; /* bits written */
} bits;

static void put(bits *s, unsigned value, int count)
{
    for (int i = count - 1; i >= 0; i--, s->n++)
        if ((value >> i) & 1)
            s->b[s->n >> 3] |= (uint8_t)(0x80 >> (s->n & 7));
}

bool qrenc_handles(const char *text)
{
    bool digits_only = true;
    if (!text || !*text)
        return false;
    for (const char *p = text; *p; p++) {
        if (!strchr(alnum, *p))
            return false;
        digits_only = digits_only && *p >= '0' && *p <= '9';
    }
    return !digits_only;
}

/* The data codewords then the error correction codewords, interleaved. */
static int codewords(const char *text, size_t len, int *version, int *level, uint8_t out[])
{
    int used = 4 + 9 + (int)(len / 2) * 11 + (int)(len % 2) * 6, v = 1, e = 1;
    while (v <= MAX_VERSION && used > data_codewords(v, e) * 8)
        v++;
    if (v > MAX_VERSION)
        return 0;
    for (int up = 2; up <= 3; up++) /* Q, then H, if it fits the same version */
        if (used <= data_codewords(v, up) * 8)
            e = up;
    bits s = {{0}, 0};
    int cap = data_codewords(v, e) * 8;
    put(&s, 0x2, 4);
    put(&s, (unsigned)len, 9);
    for (size_t i = 0; i + 1 < len; i += 2)
        put(&s,
            (unsigned)((strchr(alnum, text[i]) - alnum) * 45 +
                       (strchr(alnum, text[i + 1]) - alnum)),
            11);
    if (len % 2)
        put(&s, (unsigned)(strchr(alnum, text[len - 1]) - alnum), 6);
    put(&s, 0, cap - s.n < 4 ? cap - s.n : 4);
    put(&s, 0, (8 - s.n % 8) % 8);
    for (unsigned pad = 0xec; s.n < cap; pad ^= 0xec ^ 0x11)
        put(&s, pad, 8);

    pthread_once(&gf_once, gf_make);
    int nblocks = blocks_of[e][v], ecc = ecc_per_block[e][v], raw = raw_modules(v) / 8;
    int nshort = nblocks - raw % nblocks, short_len = raw / nblocks - ecc;
    uint8_t div[30], rem[8][30];
    rs_divisor(ecc, div);
    const uint8_t *dat = s.b;
    int start[8];
    for (int b = 0, k = 0; b < nblocks; b++) {
        int n = short_len + (b < nshort ? 0 : 1);
        start[b] = k;
        rs_remainder(dat + k, n, div, ecc, rem[b]);
        k += n;
    }
    int o = 0;
    for (int i = 0; i <= short_len; i++)
        for (int b = 0; b < nblocks; b++)
            if (i < short_len + (b < nshort ? 0 : 1))
                out[o++] = dat[start[b] + i];
    for (int i = 0; i < ecc; i++)
        for (int b = 0; b < nblocks; b++)
            out[o++] = rem[b][i];
    *version = v;
    *level = e;
    return o;
}

/* ---- placement ----------------------------------------------------------- */

static int abs_max(int a, int b)
{
    a = a < 0 ? -a : a, b = b < 0 ? -b : b;
    return a > b ? a : b;
}

static void finder(unsigned char *m, int w, int cx, int cy)
{
    for (int dy = -4; dy <= 4; dy++)
        for (int dx = -4; dx <= 4; dx++) {
            int x = cx + dx, y = cy + dy;
            int d = abs_max(dx, dy);
            if (x >= 0 && y >= 0 && x < w && y < w)
                m[y * w + x] = d != 2 && d != 4;
        }
}

static void patterns(unsigned char *m, int w, int v)
{
    for (int i = 0; i < w; i++)
        m[6 * w + i] = m[i * w + 6] = i % 2 == 0;
    finder(m, w, 3, 3);
    finder(m, w, w - 4, 3);
    finder(m, w, 3, w - 4);
    int pos[7], n = qrmask_alignment(v, pos);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if ((i == 0 && j == 0) || (i == 0 && j == n - 1) || (i == n - 1 && j == 0))
                continue;
            for (int dy = -2; dy <= 2; dy++)
                for (int dx = -2; dx <= 2; dx++)
                    m[(pos[j] + dy) * w + pos[i] + dx] = abs_max(dx, dy) != 1;
        }
    if (v >= 7) {
        unsigned rem = (unsigned)v;
        for (int i = 0; i < 12; i++)
            rem = (rem << 1) ^ ((rem >> 11) * 0x1f25);
        unsigned word = (unsigned)v << 12 | rem;
        for (int i = 0; i < 18; i++) {
            unsigned char dark = (word >> i) & 1;
            int a = w - 11 + i % 3, b = i / 3;
            m[b * w + a] = m[a * w + b] = dark;
        }
    }
    m[(w - 8) * w + 8] = 1; /* the dark module beside the lower format copy */
}

bool qrenc_encode(const char *text, unsigned char out[QRMASK_MAX_WIDTH * QRMASK_MAX_WIDTH],
                  int *width)
{
    if (!qrenc_handles(text))
        return false;
    size_t len = strlen(text);
    if (len > 400)
        return false;
    uint8_t cw[MAX_CODEWORDS];
    int v, e, n = codewords(text, len, &v, &e, cw);
    if (!n)
        return false;
    int w = 17 + 4 * v;
    uint64_t fn[QRMASK_MAX_WIDTH];
    qrmask_function_rows(w, fn);
    memset(out, 0, (size_t)w * (size_t)w);
    patterns(out, w, v);
    int i = 0; /* bit index into the codewords; the remainder bits stay light */
    for (int right = w - 1; right >= 1; right -= 2) {
        if (right == 6)
            right = 5;
        bool upward = ((right + 1) & 2) == 0;
        for (int vert = 0; vert < w; vert++) {
            int y = upward ? w - 1 - vert : vert;
            for (int j = 0; j < 2; j++) {
                int x = right - j;
                if ((fn[y] >> x) & 1)
                    continue;
                if (i < n * 8)
                    out[y * w + x] = (cw[i >> 3] >> (7 - (i & 7))) & 1;
                i++;
            }
        }
    }
    if (qrmask_finish(out, w, ecl_bits_of[e]) < 0)
        return false;
    *width = w;
    return true;
}
