/* qrmask.h - choosing a QR code's data mask (ISO/IEC 18004, 7.8) quickly.
 *
 * A QR encoder tries all eight masks and keeps the one whose symbol scores the
 * lowest penalty (runs of one colour, 2x2 blocks, finder-like patterns, the
 * dark share). Done one module at a time that is most of the cost of a code;
 * here each row and each column is one 64-bit word and every rule is a few
 * shifts and popcounts. Pure: no allocation, no I/O.
 *
 * The matrix is one byte a module, row-major, 1 = dark (as qrcode.h keeps it),
 * of a finished symbol: any mask applied and its format information written.
 * Symbols up to QRMASK_MAX_WIDTH modules a side (version 9). */
#ifndef USHER_QRMASK_H
#define USHER_QRMASK_H

#include <stdbool.h>
#include <stdint.h>

#define QRMASK_MAX_WIDTH 53 /* version 9; wider codes keep their encoder's mask */

/* The mask (0..7) and error correction level (the format's two bits: 1 = L,
 * 0 = M, 3 = Q, 2 = H) the symbol's format information names; false when the
 * width is not one qrmask handles or the format bits are not a valid code. */
bool qrmask_format(const unsigned char *modules, int width, int *mask, int *ecl_bits);

/* The penalty score of the symbol as it is (N1 + N2 + N3 + N4). */
long qrmask_penalty(const unsigned char *modules, int width);

/* Re-masks the symbol in place with mask (0..7), format information
 * rewritten; false (matrix untouched) when mask, width or format are not
 * handled. */
bool qrmask_apply(unsigned char *modules, int width, int mask);

/* Re-masks the symbol in place with the mask of the lowest penalty (the
 * lowest number among equals), format information rewritten, and returns that
 * mask; -1 leaves the matrix untouched (width or format not handled). */
int qrmask_choose(unsigned char *modules, int width);

/* qrmask_choose for a symbol with no mask applied yet (its format area any
 * value), of error correction level ecl_bits (as qrmask_format names them):
 * masked, format information written; the mask, or -1 for a width or level
 * not handled. For an encoder (qrenc). */
int qrmask_finish(unsigned char *modules, int width, int ecl_bits);

/* The modules no mask touches (finders and separators, timing, alignment,
 * format and version areas): bit x of rows[y]. A width qrmask handles. */
void qrmask_function_rows(int width, uint64_t rows[QRMASK_MAX_WIDTH]);

/* The centres of a version's alignment patterns along each axis (the
 * standard's table, by its formula): how many, 0 for version 1. */
int qrmask_alignment(int version, int pos[7]);

#endif
