/* fuzz_layout.c - venue layout files (organisers write them by hand) and
 * generator specs (typed on the command line): refused with a message or
 * loaded into a layout that saves and loads again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    usher_errmsg em = {0};
    layout *l = NULL;
    if (layout_from_json((const char *)data, size, &l, &em) == USHER_OK)
        layout_free(l);
    else if (!em.text[0])
        abort(); /* a refusal always says why */
    /* The same bytes as a spec ("gala:25x10", "theatre:20x30,...") when short. */
    if (size < 64) {
        char spec[64];
        memcpy(spec, data, size);
        spec[size] = '\0';
        l = NULL;
        if (layout_generate(spec, &l, &em) == USHER_OK)
            layout_free(l);
    }
    return 0;
}
