/* driver.c - a small mutation fuzzer for the LLVMFuzzerTestOneInput targets
 * in this folder, so that they run with gcc and the project's ASan/UBSan
 * build (scripts/fuzz, and briefly in ctest). With clang the same targets
 * link against libFuzzer instead (scripts/fuzz --libfuzzer).
 *
 *   fuzz-NAME [--seconds S] [--runs N] [--seed N] [--max-len N] SEED_FILE_OR_DIR...
 *
 * Runs every seed once, then mutated copies of them (bit flips, byte edits,
 * insertions and deletions, splices of two seeds, interesting bytes and
 * tokens) until the time or run budget is spent. When a sanitizer kills the
 * process, the input that did it is in ./fuzz-crash-NAME.bin to replay
 * (fuzz-NAME fuzz-crash-NAME.bin). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "text.h"
#include "timestamp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The sanitizers call this just before they end the process; weak, so the
 * plain build links without them (a signal handler covers that case). */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

typedef struct buf {
    uint8_t *p;
    size_t n;
} buf;

static buf *seeds;
static size_t nseeds, seeds_cap;
static const uint8_t *current;
static size_t current_len;
static char crash_path[256];

static void save_current(void)
{
    FILE *f = fopen(crash_path, "wb");
    if (!f)
        return;
    if (current_len)
        fwrite(current, 1, current_len, f);
    fclose(f);
    fprintf(stderr, "fuzz: the input that failed is in %s (%zu bytes)\n", crash_path, current_len);
}

static void on_fatal_signal(int sig)
{
    save_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int add_seed(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    buf b = {NULL, 0};
    size_t cap = 0;
    for (;;) {
        if (b.n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *np = realloc(b.p, cap);
            if (!np) {
                free(b.p);
                fclose(f);
                return -1;
            }
            b.p = np;
        }
        size_t got = fread(b.p + b.n, 1, cap - b.n, f);
        if (!got)
            break;
        b.n += got;
    }
    fclose(f);
    if (nseeds == seeds_cap) {
        seeds_cap = seeds_cap ? seeds_cap * 2 : 16;
        buf *ns = realloc(seeds, seeds_cap * sizeof *ns);
        if (!ns) {
            free(b.p);
            return -1;
        }
        seeds = ns;
    }
    seeds[nseeds++] = b;
    return 0;
}

static int add_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return add_seed(path);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "fuzz: cannot read folder %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", path, de->d_name);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
            rc = add_seed(full);
    }
    closedir(d);
    return rc;
}

/* xorshift64*: reproducible from --seed. */
static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static size_t below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

static const char *const tokens[] = {
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    ",",
    ":",
    "{",
    "}",
    "[",
    "]",
    "null",
    "true",
    "-1",
    "1e999",
    "9223372036854775808",
    "\r\n",
    "\n",
    "\"\"",
    "\xef\xbb\xbf",
    "\xc3\x28",
    "\xf4\x90\x80\x80",
    "U1.",
    "GALA-0001",
    "T01-01",
    "\"ops\"",
    "\"cursor\"",
    "\"kind\"",
    "\"seat\"",
    "\"ticket\"",
    "\"sections\"",
    "\"seats\"",
    "\"tables\"",
    "\"rows\"",
    "2026-11-22T08:00:00Z",
    "%",
};

/* One mutation of b (capacity cap) in place; returns the new length. */
static size_t mutate(uint8_t *b, size_t n, size_t cap)
{
    switch (below(8)) {
    case 0: /* flip a bit */
        if (n)
            b[below(n)] ^= (uint8_t)(1u << below(8));
        break;
    case 1: /* set a byte to something interesting */
        if (n) {
            static const uint8_t odd[] = {0, 0xff, 0x7f, 0x80, '"', '\\', ',', '\n', '0', '9'};
            b[below(n)] = odd[below(sizeof odd)];
        }
        break;
    case 2: /* delete a run */
        if (n) {
            size_t at = below(n), len = 1 + below(n - at < 16 ? n - at : 16);
            memmove(b + at, b + at + len, n - at - len);
            n -= len;
        }
        break;
    case 3: /* duplicate a run */
        if (n && n < cap) {
            size_t at = below(n), len = 1 + below(n - at < 32 ? n - at : 32);
            if (len > cap - n)
                len = cap - n;
            memmove(b + at + len, b + at, n - at);
            n += len;
        }
        break;
    case 4: { /* insert a token */
        const char *t = tokens[below(sizeof tokens / sizeof *tokens)];
        size_t len = strlen(t), at = below(n + 1);
        if (n + len <= cap) {
            memmove(b + at + len, b + at, n - at);
            memcpy(b + at, t, len);
            n += len;
        }
        break;
    }
    case 5: /* splice in a piece of another seed */
        if (nseeds) {
            const buf *o = &seeds[below(nseeds)];
            if (o->n) {
                size_t from = below(o->n), len = 1 + below(o->n - from);
                size_t at = below(n + 1);
                if (len > cap - n)
                    len = cap - n;
                memmove(b + at + len, b + at, n - at);
                memcpy(b + at, o->p + from, len);
                n += len;
            }
        }
        break;
    case 6: /* truncate */
        if (n)
            n = below(n);
        break;
    default: /* random byte */
        if (n)
            b[below(n)] = (uint8_t)rnd();
        break;
    }
    return n;
}

static void run(const uint8_t *data, size_t n)
{
    /* A fresh copy of exactly n bytes, so ASan sees reads past the end. */
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    if (n)
        memcpy(copy, data, n);
    current = copy;
    current_len = n;
    LLVMFuzzerTestOneInput(copy, n);
    free(copy);
}

int main(int argc, char **argv)
{
    double seconds = 10;
    int64_t runs = -1, seed = 1, max_len = 64 * 1024;
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    snprintf(crash_path, sizeof crash_path, "fuzz-crash-%s.bin", name);
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--seconds") && i + 1 < argc)
            seconds = strtod(argv[++i], NULL);
        else if (!strcmp(a, "--runs") && i + 1 < argc &&
                 text_parse_i64(argv[i + 1], 0, INT64_MAX, &runs))
            i++;
        else if (!strcmp(a, "--seed") && i + 1 < argc &&
                 text_parse_i64(argv[i + 1], 0, INT64_MAX, &seed))
            i++;
        else if (!strcmp(a, "--max-len") && i + 1 < argc &&
                 text_parse_i64(argv[i + 1], 1, 16 * 1024 * 1024, &max_len))
            i++;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf(
                "usage: %s [--seconds S] [--runs N] [--seed N] [--max-len N] SEED_FILE_OR_DIR...\n",
                name);
            return 0;
        } else if (a[0] == '-') {
            fprintf(stderr, "%s: unknown or incomplete option %s (see --help)\n", name, a);
            return 2;
        } else
            break;
    }
    if (!(seconds >= 0)) {
        fprintf(stderr, "%s: --seconds needs a number of seconds\n", name);
        return 2;
    }
    if (i == argc) {
        fprintf(stderr, "%s: name at least one seed file or folder (see --help)\n", name);
        return 2;
    }
    for (; i < argc; i++)
        if (add_path(argv[i]) != 0)
            return 2;
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(save_current);
    signal(SIGSEGV, on_fatal_signal);
    signal(SIGABRT, on_fatal_signal);
    signal(SIGFPE, on_fatal_signal);
    signal(SIGBUS, on_fatal_signal);
    rng_state ^= (uint64_t)seed * 0x9e3779b97f4a7c15ull;
    if (!rng_state)
        rng_state = 1;

    int64_t done = 0;
    for (size_t s = 0; s < nseeds; s++, done++)
        run(seeds[s].p, seeds[s].n);
    size_t cap = (size_t)max_len;
    uint8_t *work = malloc(cap);
    if (!work)
        return 1;
    int64_t deadline = timestamp_mono_ms() + (int64_t)(seconds * 1000);
    while ((runs < 0 || done < runs) && (runs >= 0 || timestamp_mono_ms() < deadline)) {
        const buf *base = nseeds ? &seeds[below(nseeds)] : NULL;
        size_t n = base ? (base->n < cap ? base->n : cap) : 0;
        if (n)
            memcpy(work, base->p, n);
        for (int m = 1 + (int)below(6); m > 0; m--)
            n = mutate(work, n, cap);
        run(work, n);
        done++;
    }
    free(work);
    for (size_t s = 0; s < nseeds; s++)
        free(seeds[s].p);
    free(seeds);
    printf("%s: %lld inputs from %zu seeds, no failure\n", name, (long long)done, nseeds);
    return 0;
}
