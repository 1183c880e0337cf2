/* fuzz_scan.c - what a scanner or a finger types at a kiosk: a signed QR
 * payload verified offline, or a ticket code normalised and checked. A
 * payload that verifies must be one this key signed for this event. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrsig.h"
#include "ticketcode.h"
#include "timestamp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    static uint8_t pk[QRSIG_PK_BYTES];
    if (!ready) {
        /* A fixed key pair (seed of 0x55 bytes), so that the corpus can hold
         * payloads that verify: corpus/scan/signed-* were made with it for
         * event "fuzz-event". */
        uint8_t seed[crypto_sign_SEEDBYTES], sk[crypto_sign_SECRETKEYBYTES];
        memset(seed, 0x55, sizeof seed);
        if (sodium_init() < 0 || crypto_sign_seed_keypair(pk, sk, seed) != 0)
            abort();
        ready = true;
        if (getenv("USHER_FUZZ_SIGN")) { /* prints a payload for the corpus */
            char out[QRSIG_PAYLOAD_SIZE];
            usher_errmsg em = {0};
            if (qrsig_sign(sk, "fuzz-event", getenv("USHER_FUZZ_SIGN"), out, &em) == USHER_OK)
                printf("%s\n", out);
            exit(0);
        }
    }
    char text[512];
    if (size >= sizeof text)
        size = sizeof text - 1;
    memcpy(text, data, size);
    text[size] = '\0';
    char code[USHER_CODE_SIZE];
    usher_errmsg em = {0};
    (void)qrsig_is_payload(text);
    code[0] = '\0';
    if (qrsig_verify(pk, "fuzz-event", text, code, &em) == USHER_OK && !ticketcode_normalize(code))
        abort(); /* a verified payload names a well-formed code */
    char typed[sizeof text];
    memcpy(typed, text, size + 1);
    if (ticketcode_normalize(typed))
        (void)ticketcode_check_ok(typed);
    int64_t ms;
    (void)timestamp_parse(text, &ms);
    return 0;
}
