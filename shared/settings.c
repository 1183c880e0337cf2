/* settings.c - an event's device-wide settings: PINs and their hashes, time
 * zone names (see settings.h). */
#include "settings.h"

#include <string.h>

#include <sodium.h>

_Static_assert(SETTINGS_PIN_HASH_SIZE >= crypto_pwhash_STRBYTES, "PIN hash buffer too small");

void settings_default(event_settings *out)
{
    memset(out, 0, sizeof *out);
    out->codes = TICKETCODE_STRONG;
}

bool settings_pin_valid(const char *pin)
{
    size_t n = 0;
    for (; pin && pin[n]; n++)
        if (pin[n] < '0' || pin[n] > '9')
            return false;
    return n >= 4 && n < SETTINGS_PIN_SIZE;
}

usher_err settings_pin_new(char out[SETTINGS_PIN_SIZE], usher_errmsg *em)
{
    if (sodium_init() < 0)
        return usher_fail(em, USHER_IO, "cannot initialise libsodium to make a staff PIN");
    char pin[SETTINGS_PIN_SIZE];
    for (int k = 0; k < SETTINGS_PIN_DIGITS; k++)
        pin[k] = (char)('0' + randombytes_uniform(10));
    pin[SETTINGS_PIN_DIGITS] = '\0';
    memcpy(out, pin, sizeof pin);
    sodium_memzero(pin, sizeof pin);
    return USHER_OK;
}

usher_err settings_pin_hash(const char *pin, char out[SETTINGS_PIN_HASH_SIZE], usher_errmsg *em)
{
    if (!settings_pin_valid(pin))
        return usher_fail(em, USHER_INVAL, "a staff PIN is 4 to 12 digits");
    if (sodium_init() < 0)
        return usher_fail(em, USHER_IO, "cannot initialise libsodium to hash the staff PIN");
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, pin, strlen(pin), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return usher_fail(em, USHER_NOMEM,
                          "cannot hash the staff PIN: the machine lacks the 64 MiB it needs");
    memcpy(out, hash, sizeof hash);
    return USHER_OK;
}

bool settings_pin_hash_ok(const char *hash)
{
    if (!hash)
        return false;
    size_t n = strlen(hash);
    if (n == 0)
        return true;
    if (n >= SETTINGS_PIN_HASH_SIZE || strncmp(hash, "$argon2", 7) != 0)
        return false;
    for (size_t k = 0; k < n; k++)
        if (hash[k] <= 0x20 || hash[k] >= 0x7f)
            return false;
    return true;
}

bool settings_pin_check(const char *hash, const char *pin)
{
    if (!hash || !hash[0] || !settings_pin_hash_ok(hash) || !settings_pin_valid(pin))
        return false;
    if (sodium_init() < 0)
        return false;
    return crypto_pwhash_str_verify(hash, pin, strlen(pin)) == 0;
}

bool settings_tz_ok(const char *tz)
{
    if (!tz)
        return false;
    size_t n = strlen(tz);
    if (n == 0)
        return true;
    if (n >= SETTINGS_TZ_SIZE || tz[0] == '/' || tz[n - 1] == '/' || strstr(tz, ".."))
        return false;
    for (size_t k = 0; k < n; k++) {
        char c = tz[k];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '/' || c == '_' || c == '+' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

bool settings_lang_ok(const char *lang)
{
    if (!lang)
        return false;
    if (!lang[0])
        return true;
    size_t n = strlen(lang);
    if (n < 2 || n >= SETTINGS_LANG_SIZE || strchr(lang, ' '))
        return false;
    static const char langs[] = SETTINGS_LANGS;
    const char *hit = strstr(langs, lang);
    return hit && (hit == langs || hit[-1] == ' ') && (hit[n] == ' ' || hit[n] == '\0');
}

bool settings_same(const event_settings *a, const event_settings *b)
{
    return a->codes == b->codes && !strcmp(a->pin_hash, b->pin_hash) && !strcmp(a->tz, b->tz) &&
           !strcmp(a->lang, b->lang) && a->reentry_refused == b->reentry_refused;
}

const char *settings_reentry_name(bool refused)
{
    return refused ? "refused" : "allowed";
}

int settings_reentry_parse(const char *name)
{
    if (name && !strcmp(name, "allowed"))
        return 0;
    if (name && !strcmp(name, "refused"))
        return 1;
    return -1;
}
