/* What every kecho tool shares: a stop flag set by SIGINT/SIGTERM, pinning to one
 * CPU, a monotonic clock. Benchmark tools, not part of c10m. */
#pragma once
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_flag;
static inline void on_signal(int sig) { (void)sig; stop_flag = 1; }

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* SIGINT/SIGTERM set stop_flag; pinned to cpu unless it is negative (exit 1 when
 * the pinning fails). */
static inline void catch_signals_and_pin(int cpu) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            perror("sched_setaffinity");
            exit(1);
        }
    }
}
