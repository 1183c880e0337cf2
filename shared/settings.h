/* settings.h - an event's settings that every device follows: whether its
 * ticket codes are strong or weak, the staff PIN (hashed) and the time zone
 * people read times in. The coordinator stores them with the event and
 * sends them with every snapshot and sync answer (protocol.h); a device
 * keeps them in its journal.
 */
#ifndef USHER_SETTINGS_H
#define USHER_SETTINGS_H

#include <stdbool.h>

#include "error.h"
#include "ticketcode.h"

#define SETTINGS_PIN_HASH_SIZE 128 /* libsodium's crypto_pwhash_STRBYTES */
#define SETTINGS_PIN_SIZE 13       /* 4 to 12 digits */
#define SETTINGS_PIN_DIGITS 6      /* a new event's random PIN */
#define SETTINGS_TZ_SIZE 64        /* "Europe/Berlin" */
#define SETTINGS_LANG_SIZE 8       /* "de" */
/* The languages a device can speak (the kiosk's catalogues, kiosk/po). */
#define SETTINGS_LANGS "en de fr es ar zh"

typedef struct event_settings {
    ticketcode_strength codes;
    bool codes_by_organiser;               /* set by `event set --codes`: imports keep it */
    char pin_hash[SETTINGS_PIN_HASH_SIZE]; /* crypto_pwhash_str; "" = no staff PIN yet */
    char tz[SETTINGS_TZ_SIZE];             /* IANA zone name; "" = UTC */
    char lang[SETTINGS_LANG_SIZE];         /* the kiosks' default language; "" = theirs */
    bool reentry_refused; /* re-entry policy: a guest who left may not come back in */
} event_settings;

/* The settings of an event that has none stored: strong codes (there are no
 * tickets yet), no staff PIN, UTC. */
void settings_default(event_settings *out);

/* True when pin is 4 to 12 digits. */
bool settings_pin_valid(const char *pin);

/* A fresh random PIN of SETTINGS_PIN_DIGITS digits (libsodium). USHER_IO if
 * libsodium cannot initialise; out written only on success. */
usher_err settings_pin_new(char out[SETTINGS_PIN_SIZE], usher_errmsg *em) USHER_MUST_CHECK;

/* Hashes a valid PIN with crypto_pwhash_str (Argon2id, interactive limits:
 * about 64 MiB and a fraction of a second). USHER_INVAL for a PIN that is not
 * valid, USHER_NOMEM when the hash cannot get its memory. out written only on
 * success. */
usher_err settings_pin_hash(const char *pin, char out[SETTINGS_PIN_HASH_SIZE],
                            usher_errmsg *em) USHER_MUST_CHECK;

/* True when pin matches hash (constant time in libsodium). False for an
 * empty or damaged hash and for a PIN that is not valid. Slow on purpose. */
bool settings_pin_check(const char *hash, const char *pin);

/* True when hash looks like a crypto_pwhash_str string ("$argon2id$..."),
 * printable ASCII, shorter than SETTINGS_PIN_HASH_SIZE; "" is fine too. */
bool settings_pin_hash_ok(const char *hash);

/* True when tz could be an IANA time zone name: 1..63 of [A-Za-z0-9/_+-],
 * no "..", not starting or ending with '/'; "" is fine too (UTC). Whether the
 * zone exists is the shell's question (the zoneinfo files). */
bool settings_tz_ok(const char *tz);

/* True when lang is "" or one of SETTINGS_LANGS. */
bool settings_lang_ok(const char *lang);

/* "allowed" or "refused"; parse gives -1 for anything else. */
const char *settings_reentry_name(bool refused);
int settings_reentry_parse(const char *name);

/* True when the fields a device follows (codes, pin_hash, tz, lang, reentry) are equal. */
bool settings_same(const event_settings *a, const event_settings *b);

#endif
