/* Shared bits of the kernel UDP echo servers used as baselines by
 * scripts/bench-echo: option parsing, CPU pinning, a bounded run, a final JSON line.
 * Benchmark tools, not part of c10m. */
#pragma once
#include "base.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct opts {
    const char *addr;  /* local address to bind */
    int port;          /* UDP port (7) */
    int cpu;           /* pin to this CPU, -1 = leave */
    double duration;   /* stop after this many seconds (always bounded) */
    int batch;         /* datagrams per recvmmsg/sendmmsg, or ring depth hint */
};

static inline void usage(const char *prog) {
    fprintf(stderr,
            "usage: %s [-a ADDR] [-p PORT] [-c CPU] [-d SECONDS] [-b BATCH]\n"
            "  UDP echo (RFC 862) on ADDR:PORT (default 0.0.0.0:7), pinned to CPU,\n"
            "  for at most SECONDS (default 30, max 3600); SIGINT/SIGTERM stop it.\n"
            "  Prints one JSON line at exit: received, sent, errors.\n",
            prog);
    exit(2);
}

static inline struct opts parse_opts(int argc, char **argv, int default_batch) {
    struct opts o = {"0.0.0.0", 7, -1, 30.0, default_batch};
    int c;
    while ((c = getopt(argc, argv, "a:p:c:d:b:h")) != -1) {
        switch (c) {
            case 'a': o.addr = optarg; break;
            case 'p': o.port = atoi(optarg); break;
            case 'c': o.cpu = atoi(optarg); break;
            case 'd': o.duration = atof(optarg); break;
            case 'b': o.batch = atoi(optarg); break;
            default: usage(argv[0]);
        }
    }
    if (o.port < 1 || o.port > 65535 || o.duration <= 0 || o.duration > 3600 || o.batch < 1 ||
        o.batch > 4096)
        usage(argv[0]);
    return o;
}

static inline void setup_process(const struct opts *o) { catch_signals_and_pin(o->cpu); }

static inline int udp_socket(const struct opts *o, int nonblock) {
    int fd = socket(AF_INET, SOCK_DGRAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) {
        perror("socket");
        exit(1);
    }
    int sz = 8 << 20;
    /* FORCE: beyond net.core.rmem_max (we run as root); fall back quietly */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
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
    return fd;
}

/* Datagrams from ports that could loop between two echo-like services (0 echo
 * itself, 7, 13, 17, 19, 37) are not answered, as c10m does. */
static inline int loop_prone(const struct sockaddr_in *from) {
    uint16_t p = ntohs(from->sin_port);
    return p == 0 || p == 7 || p == 13 || p == 17 || p == 19 || p == 37;
}
