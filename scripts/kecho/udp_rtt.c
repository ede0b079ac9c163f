/* Paced UDP echo client for latency: sends RATE requests per second, open loop
 * (on a fixed schedule, whether or not replies came back, so a slow server cannot
 * slow the client down and hide its own delay), each carrying a sequence number
 * and its send time; takes the round trip of every reply whose bytes match what
 * was sent. Busy-polls a non-blocking socket so the client's own wake-up time
 * stays out of the figures. Bounded: SECONDS of sending, then at most 200 ms for
 * stragglers. Prints one JSON line with the percentiles in microseconds.
 *
 * The first WARMUP seconds (-w, default 0.5) are sent and checked but not timed.
 *
 * usage: udp_rtt -s ADDR [-p PORT] [-r RATE] [-d SECONDS] [-w WARMUP] [-l PAYLOAD] [-c CPU]
 */
#include "common.h"

#include <fcntl.h>
#include <math.h>

static uint64_t ns_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, size_t n, double p) {
    if (!n) return NAN;
    size_t i = (size_t)ceil(p / 100.0 * (double)n);
    if (i > 0) --i;
    if (i >= n) i = n - 1;
    return v[i] / 1000.0;
}

static void fill(unsigned char *b, size_t len, uint64_t seq) {
    for (size_t k = 16; k < len; k++) b[k] = (unsigned char)(seq * 31 + k);
}

int main(int argc, char **argv) {
    const char *server = NULL;
    int port = 7, cpu = -1, rate = 20000, payload = 22;
    double seconds = 5, warmup = 0.5;
    int c;
    while ((c = getopt(argc, argv, "s:p:r:d:w:l:c:")) != -1) {
        switch (c) {
            case 's': server = optarg; break;
            case 'p': port = atoi(optarg); break;
            case 'r': rate = atoi(optarg); break;
            case 'd': seconds = atof(optarg); break;
            case 'w': warmup = atof(optarg); break;
            case 'l': payload = atoi(optarg); break;
            case 'c': cpu = atoi(optarg); break;
            default: goto bad;
        }
    }
    if (!server || rate < 1 || rate > 1000000 || seconds <= 0 || seconds > 60 || payload < 16 ||
        payload > 1472 || port < 1 || port > 65535 || warmup < 0 || warmup > 10) {
    bad:
        fprintf(stderr, "usage: %s -s ADDR [-p PORT] [-r RATE<=1e6] [-d SECONDS<=60] "
                        "[-w WARMUP<=10] [-l PAYLOAD 16..1472] [-c CPU]\n", argv[0]);
        return 2;
    }
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (fd < 0 || inet_pton(AF_INET, server, &a.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("socket/connect");
        return 1;
    }
    int sz = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);

    const uint64_t total = (uint64_t)(rate * (seconds + warmup));
    const uint64_t first_timed = (uint64_t)(rate * warmup);
    uint32_t *rtt = calloc(total, sizeof *rtt);
    unsigned char *seen = calloc(total, 1);
    if (!rtt || !seen) return 1;
    unsigned char sbuf[1500], rbuf[2048];
    const uint64_t gap = 1000000000ull / (uint64_t)rate;
    uint64_t sent = 0, got = 0, answered = 0, bad = 0, dup = 0, send_fail = 0, late_sends = 0;
    const uint64_t t0 = ns_now() + 1000000;
    uint64_t deadline = UINT64_MAX;
    for (;;) {
        uint64_t t = ns_now();
        if (sent < total && t >= t0 + sent * gap) {
            if (t > t0 + sent * gap + 100000) ++late_sends;  /* > 100 us behind schedule */
            memcpy(sbuf, &sent, 8);
            memcpy(sbuf + 8, &t, 8);
            fill(sbuf, (size_t)payload, sent);
            if (send(fd, sbuf, (size_t)payload, 0) != payload) ++send_fail;
            if (++sent == total) deadline = ns_now() + 200000000ull;
        }
        ssize_t r = recv(fd, rbuf, sizeof rbuf, 0);
        if (r > 0) {
            uint64_t now = ns_now(), seq, ts;
            if (r != payload) { ++bad; continue; }
            memcpy(&seq, rbuf, 8);
            memcpy(&ts, rbuf + 8, 8);
            memcpy(sbuf + 8, &ts, 8);
            fill(sbuf, (size_t)payload, seq);
            if (seq >= sent || memcmp(rbuf + 16, sbuf + 16, (size_t)payload - 16) != 0) { ++bad; continue; }
            if (seen[seq]) { ++dup; continue; }
            seen[seq] = 1;
            ++answered;
            if (seq < first_timed) continue;
            uint64_t d = now - ts;
            rtt[got++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
        }
        if (answered == total || ns_now() >= deadline) break;
    }
    qsort(rtt, got, sizeof *rtt, cmp_u32);
    printf("{\"rate\": %d, \"seconds\": %.1f, \"warmup\": %.1f, \"payload\": %d, \"sent\": %llu, \"received\": %llu, "
           "\"lost\": %llu, \"timed\": %llu, \"bad\": %llu, \"dup\": %llu, \"send_fail\": %llu, \"late_sends\": %llu, "
           "\"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f}\n",
           rate, seconds, warmup, payload, (unsigned long long)sent, (unsigned long long)answered,
           (unsigned long long)(sent - answered), (unsigned long long)got, (unsigned long long)bad, (unsigned long long)dup,
           (unsigned long long)send_fail, (unsigned long long)late_sends, pct(rtt, got, 50),
           pct(rtt, got, 90), pct(rtt, got, 99), pct(rtt, got, 99.9), pct(rtt, got, 100));
    return got > 0 ? 0 : 1;
}
