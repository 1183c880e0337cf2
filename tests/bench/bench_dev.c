/* bench_dev.c - a device journal used as the kiosk uses it, and one HTTP call,
 * for the load tools of tests/bench. */
#include "bench_dev.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "text.h"
#include "wake.h"

usher_err bench_dev_open(bench_dev *d, const char *path, usher_errmsg *em)
{
    memset(d, 0, sizeof *d);
    text_copy(d->path, sizeof d->path, path);
    journal_status st;
    char *text = NULL;
    usher_err err = journal_open(path, &d->j, em);
    if (!err)
        err = journal_get_identity(d->j, &d->id, em);
    if (!err && !d->id.device[0])
        err = usher_fail(em, USHER_NOTFOUND, "%s: not bootstrapped yet (is usher-syncd running?)",
                         path);
    if (!err)
        err = journal_get_status(d->j, &st, em);
    if (!err)
        err = journal_get_layout_json(d->j, &text, em);
    if (!err)
        err = layout_from_json(text, strlen(text), &d->l, em);
    if (!err)
        text_copy(d->wake, sizeof d->wake, st.wake_socket);
    free(text);
    return err;
}

void bench_dev_close(bench_dev *d)
{
    journal_free(d->j);
    layout_free(d->l);
    d->j = NULL;
    d->l = NULL;
}

usher_err bench_dev_view(bench_dev *d, int64_t now, state **v, usher_errmsg *em)
{
    return journal_load_view(d->j, d->l, now, v, em);
}

usher_err bench_dev_act(bench_dev *d, const usher_op *ops, size_t n, usher_errmsg *em)
{
    usher_err err = n == 1 ? journal_append(d->j, ops, em) : journal_append_all(d->j, ops, n, em);
    if (!err && d->wake[0])
        wake_send(d->wake);
    return err;
}

typedef struct buffer {
    char *data;
    size_t len;
} buffer;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    buffer *b = userdata;
    size_t n = size * nmemb;
    char *p = realloc(b->data, b->len + n + 1);
    if (!p)
        return 0;
    memcpy(p + b->len, ptr, n);
    b->data = p;
    b->len += n;
    p[b->len] = '\0';
    return n;
}

long bench_http(const char *url, const char *token, const char *body, char **resp, double timeout_s)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    buffer b = {NULL, 0};
    long code = 0;
    *resp = NULL;
    if (!c)
        return 0;
    if (token) {
        char auth[300];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (code)
        *resp = b.data;
    else
        free(b.data);
    return code;
}

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double bench_quantile(const double *sorted, size_t n, double q)
{
    if (!n)
        return 0;
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int bench_send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}
