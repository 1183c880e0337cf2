/* test_entrance.c - entrances: names, rule lists, and the one rule of which
 * entrance admits a ticket (entrance_admits, entrance_judge). */
#include "testutil.h"

#include <string.h>

#include "entrance.h"
#include "text.h"

/* An entrance from "name", "A,B" classes and "S1,S2" sections. */
static entrance make(const char *name, const char *classes, const char *sections)
{
    entrance e;
    memset(&e, 0, sizeof e);
    text_copy(e.name, sizeof e.name, name);
    usher_errmsg em = {{0}};
    assert_int_equal(entrance_parse_list(classes, "classes", e.classes[0], sizeof e.classes[0],
                                         &e.nclasses, &em),
                     USHER_OK);
    assert_int_equal(entrance_parse_list(sections, "sections", e.sections[0], sizeof e.sections[0],
                                         &e.nsections, &em),
                     USHER_OK);
    assert_int_equal(entrance_check(&e, &em), USHER_OK);
    return e;
}

static void names(void **state)
{
    (void)state;
    assert_true(entrance_name_ok("A"));
    assert_true(entrance_name_ok("Südeingang (Parkplatz)"));
    assert_true(entrance_name_ok("北门"));
    assert_false(entrance_name_ok(""));
    assert_false(entrance_name_ok(" A"));
    assert_false(entrance_name_ok("A "));
    assert_false(entrance_name_ok("A,B"));
    assert_false(entrance_name_ok("A/B"));
    assert_false(entrance_name_ok("A\tB"));
    assert_false(entrance_name_ok("Jos\xe9"));
    char longer[ENTRANCE_NAME_MAX + 2];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    assert_false(entrance_name_ok(longer));
    longer[ENTRANCE_NAME_MAX] = 0;
    assert_true(entrance_name_ok(longer));
    /* The same entrance whatever the case or accents. */
    assert_true(entrance_same_name("Gate B", "gate b"));
    assert_true(entrance_same_name("Süd", "SUD"));
    assert_false(entrance_same_name("Gate B", "Gate C"));
}

static void lists(void **state)
{
    (void)state;
    char items[ENTRANCE_MAX_RULES][USHER_CLASS_SIZE];
    size_t n = 99;
    usher_errmsg em = {{0}};
    assert_int_equal(
        entrance_parse_list(" VIP , Regular", "classes", items[0], sizeof items[0], &n, &em),
        USHER_OK);
    assert_int_equal(n, 2);
    assert_string_equal(items[0], "VIP");
    assert_string_equal(items[1], "Regular");
    assert_int_equal(entrance_parse_list("", "classes", items[0], sizeof items[0], &n, &em),
                     USHER_OK);
    assert_int_equal(n, 0);
    n = 7;
    assert_int_equal(entrance_parse_list("VIP,,A", "classes", items[0], sizeof items[0], &n, &em),
                     USHER_INVAL);
    assert_int_equal(n, 7);
    assert_non_null(strstr(em.text, "classes: an empty name"));
    assert_int_equal(entrance_parse_list("VIP,vip", "classes", items[0], sizeof items[0], &n, &em),
                     USHER_INVAL);
    assert_non_null(strstr(em.text, "named twice"));
    assert_int_equal(entrance_parse_list("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "classes", items[0],
                                         sizeof items[0], &n, &em),
                     USHER_INVAL);
    assert_non_null(strstr(em.text, "longer than 16 bytes"));
    assert_int_equal(entrance_parse_list("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "sections",
                                         items[0], sizeof items[0], &n, &em),
                     USHER_INVAL);
    assert_non_null(strstr(em.text, "more than 16"));
    char joined[512];
    entrance e = make("A", "VIP,Regular", "");
    entrance_join(e.classes[0], sizeof e.classes[0], e.nclasses, joined, sizeof joined);
    assert_string_equal(joined, "VIP,Regular");
    entrance_join(e.sections[0], sizeof e.sections[0], e.nsections, joined, sizeof joined);
    assert_string_equal(joined, "");
}

static void admits(void **state)
{
    (void)state;
    entrance all = make("Main", "", "");
    assert_true(entrance_admits(&all, "", ""));
    assert_true(entrance_admits(&all, "VIP", "T01"));
    entrance vip = make("VIP door", "VIP", "");
    assert_true(entrance_admits(&vip, "vip", ""));
    assert_true(entrance_admits(&vip, "VIP", "T09"));
    assert_false(entrance_admits(&vip, "Regular", "T01"));
    assert_false(entrance_admits(&vip, "", "T01"));
    entrance north = make("North", "", "T01,T02");
    assert_true(entrance_admits(&north, "Regular", "T02"));
    assert_false(entrance_admits(&north, "Regular", "T03"));
    assert_false(entrance_admits(&north, "Regular", "")); /* unseated: in no section */
    entrance both = make("Both", "VIP", "T01");
    assert_true(entrance_admits(&both, "VIP", "T01"));
    assert_false(entrance_admits(&both, "VIP", "T02"));
    assert_false(entrance_admits(&both, "Regular", "T01"));
}

static void judge(void **state)
{
    (void)state;
    entrance_set s;
    memset(&s, 0, sizeof s);
    s.all[0] = make("A", "Regular", "");
    s.all[1] = make("B", "VIP", "");
    s.all[2] = make("C", "", "T05");
    s.n = 3;
    char others[4][ENTRANCE_NAME_SIZE];
    size_t n = 9;
    /* No entrance of its own: everyone in. */
    assert_true(entrance_judge(&s, "VIP", "T01", others[0], 4, &n));
    assert_int_equal(n, 0);
    text_copy(s.mine, sizeof s.mine, "a"); /* case does not matter */
    assert_true(entrance_judge(&s, "Regular", "T01", others[0], 4, &n));
    assert_false(entrance_judge(&s, "VIP", "T01", others[0], 4, &n));
    assert_int_equal(n, 1);
    assert_string_equal(others[0], "B");
    /* Two others admit it: both named, in their order. */
    assert_false(entrance_judge(&s, "VIP", "T05", others[0], 4, &n));
    assert_int_equal(n, 2);
    assert_string_equal(others[0], "B");
    assert_string_equal(others[1], "C");
    /* Counted beyond what fits. */
    assert_false(entrance_judge(&s, "VIP", "T05", others[0], 1, &n));
    assert_int_equal(n, 2);
    /* No entrance admits it: nowhere better to go, admitted here. */
    assert_true(entrance_judge(&s, "Press", "T01", others[0], 4, &n));
    assert_int_equal(n, 0);
    /* An entrance that is no longer defined admits everyone. */
    text_copy(s.mine, sizeof s.mine, "Gone");
    assert_true(entrance_judge(&s, "VIP", "T01", others[0], 4, &n));
}

static void check_refuses(void **state)
{
    (void)state;
    entrance e = make("A", "VIP", "");
    usher_errmsg em = {{0}};
    text_copy(e.classes[1], sizeof e.classes[1], "vip");
    e.nclasses = 2;
    assert_int_equal(entrance_check(&e, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "named twice"));
    e.nclasses = 1;
    text_copy(e.name, sizeof e.name, "");
    assert_int_equal(entrance_check(&e, &em), USHER_INVAL);
    text_copy(e.name, sizeof e.name, "A");
    text_copy(e.sections[0], sizeof e.sections[0], "T1,T2");
    e.nsections = 1;
    assert_int_equal(entrance_check(&e, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "sections[0]"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(names), cmocka_unit_test(lists),         cmocka_unit_test(admits),
    cmocka_unit_test(judge), cmocka_unit_test(check_refuses),
};

TESTUTIL_MAIN(tests)
