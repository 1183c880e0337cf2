/* error.c - texts and message buffers for usher_err. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *usher_strerror(usher_err err)
{
    switch (err) {
#define USHER_ERR_TEXT(name, code, text)                                                           \
    case USHER_##name:                                                                             \
        return text;
        USHER_ERR_MAP(USHER_ERR_TEXT)
#undef USHER_ERR_TEXT
    }
    return "unknown error";
}

const char *usher_errname(usher_err err)
{
    switch (err) {
#define USHER_ERR_NAME(name, code, text)                                                           \
    case USHER_##name:                                                                             \
        return #name;
        USHER_ERR_MAP(USHER_ERR_NAME)
#undef USHER_ERR_NAME
    }
    return "UNKNOWN";
}

usher_err usher_fail(usher_errmsg *em, usher_err err, const char *fmt, ...)
{
    if (em) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(em->text, sizeof em->text, fmt, ap);
        va_end(ap);
    }
    return err;
}

void usher_errmsg_prefix(usher_errmsg *em, const char *fmt, ...)
{
    if (!em)
        return;
    char old[USHER_ERRMSG_SIZE];
    memcpy(old, em->text, sizeof old);
    old[sizeof old - 1] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(em->text, sizeof em->text, fmt, ap);
    va_end(ap);
    size_t used = strlen(em->text), room = sizeof em->text - used;
    if (room > 2) {
        memcpy(em->text + used, ": ", 2);
        size_t n = strnlen(old, room - 3);
        memcpy(em->text + used + 2, old, n);
        em->text[used + 2 + n] = '\0';
    }
}
