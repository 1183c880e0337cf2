/* test_coordwhere.c - what a coordinator's --db names (a SQLite file or a
 * PostgreSQL connection string), passwords refused; and coorddb_open and
 * coorddb_backup answering PostgreSQL strings in a program without that store. */
#include "testutil.h"

#include <string.h>

#include "coorddb.h"
#include "coordwhere.h"

static void files_are_sqlite(void **unused)
{
    (void)unused;
    const char *files[] = {
        "gala.db", "/var/lib/usher/gala.db", "./x=1.db", "my event.db", "a=b c", "host", "=",
        "dbname",  "postgresql:/x.db",       ""};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (coordwhere_kind_of(files[i]) != COORDWHERE_SQLITE)
            fail_msg("\"%s\" should be a file", files[i]);
    assert_int_equal(coordwhere_kind_of(NULL), COORDWHERE_SQLITE);
}

static void connection_strings_are_postgresql(void **unused)
{
    (void)unused;
    const char *pg[] = {"postgresql://localhost/gala",
                        "postgres://u@db.example/gala?sslmode=require",
                        "host=/run/postgresql dbname=gala",
                        "dbname=gala",
                        "  host = /tmp/sock   dbname='my event' user=usher ",
                        "service=usher",
                        "hostaddr=127.0.0.1 port=5433 dbname=gala"};
    for (size_t i = 0; i < sizeof pg / sizeof pg[0]; i++)
        if (coordwhere_kind_of(pg[i]) != COORDWHERE_POSTGRESQL)
            fail_msg("\"%s\" should be PostgreSQL", pg[i]);
    /* key=value words that name no server stay a (strange) file name */
    assert_int_equal(coordwhere_kind_of("user=usher port=5432"), COORDWHERE_SQLITE);
    assert_int_equal(coordwhere_kind_of("host=x dbname='unterminated"), COORDWHERE_SQLITE);
}

static void passwords_refused(void **unused)
{
    (void)unused;
    const char *bad[] = {"host=/tmp dbname=gala password=secret", "password='a b' dbname=gala",
                         "postgresql://usher:secret@localhost/gala",
                         "postgresql://localhost/gala?sslmode=require&password=secret",
                         "postgres://localhost/gala?password=x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        usher_errmsg em = {{0}};
        if (coordwhere_check(bad[i], &em) != USHER_INVAL)
            fail_msg("\"%s\" should be refused", bad[i]);
        assert_non_null(strstr(em.text, "PGPASSFILE"));
        assert_non_null(strstr(em.text, "PGPASSWORD"));
    }
    const char *good[] = {"postgresql://usher@localhost/gala", "host=/tmp dbname=gala user=u",
                          "postgresql://localhost/gala?sslmode=require", "gala.db",
                          "password=x.db" /* a file: no server named */};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (coordwhere_check(good[i], NULL) != USHER_OK)
            fail_msg("\"%s\" should be fine", good[i]);
    usher_errmsg em = {{0}};
    assert_int_equal(coordwhere_check("", &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "empty"));
}

static void postgresql_needs_a_registered_store(void **unused)
{
    (void)unused;
    coorddb *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(coorddb_open("host=/nonexistent dbname=gala", &db, &em), USHER_INVAL);
    assert_null(db);
    assert_non_null(strstr(em.text, "no PostgreSQL store"));
    assert_int_equal(coorddb_open("host=/tmp dbname=gala password=x", &db, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "password"));
    assert_int_equal(coorddb_backup("host=/tmp dbname=gala", "out.dump", &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "pg_dump"));
}

static void event_ids(void **unused)
{
    (void)unused;
    const char *good[] = {
        "gala", "spring-gala-2026", "2026", "a", "a-", "abcdefghijklmnopqrstuvwxyz012345"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (coordwhere_event_id_check(good[i], NULL) != USHER_OK)
            fail_msg("\"%s\" should be an event id", good[i]);
    const char *bad[] = {"",
                         "-gala",
                         "Gala",
                         "spring gala",
                         "gala_2026",
                         "gal\xc3\xa4",
                         "abcdefghijklmnopqrstuvwxyz0123456",
                         "a/b",
                         "a;drop"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        usher_errmsg em = {{0}};
        if (coordwhere_event_id_check(bad[i], &em) != USHER_INVAL)
            fail_msg("\"%s\" should be refused", bad[i]);
        assert_non_null(strstr(em.text, "a-z, 0-9 and '-'"));
    }
    assert_int_equal(coordwhere_event_id_check(NULL, NULL), USHER_INVAL);
    struct {
        const char *name, *id;
    } cases[] = {{"Spring Gala 2026", "spring-gala-2026"},
                 {"  Gala -- Night!  ", "gala-night"},
                 {"Fr\xc3\xbchlingsball", "fr-hlingsball"},
                 {"\xe6\x98\xa5\xe8\x8a\x82", "event"},
                 {"", "event"},
                 {NULL, "event"},
                 {"A very long event name that goes on and on", "a-very-long-event-name-that-goes"},
                 {"abcdefghijklmnopqrstuvwxyz01234 x", "abcdefghijklmnopqrstuvwxyz01234"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[COORDWHERE_EVENT_ID_SIZE];
        coordwhere_event_id_from_name(cases[i].name, id);
        assert_string_equal(id, cases[i].id);
        assert_int_equal(coordwhere_event_id_check(id, NULL), USHER_OK);
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(event_ids),
    cmocka_unit_test(files_are_sqlite),
    cmocka_unit_test(connection_strings_are_postgresql),
    cmocka_unit_test(passwords_refused),
    cmocka_unit_test(postgresql_needs_a_registered_store),
};

TESTUTIL_MAIN(tests)
