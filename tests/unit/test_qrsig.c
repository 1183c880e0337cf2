/* test_qrsig.c - signed QR ticket payloads: signing, offline verification, and
 * every way a scanned payload can be damaged, forged or from another event. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "qrsig.h"
#include "text.h"

#define EVENT "evt-7f3a9c"
#define FORGED "this ticket's signature does not match: it is forged, altered or for another event"

static qrsig_keypair keys(void)
{
    qrsig_keypair kp;
    assert_int_equal(qrsig_keygen(&kp), USHER_OK);
    return kp;
}

static void sign_ok(const qrsig_keypair *kp, const char *code, char out[QRSIG_PAYLOAD_SIZE])
{
    usher_errmsg em = {{0}};
    usher_err err = qrsig_sign(kp->sk, EVENT, code, out, &em);
    if (err)
        fail_msg("qrsig_sign: %s", em.text);
}

/* Verifies payload expecting err and message; code_out must stay untouched. */
static void expect_refused(const qrsig_keypair *kp, const char *event, const char *payload,
                           usher_err err, const char *message)
{
    char code[USHER_CODE_SIZE] = "untouched";
    usher_errmsg em = {{0}};
    assert_int_equal(qrsig_verify(kp->pk, event, payload, code, &em), err);
    assert_string_equal(em.text, message);
    assert_string_equal(code, "untouched");
}

static void expect_code(const qrsig_keypair *kp, const char *payload, const char *want)
{
    char code[USHER_CODE_SIZE] = "";
    usher_errmsg em = {{0}};
    usher_err err = qrsig_verify(kp->pk, EVENT, payload, code, &em);
    if (err)
        fail_msg("qrsig_verify(%s): %s", payload, em.text);
    assert_string_equal(code, want);
}

static void sign_then_verify_round_trip(void **state)
{
    (void)state;
    qrsig_keypair kp = keys();
    char p[QRSIG_PAYLOAD_SIZE];
    sign_ok(&kp, "GALA-0001", p);
    assert_memory_equal(p, "U1.GALA-0001.", 13);
    assert_int_equal(strlen(p), 13 + 103);
    expect_code(&kp, p, "GALA-0001");
    /* Ed25519 is deterministic: the same ticket gives the same payload. */
    char again[QRSIG_PAYLOAD_SIZE];
    sign_ok(&kp, "GALA-0001", again);
    assert_string_equal(p, again);
}

static void sign_upper_cases_the_code(void **state)
{
    (void)state;
    qrsig_keypair kp = keys();
    char lower[QRSIG_PAYLOAD_SIZE], upper[QRSIG_PAYLOAD_SIZE];
    sign_ok(&kp, "gala-0001", lower);
    sign_ok(&kp, "GALA-0001", upper);
    assert_string_equal(lower, upper);
}

static void signature_covers_documented_message(void **state)
{
    (void)state;
    /* Checked with libsodium directly, so the format other programs rely on
     * ("usher-ticket\n<event id>\n<CODE>", base32 of 64 bytes) is pinned. */
    qrsig_keypair kp = keys();
    char p[QRSIG_PAYLOAD_SIZE];
    sign_ok(&kp, "A-1", p);
    uint8_t sig[crypto_sign_BYTES];
    assert_true(text_base32_decode(p + strlen("U1.A-1."), sig, sizeof sig));
    const char msg[] = "usher-ticket\n" EVENT "\nA-1";
    assert_int_equal(
        crypto_sign_verify_detached(sig, (const unsigned char *)msg, sizeof msg - 1, kp.pk), 0);
}

static void payload_is_qr_alphanumeric_and_fits(void **state)
{
    (void)state;
    static const char qr_alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    qrsig_keypair kp = keys();
    char code[USHER_CODE_SIZE];
    memset(code, 'Z', 32);
    code[0] = '9', code[16] = '-', code[32] = '\0';
    char p[QRSIG_PAYLOAD_SIZE];
    sign_ok(&kp, code, p);
    assert_int_equal(strlen(p), 3 + 32 + 1 + 103);
    assert_true(strlen(p) < QRSIG_PAYLOAD_SIZE);
    for (const char *c = p; *c; c++)
        assert_non_null(strchr(qr_alnum, *c));
    expect_code(&kp, p, code);
}

static void sign_refuses_bad_code_or_event(void **state)
{
    (void)state;
    qrsig_keypair kp = keys();
    char out[QRSIG_PAYLOAD_SIZE] = "untouched";
    usher_errmsg em = {{0}};
    const char *bad_code = "cannot sign this ticket number: it must be 1 to 32 characters of "
                           "A-Z, 0-9 and -";
    char long_code[40];
    memset(long_code, 'A', 33), long_code[33] = '\0';
    const char *codes[] = {"", "GA#1", "A.B", long_code, NULL};
    for (size_t k = 0; k < sizeof codes / sizeof *codes; k++) {
        assert_int_equal(qrsig_sign(kp.sk, EVENT, codes[k], out, &em), USHER_INVAL);
        assert_string_equal(em.text, bad_code);
    }
    assert_int_equal(qrsig_sign(kp.sk, "", "A-1", out, &em), USHER_INVAL);
    assert_string_equal(em.text, "the event id is empty");
    assert_int_equal(qrsig_sign(kp.sk, NULL, "A-1", out, &em), USHER_INVAL);
    assert_int_equal(qrsig_sign(kp.sk, "evt\nA-2", "A-1", out, &em), USHER_INVAL);
    assert_string_equal(em.text, "the event id contains control characters");
    char long_event[300];
    memset(long_event, 'e', 256), long_event[256] = '\0';
    assert_int_equal(qrsig_sign(kp.sk, long_event, "A-1", out, &em), USHER_INVAL);
    assert_string_equal(em.text, "the event id is too long (at most 255 bytes)");
    assert_string_equal(out, "untouched");
}

static void verify_tolerates_scanner_noise(void **state)
{
    (void)state;
    qrsig_keypair kp = keys();
    char p[QRSIG_PAYLOAD_SIZE], noisy[QRSIG_PAYLOAD_SIZE + 16];
    sign_ok(&kp, "GALA-0042", p);
    const char *wraps[][2] = {{"", "\r\n"}, {"", "\n"},     {"", "\r"}, {"", "\t"},
                              {"  ", "  "}, {"\t", "\r\n"}, {" \n", ""}};
    for (size_t k = 0; k < sizeof wraps / sizeof *wraps; k++) {
        snprintf(noisy, sizeof noisy, "%s%s%s", wraps[k][0], p, wraps[k][1]);
        expect_code(&kp, noisy, "GALA-0042");
    }
    /* A keyboard wedge with caps lock on, or a decoder in lower case. */
    for (size_t k = 0; p[k]; k++)
        noisy[k] = (char)(p[k] >= 'A' && p[k] <= 'Z' ? p[k] + 32 : p[k]);
    noisy[strlen(p)] = '\0';
    expect_code(&kp, noisy, "GALA-0042");
}

static void verify_wrong_prefix_is_parse_error(void **state)
{
    (void)state;
    qrsig_keypair kp = keys();
    char p[QRSIG_PAYLOAD_SIZE];
    sign_ok(&kp, "GALA-0001", p);
    const char *msg = "this is not an Usher ticket QR code (those start with \"U1.\" or \"U2.\")";
    expect_refused(&kp, EVENT, "GALA-0001", USHER_PARSE, msg);
    expect_refused(&kp, EVENT, "", USHER_PARSE, msg);
    expect_refused(&kp, EVENT, "   ", USHER_PARSE, msg);
    expect_refused(&kp, EVENT, "U1", USHER_PARSE, msg);
    expect_refused(&kp, EVENT, NULL, USHER_PARSE, msg);
    p[1] = '3'; /* U3.: no such version */
    expect_refused(&kp, EVENT, p, USHER_PARSE, msg);
    p[1] = '1', p[0] = 'X';
    expect_refused(&kp, EVENT, p, USHER_PARSE, msg);
    p[0] = 'U', p[2] = ':';
    expect_refused(&kp, EVENT, p, USHER_PARSE, msg);
}

static void verify_damaged_payloads(void **state)
{
    (void)state;
    qrsig_keypair kp = keys();
    char p[QRSIG_PAYLOAD_SIZE], bad[QRSIG_PAYLOAD_SIZE + 400];
    sign_ok(&kp, "GALA-0001", p);
    const char *sig = p + strlen("U1.GALA-0001.");

    expect_refused(&kp, EVENT, "U1.GALA-0001", USHER_SIGNATURE,
                   "this ticket QR code is damaged or altered: it has no signature");
    const char *charset = "this ticket QR code is damaged or altered: its ticket number is not "
                          "1 to 32 characters of A-Z, 0-9 and -";
    snprintf(bad, sizeof bad, "U1.GALA#0001.%s", sig);
    expect_refused(&kp, EVENT, bad, USHER_SIGNATURE, charset);
    snprintf(bad, sizeof bad, "U1..%s", sig);
    expect_refused(&kp, EVENT, bad, USHER_SIGNATURE, charset);
    snprintf(bad, sizeof bad, "U1.GALA 0001.%s", sig);
    expect_refused(&kp, EVENT, bad, USHER_SIGNATURE, charset);
    snprintf(bad, sizeof bad, "U1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.%s", sig); /* 33 */
    expect_refused(&kp, EVENT, bad, USHER_SIGNATURE, charset);

    snprintf(bad, sizeof bad, "U1.GALA-0001.%.102s", sig);
    expect_refused(&kp, EVENT, bad, USHER_SIGNATURE,
                   "this ticket QR code is damaged or altered: its signature has 102 "
                   "characters instead of 103");
    snprintf(bad, sizeof bad, "U1.GALA-0001.%sA", sig);
    expect_refused(&kp, EVENT, bad, USHER_SIGNATURE,
                   "this ticket QR code is damaged or altered: its signature has 104 "
                   "characters instead of 103");
    snprintf(bad, sizeof bad, "U1.GALA-0001.%s.", sig);
    expect_refused(&kp, EVENT, bad, USHER_SIGNATURE,
                   "this ticket QR code is damaged or altered: its signature has 104 "
                   "characters instead of 103");
    const char *chars = "this ticket QR code is damaged or altered: its signature has "
                        "characters that are not allowed";
    snprintf(bad, sizeof bad, "U1.GALA-0001.1%s", sig + 1); /* '1' is not base32 */
    expect_refused(&kp, EVENT, bad, USHER_SIGNATURE, chars);
    snprintf(bad, sizeof bad, "U1.GALA-0001.%.50s 8%s", sig, sig + 52);
    expect_refused(&kp, EVENT, bad, USHER_SIGNATURE, chars);

    memset(bad, 'A', 300), bad[300] = '\0';
    memcpy(bad, "U1.", 3);
    expect_refused(&kp, EVENT, bad, USHER_SIGNATURE,
                   "this ticket QR code is damaged or altered: it is too long (300 characters)");
}

static void verify_altered_code(void **state)
{
    (void)state;
    qrsig_keypair kp = keys();
    char p[QRSIG_PAYLOAD_SIZE];
    sign_ok(&kp, "GALA-0001", p);
    char *code = p + 3;
    const char *alts[] = {"GALA-0002", "GALA-000I", "GALB-0001", "GALA0-001"};
    for (size_t k = 0; k < sizeof alts / sizeof *alts; k++) {
        memcpy(code, alts[k], 9);
        expect_refused(&kp, EVENT, p, USHER_SIGNATURE, FORGED);
    }
    /* A code of another length with the original signature. */
    char other[QRSIG_PAYLOAD_SIZE + 8];
    memcpy(code, "GALA-0001", 9);
    snprintf(other, sizeof other, "U1.GALA-00010.%s", p + 13);
    expect_refused(&kp, EVENT, other, USHER_SIGNATURE, FORGED);
    expect_code(&kp, p, "GALA-0001");
}

static void verify_altered_signature_every_position(void **state)
{
    (void)state;
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    qrsig_keypair kp = keys();
    char p[QRSIG_PAYLOAD_SIZE];
    sign_ok(&kp, "A-1", p);
    char *sig = p + strlen("U1.A-1.");
    for (size_t pos = 0; pos < 103; pos++) {
        char orig = sig[pos];
        for (size_t v = 0; v < 32; v++) {
            if (b32[v] == orig)
                continue;
            sig[pos] = b32[v];
            char code[USHER_CODE_SIZE] = "untouched";
            usher_errmsg em = {{0}};
            assert_int_equal(qrsig_verify(kp.pk, EVENT, p, code, &em), USHER_SIGNATURE);
            assert_string_equal(code, "untouched");
        }
        sig[pos] = orig;
    }
    expect_code(&kp, p, "A-1");
}

static void verify_other_event_or_key(void **state)
{
    (void)state;
    qrsig_keypair kp = keys(), other = keys();
    char p[QRSIG_PAYLOAD_SIZE];
    sign_ok(&kp, "GALA-0001", p);
    expect_refused(&kp, "evt-other", p, USHER_SIGNATURE, FORGED);
    expect_refused(&kp, EVENT "x", p, USHER_SIGNATURE, FORGED);
    expect_refused(&other, EVENT, p, USHER_SIGNATURE, FORGED);
    /* A payload signed with another key, verified with ours. */
    char forged[QRSIG_PAYLOAD_SIZE];
    sign_ok(&other, "GALA-0001", forged);
    expect_refused(&kp, EVENT, forged, USHER_SIGNATURE, FORGED);
    expect_refused(&kp, "", p, USHER_INVAL, "the event id is empty");
}

static void key_text_round_trip(void **state)
{
    (void)state;
    qrsig_keypair kp = keys();
    char pkt[2 * QRSIG_PK_BYTES + 1], skt[QRSIG_KEY_TEXT_SIZE];
    qrsig_pk_to_text(kp.pk, pkt);
    qrsig_sk_to_text(kp.sk, skt);
    assert_int_equal(strlen(pkt), 64);
    assert_int_equal(strlen(skt), 128);
    assert_int_equal(strspn(pkt, "0123456789abcdef"), 64);
    qrsig_keypair back;
    assert_true(qrsig_pk_from_text(pkt, back.pk));
    assert_true(qrsig_sk_from_text(skt, back.sk));
    assert_memory_equal(back.pk, kp.pk, QRSIG_PK_BYTES);
    assert_memory_equal(back.sk, kp.sk, QRSIG_SK_BYTES);
    /* Upper-case hex too. */
    for (char *c = pkt; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 32);
    assert_true(qrsig_pk_from_text(pkt, back.pk));
    assert_memory_equal(back.pk, kp.pk, QRSIG_PK_BYTES);
    /* A key read back signs tickets that the original public key accepts. */
    char p[QRSIG_PAYLOAD_SIZE];
    usher_errmsg em = {{0}};
    assert_int_equal(qrsig_sign(back.sk, EVENT, "A-1", p, &em), USHER_OK);
    expect_code(&kp, p, "A-1");
}

static void key_text_refuses_bad_input(void **state)
{
    (void)state;
    qrsig_keypair kp = keys();
    uint8_t pk[QRSIG_PK_BYTES], sk[QRSIG_SK_BYTES];
    memset(pk, 0xaa, sizeof pk);
    memset(sk, 0xbb, sizeof sk);
    char pkt[2 * QRSIG_PK_BYTES + 8], skt[QRSIG_KEY_TEXT_SIZE + 8];
    qrsig_pk_to_text(kp.pk, pkt);
    qrsig_sk_to_text(kp.sk, skt);

    assert_false(qrsig_pk_from_text(NULL, pk));
    assert_false(qrsig_pk_from_text("", pk));
    char t[200];
    snprintf(t, sizeof t, "%.63s", pkt); /* one digit short */
    assert_false(qrsig_pk_from_text(t, pk));
    snprintf(t, sizeof t, "%s0", pkt); /* one digit long */
    assert_false(qrsig_pk_from_text(t, pk));
    snprintf(t, sizeof t, "%s", pkt);
    t[10] = 'g';
    assert_false(qrsig_pk_from_text(t, pk));
    snprintf(t, sizeof t, " %.63s", pkt);
    assert_false(qrsig_pk_from_text(t, pk));
    for (size_t k = 0; k < sizeof pk; k++)
        assert_int_equal(pk[k], 0xaa);

    assert_false(qrsig_sk_from_text(NULL, sk));
    assert_false(qrsig_sk_from_text(pkt, sk)); /* a public key is not a secret key */
    snprintf(t, sizeof t, "%s", skt);
    t[127] = t[127] == '0' ? '1' : '0'; /* public half no longer matches the seed */
    assert_false(qrsig_sk_from_text(t, sk));
    snprintf(t, sizeof t, "%s", skt);
    t[0] = 'x';
    assert_false(qrsig_sk_from_text(t, sk));
    for (size_t k = 0; k < sizeof sk; k++)
        assert_int_equal(sk[k], 0xbb);
}

static void is_payload(void **state)
{
    (void)state;
    assert_true(qrsig_is_payload("U1.GALA-0001.ABC"));
    assert_true(qrsig_is_payload("u1."));
    assert_true(qrsig_is_payload(" \tU1.x"));
    assert_false(qrsig_is_payload("U1"));
    assert_true(qrsig_is_payload("U2.X"));
    assert_false(qrsig_is_payload("U3.X"));
    assert_false(qrsig_is_payload("GALA-0001"));
    assert_false(qrsig_is_payload("1U."));
    assert_false(qrsig_is_payload(""));
    assert_false(qrsig_is_payload(NULL));
}

static void v2_round_trip_and_other_event(void **state)
{
    (void)state;
    qrsig_keypair kp = keys(), other = keys();
    usher_errmsg em;
    char p[QRSIG_PAYLOAD_SIZE];
    /* 30 bytes of name: cut to 24 bytes, never inside a character. */
    assert_int_equal(qrsig_sign2(kp.sk, EVENT, "Gala \xc3\xa9t\xc3\xa9 de la R\xc3\xa9publique",
                                 "gala-7", p, &em),
                     USHER_OK);
    assert_memory_equal(p, "U2.", 3);
    assert_true(qrsig_is_payload(p));
    qrsig_ticket t;
    assert_int_equal(qrsig_read(kp.pk, EVENT, p, &t, &em), USHER_OK);
    assert_string_equal(t.code, "GALA-7");
    assert_false(t.other_event);
    /* The same ticket read by another event's device: it says whose it is. */
    assert_int_equal(qrsig_read(other.pk, "other-event", p, &t, &em), USHER_SIGNATURE);
    assert_true(t.other_event);
    assert_string_equal(t.event_name, "Gala \xc3\xa9t\xc3\xa9 de la R\xc3\xa9publ");
    assert_non_null(strstr(em.text, "for another event"));
    /* Same event id, wrong key: forged, not "another event". */
    assert_int_equal(qrsig_read(other.pk, EVENT, p, &t, &em), USHER_SIGNATURE);
    assert_false(t.other_event);
    assert_string_equal(em.text, FORGED);
    /* One altered character of the code is forged. */
    char *code = strstr(p, ".GALA-7.");
    assert_non_null(code);
    code[6] = '8';
    assert_int_equal(qrsig_read(kp.pk, EVENT, p, &t, &em), USHER_SIGNATURE);
    assert_string_equal(em.text, FORGED);
    /* No name carried: another event's device still says "another event". */
    assert_int_equal(qrsig_sign2(kp.sk, EVENT, NULL, "A-1", p, &em), USHER_OK);
    assert_int_equal(qrsig_read(other.pk, "other-event", p, &t, &em), USHER_SIGNATURE);
    assert_true(t.other_event);
    assert_string_equal(t.event_name, "");
    char code_out[USHER_CODE_SIZE];
    assert_int_equal(qrsig_verify(kp.pk, EVENT, p, code_out, &em), USHER_OK);
    assert_string_equal(code_out, "A-1");
    /* Byte 24 inside a character (1 + 3 x 8 bytes): the name ends before it. */
    assert_int_equal(qrsig_sign2(kp.sk, EVENT, "A春节联欢晚会特别版", "A-1", p, &em), USHER_OK);
    assert_int_equal(qrsig_read(other.pk, "other-event", p, &t, &em), USHER_SIGNATURE);
    assert_string_equal(t.event_name, "A春节联欢晚会特");
    assert_int_equal(qrsig_read(kp.pk, EVENT, p, &t, &em), USHER_OK);
    /* A truncated U2 payload is damaged. */
    assert_int_equal(qrsig_read(kp.pk, EVENT, "U2.ABC.X", &t, &em), USHER_SIGNATURE);
    assert_false(t.other_event);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(v2_round_trip_and_other_event),
    cmocka_unit_test(sign_then_verify_round_trip),
    cmocka_unit_test(sign_upper_cases_the_code),
    cmocka_unit_test(signature_covers_documented_message),
    cmocka_unit_test(payload_is_qr_alphanumeric_and_fits),
    cmocka_unit_test(sign_refuses_bad_code_or_event),
    cmocka_unit_test(verify_tolerates_scanner_noise),
    cmocka_unit_test(verify_wrong_prefix_is_parse_error),
    cmocka_unit_test(verify_damaged_payloads),
    cmocka_unit_test(verify_altered_code),
    cmocka_unit_test(verify_altered_signature_every_position),
    cmocka_unit_test(verify_other_event_or_key),
    cmocka_unit_test(key_text_round_trip),
    cmocka_unit_test(key_text_refuses_bad_input),
    cmocka_unit_test(is_payload),
};

TESTUTIL_MAIN(tests)
