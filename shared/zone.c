/* zone.c - local time in the event's zone (see zone.h). */
#include "zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "text.h"

#define ZONEINFO "/usr/share/zoneinfo/"

static char current[SETTINGS_TZ_SIZE] = "UTC";

void zone_use(const char *tz)
{
    const char *name = tz && tz[0] && settings_tz_ok(tz) ? tz : "UTC";
    text_copy(current, sizeof current, name);
    setenv("TZ", name, 1);
    tzset();
}

const char *zone_current(void)
{
    return current;
}

bool zone_local(int64_t ms, struct tm *out)
{
    if (!ms)
        return false;
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (!localtime_r(&secs, &tm))
        return false;
    *out = tm;
    return true;
}

void zone_format(int64_t ms, zone_style style, char *out, size_t size)
{
    if (!size)
        return;
    out[0] = '\0';
    if (!ms)
        return;
    struct tm tm;
    if (!zone_local(ms, &tm))
        return;
    strftime(out, size, style == ZONE_HM ? "%H:%M" : "%Y-%m-%d %H:%M:%S", &tm);
}

bool zone_exists(const char *tz)
{
    if (!settings_tz_ok(tz))
        return false;
    if (!tz[0] || !strcmp(tz, "UTC"))
        return true;
    char path[sizeof ZONEINFO + SETTINGS_TZ_SIZE];
    snprintf(path, sizeof path, ZONEINFO "%s", tz);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    /* A zoneinfo file starts with "TZif"; the directory has other files too. */
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    bool ok = f && fread(magic, 1, sizeof magic, f) == sizeof magic && !memcmp(magic, "TZif", 4);
    if (f)
        fclose(f);
    return ok;
}

/* Copies name into out when it is a known zone. */
static bool take(const char *name, char out[SETTINGS_TZ_SIZE])
{
    if (!name || !name[0] || !zone_exists(name))
        return false;
    return text_copy(out, SETTINGS_TZ_SIZE, name);
}

void zone_machine(char out[SETTINGS_TZ_SIZE])
{
    const char *env = getenv("TZ");
    if (env && env[0] == ':')
        env++;
    if (take(env, out))
        return;
    char line[SETTINGS_TZ_SIZE + 2] = "";
    FILE *f = fopen("/etc/timezone", "r");
    if (f) {
        if (fgets(line, sizeof line, f))
            line[strcspn(line, "\r\n")] = '\0';
        fclose(f);
        if (take(line, out))
            return;
    }
    char link[256];
    ssize_t n = readlink("/etc/localtime", link, sizeof link - 1);
    if (n > 0) {
        link[n] = '\0';
        const char *p = strstr(link, "zoneinfo/");
        if (p && take(p + strlen("zoneinfo/"), out))
            return;
    }
    text_copy(out, SETTINGS_TZ_SIZE, "UTC");
}
