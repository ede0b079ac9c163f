/* UDP echo server on io_uring (liburing), one thread: one multishot recvmsg that
 * picks its buffers from a provided buffer ring, one sendmsg per datagram from the
 * very buffer it arrived in, the buffer handed back to the ring when the send
 * completes. Single issuer, deferred task work: the kernel does the receive work
 * when this thread enters it, never in an interrupt behind its back. Kernel
 * baseline for scripts/bench-echo. */
#include "common.h"

#include "uring_common.h"
#include <sys/mman.h>

#define NBUF 4096u /* provided buffers (power of two) */
#define BUFSZ 2048u
#define BGID 7
#define TAG_RECV (1ull << 63)

struct slot {
    struct msghdr msg;
    struct iovec iov;
};

static struct io_uring_sqe *get_sqe(struct io_uring *ring) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) {
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    return sqe;
}

static void arm_recv(struct io_uring *ring, int fd, struct msghdr *rmsg) {
    struct io_uring_sqe *sqe = get_sqe(ring);
    io_uring_prep_recvmsg_multishot(sqe, fd, rmsg, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BGID;
    io_uring_sqe_set_data64(sqe, TAG_RECV);
}

int main(int argc, char **argv) {
    struct opts o = parse_opts(argc, argv, 64);
    setup_process(&o);
    int fd = udp_socket(&o, 1);

    struct io_uring ring;
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = 4 * NBUF;
    int ret = io_uring_queue_init_params(NBUF, &ring, &p);
    const char *mode = "single-issuer, defer-taskrun";
    if (ret == -EINVAL) { /* older kernel: plain ring */
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_CQSIZE;
        p.cq_entries = 4 * NBUF;
        ret = io_uring_queue_init_params(NBUF, &ring, &p);
        mode = "plain";
    }
    if (ret < 0) {
        fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
        return 1;
    }
    char *bufs = NULL;
    struct io_uring_buf_ring *br = setup_buf_ring(&ring, NBUF, BUFSZ, BGID, &bufs);
    struct slot *slots = calloc(NBUF, sizeof *slots);
    if (!br || !slots) return 1;
    const int mask = io_uring_buf_ring_mask(NBUF);

    struct msghdr rmsg; /* the multishot template: room for the source address only */
    memset(&rmsg, 0, sizeof rmsg);
    rmsg.msg_namelen = sizeof(struct sockaddr_in);
    arm_recv(&ring, fd, &rmsg);

    fprintf(stderr, "kecho_uring: %s:%d cpu %d, %u buffers, ring %s, up to %.0f s\n", o.addr, o.port,
            o.cpu, NBUF, mode, o.duration);
    uint64_t received = 0, sent = 0, send_errors = 0, ignored = 0, nobufs = 0, rearms = 0,
             enters = 0;
    const double end = now_s() + o.duration;
    struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
    while (!stop_flag) {
        struct io_uring_cqe *cqe;
        ret = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
        ++enters;
        if (now_s() >= end) break;
        if (ret < 0 && ret != -ETIME && ret != -EINTR) {
            fprintf(stderr, "io_uring_submit_and_wait_timeout: %s\n", strerror(-ret));
            break;
        }
        unsigned head, seen = 0;
        int returned = 0, rearm = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            ++seen;
            if (cqe->user_data == TAG_RECV) {
                if (!(cqe->flags & IORING_CQE_F_MORE)) rearm = 1;
                if (cqe->res < 0) {
                    if (cqe->res == -ENOBUFS) ++nobufs;
                    continue;
                }
                const unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
                char *buf = bufs + (size_t)bid * BUFSZ;
                struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(buf, cqe->res, &rmsg);
                ++received;
                if (!out || (out->flags & MSG_TRUNC) || out->namelen < sizeof(struct sockaddr_in) ||
                    loop_prone(io_uring_recvmsg_name(out))) {
                    ++ignored;
                    io_uring_buf_ring_add(br, buf, BUFSZ, (unsigned short)bid, mask, returned++);
                    continue;
                }
                struct slot *s = &slots[bid];
                s->iov.iov_base = io_uring_recvmsg_payload(out, &rmsg);
                s->iov.iov_len = io_uring_recvmsg_payload_length(out, cqe->res, &rmsg);
                s->msg.msg_name = io_uring_recvmsg_name(out);
                s->msg.msg_namelen = sizeof(struct sockaddr_in);
                s->msg.msg_iov = &s->iov;
                s->msg.msg_iovlen = 1;
                struct io_uring_sqe *sqe = get_sqe(&ring);
                io_uring_prep_sendmsg(sqe, fd, &s->msg, 0);
                io_uring_sqe_set_data64(sqe, bid);
            } else {  /* a send finished: its buffer goes back to the ring */
                const unsigned bid = (unsigned)cqe->user_data;
                if (cqe->res < 0)
                    ++send_errors;
                else
                    ++sent;
                io_uring_buf_ring_add(br, bufs + (size_t)bid * BUFSZ, BUFSZ, (unsigned short)bid,
                                      mask, returned++);
            }
        }
        io_uring_cq_advance(&ring, seen);
        if (returned) io_uring_buf_ring_advance(br, returned);
        if (rearm) {
            ++rearms;
            arm_recv(&ring, fd, &rmsg);
        }
    }
    printf("{\"server\": \"kecho_uring\", \"received\": %llu, \"sent\": %llu, \"send_errors\": %llu, "
           "\"ignored\": %llu, \"nobufs\": %llu, \"rearms\": %llu, \"enters\": %llu}\n",
           (unsigned long long)received, (unsigned long long)sent,
           (unsigned long long)send_errors, (unsigned long long)ignored,
           (unsigned long long)nobufs, (unsigned long long)rearms, (unsigned long long)enters);
    io_uring_queue_exit(&ring);
    return 0;
}
