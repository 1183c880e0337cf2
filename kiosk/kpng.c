/* kpng.c - screenshots as PNG through libpng (see kpng.h). */
#include "kpng.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

usher_err kpng_write_argb(const char *path, const uint32_t *pixels, int w, int h, int pitch,
                          usher_errmsg *em)
{
    volatile usher_err err = USHER_OK;
    png_structp png = NULL;
    png_infop info = NULL;
    unsigned char *row = malloc((size_t)w * 3);
    FILE *f = fopen(path, "wb");
    if (!f || !row) {
        err = usher_fail(em, USHER_IO, "%s: %s", path, f ? "out of memory" : strerror(errno));
        goto out;
    }
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        err = usher_fail(em, USHER_NOMEM, "%s: out of memory", path);
        goto out;
    }
    if (setjmp(png_jmpbuf(png))) {
        err = usher_fail(em, USHER_IO, "%s: cannot write the PNG (disk full?)", path);
        goto out;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 3);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) {
        const uint32_t *src = (const uint32_t *)((const unsigned char *)pixels + (size_t)y * pitch);
        for (int x = 0; x < w; x++) {
            row[3 * x] = (unsigned char)(src[x] >> 16);
            row[3 * x + 1] = (unsigned char)(src[x] >> 8);
            row[3 * x + 2] = (unsigned char)src[x];
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
out:
    if (png)
        png_destroy_write_struct(&png, info ? &info : NULL);
    if (f && fclose(f) != 0 && !err)
        err = usher_fail(em, USHER_IO, "%s: %s", path, strerror(errno));
    free(row);
    return err;
}
