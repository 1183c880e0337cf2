/* test_coord_limits.c - the coordinator's connection and event-stream limits. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "coord_limits.h"

static limits_addr v4(unsigned char a, unsigned char b, unsigned char c, unsigned char d)
{
    limits_addr x = {{a, b, c, d}, 4};
    return x;
}

static limits *make(unsigned max_conn, unsigned per_addr, unsigned max_streams, unsigned per_device)
{
    limits_config cfg;
    limits_config_default(&cfg);
    cfg.max_connections = max_conn;
    cfg.per_address = per_addr;
    cfg.max_streams = max_streams;
    cfg.streams_per_device = per_device;
    limits *l = NULL;
    assert_int_equal(limits_new(&cfg, &l, NULL), USHER_OK);
    return l;
}

static void per_address_limit_refuses_only_that_address(void **unused)
{
    (void)unused;
    limits *l = make(100, 3, 10, 2);
    limits_addr flood = v4(127, 0, 0, 1), probe = v4(127, 0, 0, 2);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(limits_conn_allowed(l, &flood), LIMIT_NONE);
        assert_int_equal(limits_conn_open(l, &flood), LIMIT_NONE);
    }
    assert_int_equal(limits_conn_allowed(l, &flood), LIMIT_ADDRESS);
    assert_int_equal(limits_conn_allowed(l, &flood), LIMIT_ADDRESS);
    assert_int_equal(limits_conn_allowed(l, &probe), LIMIT_NONE);
    assert_int_equal(limits_conn_open(l, &probe), LIMIT_NONE);
    /* Two threads past the check at once: the second open says so. */
    assert_int_equal(limits_conn_open(l, &flood), LIMIT_ADDRESS);
    limits_stats st;
    limits_get_stats(l, &st);
    assert_int_equal(st.connections, 5);
    assert_int_equal(st.addresses, 2);
    assert_int_equal(st.refused[LIMIT_ADDRESS], 3);
    limits_conn_close(l, &flood);
    limits_conn_close(l, &flood);
    assert_int_equal(limits_conn_allowed(l, &flood), LIMIT_NONE);
    limits_conn_close(l, &flood);
    limits_conn_close(l, &flood);
    limits_conn_close(l, &probe);
    limits_get_stats(l, &st);
    assert_int_equal(st.connections, 0);
    assert_int_equal(st.addresses, 0); /* no node left behind */
    limits_free(l);
}

static void ipv6_and_ipv4_are_different_addresses(void **unused)
{
    (void)unused;
    limits *l = make(100, 1, 10, 2);
    limits_addr a = v4(10, 0, 0, 1), b = {{10, 0, 0, 1}, 16};
    assert_int_equal(limits_conn_open(l, &a), LIMIT_NONE);
    assert_int_equal(limits_conn_allowed(l, &b), LIMIT_NONE);
    assert_int_equal(limits_conn_allowed(l, &a), LIMIT_ADDRESS);
    limits_conn_close(l, &a);
    limits_free(l);
}

static void zero_per_address_means_no_limit(void **unused)
{
    (void)unused;
    limits *l = make(1000, 0, 10, 0);
    limits_addr a = v4(127, 0, 0, 1);
    for (int i = 0; i < 500; i++)
        assert_int_equal(limits_conn_open(l, &a), LIMIT_NONE);
    assert_int_equal(limits_conn_allowed(l, &a), LIMIT_NONE);
    for (int i = 0; i < 500; i++)
        limits_conn_close(l, &a);
    limits_free(l);
}

static void over_the_total_answers_503_until_one_closes(void **unused)
{
    (void)unused;
    limits *l = make(4, 0, 4, 0);
    limits_addr a[6];
    for (int i = 0; i < 6; i++)
        a[i] = v4(10, 0, 1, (unsigned char)i);
    for (int i = 0; i < 4; i++)
        assert_int_equal(limits_conn_open(l, &a[i]), LIMIT_NONE);
    assert_int_equal(limits_conn_open(l, &a[4]), LIMIT_CONNECTIONS);
    limits_conn_close(l, &a[4]);
    limits_conn_close(l, &a[0]);
    assert_int_equal(limits_conn_open(l, &a[5]), LIMIT_NONE);
    limits_stats st;
    limits_get_stats(l, &st);
    assert_int_equal(st.connections, 4);
    assert_int_equal(st.refused[LIMIT_CONNECTIONS], 1);
    assert_int_equal(limit_retry_after_s(LIMIT_CONNECTIONS) > 0, 1);
    limits_free(l);
}

static void streams_capped_in_all_and_per_device(void **unused)
{
    (void)unused;
    limits *l = make(100, 0, 3, 2);
    assert_int_equal(limits_stream_open(l, "kiosk-1", true), LIMIT_NONE);
    assert_int_equal(limits_stream_open(l, "kiosk-1", true), LIMIT_NONE);
    assert_int_equal(limits_stream_open(l, "kiosk-1", true), LIMIT_DEVICE_STREAMS);
    assert_int_equal(limits_stream_open(l, "kiosk-2", true), LIMIT_NONE);
    assert_int_equal(limits_stream_open(l, "kiosk-3", true), LIMIT_STREAMS);
    limits_stats st;
    limits_get_stats(l, &st);
    assert_int_equal(st.streams, 3);
    assert_int_equal(st.refused[LIMIT_DEVICE_STREAMS], 1);
    assert_int_equal(st.refused[LIMIT_STREAMS], 1);
    /* A closed stream frees its slot at once, for any device. */
    limits_stream_close(l, "kiosk-1");
    assert_int_equal(limits_stream_open(l, "kiosk-3", true), LIMIT_NONE);
    assert_int_equal(limits_stream_open(l, "kiosk-1", true), LIMIT_STREAMS);
    limits_stream_close(l, "kiosk-2");
    assert_int_equal(limits_stream_open(l, "kiosk-1", true), LIMIT_NONE);
    limits_stream_close(l, "kiosk-3");
    assert_int_equal(limits_stream_open(l, "kiosk-1", true), LIMIT_DEVICE_STREAMS);
    limits_stream_close(l, "kiosk-1");
    limits_stream_close(l, "kiosk-1");
    limits_get_stats(l, &st);
    assert_int_equal(st.streams, 0);
    /* The organisers' token is exempt from the per-device cap only. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(limits_stream_open(l, "office", false), LIMIT_NONE);
    assert_int_equal(limits_stream_open(l, "office", false), LIMIT_STREAMS);
    for (int i = 0; i < 3; i++)
        limits_stream_close(l, "office");
    limits_free(l);
}

static void deadlines_by_phase(void **unused)
{
    (void)unused;
    limits_config cfg;
    limits_config_default(&cfg);
    cfg.header_ms = 2000;
    cfg.body_ms = 5000;
    cfg.idle_ms = 7000;
    limits *l = NULL;
    assert_int_equal(limits_new(&cfg, &l, NULL), USHER_OK);
    assert_int_equal(limits_deadline(l, LIMITS_PHASE_HEADERS, 1000), 3000);
    assert_int_equal(limits_deadline(l, LIMITS_PHASE_BODY, 1000), 6000);
    assert_int_equal(limits_deadline(l, LIMITS_PHASE_IDLE, 1000), 8000);
    assert_int_equal(limits_deadline(l, LIMITS_PHASE_SERVED, 1000), 0);
    assert_int_equal(limits_deadline_missed(l, LIMITS_PHASE_HEADERS), LIMIT_HEADER_DEADLINE);
    assert_int_equal(limits_deadline_missed(l, LIMITS_PHASE_IDLE), LIMIT_HEADER_DEADLINE);
    assert_int_equal(limits_deadline_missed(l, LIMITS_PHASE_BODY), LIMIT_BODY_DEADLINE);
    limits_stats st;
    limits_get_stats(l, &st);
    assert_int_equal(st.refused[LIMIT_HEADER_DEADLINE], 2);
    assert_int_equal(st.refused[LIMIT_BODY_DEADLINE], 1);
    limits_free(l);
}

static void config_checked_with_the_option_named(void **unused)
{
    (void)unused;
    limits_config cfg;
    limits_config_default(&cfg);
    assert_int_equal(limits_config_check(&cfg, NULL), USHER_OK);
    usher_errmsg em = {{0}};
    cfg.max_streams = cfg.max_connections + 1;
    assert_int_equal(limits_config_check(&cfg, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "--max-streams"));
    limits_config_default(&cfg);
    cfg.header_ms = 0;
    limits *l = NULL;
    assert_int_equal(limits_new(&cfg, &l, &em), USHER_INVAL);
    assert_null(l);
    assert_non_null(strstr(em.text, "--header-timeout"));
    limits_config_default(&cfg);
    cfg.max_connections = 0;
    assert_int_equal(limits_config_check(&cfg, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "--max-connections"));
}

static void fits_the_open_file_limit(void **unused)
{
    (void)unused;
    limits_config cfg;
    limits_config_default(&cfg);
    assert_false(limits_fit_fds(&cfg, 1048576));
    assert_int_equal(cfg.max_connections, LIMITS_DEFAULT_CONNECTIONS);
    /* Debian's default soft limit: far fewer connections, streams follow. */
    assert_true(limits_fit_fds(&cfg, 1024));
    assert_true(limits_fds_needed(&cfg) <= 1024);
    assert_true(cfg.max_connections > 800);
    assert_true(cfg.max_streams <= cfg.max_connections);
    assert_int_equal(limits_config_check(&cfg, NULL), USHER_OK);
    /* Just enough for the default: unchanged. */
    limits_config_default(&cfg);
    uint64_t need = limits_fds_needed(&cfg);
    assert_false(limits_fit_fds(&cfg, need));
    assert_true(limits_fit_fds(&cfg, need - 1));
    assert_true(limits_fds_needed(&cfg) <= need - 1);
    /* Absurdly small: 64 connections, never zero. */
    assert_true(limits_fit_fds(&cfg, 10));
    assert_int_equal(cfg.max_connections, 64);
}

static void names_for_metrics(void **unused)
{
    (void)unused;
    assert_string_equal(limit_name(LIMIT_ADDRESS), "address");
    assert_string_equal(limit_name(LIMIT_BODY_DEADLINE), "body_deadline");
    assert_string_equal(limit_name(LIMIT_NONE), "none");
    assert_string_equal(limit_name(LIMIT_COUNT), "none");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(per_address_limit_refuses_only_that_address),
    cmocka_unit_test(ipv6_and_ipv4_are_different_addresses),
    cmocka_unit_test(zero_per_address_means_no_limit),
    cmocka_unit_test(over_the_total_answers_503_until_one_closes),
    cmocka_unit_test(streams_capped_in_all_and_per_device),
    cmocka_unit_test(deadlines_by_phase),
    cmocka_unit_test(config_checked_with_the_option_named),
    cmocka_unit_test(fits_the_open_file_limit),
    cmocka_unit_test(names_for_metrics),
};

TESTUTIL_MAIN(tests)
