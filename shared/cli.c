/* cli.c - `--key value` option parsing with clear one-line errors. */
#include "cli.h"

#include <string.h>

static int find(const cli_spec *specs, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(specs[i].name) == len && !strncmp(specs[i].name, name, len))
            return i;
    return -1;
}

usher_err cli_parse(const cli_spec *specs, int n, int argc, char **argv, cli *out, usher_errmsg *em)
{
    cli c;
    memset(&c, 0, sizeof c);
    if (n > CLI_MAX_OPTS)
        return usher_fail(em, USHER_INVAL, "too many option specs");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (c.nargs >= CLI_MAX_ARGS)
                return usher_fail(em, USHER_INVAL, "unexpected argument '%s'", a);
            c.args[c.nargs++] = a;
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int k = find(specs, n, name, len);
        if (k < 0)
            return usher_fail(em, USHER_INVAL, "unknown option '--%.*s' (see --help)", (int)len,
                              name);
        if (c.values[k])
            return usher_fail(em, USHER_INVAL, "option --%s given twice", specs[k].name);
        if (!specs[k].takes_value) {
            if (eq)
                return usher_fail(em, USHER_INVAL, "option --%s takes no value", specs[k].name);
            c.values[k] = "";
        } else if (eq) {
            c.values[k] = eq + 1;
        } else if (i + 1 < argc) {
            c.values[k] = argv[++i];
        } else {
            return usher_fail(em, USHER_INVAL, "option --%s needs a value", specs[k].name);
        }
        if (specs[k].takes_value && !c.values[k][0])
            return usher_fail(em, USHER_INVAL, "option --%s needs a non-empty value",
                              specs[k].name);
    }
    *out = c;
    return USHER_OK;
}

const char *cli_get(const cli_spec *specs, int n, const cli *c, const char *name)
{
    int k = find(specs, n, name, strlen(name));
    return k < 0 ? NULL : c->values[k];
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return true;
    return false;
}
