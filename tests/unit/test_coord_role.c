/* test_coord_role.c - a serve's part (active or standby), the addresses it
 * advertises and lists, and the check of --advertise. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "coord_role.h"
#include "text.h"

static json_t *health(coord_role *r)
{
    json_t *o = json_object();
    coord_role_put_json(r, o);
    return o;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static coord_serve serve(const char *url, bool active)
{
    coord_serve s;
    memset(&s, 0, sizeof s);
    text_copy(s.url, sizeof s.url, url);
    s.active = active;
    return s;
}

static void standby_names_the_active_from_the_list(void **unused)
{
    (void)unused;
    coord_role *r = coord_role_new("http://b:8080");
    assert_non_null(r);
    assert_int_equal(coord_role_get(r), COORD_ROLE_STANDBY);
    char a[COORD_URL_SIZE];
    coord_role_active(r, a, sizeof a);
    assert_string_equal(a, ""); /* none known yet */
    json_t *o = health(r);
    assert_string_equal(str(o, "role"), "standby");
    assert_null(json_object_get(o, "active"));
    json_decref(o);
    coord_serve list[] = {serve("http://a:8080", true), serve("http://b:8080", false),
                          serve("http://c:8080", false)};
    coord_role_set_serves(r, list, 3);
    coord_role_active(r, a, sizeof a);
    assert_string_equal(a, "http://a:8080");
    o = health(r);
    assert_string_equal(str(o, "active"), "http://a:8080");
    assert_string_equal(str(o, "self"), "http://b:8080");
    json_t *c = json_object_get(o, "coordinators");
    assert_int_equal(json_array_size(c), 3);
    assert_string_equal(json_string_value(json_array_get(c, 0)), "http://a:8080");
    assert_string_equal(json_string_value(json_array_get(c, 1)), "http://b:8080");
    assert_string_equal(json_string_value(json_array_get(c, 2)), "http://c:8080");
    json_decref(o);
    /* A list whose active is this serve's own row (it was active before):
     * a standby names no active rather than itself. */
    coord_serve stale[] = {serve("http://b:8080", true)};
    coord_role_set_serves(r, stale, 1);
    coord_role_active(r, a, sizeof a);
    assert_string_equal(a, "");
    coord_role_free(r);
    coord_role_free(NULL);
}

static void active_is_its_own_active(void **unused)
{
    (void)unused;
    coord_role *r = coord_role_new("");
    coord_role_set(r, COORD_ROLE_ACTIVE);
    coord_role_set_self(r, "http://a:1");
    char a[COORD_URL_SIZE];
    coord_role_active(r, a, sizeof a);
    assert_string_equal(a, "http://a:1");
    /* The list still names the one before it (its takeover not written yet). */
    coord_serve list[] = {serve("http://old:1", true), serve("http://a:1", false)};
    coord_role_set_serves(r, list, 2);
    coord_role_active(r, a, sizeof a);
    assert_string_equal(a, "http://a:1");
    json_t *o = health(r);
    assert_string_equal(str(o, "role"), "active");
    json_t *c = json_object_get(o, "coordinators");
    assert_int_equal(json_array_size(c), 2);
    assert_string_equal(json_string_value(json_array_get(c, 0)), "http://a:1");
    assert_string_equal(json_string_value(json_array_get(c, 1)), "http://old:1");
    json_decref(o);
    /* Demoted: it no longer names itself, but the active of the last list. */
    coord_role_set(r, COORD_ROLE_STANDBY);
    coord_role_active(r, a, sizeof a);
    assert_string_equal(a, "http://old:1");
    coord_serve alone[] = {serve("http://a:1", true)};
    coord_role_set_serves(r, alone, 1);
    coord_role_active(r, a, sizeof a);
    assert_string_equal(a, "");
    coord_role_free(r);
}

static void advertise_checked(void **unused)
{
    (void)unused;
    const char *good[] = {"http://10.0.0.5:8080", "https://coord.venue.example", "http://h:1/"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        usher_errmsg em = {{0}};
        assert_int_equal(coord_role_check_url(good[i], &em), USHER_OK);
    }
    const char *bad[] = {"10.0.0.5:8080",         "ftp://h:1",     "http://",
                         "http://:8080",          "http://h:0",    "http://h:65536",
                         "http://h:80x",          "http://h/path", "http://h :1",
                         "http://a:1,http://b:1", "http://h\"x:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        usher_errmsg em = {{0}};
        assert_int_equal(coord_role_check_url(bad[i], &em), USHER_INVAL);
        assert_true(strstr(em.text, "--advertise") != NULL);
    }
    char longer[COORD_URL_SIZE + 8];
    memset(longer, 'a', sizeof longer - 1);
    memcpy(longer, "http://", 7);
    longer[sizeof longer - 1] = '\0';
    usher_errmsg em = {{0}};
    assert_int_equal(coord_role_check_url(longer, &em), USHER_INVAL);
}

static void default_address(void **unused)
{
    (void)unused;
    char out[COORD_URL_SIZE];
    coord_role_default_url(false, "127.0.0.1", "box", 8080, out, sizeof out);
    assert_string_equal(out, "http://127.0.0.1:8080");
    coord_role_default_url(true, "0.0.0.0", "box", 8443, out, sizeof out);
    assert_string_equal(out, "https://box:8443");
    coord_role_default_url(false, "0.0.0.0", "", 1, out, sizeof out);
    assert_string_equal(out, "http://127.0.0.1:1");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(standby_names_the_active_from_the_list),
    cmocka_unit_test(active_is_its_own_active),
    cmocka_unit_test(advertise_checked),
    cmocka_unit_test(default_address),
};

TESTUTIL_MAIN(tests)
