/* syncd_net.c - libcurl calls to the coordinator with bounded, classified results. */
#include "syncd_net.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "text.h"

#define NET_MAX_RESPONSE (2 * PROTO_MAX_BODY)

struct syncd_net {
    CURL *curl;
    char base[512];
    char cacert[4096]; /* "" = the system's certificate store */
    struct curl_slist *headers;
    bool refused;        /* the last call's connection was refused */
    int64_t retry_after; /* the last answer's Retry-After, seconds; 0 = none */
};

typedef struct buffer {
    char *data;
    size_t len, cap;
    bool overflow;
} buffer;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    buffer *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n + 1 > NET_MAX_RESPONSE) {
        b->overflow = true;
        return 0; /* aborts the transfer */
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

usher_err syncd_net_new(const char *base_url, const char *token, const char *cacert,
                        syncd_net **out, usher_errmsg *em)
{
    if (strncmp(base_url, "http://", 7) && strncmp(base_url, "https://", 8))
        return usher_fail(em, USHER_INVAL,
                          "--coordinator %s: expected http://HOST:PORT or https://HOST:PORT",
                          base_url);
    if (!token || !*token || strlen(token) > 200 || !text_printable(token) || strchr(token, ' '))
        return usher_fail(em, USHER_INVAL,
                          "--token: the device token printed by 'usher-coord device add'");
    syncd_net *n = calloc(1, sizeof *n);
    if (!n)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    if (!text_copy(n->base, sizeof n->base, base_url)) {
        free(n);
        return usher_fail(em, USHER_INVAL, "--coordinator: URL too long");
    }
    if (cacert && !text_copy(n->cacert, sizeof n->cacert, cacert)) {
        free(n);
        return usher_fail(em, USHER_INVAL, "--cacert: path too long");
    }
    size_t bl = strlen(n->base);
    while (bl && n->base[bl - 1] == '/')
        n->base[--bl] = '\0';
    char auth[256];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    n->headers = curl_slist_append(NULL, auth);
    n->headers = curl_slist_append(n->headers, "Content-Type: application/json");
    n->curl = curl_easy_init();
    if (!n->headers || !n->curl) {
        syncd_net_free(n);
        return usher_fail(em, USHER_NOMEM, "cannot set up libcurl");
    }
    *out = n;
    return USHER_OK;
}

void syncd_net_free(syncd_net *n)
{
    if (!n)
        return;
    if (n->curl)
        curl_easy_cleanup(n->curl);
    curl_slist_free_all(n->headers);
    free(n);
}

net_result syncd_net_call(syncd_net *n, const char *path, const char *body, char **resp,
                          size_t *len, long *status, char *err, size_t errsize)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", n->base, path);
    buffer b = {0};
    *resp = NULL;
    char cerr[CURL_ERROR_SIZE] = "";
    CURL *c = n->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, n->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    /* gzip or deflate as libcurl and zlib take them; the limit counts the
     * bytes after decoding. */
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (n->cacert[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, n->cacert);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    CURLcode rc = curl_easy_perform(c);
    n->refused = syncd_net__conn_refused(c, (int)rc);
    curl_off_t ra = 0;
    n->retry_after = curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0 ? ra : 0;
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (status)
        *status = code;
    if (rc != CURLE_OK) {
        snprintf(err, errsize, "cannot reach the coordinator: %s",
                 b.overflow ? "response too large" : (cerr[0] ? cerr : curl_easy_strerror(rc)));
        free(b.data);
        return NET_OFFLINE;
    }
    *resp = b.data;
    if (len)
        *len = b.len;
    return NET_OK;
}

int64_t syncd_net_retry_after(const syncd_net *n)
{
    return n->retry_after;
}

bool syncd_net_refused(const syncd_net *n)
{
    return n->refused;
}

bool syncd_net__conn_refused(void *curl_handle, int curl_code)
{
    long os_errno = 0;
    if (curl_code != CURLE_COULDNT_CONNECT)
        return false;
    curl_easy_getinfo(curl_handle, CURLINFO_OS_ERRNO, &os_errno);
    return os_errno == ECONNREFUSED;
}
