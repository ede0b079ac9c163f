/* UDP echo server on the Linux socket API, one thread: epoll to sleep when idle,
 * recvmmsg to drain up to BATCH datagrams per system call, sendmmsg to answer them
 * all in one. Kernel baseline for scripts/bench-echo. */
#include "common.h"

#include <sys/epoll.h>

#define BUFSZ 2048

int main(int argc, char **argv) {
    struct opts o = parse_opts(argc, argv, 64);
    setup_process(&o);
    int fd = udp_socket(&o, 1);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        perror("epoll");
        return 1;
    }
    const int n = o.batch;
    char *bufs = aligned_alloc(64, (size_t)n * BUFSZ);
    struct mmsghdr *msgs = calloc((size_t)n, sizeof *msgs);
    struct mmsghdr *out = calloc((size_t)n, sizeof *out);
    struct iovec *iov = calloc((size_t)n, sizeof *iov);
    struct iovec *oiov = calloc((size_t)n, sizeof *oiov);
    struct sockaddr_in *from = calloc((size_t)n, sizeof *from);
    if (!bufs || !msgs || !out || !iov || !oiov || !from) return 1;
    for (int i = 0; i < n; i++) {
        iov[i].iov_base = bufs + (size_t)i * BUFSZ;
        iov[i].iov_len = BUFSZ;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    fprintf(stderr, "kecho_epoll: %s:%d batch %d cpu %d, up to %.0f s\n", o.addr, o.port, n, o.cpu,
            o.duration);
    uint64_t received = 0, sent = 0, send_errors = 0, ignored = 0, wakeups = 0, calls = 0;
    const double end = now_s() + o.duration;
    while (!stop_flag) {
        int r = epoll_wait(ep, &ev, 1, 100);
        if (now_s() >= end) break;
        if (r <= 0) continue;
        ++wakeups;
        for (;;) {  /* drain: while datagrams keep coming, never sleep */
            int got = recvmmsg(fd, msgs, (unsigned)n, MSG_DONTWAIT, NULL);
            ++calls;
            if (got <= 0) break;
            received += (uint64_t)got;
            int k = 0;
            for (int i = 0; i < got; i++) {
                if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC || loop_prone(&from[i])) {
                    ++ignored;
                    continue;
                }
                oiov[k].iov_base = iov[i].iov_base;
                oiov[k].iov_len = msgs[i].msg_len;
                out[k].msg_hdr.msg_iov = &oiov[k];
                out[k].msg_hdr.msg_iovlen = 1;
                out[k].msg_hdr.msg_name = &from[i];
                out[k].msg_hdr.msg_namelen = msgs[i].msg_hdr.msg_namelen;
                k++;
            }
            int done = 0, tries = 0;
            while (done < k && tries++ < 4) {
                int s = sendmmsg(fd, out + done, (unsigned)(k - done), 0);
                if (s < 0) {
                    if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) continue;
                    break;
                }
                done += s;
            }
            sent += (uint64_t)done;
            send_errors += (uint64_t)(k - done);
            for (int i = 0; i < got; i++)
                msgs[i].msg_hdr.msg_namelen = sizeof from[i];
            if (got < n) break;  /* the queue is empty for now: back to epoll */
            if (stop_flag) break;
        }
    }
    printf("{\"server\": \"kecho_epoll\", \"received\": %llu, \"sent\": %llu, \"send_errors\": %llu, "
           "\"ignored\": %llu, \"wakeups\": %llu, \"recvmmsg_calls\": %llu}\n",
           (unsigned long long)received, (unsigned long long)sent,
           (unsigned long long)send_errors, (unsigned long long)ignored,
           (unsigned long long)wakeups, (unsigned long long)calls);
    return 0;
}
