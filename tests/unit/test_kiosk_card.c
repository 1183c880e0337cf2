/* test_kiosk_card.c - seat cards: what a card says line by line and its QR
 * text (kiosk/kcard.c), the printer queue and its retry plan, and what CUPS's
 * printer states mean (kiosk/kprintq.c), and the card's PDF with its words
 * in any script (kiosk/kcardpdf.c, read back with pdftotext). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcard.h"
#include "kcardpdf.h"
#include "kprintq.h"
#include "text.h"

static void card_lines_in_order(void **unused)
{
    kcard c;
    kcard_make(&c, "Spring Gala", "GALA-0007", "Zoë Ångström", "T07-03", "Table 7, seat 3",
               "Admitted at door-1");
    kcard_line l[KCARD_LINES_MAX];
    assert_int_equal(kcard_lines(&c, l), 5);
    const kcard_role roles[] = {KCARD_EVENT, KCARD_NAME, KCARD_PLACE, KCARD_CODE, KCARD_NOTE};
    const char *texts[] = {"Spring Gala", "Zoë Ångström", "Table 7, seat 3", "GALA-0007",
                           "Admitted at door-1"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(l[i].role, roles[i]);
        assert_string_equal(l[i].text, texts[i]);
    }
    /* The confirmation screen's line for the ticket. */
    assert_string_equal(c.qr, "Spring Gala\nGALA-0007 T07-03 (Table 7, seat 3)\n");
}

static void card_without_seat_or_names(void **unused)
{
    kcard c;
    kcard_make(&c, "", "GALA-0009", "", "", "", NULL);
    kcard_line l[KCARD_LINES_MAX];
    assert_int_equal(kcard_lines(&c, l), 3); /* event, name, code: no empty lines */
    assert_string_equal(l[0].text, "Usher");
    assert_string_equal(l[1].text, "Guest");
    assert_int_equal(l[2].role, KCARD_CODE);
    assert_string_equal(c.qr, "Usher\nGALA-0009\n");
}

static void card_cuts_long_names_between_characters(void **unused)
{
    char name[600];
    size_t used = 0;
    for (int i = 0; i < 150; i++)
        used += (size_t)snprintf(name + used, sizeof name - used, "é"); /* 300 bytes: too long */
    snprintf(name + used, sizeof name - used, "x");
    kcard c;
    kcard_make(&c, "E", "A-1", name, "", "", NULL);
    size_t n = strlen(c.name);
    assert_true(n < USHER_NAME_SIZE && n >= USHER_NAME_SIZE - 2);
    assert_true(n % 2 == 0); /* whole characters only */
    assert_true(text_utf8_valid(c.name, n));
}

static void retry_plan_doubles_up_to_the_cap(void **unused)
{
    assert_int_equal(kprintq_backoff_ms(0), 1000);
    assert_int_equal(kprintq_backoff_ms(1), 1000);
    assert_int_equal(kprintq_backoff_ms(2), 2000);
    assert_int_equal(kprintq_backoff_ms(3), 4000);
    assert_int_equal(kprintq_backoff_ms(5), 16000);
    assert_int_equal(kprintq_backoff_ms(6), KPRINTQ_BACKOFF_MAX_MS);
    assert_int_equal(kprintq_backoff_ms(1000), KPRINTQ_BACKOFF_MAX_MS);
}

static void queue_waits_for_the_printer_and_backs_off(void **unused)
{
    kprintq q = {0};
    kcard a, b;
    kcard_make(&a, "E", "A-1", "Ann", "T01-01", "Table 1, seat 1", NULL);
    kcard_make(&b, "E", "B-2", "Bob", "T01-02", "Table 1, seat 2", NULL);
    kprintq_push(&q, &a, 100);
    kprintq_push(&q, &b, 100);
    /* A printer that does not take cards: nothing goes. */
    assert_int_equal(kprintq_due(&q, KPRINTER_STOPPED, 100), -1);
    assert_int_equal(kprintq_due(&q, KPRINTER_OFFLINE, 100), -1);
    assert_int_equal(kprintq_due(&q, KPRINTER_NO_PAPER, 100), -1);
    assert_int_equal(kprintq_due(&q, KPRINTER_MISSING, 100), -1);
    assert_int_equal(kprintq_due(&q, KPRINTER_UNKNOWN, 100), -1);
    /* Ready: the oldest first, one at the printer at a time. */
    assert_int_equal(kprintq_due(&q, KPRINTER_READY, 100), 0);
    kprintq_sent(&q, 0, 41);
    assert_int_equal(kprintq_at_printer(&q), 0);
    assert_int_equal(kprintq_due(&q, KPRINTER_READY, 100), -1);
    /* Its job aborted: tried again after 1 s, then 2 s. */
    kprintq_failed(&q, 0, 200);
    assert_int_equal(kprintq_at_printer(&q), -1);
    assert_int_equal(kprintq_due(&q, KPRINTER_READY, 1199), -1);
    assert_int_equal(kprintq_due(&q, KPRINTER_PRINTING, 1200), 0);
    kprintq_failed(&q, 0, 1200);
    assert_int_equal(kprintq_due(&q, KPRINTER_READY, 3199), -1);
    assert_int_equal(kprintq_due(&q, KPRINTER_READY, 3200), 0);
    assert_string_equal(q.items[0].card.code, "A-1"); /* still in order */
    kprintq_sent(&q, 0, 42);
    uint64_t bob = q.items[1].id;
    kprintq_done(&q, 0);
    assert_int_equal(q.n, 1);
    assert_int_equal(kprintq_find(&q, bob), 0);
    assert_int_equal(kprintq_due(&q, KPRINTER_READY, 3300), 0);
    assert_string_equal(q.items[0].card.code, "B-2");
}

static void full_queue_gives_up_the_oldest_waiting(void **unused)
{
    kprintq q = {0};
    kcard c;
    for (int i = 0; i < KPRINTQ_MAX; i++) {
        char code[16];
        snprintf(code, sizeof code, "T-%d", i);
        kcard_make(&c, "E", code, "G", "", "", NULL);
        kprintq_push(&q, &c, 0);
    }
    kprintq_sent(&q, 0, 7); /* T-0 is at the printer: it stays */
    kcard_make(&c, "E", "NEW", "G", "", "", NULL);
    kprintq_push(&q, &c, 0);
    assert_int_equal(q.n, KPRINTQ_MAX);
    assert_int_equal(q.dropped, 1);
    assert_string_equal(q.items[0].card.code, "T-0");
    assert_string_equal(q.items[1].card.code, "T-2"); /* T-1 given up */
    assert_string_equal(q.items[KPRINTQ_MAX - 1].card.code, "NEW");
}

static void printer_states_from_cups(void **unused)
{
    assert_int_equal(kprinter_classify(3, "none", true), KPRINTER_READY);
    assert_int_equal(kprinter_classify(3, NULL, true), KPRINTER_READY);
    assert_int_equal(kprinter_classify(4, "", true), KPRINTER_PRINTING);
    assert_int_equal(kprinter_classify(5, "paused", true), KPRINTER_STOPPED); /* cupsdisable */
    assert_int_equal(kprinter_classify(3, NULL, false), KPRINTER_STOPPED);    /* cupsreject */
    assert_int_equal(kprinter_classify(3, "media-empty-error", true), KPRINTER_NO_PAPER);
    assert_int_equal(kprinter_classify(4, "toner-low-warning,media-needed-warning", true),
                     KPRINTER_NO_PAPER);
    assert_int_equal(kprinter_classify(5, "offline-report", true), KPRINTER_OFFLINE);
    assert_int_equal(kprinter_classify(3, "other,connecting-to-device", true), KPRINTER_OFFLINE);
    assert_int_equal(kprinter_classify(0, NULL, true), KPRINTER_UNKNOWN);
    assert_string_equal(kprinter_state_name(KPRINTER_NO_PAPER), "out of paper");
    assert_string_equal(kprinter_state_name(KPRINTER_READY), "ready");
    assert_true(kprinter_takes_cards(KPRINTER_PRINTING));
    assert_false(kprinter_takes_cards(KPRINTER_OFF));
}

/* The kiosk's own PDF: one page of the card's size whose words (a name in
 * three scripts) pdftotext reads back. */
static void card_pdf_has_the_words(void **unused)
{
    if (access("/usr/bin/pdftotext", X_OK) != 0)
        skip(); /* poppler-utils: scripts/deps test */
    char *dir = testutil_tmpdir();
    char *path = testutil_path(dir, "card.pdf");
    kcard c;
    kcard_make(&c, "Spring Gala", "GALA-0007", "Zoë Ångström-Løvenskiold 李小龙", "T07-03",
               "Table 7, seat 3", "Admitted at door-1");
    usher_errmsg em = {{0}};
    int cut = -1;
    assert_int_equal(kcardpdf_write(&c, "Noto Sans", path, &cut, &em), USHER_OK);
    assert_int_equal(cut, 0); /* the long name set smaller, not cut */
    char cmd[1024], out[4096] = "";
    snprintf(cmd, sizeof cmd, "pdftotext -layout '%s' - 2>&1", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    const char *words[] = {"Spring Gala",     "Zoë",       "Ångström",          "李小龙",
                           "Table 7, seat 3", "GALA-0007", "Admitted at door-1"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strstr(out, words[i]))
            fail_msg("the card's PDF lacks '%s': %s", words[i], out);
    snprintf(cmd, sizeof cmd, "pdfinfo '%s' 2>&1", path);
    p = popen(cmd, "r");
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    const char *pages = strstr(out, "Pages:"), *size = strstr(out, "Page size:");
    double w = 0, h = 0;
    int np = 0;
    assert_true(pages && sscanf(pages, "Pages: %d", &np) == 1 && np == 1);
    assert_true(size && sscanf(size, "Page size: %lf x %lf", &w, &h) == 2);
    assert_true(w > 283 && w < 284 && h > 155 && h < 156); /* 100 x 55 mm */
    /* A file that cannot be written is said so. */
    char *bad = testutil_path(dir, "no/such/folder/card.pdf");
    assert_int_equal(kcardpdf_write(&c, "Noto Sans", bad, NULL, &em), USHER_IO);
    assert_non_null(strstr(em.text, "cannot write the seat card"));
    free(bad);
    /* A name longer than two lines hold even at 60 %: cut, and said so. */
    char huge[USHER_NAME_SIZE];
    memset(huge, 'W', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    kcard_make(&c, "E", "A-1", huge, "", "", NULL);
    assert_int_equal(kcardpdf_write(&c, "Noto Sans", path, &cut, &em), USHER_OK);
    assert_int_equal(cut, 1);
    testutil_rmtree(dir);
    free(path);
    free(dir);
}

/* A card waiting in the journal across a restart: its text, read back. */
static void card_text_round_trips_and_refuses_garbage(void **unused)
{
    (void)unused;
    kcard c, back;
    kcard_make(&c, "Spring Gala", "GALA-0007", "Zoë \"JJ\" Ångström 李小龙", "T07-03",
               "Table 7, seat 3", "Admitted at door-1");
    char *text = kcard_to_text(&c);
    assert_non_null(text);
    memset(&back, 0x5a, sizeof back);
    assert_true(kcard_from_text(text, &back));
    assert_string_equal(back.name, c.name);
    assert_string_equal(back.code, "GALA-0007");
    assert_string_equal(back.seat, "T07-03");
    assert_string_equal(back.place, "Table 7, seat 3");
    assert_string_equal(back.note, "Admitted at door-1");
    assert_string_equal(back.qr, c.qr); /* made again from the fields */
    free(text);
    static const char *const bad[] = {
        NULL,
        "",
        "not json",
        "[]",
        "{\"event\":\"E\",\"name\":\"N\",\"seat\":\"\",\"place\":\"\",\"note\":\"\"}",
        "{\"event\":\"E\",\"name\":\"N\",\"code\":\"\",\"seat\":\"\",\"place\":\"\","
        "\"note\":\"\"}",
        "{\"event\":\"E\",\"name\":7,\"code\":\"A-1\",\"seat\":\"\",\"place\":\"\","
        "\"note\":\"\"}",
        "{\"event\":\"E\\u0007\",\"name\":\"N\",\"code\":\"A-1\",\"seat\":\"\",\"place\":"
        "\"\",\"note\":\"\"}",
        "{\"event\":\"E\\u0000x\",\"name\":\"N\",\"code\":\"A-1\",\"seat\":\"\",\"place\":"
        "\"\",\"note\":\"\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&back, 0x5a, sizeof back);
        if (kcard_from_text(bad[i], &back))
            fail_msg("card text %zu read as a card", i);
        assert_int_equal((unsigned char)back.code[0], 0x5a); /* untouched */
    }
}

/* What the device reports of its printer, from what the kiosk sees. */
static void printer_report_from_status(void **unused)
{
    (void)unused;
    kprinter_status s;
    memset(&s, 0, sizeof s);
    printer_report r;
    s.state = KPRINTER_OFF;
    assert_false(kprinter_report(&s, &r)); /* no --printer: nothing to report */
    text_copy(s.name, sizeof s.name, "door-printer");
    s.state = KPRINTER_STOPPED;
    s.waiting = 3;
    s.printed = 40;
    text_copy(s.problem, sizeof s.problem, "stopped (paused)");
    assert_true(kprinter_report(&s, &r));
    assert_int_equal(r.state, PRINTER_STOPPED);
    assert_string_equal(r.name, "door-printer");
    assert_int_equal(r.waiting, 3);
    assert_int_equal(r.printed, 40);
    assert_string_equal(r.problem, "stopped (paused)");
    assert_true(printer_report_ok(&r));
    const struct {
        kprinter_state k;
        printer_state p;
    } map[] = {{KPRINTER_UNKNOWN, PRINTER_UNKNOWN},   {KPRINTER_READY, PRINTER_OK},
               {KPRINTER_PRINTING, PRINTER_OK},       {KPRINTER_OFFLINE, PRINTER_OFFLINE},
               {KPRINTER_NO_PAPER, PRINTER_NO_PAPER}, {KPRINTER_MISSING, PRINTER_MISSING},
               {KPRINTER_NO_CUPS, PRINTER_NO_CUPS}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        s.state = map[i].k;
        assert_true(kprinter_report(&s, &r));
        assert_int_equal(r.state, map[i].p);
        /* the last problem only while there is one */
        assert_int_equal(r.problem[0] != '\0', printer_state_failing(map[i].p));
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(card_lines_in_order),
    cmocka_unit_test(card_without_seat_or_names),
    cmocka_unit_test(card_cuts_long_names_between_characters),
    cmocka_unit_test(retry_plan_doubles_up_to_the_cap),
    cmocka_unit_test(queue_waits_for_the_printer_and_backs_off),
    cmocka_unit_test(full_queue_gives_up_the_oldest_waiting),
    cmocka_unit_test(printer_states_from_cups),
    cmocka_unit_test(card_text_round_trips_and_refuses_garbage),
    cmocka_unit_test(printer_report_from_status),
    cmocka_unit_test(card_pdf_has_the_words),
};

TESTUTIL_MAIN(tests)
