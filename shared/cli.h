/* cli.h - the command-line parsing every Usher program shares: `--key value` and
 * `--flag` options in any order plus positional words, with one-line errors. */
#ifndef USHER_CLI_H
#define USHER_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef struct cli_spec {
    const char *name; /* "db" for --db */
    bool takes_value;
} cli_spec;

#define CLI_MAX_OPTS 24
#define CLI_MAX_ARGS 8

typedef struct cli {
    const char *values[CLI_MAX_OPTS]; /* by spec index; flags get "" when present */
    const char *args[CLI_MAX_ARGS];   /* positional words */
    int nargs;
} cli;

/* Parses argv[0..argc) against specs (n of them). Unknown options, missing
 * values, repeats and too many words are errors with a message naming them.
 * "--key=value" is accepted too. */
usher_err cli_parse(const cli_spec *specs, int n, int argc, char **argv, cli *out,
                    usher_errmsg *em) USHER_MUST_CHECK;

/* The value of option `name` or NULL when absent. */
const char *cli_get(const cli_spec *specs, int n, const cli *c, const char *name);

/* True when --help or -h is among argv. */
bool cli_wants_help(int argc, char **argv);

#endif
