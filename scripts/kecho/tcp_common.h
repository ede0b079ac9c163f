/* Shared bits of the kernel TCP echo servers (tcp_epoll, tcp_uring) used as
 * baselines by scripts/bench-tcp: options, CPU pinning, the listening socket,
 * optional worker processes on the same listening socket, a bounded run.
 * Benchmark tools, not part of c10m. */
#pragma once
#include "base.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct tcp_opts {
    const char *addr; /* local address to bind */
    int port;         /* TCP port (7) */
    int cpu;          /* pin to this CPU, -1 = leave */
    double duration;  /* stop after this many seconds (always bounded) */
    int procs;        /* processes, each with its own SO_REUSEPORT listener (all on CPU) */
    int backlog;      /* listen backlog */
};

static inline void tcp_usage(const char *prog) {
    fprintf(stderr,
            "usage: %s [-a ADDR] [-p PORT] [-c CPU] [-d SECONDS] [-P PROCS] [-b BACKLOG]\n"
            "  TCP echo (RFC 862) on ADDR:PORT (default 0.0.0.0:7), pinned to CPU, for at\n"
            "  most SECONDS (default 30, max 3600); SIGINT/SIGTERM stop it. PROCS (default 1,\n"
            "  max 16) processes, all pinned to CPU, each with its own SO_REUSEPORT listening\n"
            "  socket: one process holds at most RLIMIT_NOFILE connections, so holding many\n"
            "  idle connections needs several. Each process prints one JSON line at exit.\n",
            prog);
    exit(2);
}

static inline struct tcp_opts tcp_parse_opts(int argc, char **argv) {
    struct tcp_opts o = {"0.0.0.0", 7, -1, 30.0, 1, 65535};
    int c;
    while ((c = getopt(argc, argv, "a:p:c:d:P:b:h")) != -1) {
        switch (c) {
            case 'a': o.addr = optarg; break;
            case 'p': o.port = atoi(optarg); break;
            case 'c': o.cpu = atoi(optarg); break;
            case 'd': o.duration = atof(optarg); break;
            case 'P': o.procs = atoi(optarg); break;
            case 'b': o.backlog = atoi(optarg); break;
            default: tcp_usage(argv[0]);
        }
    }
    if (o.port < 1 || o.port > 65535 || o.duration <= 0 || o.duration > 3600 || o.procs < 1 ||
        o.procs > 16 || o.backlog < 1)
        tcp_usage(argv[0]);
    return o;
}

static inline void tcp_setup_process(const struct tcp_opts *o) {
    catch_signals_and_pin(o->cpu);
    signal(SIGPIPE, SIG_IGN);
    /* as many descriptors as we are allowed (the soft limit up to the hard one) */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static inline long nofile_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 65536;
    return (long)rl.rlim_cur;
}

/* The listening socket: non-blocking, SO_REUSEADDR, TCP_NODELAY (inherited by the
 * accepted sockets on Linux, so no setsockopt per connection). With several
 * processes each has its own, SO_REUSEPORT: the kernel spreads the connections
 * evenly over them by their addresses (a shared socket would let one process take
 * them all until it ran out of descriptors). */
static inline int tcp_listener(const struct tcp_opts *o) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("socket");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (o->procs > 1 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        perror("SO_REUSEPORT");
        exit(1);
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)o->port);
    if (inet_pton(AF_INET, o->addr, &a.sin_addr) != 1) {
        fprintf(stderr, "bad address %s\n", o->addr);
        exit(2);
    }
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("bind");
        exit(1);
    }
    if (listen(fd, o->backlog) != 0) {
        perror("listen");
        exit(1);
    }
    return fd;
}

/* Fork PROCS-1 workers (each then opens its own listening socket); returns the
 * worker index (0 = the parent). Workers die with the parent (PR_SET_PDEATHSIG). */
static pid_t tcp_workers[16];
static inline int tcp_fork_workers(const struct tcp_opts *o) {
    for (int i = 1; i < o->procs; i++) {
        pid_t p = fork();
        if (p < 0) {
            perror("fork");
            exit(1);
        }
        if (p == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() == 1) exit(1);
            return i;
        }
        tcp_workers[i] = p;
    }
    return 0;
}

/* In the parent: stop the workers and wait for them (they print their own lines). */
static inline void tcp_reap_workers(const struct tcp_opts *o, int idx) {
    if (idx != 0) return;
    for (int i = 1; i < o->procs; i++)
        if (tcp_workers[i] > 0) kill(tcp_workers[i], SIGINT);
    for (int i = 1; i < o->procs; i++)
        if (tcp_workers[i] > 0) waitpid(tcp_workers[i], NULL, 0);
}
