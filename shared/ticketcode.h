/* ticketcode.h - what a ticket code is: its characters and length, its
 * normal form, generated codes with a check character, and whether a set of
 * codes is strong (cannot be guessed) or weak. The one owner of that rule:
 * import, ops, the protocol, QR payloads, the kiosk and the API ask here.
 *
 * A code is [A-Z0-9-]{1,32} in its normal form (stored and compared
 * upper-cased; what a guest types is trimmed and upper-cased first).
 * Generated codes look like "GALA-7KQ3M-XH2PC": an optional prefix and a
 * dash, then two groups of five Crockford base32 characters (0-9 A-Z without
 * I L O U): nine random ones from libsodium (45 bits) and a check character
 * last. The check is a weighted sum over GF(32) (see ticketcode.c), so any one
 * mistyped character and any two swapped characters of the ten are caught.
 * The prefix is not covered: it is the same for a whole event.
 */
#ifndef USHER_TICKETCODE_H
#define USHER_TICKETCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"
#include "error.h"

#define TICKETCODE_MAX (USHER_CODE_SIZE - 1) /* longest code, 32 */

/* True for a character a code may hold in its normal form: A-Z, 0-9, '-'. */
bool ticketcode_char_ok(char c);

/* True for a character a code may hold as typed (lower case too). */
bool ticketcode_typed_char_ok(char c);

/* True when code is a code in normal form: 1..32 of [A-Z0-9-]. */
bool ticketcode_valid(const char *code);

/* Upper-cases ASCII letters in place (the rest is left as it is); then
 * ticketcode_valid says whether it is a code. For strict readers (the
 * protocol) that take no surrounding spaces. */
void ticketcode_upcase(char *code);

/* Normalises a typed code in place (trims spaces, tabs, CR and LF, upper-cases)
 * and checks its charset and length. Returns false when it cannot be a ticket
 * code (NULL included); code may then be partly normalised. */
bool ticketcode_normalize(char *code);

/* Writes a fresh unguessable code "PREFIX-XXXXX-XXXXC" into out. The prefix
 * is 1..12 chars of [A-Za-z0-9] (upper-cased); "" or NULL gives "XXXXX-XXXXC".
 * USHER_INVAL for a bad prefix, USHER_IO if libsodium cannot initialise; out
 * is written only on success. */
usher_err ticketcode_generate(const char *prefix, char out[USHER_CODE_SIZE],
                              usher_errmsg *em) USHER_MUST_CHECK;

/* True when code has the shape of a generated code and its check character
 * matches (so a typo can be reported before any lookup). Letters may be lower
 * case. An imported code can happen to have this shape ("2024-00001-00002"),
 * so treat a failed check as a typo only for a code that is not known. */
bool ticketcode_check_ok(const char *code);

/* True when code has the shape of a generated code (check char aside):
 * optional "[A-Z0-9]{1,12}-", then "XXXXX-XXXXX" in Crockford base32. */
bool ticketcode_is_generated(const char *code);

/* Strong: a code cannot be guessed from another one, so a typed code proves
 * that its holder has the ticket. Weak: sequential or patterned (GALA-0001,
 * order numbers), so a typed code alone proves nothing. */
typedef enum { TICKETCODE_STRONG = 0, TICKETCODE_WEAK = 1 } ticketcode_strength;

/* "strong" / "weak" (the stored and wire names); parse: -1 when neither. */
const char *ticketcode_strength_name(ticketcode_strength s);
int ticketcode_strength_parse(const char *name);

/* Letters and digits a code needs to count as strong, and how many of them
 * must be its own (not shared with most codes of its file): a little less,
 * so that a random code that happens to match a shared prefix in one place
 * still counts. */
#define TICKETCODE_STRONG_CHARS 10
#define TICKETCODE_OWN_CHARS 8

/* What ticketcode_classify found. */
typedef struct ticketcode_report {
    ticketcode_strength strength;  /* weak when any code is weak */
    size_t weak;                   /* how many codes are weak */
    char example[USHER_CODE_SIZE]; /* the first weak code, "" when none */
    char why[128];                 /* why that code is weak, "" when none */
} ticketcode_report;

/* Decides whether the n codes of one file (normal form) are strong or weak.
 *
 * A code is weak when
 * - it has fewer than TICKETCODE_STRONG_CHARS letters and digits, or fewer
 *   than TICKETCODE_OWN_CHARS of its own: a character is not its own when
 *   it is the one most codes of the file have at that place (counted from the start and from the
 * end, so that a shared prefix, a year or a counter's leading digits are left out). "Most" is at
 * least 3 codes and more than a quarter of them (more than half in a file of fewer than 40), so
 * that chance agreement among random codes does not count; or
 * - another code of the file has its length and differs from it only in the
 *   last two characters (a counter: GALA-1041 and GALA-1042); or
 * - it is not in normal form.
 * A generated code with its check character right (ticketcode_check_ok) is
 * judged by the last rules only: its ten characters are random, whatever the
 * rest of the file looks like. A file is strong when every code is; no
 * codes: strong. Pure; out is always written. */
void ticketcode_classify(const char *const *codes, size_t n, ticketcode_report *out);

#endif
