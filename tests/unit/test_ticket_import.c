/* test_ticket_import.c - ticket office exports: each format by its header row
 * (fixtures in tests/data/imports), encodings, separators, --map, void rows,
 * whitespace folded, file-level refusals. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticket_import.h"

typedef struct read_result {
    usher_err err;
    ticket_import ti;
    csv_report rep;
    usher_errmsg em;
} read_result;

static void read_bytes(const char *data, size_t len, const char *map, read_result *r)
{
    memset(r, 0, sizeof *r);
    r->err = ticket_import_read(data, len, map, &r->ti, &r->rep, &r->em);
}

static void read_fixture(const char *name, const char *map, read_result *r)
{
    char path[128];
    snprintf(path, sizeof path, "imports/%s", name);
    size_t len;
    char *data = testutil_fixture(path, &len);
    read_bytes(data, len, map, r);
    free(data);
}

static void read_text(const char *csv, const char *map, read_result *r)
{
    read_bytes(csv, strlen(csv), map, r);
}

static void result_release(read_result *r)
{
    ticket_import_release(&r->ti);
    csv_report_release(&r->rep);
}

static void assert_ticket(const ticket_list *tl, size_t i, const char *code, const char *name,
                          const char *klass)
{
    assert_true(i < tl->count);
    assert_string_equal(tl->items[i].code, code);
    assert_string_equal(tl->items[i].name, name);
    assert_string_equal(tl->items[i].klass, klass);
}

static void assert_map(const ticket_import *ti, ticket_field f, const char *want)
{
    char got[256];
    ticket_import_map_text(ti, f, got, sizeof got);
    assert_string_equal(got, want);
}

/* ---- formats ---------------------------------------------------------------- */

static void pretix_checkin_list(void **state)
{
    (void)state;
    read_result r;
    read_fixture("pretix-checkin.csv", NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_string_equal(r.ti.format, "pretix check-in list");
    assert_map(&r.ti, TICKET_FIELD_CODE, "\"Secret\"");
    assert_map(&r.ti, TICKET_FIELD_NAME, "\"Attendee name\"");
    assert_map(&r.ti, TICKET_FIELD_CLASS, "\"Product\"");
    assert_map(&r.ti, TICKET_FIELD_SEAT, "\"Seat ID\"");
    assert_map(&r.ti, TICKET_FIELD_NOTE, "\"Comment\"");
    assert_map(&r.ti, TICKET_FIELD_ATTENTION, "\"Requires special attention\"");
    assert_int_equal(r.ti.tickets.count, 3);
    /* "Requires special attention: Yes" and the comment reach the door */
    assert_true(r.ti.tickets.items[1].attention);
    assert_string_equal(r.ti.tickets.items[1].note, "wheelchair");
    assert_true(r.ti.tickets.items[1].noted);
    assert_false(r.ti.tickets.items[0].attention);
    assert_string_equal(r.ti.tickets.items[0].note, "");
    /* the secret, never the order code both tickets of order Z8KQA share */
    assert_ticket(&r.ti.tickets, 0, "HX7KA2MQP9VW3TZD5RBN", "Amélie Laurent", "VIP");
    assert_ticket(&r.ti.tickets, 2, "P0D3VK9RMT2HZ7QA5BCE", "Чжан Вэй", "Regular");
    result_release(&r);
}

static void pretix_checkin_list_without_secrets_is_refused(void **state)
{
    (void)state;
    read_result r;
    read_text("Order code,Attendee name,Product,Price,Checked in\nZ8KQA,Ann Lee,VIP,1,\n", NULL,
              &r);
    assert_int_equal(r.err, USHER_PARSE);
    assert_non_null(strstr(r.em.text, "Include QR-code secrets"));
    assert_int_equal(r.ti.tickets.count, 0);
    result_release(&r);
}

static void pretix_order_data_skips_canceled(void **state)
{
    (void)state;
    read_result r;
    read_fixture("pretix-orders.csv", NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_string_equal(r.ti.format, "pretix order data (order positions)");
    assert_map(&r.ti, TICKET_FIELD_CODE, "\"Ticket secret\"");
    assert_map(&r.ti, TICKET_FIELD_STATUS, "\"Status\"");
    assert_int_equal(r.ti.tickets.count, 2);
    assert_ticket(&r.ti.tickets, 1, "C2HT6PQ0EJ4WS8NKD1GF", "Søren Kierkegaard", "Regular");
    assert_int_equal(r.ti.more.voided.count, 1);
    assert_string_equal(r.ti.more.voided.items[0].code, "U8XB3MZ6PT1QE9VYL4RC");
    assert_string_equal(r.ti.more.voided.items[0].name, "Omar Haddad");
    result_release(&r);
}

static void eventbrite_attendee_report(void **state)
{
    (void)state;
    read_result r;
    read_fixture("eventbrite.csv", NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_string_equal(r.ti.format, "Eventbrite attendee report");
    assert_map(&r.ti, TICKET_FIELD_CODE, "\"Barcode #\"");
    assert_map(&r.ti, TICKET_FIELD_NAME, "\"First Name\" + \"Last Name\"");
    assert_map(&r.ti, TICKET_FIELD_CLASS, "\"Ticket Type\"");
    assert_map(&r.ti, TICKET_FIELD_STATUS, "\"Attendee Status\"");
    assert_int_equal(r.ti.tickets.count, 3);
    assert_ticket(&r.ti.tickets, 0, "550010000110010001", "Zoë Ångström", "VIP");
    assert_ticket(&r.ti.tickets, 2, "550010000310010001", "Владимир Набоков", "Standard");
    assert_int_equal(r.ti.more.voided.count, 1); /* Refunded */
    result_release(&r);
}

static void tito_tickets(void **state)
{
    (void)state;
    read_result r;
    read_fixture("tito.csv", NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_string_equal(r.ti.format, "Tito tickets");
    assert_map(&r.ti, TICKET_FIELD_CODE, "\"Ticket Reference\"");
    assert_int_equal(r.ti.tickets.count, 2);
    assert_ticket(&r.ti.tickets, 0, "QX7B-1", "Grace Hopper", "Conference");
    assert_ticket(&r.ti.tickets, 1, "MK2D-1", "Ada Lovelace", "Workshop");
    assert_int_equal(r.ti.more.voided.count, 1);
    assert_string_equal(r.ti.more.voided.items[0].code, "QX7B-2");
    result_release(&r);
}

static void ticket_tailor_issued_tickets(void **state)
{
    (void)state;
    read_result r;
    read_fixture("tickettailor.csv", NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_string_equal(r.ti.format, "Ticket Tailor issued tickets");
    assert_map(&r.ti, TICKET_FIELD_CODE, "\"Barcode\"");
    assert_map(&r.ti, TICKET_FIELD_NAME, "\"Full name\"");
    assert_int_equal(r.ti.tickets.count, 2);
    assert_ticket(&r.ti.tickets, 1, "TTP05RJD", "Miriam Makeba", "VIP");
    assert_int_equal(r.ti.more.voided.count, 1);
    result_release(&r);
}

static void hi_events_attendees(void **state)
{
    (void)state;
    read_result r;
    read_fixture("hievents.csv", NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_string_equal(r.ti.format, "Hi.Events attendees");
    assert_map(&r.ti, TICKET_FIELD_CODE, "\"Public ID\"");
    assert_map(&r.ti, TICKET_FIELD_NOTE, "\"Notes\"");
    assert_int_equal(r.ti.tickets.count, 2);
    assert_ticket(&r.ti.tickets, 0, "A-KX7P2QWM", "Frida Kahlo", "VIP");
    assert_ticket(&r.ti.tickets, 1, "A-PZ2W6NBE", "Octavio Paz", "Standard");
    assert_int_equal(r.ti.more.voided.count, 1); /* CANCELLED */
    result_release(&r);
}

static void seed_format(void **state)
{
    (void)state;
    read_result r;
    read_fixture("seed.csv", NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_non_null(strstr(r.ti.format, "ticket_number,full_name"));
    assert_int_equal(r.ti.sep, ',');
    assert_int_equal(r.ti.encoding, TEXTENC_UTF8);
    assert_ticket(&r.ti.tickets, 0, "GALA-0001", "Smith, Jane \"JJ\"", "VIP");
    assert_ticket(&r.ti.tickets, 1, "GALA-0002", "José Müller", "");
    result_release(&r);
}

/* ---- mapping ---------------------------------------------------------------- */

static void unknown_header_needs_a_map(void **state)
{
    (void)state;
    read_result r;
    read_fixture("custom.csv", NULL, &r);
    assert_int_equal(r.err, USHER_PARSE);
    assert_non_null(strstr(r.em.text, "--map code=COLUMN"));
    assert_non_null(strstr(r.em.text, "\"Guest ID\", \"Given\""));
    result_release(&r);

    read_fixture("custom.csv", "code=Guest ID, name=given+FAMILY ,class=Tier", &r);
    assert_int_equal(r.err, USHER_OK);
    assert_string_equal(r.ti.format, "your mapping (--map)");
    assert_ticket(&r.ti.tickets, 0, "G-100", "Nadia Boulanger", "VIP");
    assert_ticket(&r.ti.tickets, 1, "G-101", "Maurice Ravel", "Standard");
    result_release(&r);

    read_fixture("custom.csv", "code=1,name=2+3", &r); /* column numbers */
    assert_int_equal(r.err, USHER_OK);
    assert_ticket(&r.ti.tickets, 0, "G-100", "Nadia Boulanger", "");
    result_release(&r);
}

static void map_overrides_a_format_and_drops_a_field(void **state)
{
    (void)state;
    read_result r;
    read_fixture("eventbrite.csv", "code=Attendee #,class=", &r);
    assert_int_equal(r.err, USHER_OK);
    assert_string_equal(r.ti.format, "Eventbrite attendee report");
    assert_ticket(&r.ti.tickets, 0, "5500100001", "Zoë Ångström", "");
    assert_map(&r.ti, TICKET_FIELD_CLASS, "-");
    result_release(&r);
}

static void bad_maps_are_refused_with_the_reason(void **state)
{
    (void)state;
    static const struct {
        const char *map, *says;
    } cases[] = {
        {"code=Nope,name=Given", "does not have; it has \"Guest ID\""},
        {"code", "FIELD=COLUMN pairs"},
        {"colour=Tier", "not \"colour\""},
        {"name=Given+", "empty column name"},
        {"code=Guest ID", "must name the name column"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        read_result r;
        read_fixture("custom.csv", cases[k].map, &r);
        assert_int_equal(r.err, USHER_PARSE);
        if (!strstr(r.em.text, cases[k].says))
            fail_msg("--map %s: \"%s\"", cases[k].map, r.em.text);
        result_release(&r);
    }
}

/* ---- encodings and separators ------------------------------------------------ */

static void encodings_and_separators(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        textenc enc;
        char sep;
    } cases[] = {
        {"enc-utf8-bom-semicolon.csv", TEXTENC_UTF8_BOM, ';'},
        {"enc-utf16le-tab.txt", TEXTENC_UTF16LE, '\t'},
        {"enc-utf16be-tab.txt", TEXTENC_UTF16BE, '\t'},
        {"enc-cp1252-semicolon.csv", TEXTENC_CP1252, ';'},
        {"enc-cp1252-comma.csv", TEXTENC_CP1252, ','},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        read_result r;
        read_fixture(cases[k].file, NULL, &r);
        if (r.err)
            fail_msg("%s: %s", cases[k].file, r.em.text);
        assert_int_equal(r.ti.encoding, cases[k].enc);
        assert_int_equal(r.ti.sep, cases[k].sep);
        assert_int_equal(r.ti.tickets.count, 3);
        assert_ticket(&r.ti.tickets, 0, "ENC-1", "José Müller", "VIP");
        assert_ticket(&r.ti.tickets, 1, "ENC-2", "Zoë Ångström", "");
        assert_ticket(&r.ti.tickets, 2, "ENC-3", "François Œuvray", "");
        result_release(&r);
    }
}

static void broken_bytes_are_refused(void **state)
{
    (void)state;
    read_result r;
    /* 0x81 is undefined in Windows-1252 and no UTF-8 either */
    read_text("ticket_number,full_name\nA-1,Jos\x81\n", NULL, &r);
    assert_int_equal(r.err, USHER_PARSE);
    assert_non_null(strstr(r.em.text, "0x81"));
    result_release(&r);
    /* UTF-16 cut in the middle of a character */
    read_bytes("\xff\xfe"
               "a\0b",
               5, NULL, &r);
    assert_int_equal(r.err, USHER_PARSE);
    assert_non_null(strstr(r.em.text, "odd number of bytes"));
    result_release(&r);
    /* UTF-16 without its BOM reads as NULs */
    read_bytes("t\0i\0", 4, NULL, &r);
    assert_int_equal(r.err, USHER_PARSE);
    assert_non_null(strstr(r.em.text, "NUL"));
    result_release(&r);
    read_text("", NULL, &r);
    assert_int_equal(r.err, USHER_PARSE);
    assert_non_null(strstr(r.em.text, "empty"));
    result_release(&r);
}

static void replacement_character_is_never_stored(void **state)
{
    (void)state;
    read_result r;
    read_text("ticket_number,full_name\nA-1,Jos\xef\xbf\xbd M\xef\xbf\xbdller\nA-2,Ok\n", NULL, &r);
    assert_int_equal(r.err, USHER_PARSE);
    assert_int_equal(r.rep.total, 1);
    assert_int_equal(r.rep.items[0].line, 2);
    assert_non_null(strstr(r.rep.items[0].message, "U+FFFD"));
    assert_int_equal(r.ti.tickets.count, 0);
    result_release(&r);
}

static void whitespace_in_names_is_folded_with_a_warning(void **state)
{
    (void)state;
    read_result r;
    read_text(
        "ticket_number;full_name\nA-1;\"Ann\r\n  Lee\"\nA-2;\"Bo\tBerg\"\nA-3;Cy  Dee\nA-4;Di "
        "Eck\n",
        NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_int_equal(r.ti.sep, ';');
    assert_ticket(&r.ti.tickets, 0, "A-1", "Ann Lee", "");
    assert_ticket(&r.ti.tickets, 1, "A-2", "Bo Berg", "");
    assert_ticket(&r.ti.tickets, 2, "A-3", "Cy Dee", "");
    assert_ticket(&r.ti.tickets, 3, "A-4", "Di Eck", "");
    assert_int_equal(r.ti.more.warnings.total, 3);
    assert_string_equal(r.ti.more.warnings.items[0].message,
                        "line 2: the name held a line break; folded to one space");
    assert_string_equal(r.ti.more.warnings.items[1].message,
                        "line 4: the name held a tab; folded to one space");
    result_release(&r);
}

static void semicolon_file_problems_name_the_semicolon(void **state)
{
    (void)state;
    read_result r;
    read_text("ticket_number;full_name;class\nA-1;Ann\nA-2\n", NULL, &r);
    assert_int_equal(r.err, USHER_PARSE);
    assert_int_equal(r.rep.total, 1);
    assert_non_null(strstr(r.rep.items[0].message, "is a semicolon missing?"));
    result_release(&r);
}

static void void_rows_and_duplicates(void **state)
{
    (void)state;
    read_result r;
    /* a duplicate code is refused even when one of the rows is void */
    read_text("Order code,Position ID,Attendee name,Product,Status,Ticket secret\n"
              "A,1,Ann,VIP,Paid,S1\nA,2,,VIP,Canceled,S1\n",
              NULL, &r);
    assert_int_equal(r.err, USHER_PARSE);
    assert_non_null(strstr(r.rep.items[0].message, "duplicate ticket number S1"));
    result_release(&r);
    /* a void row needs no name */
    read_text("Order code,Position ID,Attendee name,Product,Status,Ticket secret\n"
              "A,1,Ann,VIP,Paid,S1\nA,2,,VIP,canceled,S2\n",
              NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_int_equal(r.ti.tickets.count, 1);
    assert_int_equal(r.ti.more.voided.count, 1);
    assert_string_equal(r.ti.more.voided.items[0].name, "");
    result_release(&r);
}

/* ---- notes and special attention ------------------------------------------------- */

static void seed_format_reads_note_and_attention(void **state)
{
    (void)state;
    read_result r;
    read_text("ticket_number,full_name,class,note,attention\n"
              "N-1,Ada Lovelace,VIP,\"wheelchair,  escort to table 4\",yes\n"
              "N-2,Alan Turing,,,\n"
              "N-3,Grace Hopper,,vegan,No\n",
              NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_map(&r.ti, TICKET_FIELD_NOTE, "\"note\"");
    assert_map(&r.ti, TICKET_FIELD_ATTENTION, "\"attention\"");
    assert_int_equal(r.ti.tickets.count, 3);
    const ticket_rec *t = r.ti.tickets.items;
    assert_string_equal(t[0].note, "wheelchair, escort to table 4"); /* spaces folded */
    assert_true(t[0].attention);
    assert_string_equal(t[1].note, "");
    assert_false(t[1].attention);
    assert_string_equal(t[2].note, "vegan");
    assert_false(t[2].attention);
    assert_true(t[2].noted);
    result_release(&r);

    read_text("ticket_number,full_name\nN-1,Ada\n", NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_false(r.ti.tickets.items[0].noted); /* a re-import of this file keeps notes */
    result_release(&r);
}

static void map_names_note_and_attention(void **state)
{
    (void)state;
    read_result r;
    read_text("Guest,Who,Remarks,VIP care\n"
              "M-1,Ada,needs a ramp,X\n"
              "M-2,Alan,,\n",
              "code=Guest,name=Who,note=Remarks,attention=VIP care", &r);
    assert_int_equal(r.err, USHER_OK);
    assert_string_equal(r.ti.tickets.items[0].note, "needs a ramp");
    assert_true(r.ti.tickets.items[0].attention);
    assert_false(r.ti.tickets.items[1].attention);
    result_release(&r);
    /* an empty COLUMN drops the field: a file with bad notes imports without them */
    read_fixture("pretix-checkin.csv", "note=,attention=", &r);
    assert_int_equal(r.err, USHER_OK);
    assert_string_equal(r.ti.tickets.items[1].note, "");
    assert_false(r.ti.tickets.items[1].attention);
    assert_false(r.ti.tickets.items[1].noted);
    result_release(&r);
}

static void bad_notes_and_flags_are_refused_by_line(void **state)
{
    (void)state;
    char big[400];
    memset(big, 'a', 250);
    big[250] = '\0';
    char csv[800];
    snprintf(csv, sizeof csv,
             "ticket_number,full_name,note,attention\n"
             "B-1,Ada,%s,yes\n"
             "B-2,Alan,ok,perhaps\n"
             "B-3,Grace,bell\x07here,no\n",
             big);
    read_result r;
    read_text(csv, NULL, &r);
    assert_int_equal(r.err, USHER_PARSE);
    assert_int_equal(r.ti.tickets.count, 0);
    assert_int_equal(r.rep.total, 3);
    assert_non_null(strstr(r.rep.items[0].message, "line 2: the note is too long (250 bytes; "
                                                   "at most 200): shorten it in the file"));
    assert_non_null(strstr(r.rep.items[1].message,
                           "line 3: the attention column reads \"perhaps\": write yes or no"));
    assert_non_null(strstr(r.rep.items[2].message, "line 4: the note contains"));
    result_release(&r);
}

/* ---- pre-assigned seats ------------------------------------------------------- */

static void seat_column_is_read_with_each_ticket(void **state)
{
    (void)state;
    read_result r;
    read_fixture("pretix-checkin-seats.csv", NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_map(&r.ti, TICKET_FIELD_SEAT, "\"Seat ID\"");
    assert_int_equal(r.ti.tickets.count, 4);
    assert_string_equal(r.ti.tickets.items[0].seat, "T01-01");
    assert_int_equal(r.ti.tickets.items[0].line, 2);
    assert_string_equal(r.ti.tickets.items[2].seat, "T03-05");
    assert_string_equal(r.ti.tickets.items[3].seat, ""); /* the guest chooses */
    result_release(&r);
    /* --map seat= imports without seats; --map seat=COLUMN names another */
    read_fixture("pretix-checkin-seats.csv", "seat=", &r);
    assert_int_equal(r.err, USHER_OK);
    assert_map(&r.ti, TICKET_FIELD_SEAT, "-");
    assert_string_equal(r.ti.tickets.items[0].seat, "");
    result_release(&r);
    read_text("Guest,Who,Place\nG-1,Ann,A-12\nG-2,Bob,\n", "code=Guest,name=Who,seat=Place", &r);
    assert_int_equal(r.err, USHER_OK);
    assert_map(&r.ti, TICKET_FIELD_SEAT, "\"Place\"");
    assert_string_equal(r.ti.tickets.items[0].seat, "A-12");
    assert_string_equal(r.ti.tickets.items[1].seat, "");
    result_release(&r);
    /* Usher's own format takes an optional seat column */
    read_text("ticket_number,full_name,class,seat\nG-1,Ann,VIP,T01-02\n", NULL, &r);
    assert_int_equal(r.err, USHER_OK);
    assert_map(&r.ti, TICKET_FIELD_SEAT, "\"seat\"");
    assert_string_equal(r.ti.tickets.items[0].seat, "T01-02");
    result_release(&r);
}

static void bad_or_repeated_seats_refuse_the_file(void **state)
{
    (void)state;
    read_result r;
    read_text("Guest,Who,Place\nG-1,Ann,A-12\nG-2,Bob,Row 1 Seat 2\nG-3,Cy,A-12\n"
              "G-4,Di,ABCDEFGHIJKLMNOPQ\nG-5,Ed,x,void\n",
              "code=Guest,name=Who,seat=Place", &r);
    assert_int_equal(r.err, USHER_PARSE);
    assert_int_equal(r.rep.total, 3);
    assert_non_null(
        strstr(r.rep.items[0].message, "line 3: the seat \"Row 1 Seat 2\" has a space"));
    assert_non_null(strstr(r.rep.items[0].message, "--map seat="));
    assert_non_null(strstr(r.rep.items[1].message,
                           "line 4: seat A-12 is given to two tickets (first on line 2)"));
    assert_non_null(
        strstr(r.rep.items[2].message, "line 5: the seat \"ABCDEFGHIJKLMNOPQ\" is too long"));
    assert_int_equal(r.ti.tickets.count, 0);
    result_release(&r);
    /* a void row's seat is not read: a seat freed by a cancellation */
    read_text("Guest,Who,Place,State\nG-1,Ann,A-12,\nG-2,Bob,A-12,cancelled\n",
              "code=Guest,name=Who,seat=Place,status=State", &r);
    assert_int_equal(r.err, USHER_OK);
    assert_int_equal(r.ti.tickets.count, 1);
    assert_int_equal(r.ti.more.voided.count, 1);
    result_release(&r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pretix_checkin_list),
        cmocka_unit_test(pretix_checkin_list_without_secrets_is_refused),
        cmocka_unit_test(pretix_order_data_skips_canceled),
        cmocka_unit_test(eventbrite_attendee_report),
        cmocka_unit_test(tito_tickets),
        cmocka_unit_test(ticket_tailor_issued_tickets),
        cmocka_unit_test(hi_events_attendees),
        cmocka_unit_test(seed_format),
        cmocka_unit_test(unknown_header_needs_a_map),
        cmocka_unit_test(map_overrides_a_format_and_drops_a_field),
        cmocka_unit_test(bad_maps_are_refused_with_the_reason),
        cmocka_unit_test(encodings_and_separators),
        cmocka_unit_test(broken_bytes_are_refused),
        cmocka_unit_test(replacement_character_is_never_stored),
        cmocka_unit_test(whitespace_in_names_is_folded_with_a_warning),
        cmocka_unit_test(semicolon_file_problems_name_the_semicolon),
        cmocka_unit_test(void_rows_and_duplicates),
        cmocka_unit_test(seed_format_reads_note_and_attention),
        cmocka_unit_test(map_names_note_and_attention),
        cmocka_unit_test(bad_notes_and_flags_are_refused_by_line),
        cmocka_unit_test(seat_column_is_read_with_each_ticket),
        cmocka_unit_test(bad_or_repeated_seats_refuse_the_file),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
