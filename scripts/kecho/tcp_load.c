/* TCP echo load generator for scripts/bench-tcp: one thread, one core, epoll over
 * non-blocking sockets. Every run is bounded in time; the result is one JSON line
 * on stdout (diagnostics on stderr).
 *
 * Modes:
 *   pingpong  N connections (-n, default 100), each sends a MSG-byte message (-l,
 *             default 64) and waits for its whole echo, checked byte for byte,
 *             before the next. Unpaced (-r 0, default): the next goes at once, as
 *             fast as it can; tx/s over the measured window. Paced (-r RATE): RATE
 *             transactions per second in all, on a fixed schedule, each on an idle
 *             connection; the latency of each is taken from its scheduled time (so
 *             a late send counts against the server, no coordinated omission), and
 *             the client busy-polls so its own wake-up stays out of the figures.
 *             Latency (CLOCK_MONOTONIC) of every transaction in the window:
 *             p50, p90, p99, p99.9, max, count; paced, also the same from the
 *             moment each request was actually sent (svc_*: the server and the
 *             path without the client's lateness; a late send is one more than
 *             100 us behind its schedule, counted in late_sends).
 *   cps       K connections in flight (-k, default 64): connect, one MSG-byte echo,
 *             close, at once a new one; connections/s completed in the window,
 *             failures (refused, reset, timed out after 2 s, no local address/port)
 *             and the p50/p99 of connect-to-echo time.
 *   hold      open N idle connections (-n), at most 256 connecting at once, within
 *             -T seconds; print "tcp_load: held X of N" on stderr; hold them
 *             -d seconds, or until the file -R names exists; then one echo on each
 *             (within 5 s) and report how many answered; then reset them all
 *             (SO_LINGER 0: no TIME_WAIT left behind).
 *
 * -s A,B,C binds the connections round-robin to these source addresses (ports
 * still chosen by the kernel at connect: IP_BIND_ADDRESS_NO_PORT). One process
 * holds at most RLIMIT_NOFILE connections: use several for more.
 *
 * usage: tcp_load -m pingpong|cps|hold -a ADDR [-p PORT] [-s SRC,...] [-n CONNS]
 *                 [-k INFLIGHT] [-r RATE] [-d SECONDS] [-w WARMUP] [-l MSG] [-c CPU]
 *                 [-T CONNECT_SECONDS] [-R FILE]
 */
#include "base.h"
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif
#define MAXMSG 4096
#define MAXSRC 64
#define NEV 512


static uint64_t ns_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ options */
static const char *mode = NULL, *server = NULL, *release_file = NULL;
static int port = 7, nconns = 100, inflight = -1, rate = 0, msg = 64, cpu = -1;
static double seconds = 5, warmup = 1, connect_secs = 20;
static struct sockaddr_in dst, srcs[MAXSRC];
static int nsrc, src_rr;

static void usage(void) {
    fprintf(stderr,
            "usage: tcp_load -m pingpong|cps|hold -a ADDR [-p PORT] [-s SRC,...] [-n CONNS]\n"
            "                [-k INFLIGHT] [-r RATE] [-d SECONDS] [-w WARMUP] [-l MSG] [-c CPU]\n"
            "                [-T CONNECT_SECONDS] [-R FILE]\n"
            "  pingpong: -n connections (100), -r 0 = unpaced (default) or RATE tx/s in all\n"
            "  cps: -k connections in flight (64)\n"
            "  hold: -n idle connections held -d seconds (or until FILE exists), then one echo each\n"
            "  -d <= 600, -w <= 60 (warm-up, not counted), -l 1..%d bytes (64), -T <= 120 (20)\n",
            MAXMSG);
    exit(2);
}

static void parse(int argc, char **argv) {
    int c;
    char *s, *tok, *save;
    while ((c = getopt(argc, argv, "m:a:p:s:n:k:r:d:w:l:c:T:R:h")) != -1) {
        switch (c) {
            case 'm': mode = optarg; break;
            case 'a': server = optarg; break;
            case 'p': port = atoi(optarg); break;
            case 's':
                s = strdup(optarg);
                for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                    if (nsrc == MAXSRC) usage();
                    srcs[nsrc].sin_family = AF_INET;
                    if (inet_pton(AF_INET, tok, &srcs[nsrc].sin_addr) != 1) {
                        fprintf(stderr, "tcp_load: bad source address %s\n", tok);
                        exit(2);
                    }
                    nsrc++;
                }
                break;
            case 'n': nconns = atoi(optarg); break;
            case 'k': inflight = atoi(optarg); break;
            case 'r': rate = atoi(optarg); break;
            case 'd': seconds = atof(optarg); break;
            case 'w': warmup = atof(optarg); break;
            case 'l': msg = atoi(optarg); break;
            case 'c': cpu = atoi(optarg); break;
            case 'T': connect_secs = atof(optarg); break;
            case 'R': release_file = optarg; break;
            default: usage();
        }
    }
    if (!mode || !server || port < 1 || port > 65535 || nconns < 1 || nconns > 1000000 ||
        rate < 0 || rate > 10000000 || seconds <= 0 || seconds > 600 || warmup < 0 ||
        warmup > 60 || msg < 1 || msg > MAXMSG || connect_secs <= 0 || connect_secs > 120)
        usage();
    if (strcmp(mode, "pingpong") && strcmp(mode, "cps") && strcmp(mode, "hold")) usage();
    if (inflight < 0) inflight = strcmp(mode, "cps") == 0 ? 64 : 256;
    if (inflight < 1 || inflight > 100000) usage();
    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, server, &dst.sin_addr) != 1) {
        fprintf(stderr, "tcp_load: bad server address %s\n", server);
        exit(2);
    }
}

/* ------------------------------------------------------------------ helpers */
static int ep;

/* A non-blocking socket connecting to the server (from the next source address).
 * Returns the fd (connect in progress or done) or -errno. */
static int start_connect(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (nsrc) {
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in *s = &srcs[src_rr++ % nsrc];
        if (bind(fd, (struct sockaddr *)s, sizeof *s) != 0) {
            int e = errno;
            close(fd);
            return -e;
        }
    }
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static void fill(unsigned char *b, uint64_t seq, uint32_t who) {
    for (int k = 0; k < msg; k++) b[k] = (unsigned char)(seq * 131 + who * 7 + (unsigned)k);
    if (msg >= 12) {
        memcpy(b, &seq, 8);
        memcpy(b + 8, &who, 4);
    }
}

/* latencies, ns: `lat` from each transaction's scheduled time (the figure reported),
 * `svc` from the moment its request was actually sent (pingpong -r only: the server
 * and the path, without the client's own lateness) */
struct lats {
    uint32_t *v;
    size_t n, cap;
};
static struct lats lat, svc;
static void lat_add_to(struct lats *l, uint64_t d) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 1u << 20;
        if (nc > (size_t)200 << 20) return; /* 800 MB: enough */
        uint32_t *p = realloc(l->v, nc * sizeof *p);
        if (!p) return;
        l->v = p;
        l->cap = nc;
    }
    l->v[l->n++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}
static void lat_add(uint64_t d) { lat_add_to(&lat, d); }
static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}
static double pct(const struct lats *l, double p) { /* nearest rank, microseconds */
    if (!l->n) return NAN;
    size_t i = (size_t)ceil(p / 100.0 * (double)l->n);
    if (i > 0) --i;
    if (i >= l->n) i = l->n - 1;
    return l->v[i] / 1000.0;
}
/* JSON members for one set: "<prefix>count", "<prefix>p50_us", ... */
static void print_lats(struct lats *l, const char *pre) {
    qsort(l->v, l->n, sizeof *l->v, cmp_u32);
    if (!l->n) {
        printf("\"%scount\": 0, \"%sp50_us\": null, \"%sp90_us\": null, \"%sp99_us\": null, "
               "\"%sp999_us\": null, \"%smax_us\": null",
               pre, pre, pre, pre, pre, pre);
        return;
    }
    printf("\"%scount\": %zu, \"%sp50_us\": %.1f, \"%sp90_us\": %.1f, \"%sp99_us\": %.1f, "
           "\"%sp999_us\": %.1f, \"%smax_us\": %.1f",
           pre, l->n, pre, pct(l, 50), pre, pct(l, 90), pre, pct(l, 99), pre, pct(l, 99.9), pre,
           pct(l, 100));
}
static void print_lat(void) { print_lats(&lat, ""); }

/* Open n connections, at most `inflight` connecting at once, within connect_secs.
 * fds[i] = the fd, or -1. Returns how many are established. */
static uint64_t conn_failed, conn_addr_unavail;
static int establish(int *fds, int n, double *took) {
    const uint64_t t0 = ns_now(), deadline = t0 + (uint64_t)(connect_secs * 1e9);
    int next = 0, pending = 0, ok = 0;
    struct epoll_event evs[NEV];
    for (int i = 0; i < n; i++) fds[i] = -1;
    while ((next < n || pending) && !stop_flag && ns_now() < deadline) {
        while (next < n && pending < inflight) {
            int fd = start_connect();
            if (fd < 0) {
                ++conn_failed;
                if (fd == -EADDRNOTAVAIL || fd == -EADDRINUSE) ++conn_addr_unavail;
                if (fd == -EMFILE || fd == -ENFILE) {
                    fprintf(stderr, "tcp_load: out of descriptors at %d: %s\n", next,
                            strerror(-fd));
                    n = next; /* give up on the rest */
                    break;
                }
                next++;
                continue;
            }
            struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)next};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            fds[next++] = fd;
            pending++;
        }
        int r = epoll_wait(ep, evs, NEV, 10);
        for (int i = 0; i < r; i++) {
            int k = (int)evs[i].data.u32, fd = fds[k], err = 0;
            socklen_t len = sizeof err;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
            pending--;
            if (err) {
                ++conn_failed;
                close(fd);
                fds[k] = -1;
            } else {
                ok++;
            }
        }
    }
    if (pending) { /* still connecting at the deadline: give up on them */
        for (int i = 0; i < next; i++) {
            if (fds[i] < 0) continue;
            int err = 0;
            socklen_t len = sizeof err;
            struct sockaddr_in peer;
            socklen_t pl = sizeof peer;
            if (getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err ||
                getpeername(fds[i], (struct sockaddr *)&peer, &pl) != 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
                close(fds[i]);
                fds[i] = -1;
                ++conn_failed;
            }
        }
        ok = 0;
        for (int i = 0; i < next; i++) ok += fds[i] >= 0;
    }
    *took = (double)(ns_now() - t0) / 1e9;
    return ok;
}

/* ------------------------------------------------------------------ pingpong */
struct pp {
    int fd;
    uint32_t got;
    uint64_t seq, t_sched, t_sent;
    int idle;
    unsigned char *rbuf;
};

static int run_pingpong(void) {
    int *fds = calloc((size_t)nconns, sizeof *fds);
    struct pp *c = calloc((size_t)nconns, sizeof *c);
    int *idle = calloc((size_t)nconns, sizeof *idle);
    unsigned char *rb = calloc((size_t)nconns, (size_t)msg);
    if (!fds || !c || !idle || !rb) return 1;
    double took;
    int ok = establish(fds, nconns, &took);
    int live = 0, nidle = 0;
    for (int i = 0; i < nconns; i++) {
        if (fds[i] < 0) continue;
        c[live].fd = fds[i];
        c[live].rbuf = rb + (size_t)live * (size_t)msg;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)live};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
        live++;
    }
    unsigned char sbuf[MAXMSG], expect[MAXMSG];
    uint64_t tx_total = 0, tx_win = 0, bad = 0, errors = 0, sends = 0, late = 0, scheduled = 0;
    const uint64_t t0 = ns_now();
    const uint64_t ws = t0 + (uint64_t)(warmup * 1e9), we = ws + (uint64_t)(seconds * 1e9);
    const uint64_t gap = rate ? 1000000000ull / (uint64_t)rate : 0;
    uint64_t drain_end = UINT64_MAX;
    int outstanding = 0;

#define SEND_ON(k, tsched)                                                            \
    do {                                                                              \
        struct pp *p_ = &c[k];                                                        \
        p_->seq++;                                                                    \
        p_->got = 0;                                                                  \
        p_->t_sched = (tsched);                                                       \
        fill(sbuf, p_->seq, (uint32_t)(k));                                           \
        p_->t_sent = ns_now();                                                        \
        ssize_t s_ = send(p_->fd, sbuf, (size_t)msg, MSG_NOSIGNAL);                   \
        ++sends;                                                                      \
        if (s_ != msg) { /* 64 bytes into an idle socket: only a dead one refuses */  \
            ++errors;                                                                 \
            epoll_ctl(ep, EPOLL_CTL_DEL, p_->fd, NULL);                               \
            p_->idle = -1;                                                            \
        } else {                                                                      \
            p_->idle = 0;                                                             \
            outstanding++;                                                            \
        }                                                                             \
    } while (0)

    if (!rate) {
        for (int k = 0; k < live; k++) SEND_ON(k, ns_now());
    } else {
        for (int k = live - 1; k >= 0; k--) {
            c[k].idle = 1;
            idle[nidle++] = k;
        }
    }
    struct epoll_event evs[NEV];
    for (;;) {
        uint64_t now = ns_now();
        if (now >= we && drain_end == UINT64_MAX) drain_end = now + 1000000000ull;
        if (stop_flag || now >= drain_end || (now >= we && outstanding == 0)) break;
        if (rate && now < we) { /* the schedule: every gap ns, on an idle connection */
            while (nidle > 0) {
                uint64_t t = t0 + scheduled * gap;
                if (t > now) break;
                int k = idle[--nidle];
                if (now > t + 100000) ++late; /* > 100 us behind schedule */
                SEND_ON(k, t);
                scheduled++;
            }
        }
        int r = epoll_wait(ep, evs, NEV, rate ? 0 : 10);
        for (int i = 0; i < r; i++) {
            int k = (int)evs[i].data.u32;
            struct pp *p = &c[k];
            if (p->idle) { /* nothing asked: an unexpected byte or the peer went */
                char junk[256];
                ssize_t n = recv(p->fd, junk, sizeof junk, 0);
                if (n <= 0 && !(n < 0 && errno == EAGAIN)) {
                    ++errors;
                    epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
                    if (p->idle == 1) { /* take it out of the idle stack */
                        for (int j = 0; j < nidle; j++)
                            if (idle[j] == k) { idle[j] = idle[--nidle]; break; }
                    }
                    p->idle = -1;
                } else if (n > 0) {
                    ++bad;
                }
                continue;
            }
            ssize_t n = recv(p->fd, p->rbuf + p->got, (size_t)(msg - (int)p->got), 0);
            if (n < 0 && errno == EAGAIN) continue;
            if (n <= 0) {
                ++errors;
                epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
                p->idle = -1;
                outstanding--;
                continue;
            }
            p->got += (uint32_t)n;
            if (p->got < (uint32_t)msg) continue;
            uint64_t done = ns_now();
            outstanding--;
            fill(expect, p->seq, (uint32_t)k);
            if (memcmp(expect, p->rbuf, (size_t)msg) != 0) ++bad;
            tx_total++;
            if (rate) {
                /* latency window: scheduled inside it (the drain finishes late ones) */
                if (p->t_sched >= ws && p->t_sched < we) {
                    tx_win++;
                    lat_add(done - p->t_sched);
                    lat_add_to(&svc, done - p->t_sent);
                }
                p->idle = 1;
                idle[nidle++] = k;
            } else {
                if (done >= ws && done < we) {
                    tx_win++;
                    lat_add(done - p->t_sched);
                }
                if (done < we) SEND_ON(k, done);
                else p->idle = 1;
            }
        }
    }
    const double measured = rate ? seconds : (double)(we - ws) / 1e9;
    printf("{\"mode\": \"pingpong\", \"server\": \"%s\", \"port\": %d, \"conns\": %d, "
           "\"connected\": %d, \"connect_failed\": %llu, \"connect_s\": %.3f, \"msg\": %d, "
           "\"rate\": %d, \"seconds\": %.3f, \"warmup\": %.3f, \"tx\": %llu, \"tx_per_s\": %.1f, "
           "\"tx_total\": %llu, \"sends\": %llu, \"scheduled\": %llu, \"late_sends\": %llu, "
           "\"unanswered\": %d, \"bad\": %llu, \"errors\": %llu, ",
           server, port, nconns, ok, (unsigned long long)conn_failed, took, msg, rate, measured,
           warmup, (unsigned long long)tx_win, (double)tx_win / measured,
           (unsigned long long)tx_total, (unsigned long long)sends,
           (unsigned long long)scheduled, (unsigned long long)late, outstanding,
           (unsigned long long)bad, (unsigned long long)errors);
    print_lat();
    if (rate) {
        printf(", ");
        print_lats(&svc, "svc_");
    }
    printf("}\n");
    for (int k = 0; k < live; k++) close(c[k].fd);
    return (ok > 0 && tx_win > 0 && !bad) ? 0 : 1;
}

/* ------------------------------------------------------------------ cps */
struct cs {
    int fd, state; /* 0 free, 1 connecting, 2 waiting for the echo */
    uint32_t got;
    uint64_t t0, seq;
};

static int run_cps(void) {
    struct cs *s = calloc((size_t)inflight, sizeof *s);
    if (!s) return 1;
    unsigned char sbuf[MAXMSG], rbuf[MAXMSG], expect[MAXMSG];
    uint64_t ok_total = 0, ok_win = 0, fail_win = 0, fail_total = 0, refused = 0, reset = 0,
             timeouts = 0, addr = 0, other = 0, bad = 0, started = 0, seq = 0;
    const uint64_t t0 = ns_now();
    const uint64_t ws = t0 + (uint64_t)(warmup * 1e9), we = ws + (uint64_t)(seconds * 1e9);
    const uint64_t tmo = 2000000000ull;
    uint64_t last_scan = t0, retry_at = 0;
    struct epoll_event evs[NEV];

#define FAIL(k, why)                                       \
    do {                                                   \
        uint64_t n_ = ns_now();                            \
        ++fail_total;                                      \
        if (n_ >= ws && n_ < we) ++fail_win;               \
        ++(why);                                           \
        if (s[k].fd >= 0) close(s[k].fd);                  \
        s[k].fd = -1;                                      \
        s[k].state = 0;                                    \
    } while (0)

    for (int k = 0; k < inflight; k++) s[k].fd = -1;
    for (;;) {
        uint64_t now = ns_now();
        if (stop_flag || now >= we) break;
        if (now >= retry_at) {
            for (int k = 0; k < inflight; k++) {
                if (s[k].state) continue;
                int fd = start_connect();
                started++;
                if (fd < 0) {
                    s[k].fd = -1;
                    if (fd == -EADDRNOTAVAIL || fd == -EADDRINUSE) FAIL(k, addr);
                    else FAIL(k, other);
                    retry_at = ns_now() + 1000000; /* out of ports: 1 ms before trying again */
                    break;
                }
                s[k].fd = fd;
                s[k].state = 1;
                s[k].got = 0;
                s[k].t0 = now;
                s[k].seq = ++seq;
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                                         .data.u32 = (uint32_t)k};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            }
        }
        int r = epoll_wait(ep, evs, NEV, 1);
        for (int i = 0; i < r; i++) {
            int k = (int)evs[i].data.u32;
            struct cs *p = &s[k];
            if (!p->state) continue;
            if (p->state == 1) {
                if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
                    int err = 0;
                    socklen_t len = sizeof err;
                    getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                    if (err == ECONNREFUSED) FAIL(k, refused);
                    else if (err == ECONNRESET) FAIL(k, reset);
                    else FAIL(k, other);
                    continue;
                }
                if (!(evs[i].events & EPOLLOUT)) continue;
                fill(sbuf, p->seq, (uint32_t)k);
                ssize_t n = send(p->fd, sbuf, (size_t)msg, MSG_NOSIGNAL);
                if (n < 0 && errno == EAGAIN) continue;
                if (n != msg) {
                    if (n < 0 && errno == ECONNREFUSED) FAIL(k, refused);
                    else if (n < 0 && (errno == ECONNRESET || errno == EPIPE)) FAIL(k, reset);
                    else FAIL(k, other);
                    continue;
                }
                p->state = 2;
            }
            /* state 2: read what is there (edge-triggered: until EAGAIN or complete) */
            for (;;) {
                ssize_t n = recv(p->fd, rbuf + p->got, (size_t)(msg - (int)p->got), 0);
                if (n < 0 && errno == EAGAIN) break;
                if (n <= 0) {
                    if (n == 0 || errno == ECONNRESET) FAIL(k, reset);
                    else FAIL(k, other);
                    break;
                }
                p->got += (uint32_t)n;
                if (p->got < (uint32_t)msg) continue;
                uint64_t done = ns_now();
                fill(expect, p->seq, (uint32_t)k);
                if (memcmp(expect, rbuf, (size_t)msg) != 0) ++bad;
                close(p->fd);
                p->fd = -1;
                p->state = 0;
                ok_total++;
                if (done >= ws && done < we) {
                    ok_win++;
                    lat_add(done - p->t0);
                }
                break;
            }
        }
        now = ns_now();
        if (now - last_scan > 10000000ull) { /* every 10 ms: time out the stuck ones */
            last_scan = now;
            for (int k = 0; k < inflight; k++)
                if (s[k].state && now - s[k].t0 > tmo) FAIL(k, timeouts);
        }
    }
    int unfinished = 0;
    for (int k = 0; k < inflight; k++)
        if (s[k].state) {
            unfinished++;
            close(s[k].fd);
        }
    printf("{\"mode\": \"cps\", \"server\": \"%s\", \"port\": %d, \"inflight\": %d, \"msg\": %d, "
           "\"seconds\": %.3f, \"warmup\": %.3f, \"conns\": %llu, \"conns_per_s\": %.1f, "
           "\"failed\": %llu, \"conns_total\": %llu, \"failed_total\": %llu, \"refused\": %llu, "
           "\"reset\": %llu, \"timeout\": %llu, \"no_local_addr\": %llu, \"other\": %llu, "
           "\"bad\": %llu, \"started\": %llu, \"unfinished\": %d, ",
           server, port, inflight, msg, seconds, warmup, (unsigned long long)ok_win,
           (double)ok_win / seconds, (unsigned long long)fail_win, (unsigned long long)ok_total,
           (unsigned long long)fail_total, (unsigned long long)refused,
           (unsigned long long)reset, (unsigned long long)timeouts, (unsigned long long)addr,
           (unsigned long long)other, (unsigned long long)bad, (unsigned long long)started,
           unfinished);
    print_lat();
    printf("}\n");
    return ok_win > 0 && !bad ? 0 : 1;
}

/* ------------------------------------------------------------------ hold */
static int run_hold(void) {
    int *fds = calloc((size_t)nconns, sizeof *fds);
    uint32_t *got = calloc((size_t)nconns, sizeof *got);
    unsigned char *rb = calloc((size_t)nconns, (size_t)msg);
    if (!fds || !got || !rb) return 1;
    double took;
    int ok = establish(fds, nconns, &took);
    fprintf(stderr, "tcp_load: held %d of %d\n", ok, nconns);
    fflush(stderr);
    for (int i = 0; i < nconns; i++) {
        if (fds[i] < 0) continue;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    }
    /* hold: any event on an idle connection means the server dropped it */
    uint64_t dropped = 0;
    const uint64_t h0 = ns_now(), hend = h0 + (uint64_t)(seconds * 1e9);
    struct epoll_event evs[NEV];
    int released = 0;
    while (!stop_flag && ns_now() < hend) {
        int r = epoll_wait(ep, evs, NEV, 50);
        for (int i = 0; i < r; i++) {
            int k = (int)evs[i].data.u32;
            epoll_ctl(ep, EPOLL_CTL_DEL, fds[k], NULL);
            close(fds[k]);
            fds[k] = -1;
            ++dropped;
        }
        struct stat st;
        if (release_file && stat(release_file, &st) == 0) {
            released = 1;
            break;
        }
    }
    const double held = (double)(ns_now() - h0) / 1e9;
    /* one echo on each */
    unsigned char sbuf[MAXMSG], expect[MAXMSG];
    uint64_t sent = 0, answered = 0, bad = 0, errors = 0;
    int waiting = 0;
    const uint64_t e0 = ns_now();
    for (int i = 0; i < nconns && !stop_flag; i++) {
        if (fds[i] < 0) continue;
        fill(sbuf, 1, (uint32_t)i);
        if (send(fds[i], sbuf, (size_t)msg, MSG_NOSIGNAL) == msg) {
            ++sent;
            ++waiting;
        } else {
            ++errors;
            epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
            close(fds[i]);
            fds[i] = -1;
        }
    }
    const uint64_t eend = ns_now() + 5000000000ull;
    while (waiting > 0 && !stop_flag && ns_now() < eend) {
        int r = epoll_wait(ep, evs, NEV, 50);
        for (int i = 0; i < r; i++) {
            int k = (int)evs[i].data.u32;
            ssize_t n = recv(fds[k], rb + (size_t)k * (size_t)msg + got[k],
                             (size_t)(msg - (int)got[k]), 0);
            if (n < 0 && errno == EAGAIN) continue;
            if (n <= 0) {
                ++errors;
                --waiting;
                epoll_ctl(ep, EPOLL_CTL_DEL, fds[k], NULL);
                close(fds[k]);
                fds[k] = -1;
                continue;
            }
            got[k] += (uint32_t)n;
            if (got[k] < (uint32_t)msg) continue;
            --waiting;
            fill(expect, 1, (uint32_t)k);
            if (memcmp(expect, rb + (size_t)k * (size_t)msg, (size_t)msg) == 0) ++answered;
            else ++bad;
            epoll_ctl(ep, EPOLL_CTL_DEL, fds[k], NULL);
        }
    }
    const double echo_s = (double)(ns_now() - e0) / 1e9;
    /* reset them all: no TIME_WAIT left on either side */
    struct linger lg = {1, 0};
    for (int i = 0; i < nconns; i++) {
        if (fds[i] < 0) continue;
        setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fds[i]);
    }
    printf("{\"mode\": \"hold\", \"server\": \"%s\", \"port\": %d, \"conns\": %d, "
           "\"established\": %d, \"connect_failed\": %llu, \"no_local_addr\": %llu, "
           "\"connect_s\": %.3f, \"held_s\": %.3f, \"released\": %s, \"dropped\": %llu, "
           "\"sent\": %llu, \"answered\": %llu, \"unanswered\": %d, \"bad\": %llu, "
           "\"errors\": %llu, \"echo_s\": %.3f}\n",
           server, port, nconns, ok, (unsigned long long)conn_failed,
           (unsigned long long)conn_addr_unavail, took, held, released ? "true" : "false",
           (unsigned long long)dropped, (unsigned long long)sent, (unsigned long long)answered,
           waiting, (unsigned long long)bad, (unsigned long long)errors, echo_s);
    return ok == nconns && answered == (uint64_t)ok ? 0 : 1;
}

int main(int argc, char **argv) {
    parse(argc, argv);
    catch_signals_and_pin(cpu);
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("epoll_create1");
        return 1;
    }
    if (!strcmp(mode, "pingpong")) return run_pingpong();
    if (!strcmp(mode, "cps")) return run_cps();
    return run_hold();
}
