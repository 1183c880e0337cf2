/* coordwhere.c - telling a SQLite file from a PostgreSQL connection string
 * in a coordinator's --db, and refusing passwords in it. */
#include "coordwhere.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static bool is_uri(const char *s)
{
    return has_prefix(s, "postgresql://") || has_prefix(s, "postgres://");
}

/* Calls fn on each key of libpq key=value words (keys are letters and '_';
 * values are bare words or single-quoted with backslash escapes). False when
 * the text is not such words at all. */
static bool each_key(const char *s, bool (*fn)(const char *key, size_t len, void *arg), void *arg)
{
    bool any = false;
    while (*s) {
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        const char *k = s;
        while (isalpha((unsigned char)*s) || *s == '_')
            s++;
        size_t klen = (size_t)(s - k);
        while (isspace((unsigned char)*s))
            s++;
        if (klen == 0 || *s != '=')
            return false;
        s++;
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '\'') {
            for (s++; *s && *s != '\''; s++)
                if (*s == '\\' && s[1])
                    s++;
            if (*s != '\'')
                return false;
            s++;
        } else {
            while (*s && !isspace((unsigned char)*s))
                s++;
        }
        any = true;
        if (fn && fn(k, klen, arg))
            return true;
    }
    return any;
}

static bool key_is(const char *key, size_t len, const char *want)
{
    return len == strlen(want) && strncmp(key, want, len) == 0;
}

static bool names_server(const char *key, size_t len, void *arg)
{
    bool *found = arg;
    if (key_is(key, len, "host") || key_is(key, len, "dbname") || key_is(key, len, "hostaddr") ||
        key_is(key, len, "service"))
        *found = true;
    return false;
}

static bool names_password(const char *key, size_t len, void *arg)
{
    if (key_is(key, len, "password")) {
        *(bool *)arg = true;
        return true;
    }
    return false;
}

coordwhere_kind coordwhere_kind_of(const char *where)
{
    if (!where)
        return COORDWHERE_SQLITE;
    if (is_uri(where))
        return COORDWHERE_POSTGRESQL;
    bool server = false;
    if (each_key(where, names_server, &server) && server)
        return COORDWHERE_POSTGRESQL;
    return COORDWHERE_SQLITE;
}

/* A URI's password: user:password@ before the host, or a password=
 * parameter after '?'. */
static bool uri_has_password(const char *s)
{
    s = strstr(s, "://") + 3;
    size_t auth = strcspn(s, "/?");
    const char *at = memchr(s, '@', auth);
    if (at && memchr(s, ':', (size_t)(at - s)))
        return true;
    const char *q = strchr(s, '?');
    while (q) {
        q++;
        if (has_prefix(q, "password="))
            return true;
        q = strchr(q, '&');
    }
    return false;
}

usher_err coordwhere_check(const char *where, usher_errmsg *em)
{
    if (!where || !*where)
        return usher_fail(em, USHER_INVAL,
                          "--db is empty: give a database file, or a PostgreSQL database as "
                          "\"host=... dbname=...\" or postgresql://...");
    if (coordwhere_kind_of(where) != COORDWHERE_POSTGRESQL)
        return USHER_OK;
    bool pw = false;
    if (is_uri(where))
        pw = uri_has_password(where);
    else
        each_key(where, names_password, &pw);
    if (pw)
        return usher_fail(em, USHER_INVAL,
                          "--db: leave the password out of the connection string (every user "
                          "of this machine can read a command line): put it in ~/.pgpass or the "
                          "file PGPASSFILE names, or in the environment as PGPASSWORD");
    return USHER_OK;
}

usher_err coordwhere_event_id_check(const char *id, usher_errmsg *em)
{
    size_t n = id ? strlen(id) : 0;
    bool ok = n > 0 && n < COORDWHERE_EVENT_ID_SIZE && id[0] != '-';
    for (size_t i = 0; ok && i < n; i++)
        ok = (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '-';
    if (!ok)
        return usher_fail(em, USHER_INVAL,
                          "--event-id \"%.40s%s\": an event id is 1 to %d of a-z, 0-9 and '-', "
                          "starting with a letter or a digit (e.g. spring-gala-2026)",
                          id ? id : "", n > 40 ? "..." : "", COORDWHERE_EVENT_ID_SIZE - 1);
    return USHER_OK;
}

void coordwhere_event_id_from_name(const char *name, char out[COORDWHERE_EVENT_ID_SIZE])
{
    size_t k = 0;
    bool dash = false;
    for (const char *s = name ? name : ""; *s && k < COORDWHERE_EVENT_ID_SIZE - 1; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!keep) {
            dash = k > 0;
            continue;
        }
        if (dash && k + 2 < COORDWHERE_EVENT_ID_SIZE)
            out[k++] = '-';
        else if (dash)
            break;
        dash = false;
        out[k++] = c;
    }
    out[k] = '\0';
    if (k == 0)
        memcpy(out, "event", sizeof "event");
}
