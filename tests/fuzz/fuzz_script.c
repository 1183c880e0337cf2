/* fuzz_script.c - the kiosk's headless script language (kiosk/script.c): a
 * line is either read into a command or refused with a message naming its
 * line; nothing in between. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char line[1024];
    if (size >= sizeof line)
        size = sizeof line - 1;
    memcpy(line, data, size);
    line[size] = '\0';
    kscript_cmd cmd;
    usher_errmsg em = {0};
    usher_err err = kscript_parse(line, 7, &cmd, &em);
    if (err && !strstr(em.text, "line 7"))
        abort(); /* a refusal names its line */
    if (!err && cmd.kind != SC_NONE && cmd.line != 7)
        abort();
    return 0;
}
