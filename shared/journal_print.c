/* journal_print.c - see journal_print.h. Tables `printer` (one row) and
 * `print_queue` (device journal migration 8). */
#include "journal_print.h"

#include <stdlib.h>
#include <string.h>

#include "journal__internal.h"
#include "store.h"
#include "text.h"

static usher_err run(sqlite3 *db, const char *sql, usher_errmsg *em)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, em, "journal: the printer's state");
    return USHER_OK;
}

static usher_err save_report(sqlite3 *db, const printer_report *r, int64_t now, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO printer(id, state, name, waiting, printed, "
                           "problem, updated_at) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, em, "journal: the printer's state");
    sqlite3_bind_text(st, 1, printer_state_name(r->state), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->waiting);
    sqlite3_bind_int64(st, 4, r->printed);
    sqlite3_bind_text(st, 5, r->problem, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    usher_err err = sqlite3_step(st) == SQLITE_DONE
                        ? USHER_OK
                        : store_fail(db, em, "journal: saving the printer's state");
    sqlite3_finalize(st);
    return err;
}

static usher_err save_cards(sqlite3 *db, const char *const *cards, size_t n, usher_errmsg *em)
{
    usher_err err = run(db, "DELETE FROM print_queue", em);
    if (err || !n)
        return err;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO print_queue(card) VALUES (?1)", -1, &st, NULL) !=
        SQLITE_OK)
        return store_fail(db, em, "journal: the cards to print");
    for (size_t i = 0; i < n && !err; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, cards[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            err = store_fail(db, em, "journal: saving the cards to print");
    }
    sqlite3_finalize(st);
    return err;
}

usher_err journal_print_save(journal *j, const printer_report *r, const char *const *cards,
                             size_t n, int64_t now, usher_errmsg *em)
{
    if (r && !printer_report_ok(r))
        return usher_fail(em, USHER_INVAL, "the printer's state is not a printer report");
    if (n > JOURNAL_PRINT_CARDS_MAX)
        return usher_fail(em, USHER_INVAL, "%zu cards to print: at most %d are kept", n,
                          JOURNAL_PRINT_CARDS_MAX);
    for (size_t i = 0; i < n; i++) {
        size_t len = cards[i] ? strlen(cards[i]) : 0;
        if (!len || len > JOURNAL_PRINT_CARD_MAX || !text_utf8_valid(cards[i], len))
            return usher_fail(em, USHER_INVAL, "card %zu: empty, too long or not UTF-8", i + 1);
    }
    sqlite3 *db = journal__db(j);
    usher_err err = store_begin(db, em);
    if (err)
        return err;
    err = r ? save_report(db, r, now, em) : run(db, "DELETE FROM printer", em);
    if (!err)
        err = save_cards(db, cards, n, em);
    if (!err)
        err = store_commit(db, em);
    if (err)
        store_rollback(db);
    return err;
}

usher_err journal_print_forget(journal *j, usher_errmsg *em)
{
    return run(journal__db(j), "DELETE FROM printer", em);
}

usher_err journal_print_report(journal *j, printer_report *out, bool *has, usher_errmsg *em)
{
    sqlite3 *db = journal__db(j);
    sqlite3_stmt *st = NULL;
    *has = false;
    if (sqlite3_prepare_v2(db, "SELECT state, name, waiting, printed, problem FROM printer", -1,
                           &st, NULL) != SQLITE_OK)
        return store_fail(db, em, "journal: reading the printer's state");
    int rc = sqlite3_step(st);
    usher_err err = USHER_OK;
    if (rc == SQLITE_ROW) {
        printer_report r;
        memset(&r, 0, sizeof r);
        const char *word = (const char *)sqlite3_column_text(st, 0);
        int s = printer_state_parse(word);
        r.state = s < 0 ? PRINTER_UNKNOWN : (printer_state)s;
        store__column_text(st, 1, r.name, sizeof r.name);
        r.waiting = sqlite3_column_int64(st, 2);
        r.printed = sqlite3_column_int64(st, 3);
        store__column_text(st, 4, r.problem, sizeof r.problem);
        if (s >= 0 && printer_report_ok(&r)) {
            *out = r;
            *has = true;
        }
    } else if (rc != SQLITE_DONE) {
        err = store_fail(db, em, "journal: reading the printer's state");
    }
    sqlite3_finalize(st);
    return err;
}

usher_err journal_print_cards(journal *j, char ***cards, size_t *n, usher_errmsg *em)
{
    sqlite3 *db = journal__db(j);
    sqlite3_stmt *st = NULL;
    char **list = NULL;
    size_t k = 0;
    usher_err err = USHER_OK;
    if (sqlite3_prepare_v2(db, "SELECT card FROM print_queue ORDER BY seq LIMIT ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return store_fail(db, em, "journal: reading the cards to print");
    sqlite3_bind_int(st, 1, JOURNAL_PRINT_CARDS_MAX);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        char **grown = realloc(list, (k + 1) * sizeof *list);
        char *copy = t ? strdup(t) : NULL;
        if (!grown || !copy) {
            free(copy);
            if (grown)
                list = grown;
            err = usher_fail(em, USHER_NOMEM, "out of memory reading the cards to print");
            break;
        }
        list = grown;
        list[k++] = copy;
    }
    if (!err && rc != SQLITE_DONE)
        err = store_fail(db, em, "journal: reading the cards to print");
    sqlite3_finalize(st);
    if (err) {
        for (size_t i = 0; i < k; i++)
            free(list[i]);
        free(list);
        return err;
    }
    *cards = list;
    *n = k;
    return USHER_OK;
}
