/* TCP echo server (RFC 862) on io_uring (liburing), one thread: a multishot accept
 * that puts each connection straight into the ring's fixed-file table (no file
 * descriptor, no fget/fput per call), one multishot receive per connection that
 * picks its buffers from a provided buffer ring, and a send from the very buffer
 * the bytes arrived in, which goes back to the ring when the send completes. One
 * send in flight per connection (later buffers queue behind it, so the echo keeps
 * its order; a short send resubmits the rest). Single issuer, deferred task work;
 * each enter submits the sends and waits for their completions plus one more.
 * No user memory per idle connection beyond a 12-byte slot. Kernel baseline for
 * scripts/bench-tcp.
 *
 * usage: tcp_uring [-a ADDR] [-p PORT] [-c CPU] [-d SECONDS] [-P PROCS] [-b BACKLOG] */
#include "tcp_common.h"

#include "uring_common.h"
#include <sys/mman.h>

#define NBUF 8192u /* provided buffers (power of two) */
#define BUFSZ 2048u
#define BGID 11
#define NONE 0xffffu

enum { T_CLOSE = 0, T_ACCEPT = 1, T_RECV = 2, T_SEND = 3, T_CANCEL = 4 };
static inline uint64_t ud(unsigned type, unsigned bid, unsigned idx) {
    return (uint64_t)type << 56 | (uint64_t)bid << 32 | idx;
}

struct conn {
    uint16_t head, tail; /* bids queued for sending; head is the one in flight */
    uint8_t open, recv_on, eof, waiting_buf;
    uint16_t pad;
};
struct bufst {
    uint32_t len, off;
    uint16_t next;
};

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static struct conn *conns;
static struct bufst *bst;
static unsigned nfiles;
static int lfd, accept_on, accept_stopped, returned, bmask;
static uint16_t *waitq; /* connections waiting for buffers to re-arm their receive */
static unsigned nwait;
static unsigned queued_sends; /* send SQEs queued since the last enter */
static uint64_t accepted, closed, recv_cqes, send_cqes, bytes_in, bytes_out, partial, nobufs,
    rearms, accept_full, errors, enters, open_now, open_max;

static struct io_uring_sqe *get_sqe(void) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    if (!sqe) {
        io_uring_submit(&ring);
        queued_sends = 0; /* submitted (and counted as seen) already */
        sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
}

static void arm_accept(void) {
    struct io_uring_sqe *sqe = get_sqe();
    io_uring_prep_multishot_accept_direct(sqe, lfd, NULL, NULL, 0);
    io_uring_sqe_set_data64(sqe, ud(T_ACCEPT, 0, 0));
    accept_on = 1;
}

static void arm_recv(unsigned idx) {
    struct io_uring_sqe *sqe = get_sqe();
    io_uring_prep_recv_multishot(sqe, (int)idx, NULL, 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = BGID;
    io_uring_sqe_set_data64(sqe, ud(T_RECV, 0, idx));
    conns[idx].recv_on = 1;
}

static void submit_send(unsigned idx, unsigned bid) {
    struct io_uring_sqe *sqe = get_sqe();
    struct bufst *b = &bst[bid];
    io_uring_prep_send(sqe, (int)idx, bufs + (size_t)bid * BUFSZ + b->off, b->len - b->off,
                       MSG_NOSIGNAL);
    sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, ud(T_SEND, bid, idx));
    ++queued_sends;
}

static void give_back(unsigned bid) {
    io_uring_buf_ring_add(br, bufs + (size_t)bid * BUFSZ, BUFSZ, (unsigned short)bid, bmask,
                          returned++);
}

/* Close when nothing of the connection is in flight any more. */
static void maybe_close(unsigned idx) {
    struct conn *c = &conns[idx];
    if (!c->open || c->recv_on || c->head != NONE || c->waiting_buf) return;
    struct io_uring_sqe *sqe = get_sqe();
    io_uring_prep_close_direct(sqe, idx);
    io_uring_sqe_set_data64(sqe, ud(T_CLOSE, 0, idx));
    c->open = 0;
    ++closed;
    --open_now;
}

/* Something went wrong (a send failed): drop what is queued and stop receiving. */
static void abort_conn(unsigned idx) {
    struct conn *c = &conns[idx];
    c->eof = 1;
    while (c->head != NONE) {
        unsigned b = c->head;
        c->head = bst[b].next;
        give_back(b);
    }
    c->tail = NONE;
    if (c->recv_on) {
        struct io_uring_sqe *sqe = get_sqe();
        io_uring_prep_cancel64(sqe, ud(T_RECV, 0, idx), 0);
        io_uring_sqe_set_data64(sqe, ud(T_CANCEL, 0, idx));
    }
    maybe_close(idx);
}

static void on_accept(struct io_uring_cqe *cqe) {
    if (!(cqe->flags & IORING_CQE_F_MORE)) accept_on = 0;
    if (cqe->res < 0) {
        if (cqe->res == -ENFILE || cqe->res == -EMFILE || cqe->res == -ENOMEM) {
            ++accept_full; /* the table is full: accept again when one closes */
            accept_stopped = 1;
        } else if (cqe->res != -EINTR && cqe->res != -ECONNABORTED && cqe->res != -EAGAIN) {
            ++errors;
        }
        return;
    }
    unsigned idx = (unsigned)cqe->res;
    if (idx >= nfiles) {
        ++errors;
        return;
    }
    struct conn *c = &conns[idx];
    memset(c, 0, sizeof *c);
    c->head = c->tail = NONE;
    c->open = 1;
    ++accepted;
    if (++open_now > open_max) open_max = open_now;
    arm_recv(idx);
}

static void on_recv(struct io_uring_cqe *cqe, unsigned idx) {
    struct conn *c = &conns[idx];
    ++recv_cqes;
    const int more = cqe->flags & IORING_CQE_F_MORE;
    if (!more) c->recv_on = 0;
    if (cqe->res > 0) {
        unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        bytes_in += (uint64_t)cqe->res;
        if (c->eof) { /* aborted meanwhile: nothing more is sent */
            give_back(bid);
        } else {
            bst[bid].len = (uint32_t)cqe->res;
            bst[bid].off = 0;
            bst[bid].next = NONE;
            if (c->head == NONE) {
                c->head = c->tail = (uint16_t)bid;
                submit_send(idx, bid);
            } else {
                bst[c->tail].next = (uint16_t)bid;
                c->tail = (uint16_t)bid;
            }
        }
        if (!more && !c->eof) arm_recv(idx);
    } else if (cqe->res == -ENOBUFS) {
        ++nobufs; /* re-armed once buffers came back (below), not at once: it would spin */
        if (!more && !c->eof && !c->waiting_buf) {
            c->waiting_buf = 1;
            waitq[nwait++] = (uint16_t)idx;
        }
    } else {
        /* 0: the peer closed (we close after it, once the echo is out); <0: reset etc. */
        if (cqe->res < 0 && cqe->res != -ECONNRESET && cqe->res != -ECANCELED) ++errors;
        c->eof = 1;
    }
    if (!more) maybe_close(idx);
}

static void on_send(struct io_uring_cqe *cqe, unsigned idx, unsigned bid) {
    struct conn *c = &conns[idx];
    ++send_cqes;
    if (cqe->res < 0) {
        if (cqe->res != -EPIPE && cqe->res != -ECONNRESET) ++errors;
        abort_conn(idx);
        return;
    }
    struct bufst *b = &bst[bid];
    b->off += (uint32_t)cqe->res;
    bytes_out += (uint64_t)cqe->res;
    if (b->off < b->len) { /* short send: the rest, still first in line */
        ++partial;
        submit_send(idx, bid);
        return;
    }
    c->head = b->next;
    if (c->head == NONE) c->tail = NONE;
    give_back(bid);
    if (c->head != NONE)
        submit_send(idx, c->head);
    else
        maybe_close(idx);
}

int main(int argc, char **argv) {
    struct tcp_opts o = tcp_parse_opts(argc, argv);
    tcp_setup_process(&o);
    int pidx = tcp_fork_workers(&o);
    lfd = tcp_listener(&o);

    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = 4 * NBUF;
    int ret = io_uring_queue_init_params(2048, &ring, &p);
    const char *mode = "single-issuer, defer-taskrun";
    if (ret == -EINVAL) {
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_CQSIZE;
        p.cq_entries = 4 * NBUF;
        ret = io_uring_queue_init_params(2048, &ring, &p);
        mode = "plain";
    }
    if (ret < 0) {
        fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
        return 1;
    }
    io_uring_register_ring_fd(&ring);
    /* fixed-file table: as large as RLIMIT_NOFILE allows (the kernel's bound) */
    long lim = nofile_limit();
    nfiles = (unsigned)(lim > 65535 ? 65535 : lim);
    while ((ret = io_uring_register_files_sparse(&ring, nfiles)) == -EMFILE && nfiles > 1024)
        nfiles -= 64;
    if (ret < 0) {
        fprintf(stderr, "io_uring_register_files_sparse(%u): %s\n", nfiles, strerror(-ret));
        return 1;
    }
    br = setup_buf_ring(&ring, NBUF, BUFSZ, BGID, &bufs);
    bst = calloc(NBUF, sizeof *bst);
    conns = calloc(nfiles, sizeof *conns);
    waitq = calloc(nfiles, sizeof *waitq);
    if (!br || !bst || !conns || !waitq) return 1;
    bmask = io_uring_buf_ring_mask(NBUF);
    arm_accept();

    if (pidx == 0)
        fprintf(stderr,
                "tcp_uring: %s:%d cpu %d, %d process(es), %u fixed files, %u buffers of %u, ring "
                "%s, up to %.0f s\n",
                o.addr, o.port, o.cpu, o.procs, nfiles, NBUF, BUFSZ, mode, o.duration);
    const double end = now_s() + o.duration;
    struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
    struct __kernel_timespec ts_short = {.tv_sec = 0, .tv_nsec = 1000 * 1000};
    while (!stop_flag) {
        struct io_uring_cqe *cqe;
        /* A send to a socket with room completes inside this very call: wait for
         * its completion and one more (the next receive, usually), so an echo
         * costs one enter, not two; but at most 1 ms then, so a send that has to
         * wait for room delays nobody else longer than that. */
        const unsigned wait_nr = queued_sends + 1;
        struct __kernel_timespec *tw = queued_sends ? &ts_short : &ts;
        queued_sends = 0;
        ret = io_uring_submit_and_wait_timeout(&ring, &cqe, wait_nr, tw, NULL);
        ++enters;
        if (ret < 0 && ret != -ETIME && ret != -EINTR) {
            fprintf(stderr, "io_uring_submit_and_wait_timeout: %s\n", strerror(-ret));
            break;
        }
        unsigned head, seen = 0;
        returned = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            ++seen;
            const uint64_t u = cqe->user_data;
            const unsigned type = (unsigned)(u >> 56), bid = (unsigned)(u >> 32) & 0xffffu,
                           idx = (unsigned)u;
            switch (type) {
                case T_ACCEPT: on_accept(cqe); break;
                case T_RECV: on_recv(cqe, idx); break;
                case T_SEND: on_send(cqe, idx, bid); break;
                case T_CLOSE:
                    if (cqe->res < 0) ++errors;
                    if (accept_stopped) { /* a slot is free again */
                        accept_stopped = 0;
                        if (!accept_on) arm_accept();
                    }
                    break;
                default: break; /* T_CANCEL */
            }
        }
        io_uring_cq_advance(&ring, seen);
        if (returned) io_uring_buf_ring_advance(br, returned);
        if (nwait && returned) { /* buffers are back: re-arm the receives that ran dry */
            for (unsigned i = 0; i < nwait; i++) {
                unsigned idx = waitq[i];
                conns[idx].waiting_buf = 0;
                ++rearms;
                if (conns[idx].open && !conns[idx].eof)
                    arm_recv(idx);
                else
                    maybe_close(idx);
            }
            nwait = 0;
        }
        if (!accept_on && !accept_stopped) arm_accept();
        if (now_s() >= end) break;
    }
    tcp_reap_workers(&o, pidx);
    printf("{\"server\": \"tcp_uring\", \"process\": %d, \"accepted\": %llu, \"closed\": %llu, "
           "\"open_at_exit\": %llu, \"open_max\": %llu, \"bytes_in\": %llu, \"bytes_out\": %llu, "
           "\"recv_cqes\": %llu, \"send_cqes\": %llu, \"partial_sends\": %llu, \"nobufs\": %llu, "
           "\"rearms\": %llu, \"accept_full\": %llu, \"errors\": %llu, \"enters\": %llu}\n",
           pidx, (unsigned long long)accepted, (unsigned long long)closed,
           (unsigned long long)open_now, (unsigned long long)open_max,
           (unsigned long long)bytes_in, (unsigned long long)bytes_out,
           (unsigned long long)recv_cqes, (unsigned long long)send_cqes,
           (unsigned long long)partial, (unsigned long long)nobufs, (unsigned long long)rearms,
           (unsigned long long)accept_full, (unsigned long long)errors,
           (unsigned long long)enters);
    io_uring_queue_exit(&ring);
    return 0;
}
