/* qrsig.c - Ed25519-signed ticket payloads for QR codes, verified offline by
 * kiosks holding the event's public key. */
#include "qrsig.h"

#include <string.h>

#include <sodium.h>

#include "text.h"
#include "ticketcode.h"

#define TAG "U1."
#define TAG_LEN 3
#define SIG_TEXT_LEN 103 /* text_base32_len(crypto_sign_BYTES) */
#define EVENT_ID_MAX 255
#define MESSAGE_SIZE (16 + EVENT_ID_MAX + USHER_CODE_SIZE)
#define MESSAGE2_SIZE (24 + EVENT_ID_MAX + QRSIG_NAME_MAX + USHER_CODE_SIZE)
#define TAG2_BYTES 8
#define TAG2_TEXT_LEN 13  /* text_base32_len(TAG2_BYTES) */
#define NAME2_TEXT_MAX 39 /* text_base32_len(QRSIG_NAME_MAX) */

#define FORGED_MSG                                                                                 \
    "this ticket's signature does not match: it is forged, altered or for another event"

_Static_assert(QRSIG_PK_BYTES == crypto_sign_PUBLICKEYBYTES, "Ed25519 public key size");
_Static_assert(QRSIG_SK_BYTES == crypto_sign_SECRETKEYBYTES, "Ed25519 secret key size");
_Static_assert(TAG_LEN + (USHER_CODE_SIZE - 1) + 1 + SIG_TEXT_LEN < QRSIG_PAYLOAD_SIZE,
               "the longest payload fits QRSIG_PAYLOAD_SIZE");
_Static_assert(3 + TAG2_TEXT_LEN + 1 + NAME2_TEXT_MAX + 1 + (USHER_CODE_SIZE - 1) + 1 +
                       SIG_TEXT_LEN <
                   QRSIG_PAYLOAD_SIZE,
               "the longest U2 payload fits QRSIG_PAYLOAD_SIZE");

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

usher_err qrsig_keygen(qrsig_keypair *kp)
{
    if (sodium_init() < 0)
        return USHER_IO;
    if (crypto_sign_keypair(kp->pk, kp->sk) != 0)
        return USHER_IO;
    return USHER_OK;
}

/* Decodes exactly n bytes from 2n hex digits (either case) into out. */
static bool hex_decode(const char *text, uint8_t *out, size_t n)
{
    if (!text || strlen(text) != 2 * n)
        return false;
    size_t got = 0;
    const char *end = NULL;
    return sodium_hex2bin(out, n, text, 2 * n, NULL, &got, &end) == 0 && got == n &&
           end == text + 2 * n;
}

void qrsig_pk_to_text(const uint8_t pk[QRSIG_PK_BYTES], char out[2 * QRSIG_PK_BYTES + 1])
{
    text_hex(pk, QRSIG_PK_BYTES, out);
}

bool qrsig_pk_from_text(const char *text, uint8_t pk[QRSIG_PK_BYTES])
{
    uint8_t tmp[QRSIG_PK_BYTES];
    if (!hex_decode(text, tmp, sizeof tmp))
        return false;
    memcpy(pk, tmp, sizeof tmp);
    return true;
}

void qrsig_sk_to_text(const uint8_t sk[QRSIG_SK_BYTES], char out[QRSIG_KEY_TEXT_SIZE])
{
    text_hex(sk, QRSIG_SK_BYTES, out);
}

bool qrsig_sk_from_text(const char *text, uint8_t sk[QRSIG_SK_BYTES])
{
    uint8_t tmp[QRSIG_SK_BYTES], pk[QRSIG_PK_BYTES], check[QRSIG_SK_BYTES];
    bool ok = sodium_init() >= 0 && hex_decode(text, tmp, sizeof tmp);
    /* libsodium's secret key is seed || public key: the halves must agree. */
    ok = ok && crypto_sign_seed_keypair(pk, check, tmp) == 0 &&
         sodium_memcmp(check, tmp, sizeof tmp) == 0;
    if (ok)
        memcpy(sk, tmp, sizeof tmp);
    sodium_memzero(tmp, sizeof tmp);
    sodium_memzero(check, sizeof check);
    return ok;
}

static usher_err check_event_id(const char *event_id, usher_errmsg *em)
{
    if (!event_id || !*event_id)
        return usher_fail(em, USHER_INVAL, "the event id is empty");
    if (strlen(event_id) > EVENT_ID_MAX)
        return usher_fail(em, USHER_INVAL, "the event id is too long (at most %d bytes)",
                          EVENT_ID_MAX);
    if (!text_printable(event_id))
        return usher_fail(em, USHER_INVAL, "the event id contains control characters");
    return USHER_OK;
}

/* The signed message: "usher-ticket\n<event id>\n<CODE>". */
static size_t build_message(const char *event_id, const char *code, char msg[MESSAGE_SIZE])
{
    int n = snprintf(msg, MESSAGE_SIZE, "usher-ticket\n%s\n%s", event_id, code);
    return n > 0 ? (size_t)n : 0;
}

usher_err qrsig_sign(const uint8_t sk[QRSIG_SK_BYTES], const char *event_id, const char *code,
                     char out[QRSIG_PAYLOAD_SIZE], usher_errmsg *em)
{
    char norm[USHER_CODE_SIZE];
    if (!code || !text_copy(norm, sizeof norm, code) || !ticketcode_normalize(norm))
        return usher_fail(em, USHER_INVAL,
                          "cannot sign this ticket number: it must be 1 to %d characters of "
                          "A-Z, 0-9 and -",
                          USHER_CODE_SIZE - 1);
    usher_err err = check_event_id(event_id, em);
    if (err)
        return err;
    if (sodium_init() < 0)
        return usher_fail(em, USHER_IO, "cannot initialise libsodium to sign tickets");
    char msg[MESSAGE_SIZE];
    size_t mlen = build_message(event_id, norm, msg);
    uint8_t sig[crypto_sign_BYTES];
    if (crypto_sign_detached(sig, NULL, (const unsigned char *)msg, mlen, sk) != 0)
        return usher_fail(em, USHER_IO, "cannot sign ticket %s", norm);
    char sigtext[SIG_TEXT_LEN + 1];
    text_base32_encode(sig, sizeof sig, sigtext);
    snprintf(out, QRSIG_PAYLOAD_SIZE, TAG "%s.%s", norm, sigtext);
    return USHER_OK;
}

/* Splits an upper-cased payload "U1.<CODE>.<SIG>" into code and signature. */
static usher_err split_payload(char *buf, char **code, char **sigtext, usher_errmsg *em)
{
    char *dot = strchr(buf + TAG_LEN, '.');
    if (!dot)
        return usher_fail(em, USHER_SIGNATURE,
                          "this ticket QR code is damaged or altered: it has no signature");
    *dot = '\0';
    *code = buf + TAG_LEN;
    *sigtext = dot + 1;
    if (!ticketcode_valid(*code))
        return usher_fail(em, USHER_SIGNATURE,
                          "this ticket QR code is damaged or altered: its ticket number is not "
                          "1 to %d characters of A-Z, 0-9 and -",
                          USHER_CODE_SIZE - 1);
    if (strlen(*sigtext) != SIG_TEXT_LEN)
        return usher_fail(em, USHER_SIGNATURE,
                          "this ticket QR code is damaged or altered: its signature has %zu "
                          "characters instead of %d",
                          strlen(*sigtext), SIG_TEXT_LEN);
    return USHER_OK;
}

/* Trims white space and upper-cases payload into buf. */
static usher_err normalize_payload(const char *payload, char buf[QRSIG_PAYLOAD_SIZE],
                                   usher_errmsg *em)
{
    while (is_space(*payload))
        payload++;
    size_t n = strlen(payload);
    while (n > 0 && is_space(payload[n - 1]))
        n--;
    if (n >= QRSIG_PAYLOAD_SIZE)
        return usher_fail(em, USHER_SIGNATURE,
                          "this ticket QR code is damaged or altered: it is too long (%zu "
                          "characters)",
                          n);
    for (size_t k = 0; k < n; k++)
        buf[k] = upper(payload[k]);
    buf[n] = '\0';
    return USHER_OK;
}

static usher_err check_sig(const uint8_t pk[QRSIG_PK_BYTES], const char *sigtext, const char *msg,
                           size_t mlen, usher_errmsg *em)
{
    uint8_t sig[crypto_sign_BYTES];
    if (!text_base32_decode(sigtext, sig, sizeof sig))
        return usher_fail(em, USHER_SIGNATURE,
                          "this ticket QR code is damaged or altered: its signature has "
                          "characters that are not allowed");
    if (crypto_sign_verify_detached(sig, (const unsigned char *)msg, mlen, pk) != 0)
        return usher_fail(em, USHER_SIGNATURE, FORGED_MSG);
    return USHER_OK;
}

static usher_err read_v1(const uint8_t pk[QRSIG_PK_BYTES], const char *event_id, char *buf,
                         qrsig_ticket *out, usher_errmsg *em)
{
    char *code = NULL, *sigtext = NULL;
    usher_err err = split_payload(buf, &code, &sigtext, em);
    if (err)
        return err;
    char msg[MESSAGE_SIZE];
    size_t mlen = build_message(event_id, code, msg);
    err = check_sig(pk, sigtext, msg, mlen, em);
    if (!err)
        text_copy(out->code, USHER_CODE_SIZE, code);
    return err;
}

static void event_tag(const char *event_id, char tag[TAG2_TEXT_LEN + 1])
{
    uint8_t h[TAG2_BYTES];
    crypto_generichash(h, sizeof h, (const unsigned char *)event_id, strlen(event_id), NULL, 0);
    text_base32_encode(h, sizeof h, tag);
}

/* Cuts name to at most QRSIG_NAME_MAX bytes, never inside a UTF-8 character. */
static void short_name(const char *name, char out[QRSIG_NAME_MAX + 1])
{
    size_t n = name ? strlen(name) : 0;
    if (n > QRSIG_NAME_MAX) {
        n = QRSIG_NAME_MAX;
        while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(out, name, n);
    out[n] = '\0';
}

static size_t build_message2(const char *event_id, const char *name, const char *code,
                             char msg[MESSAGE2_SIZE])
{
    int n = snprintf(msg, MESSAGE2_SIZE, "usher-ticket-2\n%s\n%s\n%s", event_id, name, code);
    return n > 0 ? (size_t)n : 0;
}

usher_err qrsig_sign2(const uint8_t sk[QRSIG_SK_BYTES], const char *event_id,
                      const char *event_name, const char *code, char out[QRSIG_PAYLOAD_SIZE],
                      usher_errmsg *em)
{
    char norm[USHER_CODE_SIZE];
    if (!code || !text_copy(norm, sizeof norm, code) || !ticketcode_normalize(norm))
        return usher_fail(em, USHER_INVAL,
                          "cannot sign this ticket number: it must be 1 to %d characters of "
                          "A-Z, 0-9 and -",
                          USHER_CODE_SIZE - 1);
    usher_err err = check_event_id(event_id, em);
    if (err)
        return err;
    if (sodium_init() < 0)
        return usher_fail(em, USHER_IO, "cannot initialise libsodium to sign tickets");
    char name[QRSIG_NAME_MAX + 1], tag[TAG2_TEXT_LEN + 1], name32[NAME2_TEXT_MAX + 1];
    short_name(event_name, name);
    event_tag(event_id, tag);
    text_base32_encode((const uint8_t *)name, strlen(name), name32);
    char msg[MESSAGE2_SIZE];
    size_t mlen = build_message2(event_id, name, norm, msg);
    uint8_t sig[crypto_sign_BYTES];
    if (crypto_sign_detached(sig, NULL, (const unsigned char *)msg, mlen, sk) != 0)
        return usher_fail(em, USHER_IO, "cannot sign ticket %s", norm);
    char sigtext[SIG_TEXT_LEN + 1];
    text_base32_encode(sig, sizeof sig, sigtext);
    snprintf(out, QRSIG_PAYLOAD_SIZE, "U2.%s.%s.%s.%s", tag, name32, norm, sigtext);
    return USHER_OK;
}

/* The carried name, if it decodes to printable UTF-8; else "". */
static void carried_name(const char *name32, char out[QRSIG_NAME_MAX + 1])
{
    out[0] = '\0';
    size_t len = strlen(name32);
    size_t n = len * 5 / 8;
    if (n > QRSIG_NAME_MAX || text_base32_len(n) != len)
        return;
    uint8_t raw[QRSIG_NAME_MAX + 1] = {0};
    if (!text_base32_decode(name32, raw, n) || !text_utf8_valid((const char *)raw, n))
        return;
    raw[n] = '\0';
    if (strlen((const char *)raw) == n && text_printable((const char *)raw))
        memcpy(out, raw, n + 1);
}

static usher_err read_v2(const uint8_t pk[QRSIG_PK_BYTES], const char *event_id, char *buf,
                         qrsig_ticket *out, usher_errmsg *em)
{
    char *f[5] = {buf};
    int k = 1;
    for (char *p = buf; *p && k < 5; p++)
        if (*p == '.') {
            *p = '\0';
            f[k++] = p + 1;
        }
    if (k < 5 || strlen(f[1]) != TAG2_TEXT_LEN)
        return usher_fail(em, USHER_SIGNATURE,
                          "this ticket QR code is damaged or altered: it lacks a part");
    char mine[TAG2_TEXT_LEN + 1], name[QRSIG_NAME_MAX + 1];
    event_tag(event_id, mine);
    carried_name(f[2], name);
    if (strcmp(mine, f[1]) != 0) {
        out->other_event = true;
        text_copy(out->event_name, sizeof out->event_name, name);
        return usher_fail(em, USHER_SIGNATURE, "this ticket is for another event%s%s",
                          name[0] ? ": " : "", name);
    }
    if (!ticketcode_valid(f[3]) || strlen(f[4]) != SIG_TEXT_LEN)
        return usher_fail(em, USHER_SIGNATURE,
                          "this ticket QR code is damaged or altered: its ticket number or "
                          "signature has the wrong form");
    char msg[MESSAGE2_SIZE];
    size_t mlen = build_message2(event_id, name, f[3], msg);
    usher_err err = check_sig(pk, f[4], msg, mlen, em);
    if (!err)
        text_copy(out->code, USHER_CODE_SIZE, f[3]);
    return err;
}

usher_err qrsig_read(const uint8_t pk[QRSIG_PK_BYTES], const char *event_id, const char *payload,
                     qrsig_ticket *out, usher_errmsg *em)
{
    memset(out, 0, sizeof *out);
    usher_err err = check_event_id(event_id, em);
    if (err)
        return err;
    if (!qrsig_is_payload(payload))
        return usher_fail(em, USHER_PARSE,
                          "this is not an Usher ticket QR code (those start with \"U1.\" or "
                          "\"U2.\")");
    if (sodium_init() < 0)
        return usher_fail(em, USHER_IO, "cannot initialise libsodium to check tickets");
    char buf[QRSIG_PAYLOAD_SIZE];
    err = normalize_payload(payload, buf, em);
    if (err)
        return err;
    return buf[1] == '2' ? read_v2(pk, event_id, buf, out, em)
                         : read_v1(pk, event_id, buf, out, em);
}

usher_err qrsig_verify(const uint8_t pk[QRSIG_PK_BYTES], const char *event_id, const char *payload,
                       char code_out[USHER_CODE_SIZE], usher_errmsg *em)
{
    qrsig_ticket t;
    usher_err err = qrsig_read(pk, event_id, payload, &t, em);
    if (!err)
        text_copy(code_out, USHER_CODE_SIZE, t.code);
    return err;
}

bool qrsig_is_payload(const char *text)
{
    if (!text)
        return false;
    while (is_space(*text))
        text++;
    return upper(text[0]) == 'U' && (text[1] == '1' || text[1] == '2') && text[2] == '.';
}
