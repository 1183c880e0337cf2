/* kpng.h - screenshots: writes 32-bit ARGB pixels as an RGB PNG (libpng). */
#ifndef USHER_KPNG_H
#define USHER_KPNG_H

#include <stdint.h>

#include "error.h"

usher_err kpng_write_argb(const char *path, const uint32_t *pixels, int w, int h, int pitch,
                          usher_errmsg *em) USHER_MUST_CHECK;

#endif
