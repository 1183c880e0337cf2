/* test_ticketcode.c - what a ticket code is: normal form, generated codes with
 * their check character, and the strong/weak classifier over whole files. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "text.h"
#include "ticketcode.h"

/* ---- typed codes -------------------------------------------------------------- */

static void code_normalize(void **state)
{
    (void)state;
    char a[] = "  gala-0001 \r\n";
    assert_true(ticketcode_normalize(a));
    assert_string_equal(a, "GALA-0001");
    char b[] = "\tx";
    assert_true(ticketcode_normalize(b));
    assert_string_equal(b, "X");
    char c[] = "   ";
    assert_false(ticketcode_normalize(c));
    char d[] = "gala 0001";
    assert_false(ticketcode_normalize(d));
    char e[] = "caf\xc3\xa9";
    assert_false(ticketcode_normalize(e));
    char f[40];
    memset(f, 'A', 32), f[32] = '\0';
    assert_true(ticketcode_normalize(f));
    memset(f, 'A', 33), f[33] = '\0';
    assert_false(ticketcode_normalize(f));
    char g[] = "GALA_1";
    assert_false(ticketcode_normalize(g));
    assert_false(ticketcode_normalize(NULL));
}

/* ---- generated codes ---------------------------------------------------------- */

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void code_generate_shape(void **state)
{
    (void)state;
    char out[USHER_CODE_SIZE];
    usher_errmsg em = {{0}};
    assert_int_equal(ticketcode_generate("gala", out, &em), USHER_OK);
    assert_int_equal(strlen(out), 16);
    assert_memory_equal(out, "GALA-", 5);
    assert_int_equal(out[10], '-');
    for (size_t k = 5; k < 16; k++)
        if (k != 10)
            assert_non_null(strchr(crockford, out[k]));
    assert_true(ticketcode_is_generated(out));
    assert_true(ticketcode_check_ok(out));
    char copy[USHER_CODE_SIZE];
    assert_true(text_copy(copy, sizeof copy, out));
    assert_true(ticketcode_normalize(copy));
    assert_string_equal(copy, out);

    assert_int_equal(ticketcode_generate("", out, &em), USHER_OK);
    assert_int_equal(strlen(out), 11);
    assert_int_equal(out[5], '-');
    assert_true(ticketcode_check_ok(out));
    assert_int_equal(ticketcode_generate(NULL, out, NULL), USHER_OK);
    assert_int_equal(strlen(out), 11);

    assert_int_equal(ticketcode_generate("ABCDEFGHIJ12", out, NULL), USHER_OK);
    assert_int_equal(strlen(out), 24);
    assert_true(ticketcode_check_ok(out));
}

static void code_generate_bad_prefix(void **state)
{
    (void)state;
    char out[USHER_CODE_SIZE] = "untouched";
    usher_errmsg em = {{0}};
    assert_int_equal(ticketcode_generate("ABCDEFGHIJ123", out, &em), USHER_INVAL);
    assert_string_equal(em.text, "the ticket code prefix is too long (13 characters; at most 12)");
    assert_int_equal(ticketcode_generate("GA-LA", out, &em), USHER_INVAL);
    assert_string_equal(em.text, "the ticket code prefix has a character that is not allowed: "
                                 "'-' (use 1 to 12 letters A-Z or digits 0-9)");
    assert_int_equal(ticketcode_generate("G\xc3\xa4la", out, &em), USHER_INVAL);
    assert_string_equal(em.text, "the ticket code prefix has a character that is not allowed: "
                                 "\"\xc3\xa4\" (use 1 to 12 letters A-Z or digits 0-9)");
    assert_string_equal(out, "untouched");
}

static void code_generate_random_and_spread(void **state)
{
    (void)state;
    enum { N = 2000 };
    static char codes[N][USHER_CODE_SIZE];
    size_t seen[32] = {0};
    for (size_t k = 0; k < N; k++) {
        assert_int_equal(ticketcode_generate("", codes[k], NULL), USHER_OK);
        for (size_t c = 0; c < 11; c++)
            if (c != 5 && c != 10)
                seen[strchr(crockford, codes[k][c]) - crockford]++;
        assert_true(strpbrk(codes[k], "ILOU") == NULL);
    }
    /* 18000 random characters: every symbol shows up (a miss has odds ~1e-246). */
    for (size_t v = 0; v < 32; v++)
        assert_true(seen[v] > 0);
    /* 45 random bits: a repeat among 2000 codes has odds ~6e-8. */
    for (size_t a = 0; a < N; a++)
        for (size_t b = a + 1; b < N; b++)
            assert_string_not_equal(codes[a], codes[b]);
}

static void code_check_known_vectors(void **state)
{
    (void)state;
    /* Pinned: printed tickets must stay valid if the code is rewritten.
     * With weights x^9..x^0 over GF(32) mod x^5+x^2+1, a 1 in front needs
     * x^9 = 26 = 'T' as its check. */
    assert_true(ticketcode_check_ok("00000-00000"));
    assert_true(ticketcode_check_ok("10000-0000T"));
    assert_true(ticketcode_check_ok("GALA-10000-0000T"));
    assert_true(ticketcode_check_ok("gala-10000-0000t"));
    assert_false(ticketcode_check_ok("00000-00001"));
    assert_false(ticketcode_check_ok("10000-0000S"));
    /* 0 and Z are 0 and 31: equal mod 31, yet this check tells them apart. */
    assert_false(ticketcode_check_ok("Z0000-00000"));
    assert_false(ticketcode_check_ok("00000-0000Z"));
}

static void code_check_catches_every_substitution(void **state)
{
    (void)state;
    for (int n = 0; n < 60; n++) {
        char code[USHER_CODE_SIZE];
        assert_int_equal(ticketcode_generate(n % 2 ? "GALA" : "", code, NULL), USHER_OK);
        size_t tail = strlen(code) - 11;
        for (size_t pos = tail; pos < tail + 11; pos++) {
            if (code[pos] == '-')
                continue;
            char orig = code[pos];
            for (int b = 1; b < 256; b++) {
                char c = (char)b;
                char up = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
                if (up == orig)
                    continue; /* the same character in lower case */
                code[pos] = c;
                assert_false(ticketcode_check_ok(code));
            }
            code[pos] = orig;
        }
        assert_true(ticketcode_check_ok(code));
    }
}

static void code_check_catches_every_transposition(void **state)
{
    (void)state;
    size_t swaps = 0;
    for (int n = 0; n < 300; n++) {
        char code[USHER_CODE_SIZE];
        assert_int_equal(ticketcode_generate("", code, NULL), USHER_OK);
        /* The ten code characters without the dash; i < j, neighbours
         * (across the dash too) and far apart alike. */
        static const size_t at[10] = {0, 1, 2, 3, 4, 6, 7, 8, 9, 10};
        for (size_t i = 0; i < 10; i++) {
            for (size_t j = i + 1; j < 10; j++) {
                char a = code[at[i]], b = code[at[j]];
                if (a == b)
                    continue;
                code[at[i]] = b, code[at[j]] = a;
                assert_false(ticketcode_check_ok(code));
                code[at[i]] = a, code[at[j]] = b;
                swaps++;
            }
        }
        assert_true(ticketcode_check_ok(code));
    }
    assert_true(swaps > 10000);
}

static void code_exhaustive_over_all_values_per_position_pair(void **state)
{
    (void)state;
    /* For every pair of positions and every pair of differing values, a swap
     * changes the sum, whatever the other characters are (they cancel). */
    char code[] = "00000-00000";
    static const size_t at[10] = {0, 1, 2, 3, 4, 6, 7, 8, 9, 10};
    for (size_t i = 0; i < 10; i++)
        for (size_t j = i + 1; j < 10; j++)
            for (int a = 0; a < 32; a++)
                for (int b = 0; b < 32; b++) {
                    if (a == b)
                        continue;
                    /* Make a valid code with a at i and b at j: fix the check
                     * by trying all 32 check values (the check is position 9). */
                    memcpy(code, "00000-00000", 12);
                    code[at[i]] = crockford[a];
                    code[at[j]] = crockford[b];
                    if (j == 9) {
                        if (!ticketcode_check_ok(code))
                            continue; /* only one b makes it valid */
                    } else {
                        int ok = 0;
                        for (int c = 0; c < 32 && !ok; c++) {
                            code[10] = crockford[c];
                            ok = ticketcode_check_ok(code);
                        }
                        assert_true(ok);
                    }
                    code[at[i]] = crockford[b];
                    code[at[j]] = crockford[a];
                    assert_false(ticketcode_check_ok(code));
                }
}

static void code_is_generated_shapes(void **state)
{
    (void)state;
    assert_true(ticketcode_is_generated("GALA-7KQ3M-XH2PC"));
    assert_true(ticketcode_is_generated("7KQ3M-XH2PC"));
    assert_true(ticketcode_is_generated("gala-7kq3m-xh2pc"));
    assert_true(ticketcode_is_generated("A-7KQ3M-XH2PC"));
    assert_true(ticketcode_is_generated("ABCDEFGHIJKL-7KQ3M-XH2PC"));
    assert_false(ticketcode_is_generated("ABCDEFGHIJKLM-7KQ3M-XH2PC")); /* prefix of 13 */
    assert_false(ticketcode_is_generated("GALA-0001"));
    assert_false(ticketcode_is_generated("-7KQ3M-XH2PC"));
    assert_false(ticketcode_is_generated("GALA--7KQ3M-XH2PC"));
    assert_false(ticketcode_is_generated("GA-LA-7KQ3M-XH2PC"));
    assert_false(ticketcode_is_generated("GALA7KQ3M-XH2PC"));
    assert_false(ticketcode_is_generated("GALA-7KQ3MXH2PC"));
    assert_false(ticketcode_is_generated("GALA-7KQ3M-XH2PI")); /* I is not Crockford */
    assert_false(ticketcode_is_generated("GALA-7KQ3M-XH2P"));
    assert_false(ticketcode_is_generated("GALA-7KQ3M-XH2PCC"));
    assert_false(ticketcode_is_generated(""));
    assert_false(ticketcode_is_generated(NULL));
    assert_false(ticketcode_check_ok(NULL));
    assert_false(ticketcode_check_ok("GALA-0001"));
}

/* ---- strong or weak ------------------------------------------------------------ */

/* A file of n codes made by make(i, out); classified. */
typedef struct file {
    char (*codes)[USHER_CODE_SIZE];
    const char **ptrs;
    size_t n;
} file;

/* Knuth's 64-bit LCG, high bits only (the low bits of an LCG repeat soon). */
static uint32_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(*s >> 33);
}

static void file_init(file *f, size_t n)
{
    f->codes = calloc(n ? n : 1, sizeof *f->codes);
    f->ptrs = calloc(n ? n : 1, sizeof *f->ptrs);
    assert_non_null(f->codes);
    assert_non_null(f->ptrs);
    f->n = n;
    for (size_t i = 0; i < n; i++)
        f->ptrs[i] = f->codes[i];
}

static void file_release(file *f)
{
    free(f->codes);
    free(f->ptrs);
}

static ticketcode_strength classify(const file *f, ticketcode_report *rep)
{
    ticketcode_classify(f->ptrs, f->n, rep);
    return rep->strength;
}

/* Random characters from alphabet (deterministic: the test must not flake). */
static void random_code(uint64_t *seed, const char *prefix, const char *alphabet, int len,
                        char out[USHER_CODE_SIZE])
{
    size_t o = (size_t)snprintf(out, USHER_CODE_SIZE, "%s", prefix);
    size_t na = strlen(alphabet);
    for (int k = 0; k < len && o + 1 < USHER_CODE_SIZE; k++)
        out[o++] = alphabet[lcg(seed) % na];
    out[o] = '\0';
}

static const char BASE32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const char DIGITS[] = "0123456789";

static void classify_sequential_files_are_weak(void **state)
{
    (void)state;
    ticketcode_report rep;
    file f;
    /* The demo's codes, the example. */
    file_init(&f, 250);
    for (size_t i = 0; i < f.n; i++)
        snprintf(f.codes[i], USHER_CODE_SIZE, "GALA-%04zu", i + 1);
    assert_int_equal(classify(&f, &rep), TICKETCODE_WEAK);
    assert_int_equal(rep.weak, 250);
    assert_string_equal(rep.example, "GALA-0001");
    assert_non_null(strstr(rep.why, "letters and digits"));
    file_release(&f);
    /* Long order numbers: long enough, but the counter's leading digits are shared. */
    file_init(&f, 500);
    for (size_t i = 0; i < f.n; i++)
        snprintf(f.codes[i], USHER_CODE_SIZE, "ORD-2026-%08zu", 10000000 + i * 7);
    assert_int_equal(classify(&f, &rep), TICKETCODE_WEAK);
    assert_int_equal(rep.weak, 500);
    file_release(&f);
    /* A small file of long sequential numbers: the counter is caught. */
    file_init(&f, 6);
    for (size_t i = 0; i < f.n; i++)
        snprintf(f.codes[i], USHER_CODE_SIZE, "4711000000%02zu", i + 40);
    assert_int_equal(classify(&f, &rep), TICKETCODE_WEAK);
    file_release(&f);
    /* Two tickets bought together. */
    file_init(&f, 2);
    snprintf(f.codes[0], USHER_CODE_SIZE, "X9K2M4Q7PZ31");
    snprintf(f.codes[1], USHER_CODE_SIZE, "X9K2M4Q7PZ32");
    assert_int_equal(classify(&f, &rep), TICKETCODE_WEAK);
    assert_int_equal(rep.weak, 2);
    assert_non_null(strstr(rep.why, "last two characters"));
    file_release(&f);
}

static void classify_random_files_are_strong(void **state)
{
    (void)state;
    ticketcode_report rep;
    uint64_t seed = 42;
    size_t sizes[] = {1, 2, 3, 5, 12, 39, 40, 250, 5000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        file f;
        file_init(&f, sizes[s]);
        /* Ticket-office codes: 10 random letters and digits behind a shared prefix. */
        for (size_t i = 0; i < f.n; i++)
            random_code(&seed, "SPRING26-", BASE32, 10, f.codes[i]);
        assert_int_equal(classify(&f, &rep), TICKETCODE_STRONG);
        assert_int_equal(rep.weak, 0);
        assert_string_equal(rep.example, "");
        /* 12 random digits. */
        for (size_t i = 0; i < f.n; i++)
            random_code(&seed, "", DIGITS, 12, f.codes[i]);
        assert_int_equal(classify(&f, &rep), TICKETCODE_STRONG);
        /* Usher's own codes. */
        for (size_t i = 0; i < f.n; i++)
            assert_int_equal(ticketcode_generate(i % 2 ? "GALA" : "", f.codes[i], NULL), USHER_OK);
        assert_int_equal(classify(&f, &rep), TICKETCODE_STRONG);
        file_release(&f);
    }
    /* No codes: nothing weak. */
    file empty;
    file_init(&empty, 0);
    assert_int_equal(classify(&empty, &rep), TICKETCODE_STRONG);
    file_release(&empty);
}

static void classify_mixed_and_short_files_are_weak(void **state)
{
    (void)state;
    ticketcode_report rep;
    uint64_t seed = 7;
    /* Half random, half a counter: the counter's half is guessable. */
    file f;
    file_init(&f, 200);
    for (size_t i = 0; i < f.n; i++) {
        if (i % 2)
            random_code(&seed, "", BASE32, 12, f.codes[i]);
        else
            snprintf(f.codes[i], USHER_CODE_SIZE, "100000%06zu", 500 + i);
    }
    assert_int_equal(classify(&f, &rep), TICKETCODE_WEAK);
    assert_int_equal(rep.weak, 100);
    file_release(&f);
    /* A small mixed file: the counter's neighbours give it away. */
    file_init(&f, 8);
    for (size_t i = 0; i < f.n; i++) {
        if (i % 2)
            random_code(&seed, "", BASE32, 12, f.codes[i]);
        else
            snprintf(f.codes[i], USHER_CODE_SIZE, "100000%06zu", 500 + i);
    }
    assert_int_equal(classify(&f, &rep), TICKETCODE_WEAK);
    assert_int_equal(rep.weak, 4);
    file_release(&f);
    /* One guessable code among many random ones is enough to make the file weak. */
    file_init(&f, 300);
    for (size_t i = 0; i < f.n; i++)
        random_code(&seed, "", BASE32, 10, f.codes[i]);
    snprintf(f.codes[123], USHER_CODE_SIZE, "VIP-7");
    assert_int_equal(classify(&f, &rep), TICKETCODE_WEAK);
    assert_int_equal(rep.weak, 1);
    assert_string_equal(rep.example, "VIP-7");
    /* Random but short: 8 characters are too few. */
    for (size_t i = 0; i < f.n; i++)
        random_code(&seed, "", BASE32, 8, f.codes[i]);
    assert_int_equal(classify(&f, &rep), TICKETCODE_WEAK);
    assert_int_equal(rep.weak, 300);
    /* Not in normal form: weak, never trusted. */
    for (size_t i = 0; i < f.n; i++)
        random_code(&seed, "", BASE32, 12, f.codes[i]);
    snprintf(f.codes[5], USHER_CODE_SIZE, "lower-case-code1");
    assert_int_equal(classify(&f, &rep), TICKETCODE_WEAK);
    assert_int_equal(rep.weak, 1);
    file_release(&f);
}

static void strength_names_round_trip(void **state)
{
    (void)state;
    assert_string_equal(ticketcode_strength_name(TICKETCODE_STRONG), "strong");
    assert_string_equal(ticketcode_strength_name(TICKETCODE_WEAK), "weak");
    assert_int_equal(ticketcode_strength_parse("strong"), TICKETCODE_STRONG);
    assert_int_equal(ticketcode_strength_parse("weak"), TICKETCODE_WEAK);
    assert_int_equal(ticketcode_strength_parse("Weak"), -1);
    assert_int_equal(ticketcode_strength_parse(NULL), -1);
}

static void valid_and_upcase(void **state)
{
    (void)state;
    assert_true(ticketcode_valid("GALA-0001"));
    assert_false(ticketcode_valid("gala-0001"));
    assert_false(ticketcode_valid(""));
    assert_false(ticketcode_valid(NULL));
    assert_true(ticketcode_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"));   /* 32 */
    assert_false(ticketcode_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456")); /* 33 */
    assert_false(ticketcode_valid("GALA 1"));
    char c[] = "gala-0001";
    ticketcode_upcase(c);
    assert_string_equal(c, "GALA-0001");
    assert_true(ticketcode_char_ok('-'));
    assert_false(ticketcode_char_ok('a'));
    assert_true(ticketcode_typed_char_ok('a'));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(code_normalize),
    cmocka_unit_test(code_generate_shape),
    cmocka_unit_test(code_generate_bad_prefix),
    cmocka_unit_test(code_generate_random_and_spread),
    cmocka_unit_test(code_check_known_vectors),
    cmocka_unit_test(code_check_catches_every_substitution),
    cmocka_unit_test(code_check_catches_every_transposition),
    cmocka_unit_test(code_exhaustive_over_all_values_per_position_pair),
    cmocka_unit_test(code_is_generated_shapes),
    cmocka_unit_test(valid_and_upcase),
    cmocka_unit_test(strength_names_round_trip),
    cmocka_unit_test(classify_sequential_files_are_weak),
    cmocka_unit_test(classify_random_files_are_strong),
    cmocka_unit_test(classify_mixed_and_short_files_are_weak),
};

TESTUTIL_MAIN(tests)
