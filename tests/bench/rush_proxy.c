/* rush_proxy.c - loopback TCP proxies the rush cuts and restores (one thread). */
#include "rush_proxy.h"

#include "bench_dev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAIRS 512
#define CHUNK 65536

typedef struct pair {
    int dev;   /* -1 when the slot is free */
    int fd[2]; /* 0: syncd's side, 1: the coordinator's */
} pair;

typedef struct plink {
    int listen_fd, port;
    atomic_bool offline;
} plink;

struct rush_proxy {
    struct sockaddr_in upstream;
    int n;
    plink *links;
    pair pairs[MAX_PAIRS];
    atomic_bool stop;
    pthread_t thread;
    bool started;
    char buf[CHUNK];
};

static void pair_close(pair *pr)
{
    for (int k = 0; k < 2; k++) {
        shutdown(pr->fd[k], SHUT_RDWR);
        close(pr->fd[k]);
    }
    pr->dev = -1;
}

static void on_accept(rush_proxy *p, int dev)
{
    int c = accept(p->links[dev].listen_fd, NULL, NULL);
    if (c < 0)
        return;
    if (atomic_load(&p->links[dev].offline)) {
        close(c); /* the link is down: the connection dies at once */
        return;
    }
    int u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    int slot = -1;
    for (int i = 0; i < MAX_PAIRS && slot < 0; i++)
        if (p->pairs[i].dev < 0)
            slot = i;
    if (u < 0 || slot < 0 ||
        connect(u, (const struct sockaddr *)&p->upstream, sizeof p->upstream) != 0) {
        if (u >= 0)
            close(u);
        close(c);
        return;
    }
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    p->pairs[slot] = (pair){dev, {c, u}};
}

static void *run(void *arg)
{
    rush_proxy *p = arg;
    struct pollfd *fds = calloc((size_t)p->n + 2 * MAX_PAIRS, sizeof *fds);
    int *owner = calloc((size_t)p->n + 2 * MAX_PAIRS, sizeof *owner);
    while (fds && owner && !atomic_load(&p->stop)) {
        int nf = 0;
        for (int i = 0; i < p->n; i++) {
            fds[nf] = (struct pollfd){p->links[i].listen_fd, POLLIN, 0};
            owner[nf++] = -1 - i;
        }
        for (int i = 0; i < MAX_PAIRS; i++) {
            if (p->pairs[i].dev < 0)
                continue;
            if (atomic_load(&p->links[p->pairs[i].dev].offline)) {
                pair_close(&p->pairs[i]);
                continue;
            }
            for (int k = 0; k < 2; k++) {
                fds[nf] = (struct pollfd){p->pairs[i].fd[k], POLLIN, 0};
                owner[nf++] = i * 2 + k;
            }
        }
        if (poll(fds, (nfds_t)nf, 20) <= 0)
            continue;
        for (int f = 0; f < nf; f++) {
            if (!fds[f].revents)
                continue;
            if (owner[f] < 0) {
                on_accept(p, -1 - owner[f]);
                continue;
            }
            pair *pr = &p->pairs[owner[f] / 2];
            int k = owner[f] % 2;
            if (pr->dev < 0 || pr->fd[k] != fds[f].fd)
                continue; /* closed earlier in this pass */
            ssize_t r = recv(pr->fd[k], p->buf, sizeof p->buf, 0);
            if (r <= 0 || bench_send_all(pr->fd[1 - k], p->buf, (size_t)r))
                pair_close(pr);
        }
    }
    for (int i = 0; i < MAX_PAIRS; i++)
        if (p->pairs[i].dev >= 0)
            pair_close(&p->pairs[i]);
    free(fds);
    free(owner);
    return NULL;
}

usher_err rush_proxy_new(const char *host, int port, int n, rush_proxy **out, usher_errmsg *em)
{
    rush_proxy *p = calloc(1, sizeof *p);
    usher_err err = USHER_OK;
    if (!p || !(p->links = calloc((size_t)n, sizeof *p->links))) {
        free(p);
        return usher_fail(em, USHER_NOMEM, "out of memory");
    }
    p->n = n;
    p->upstream.sin_family = AF_INET;
    p->upstream.sin_port = htons((uint16_t)port);
    for (int i = 0; i < MAX_PAIRS; i++)
        p->pairs[i].dev = -1;
    for (int i = 0; i < n; i++)
        p->links[i].listen_fd = -1;
    if (inet_pton(AF_INET, host, &p->upstream.sin_addr) != 1) {
        err = usher_fail(em, USHER_INVAL, "coordinator host '%s': an IPv4 address is needed", host);
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        struct sockaddr_in sa;
        socklen_t len = sizeof sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        p->links[i].listen_fd = fd;
        atomic_init(&p->links[i].offline, false);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 64) != 0 ||
            getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
            err = usher_fail(em, USHER_IO, "cannot listen on 127.0.0.1 for device %d: %s", i + 1,
                             strerror(errno));
            goto fail;
        }
        p->links[i].port = ntohs(sa.sin_port);
    }
    atomic_init(&p->stop, false);
    if (pthread_create(&p->thread, NULL, run, p) != 0) {
        err = usher_fail(em, USHER_IO, "cannot start the proxy thread");
        goto fail;
    }
    p->started = true;
    *out = p;
    return USHER_OK;
fail:
    rush_proxy_free(p);
    return err;
}

void rush_proxy_free(rush_proxy *p)
{
    if (!p)
        return;
    if (p->started) {
        atomic_store(&p->stop, true);
        pthread_join(p->thread, NULL);
    }
    for (int i = 0; i < p->n; i++)
        if (p->links[i].listen_fd >= 0)
            close(p->links[i].listen_fd);
    free(p->links);
    free(p);
}

int rush_proxy_port(const rush_proxy *p, int i)
{
    return p->links[i].port;
}

void rush_proxy_set_offline(rush_proxy *p, int i, bool offline)
{
    atomic_store(&p->links[i].offline, offline);
}

bool rush_proxy_offline(rush_proxy *p, int i)
{
    return atomic_load(&p->links[i].offline);
}
