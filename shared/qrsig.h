/* qrsig.h - signed ticket payloads for QR codes (Ed25519, libsodium).
 *
 * Payload text: "U1.<CODE>.<SIG>" where SIG is the 64-byte Ed25519 signature
 * over "usher-ticket\n<event id>\n<CODE>", in base32 upper case, no padding.
 * Every character is in the QR alphanumeric set (dense codes) and survives a
 * keyboard-wedge scanner's case mangling. A kiosk holding the event's public
 * key verifies offline; an altered code or a ticket of another event fails.
 */
#ifndef USHER_QRSIG_H
#define USHER_QRSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "error.h"

#define QRSIG_PK_BYTES 32
#define QRSIG_SK_BYTES 64
#define QRSIG_PAYLOAD_SIZE 224  /* the longest "U2." payload (193 chars) + NUL fits */
#define QRSIG_NAME_MAX 24       /* bytes of the event name a U2 payload carries */
#define QRSIG_KEY_TEXT_SIZE 129 /* hex of the secret key + NUL */

typedef struct qrsig_keypair {
    uint8_t pk[QRSIG_PK_BYTES];
    uint8_t sk[QRSIG_SK_BYTES];
} qrsig_keypair;

/* Makes a fresh key pair. USHER_IO if libsodium cannot initialise. */
usher_err qrsig_keygen(qrsig_keypair *kp) USHER_MUST_CHECK;

/* Hex text forms of keys, for the databases and /v1/pubkey. The from_text
 * forms take exactly 64 (128) hex digits, either case, and write the key only
 * on success; a secret key must also match its own public half. */
void qrsig_pk_to_text(const uint8_t pk[QRSIG_PK_BYTES], char out[2 * QRSIG_PK_BYTES + 1]);
bool qrsig_pk_from_text(const char *text, uint8_t pk[QRSIG_PK_BYTES]);
void qrsig_sk_to_text(const uint8_t sk[QRSIG_SK_BYTES], char out[QRSIG_KEY_TEXT_SIZE]);
bool qrsig_sk_from_text(const char *text, uint8_t sk[QRSIG_SK_BYTES]);

/* Signs a ticket code for an event into out (QRSIG_PAYLOAD_SIZE bytes). The
 * code is upper-cased first. USHER_INVAL for a code that is not [A-Z0-9-]{1,32}
 * or an event id that is empty, over 255 bytes or holds control characters;
 * USHER_IO if libsodium cannot initialise. out is written only on success. */
usher_err qrsig_sign(const uint8_t sk[QRSIG_SK_BYTES], const char *event_id, const char *code,
                     char out[QRSIG_PAYLOAD_SIZE], usher_errmsg *em) USHER_MUST_CHECK;

/* Verifies a scanned payload (surrounding white space, such as a scanner's
 * trailing CR/LF or tab, and lower case tolerated). On success writes the
 * ticket code (upper case) to code_out; on failure code_out is untouched.
 * USHER_PARSE when it is not a payload at all (qrsig_is_payload is false);
 * USHER_SIGNATURE for anything wrong after "U1.": damaged, forged, altered or
 * of another event. USHER_INVAL for a bad event id (as qrsig_sign), USHER_IO if
 * libsodium cannot initialise. */
usher_err qrsig_verify(const uint8_t pk[QRSIG_PK_BYTES], const char *event_id, const char *payload,
                       char code_out[USHER_CODE_SIZE], usher_errmsg *em) USHER_MUST_CHECK;

/* Version 2 payload: "U2.<TAG>.<NAME>.<CODE>.<SIG>". TAG is base32 of the
 * first 8 bytes of BLAKE2b(event id), so any device can tell "another event"
 * from "forged"; NAME is base32 of the event name cut to QRSIG_NAME_MAX bytes
 * at a character boundary (may be empty); SIG signs
 * "usher-ticket-2\n<event id>\n<NAME text>\n<CODE>". Same errors as
 * qrsig_sign; event_name NULL or "" carries no name. */
usher_err qrsig_sign2(const uint8_t sk[QRSIG_SK_BYTES], const char *event_id,
                      const char *event_name, const char *code, char out[QRSIG_PAYLOAD_SIZE],
                      usher_errmsg *em) USHER_MUST_CHECK;

typedef struct qrsig_ticket {
    char code[USHER_CODE_SIZE];          /* set on USHER_OK */
    bool other_event;                    /* a U2 payload naming another event */
    char event_name[QRSIG_NAME_MAX + 1]; /* that event's name as carried, may be "" */
} qrsig_ticket;

/* Reads a U1 or U2 payload as qrsig_verify does, filling *out (zeroed first).
 * When a U2 payload's TAG is not this event's, returns USHER_SIGNATURE with
 * out->other_event set and out->event_name the name it carries if that is
 * printable UTF-8 (else ""). The name is NOT verified (the device has no key
 * of the other event): show it only in a refusal. */
usher_err qrsig_read(const uint8_t pk[QRSIG_PK_BYTES], const char *event_id, const char *payload,
                     qrsig_ticket *out, usher_errmsg *em) USHER_MUST_CHECK;

/* True when text starts like a signed payload ("U1." or "U2." in any case, after any
 * leading white space), so an entry screen can tell a scan from a typed code.
 * NULL gives false. */
bool qrsig_is_payload(const char *text);

#endif
