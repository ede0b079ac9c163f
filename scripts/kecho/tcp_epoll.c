/* TCP echo server (RFC 862) on the Linux socket API, one thread: level-triggered
 * epoll over non-blocking sockets, accept4 until EAGAIN, then per readable
 * connection one recv into a shared buffer and one send of what came. A
 * connection whose send buffer is full keeps the rest in its own buffer and waits
 * for EPOLLOUT (no reading it meanwhile: the peer is flow-controlled by TCP).
 * No user memory per idle connection beyond one pointer. Kernel baseline for
 * scripts/bench-tcp.
 *
 * usage: tcp_epoll [-a ADDR] [-p PORT] [-c CPU] [-d SECONDS] [-P PROCS] [-b BACKLOG] */
#include "tcp_common.h"

#include <sys/epoll.h>

#define BUFSZ (64 * 1024)
#define NEV 512

struct pend {
    uint32_t len, off;
    char data[];
};

static struct pend **pending; /* by fd */
static long maxfd;
static int ep, lfd, listening = 1;
static uint64_t accepted, closed, reads, sends, bytes_in, bytes_out, partial, accept_full,
    errors, wakeups, open_now, open_max;

static void conn_close(int fd) {
    free(pending[fd]);
    pending[fd] = NULL;
    close(fd); /* removes it from the epoll set */
    ++closed;
    --open_now;
    if (!listening) { /* a descriptor is free again: accept again */
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == 0) listening = 1;
    }
}

/* Send BUF[0..n) on fd; what the socket will not take goes to its pending buffer and
 * the connection waits for EPOLLOUT. Returns 0, or -1 when the connection is gone. */
static int echo_out(int fd, const char *buf, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t s = send(fd, buf + done, n - done, MSG_NOSIGNAL);
        ++sends;
        if (s > 0) {
            done += (size_t)s;
            continue;
        }
        if (s < 0 && errno == EINTR) continue;
        if (s < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        ++errors;
        return -1;
    }
    bytes_out += done;
    if (done == n) return 0;
    ++partial;
    struct pend *p = malloc(sizeof *p + (n - done));
    if (!p) return -1;
    p->len = (uint32_t)(n - done);
    p->off = 0;
    memcpy(p->data, buf + done, n - done);
    pending[fd] = p;
    struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    return 0;
}

static void on_writable(int fd) {
    struct pend *p = pending[fd];
    if (!p) return;
    while (p->off < p->len) {
        ssize_t s = send(fd, p->data + p->off, p->len - p->off, MSG_NOSIGNAL);
        ++sends;
        if (s > 0) {
            p->off += (uint32_t)s;
            bytes_out += (uint64_t)s;
            continue;
        }
        if (s < 0 && errno == EINTR) continue;
        if (s < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        ++errors;
        conn_close(fd);
        return;
    }
    free(p);
    pending[fd] = NULL;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void on_readable(int fd, char *buf) {
    for (int round = 0; round < 4; round++) {
        ssize_t r = recv(fd, buf, BUFSZ, 0);
        ++reads;
        if (r > 0) {
            bytes_in += (uint64_t)r;
            if (echo_out(fd, buf, (size_t)r) != 0) {
                conn_close(fd);
                return;
            }
            if (pending[fd] || r < BUFSZ) return; /* drained, or waiting for EPOLLOUT */
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (r < 0 && errno != ECONNRESET) ++errors;
        conn_close(fd); /* EOF (the peer closed: we close after it) or a reset */
        return;
    }
}

static void on_listener(void) {
    for (;;) {
        int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
                /* out of descriptors: stop accepting (the listener would stay readable
                 * and spin) until a connection closes; others may take the rest */
                ++accept_full;
                if (epoll_ctl(ep, EPOLL_CTL_DEL, lfd, NULL) == 0) listening = 0;
            }
            return;
        }
        if (c >= maxfd) { /* cannot happen below RLIMIT_NOFILE, but be safe */
            close(c);
            ++errors;
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) != 0) {
            close(c);
            ++errors;
            continue;
        }
        ++accepted;
        if (++open_now > open_max) open_max = open_now;
    }
}

int main(int argc, char **argv) {
    struct tcp_opts o = tcp_parse_opts(argc, argv);
    tcp_setup_process(&o);
    int idx = tcp_fork_workers(&o);
    lfd = tcp_listener(&o);
    maxfd = nofile_limit();
    pending = calloc((size_t)maxfd, sizeof *pending);
    char *buf = aligned_alloc(4096, BUFSZ);
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    if (!pending || !buf || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
        perror("set-up");
        return 1;
    }
    if (idx == 0)
        fprintf(stderr,
                "tcp_epoll: %s:%d cpu %d, %d process(es), up to %ld descriptors each, up to %.0f s\n",
                o.addr, o.port, o.cpu, o.procs, maxfd, o.duration);
    struct epoll_event evs[NEV];
    const double end = now_s() + o.duration;
    while (!stop_flag) {
        int n = epoll_wait(ep, evs, NEV, 100);
        if (n < 0 && errno != EINTR) {
            perror("epoll_wait");
            break;
        }
        if (n > 0) ++wakeups;
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) {
                on_listener();
                continue;
            }
            if (evs[i].events & EPOLLOUT)
                on_writable(fd);
            else if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(fd, buf);
        }
        if (n < NEV && now_s() >= end) break;
    }
    tcp_reap_workers(&o, idx);
    printf("{\"server\": \"tcp_epoll\", \"process\": %d, \"accepted\": %llu, \"closed\": %llu, "
           "\"open_at_exit\": %llu, \"open_max\": %llu, \"bytes_in\": %llu, \"bytes_out\": %llu, "
           "\"recv_calls\": %llu, \"send_calls\": %llu, \"partial_sends\": %llu, "
           "\"accept_full\": %llu, \"errors\": %llu, \"wakeups\": %llu}\n",
           idx, (unsigned long long)accepted, (unsigned long long)closed,
           (unsigned long long)open_now, (unsigned long long)open_max,
           (unsigned long long)bytes_in, (unsigned long long)bytes_out,
           (unsigned long long)reads, (unsigned long long)sends, (unsigned long long)partial,
           (unsigned long long)accept_full, (unsigned long long)errors,
           (unsigned long long)wakeups);
    return 0;
}
