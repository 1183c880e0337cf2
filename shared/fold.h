/* fold.h - text folded for comparison by a person's eyes: case and accents
 * ignored in every script (utf8proc), so that "Ångström" matches "angstrom",
 * "ZOË" matches "zoe" and "НАБОКОВ" matches "набоков".
 *
 * This is the one place where Usher decides that two names "read the same":
 * guest search on the dashboard, a last-name check at a kiosk, staff search at
 * a door. Folding is Unicode NFKC case folding with combining marks removed,
 * ignorable characters dropped and runs of white space made one space. */
#ifndef USHER_FOLD_H
#define USHER_FOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Folds the NUL-terminated UTF-8 text s into a new string the caller frees
 * with free(). Leading and trailing white space is dropped. Returns NULL when
 * s is not valid UTF-8 or memory runs out. */
char *fold_dup(const char *s);

/* Folds s into out (cap bytes, always NUL-terminated when cap > 0).
 * USHER_PARSE when s is not valid UTF-8, USHER_TOOBIG when the folded text does
 * not fit (out then holds nothing). */
usher_err fold_into(const char *s, char *out, size_t cap) USHER_MUST_CHECK;

/* True when the folded needle occurs in the folded haystack (an empty needle
 * matches everything). Invalid UTF-8 on either side matches nothing. */
bool fold_contains(const char *haystack, const char *needle);

/* True when a and b fold to the same text. */
bool fold_equal(const char *a, const char *b);

#endif
