/* The provided-buffer ring both io_uring echo servers receive into: nbuf buffers of
 * bufsz bytes (nbuf a power of two), all handed to the kernel under group bgid.
 * Returns the ring (NULL on failure, said on stderr); *bufs is the buffer memory.
 * Benchmark tools, not part of c10m. */
#pragma once
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static inline struct io_uring_buf_ring *setup_buf_ring(struct io_uring *ring, unsigned nbuf,
                                                       unsigned bufsz, unsigned short bgid,
                                                       char **bufs) {
    struct io_uring_buf_ring *br = mmap(NULL, nbuf * sizeof(struct io_uring_buf),
                                        PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    *bufs = aligned_alloc(4096, (size_t)nbuf * bufsz);
    if (br == MAP_FAILED || !*bufs) return NULL;
    io_uring_buf_ring_init(br);
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (unsigned long)br;
    reg.ring_entries = nbuf;
    reg.bgid = bgid;
    int ret = io_uring_register_buf_ring(ring, &reg, 0);
    if (ret != 0) {
        fprintf(stderr, "io_uring_register_buf_ring: %s\n", strerror(-ret));
        return NULL;
    }
    const int mask = io_uring_buf_ring_mask(nbuf);
    for (unsigned i = 0; i < nbuf; i++)
        io_uring_buf_ring_add(br, *bufs + (size_t)i * bufsz, bufsz, (unsigned short)i, mask,
                              (int)i);
    io_uring_buf_ring_advance(br, nbuf);
    return br;
}
