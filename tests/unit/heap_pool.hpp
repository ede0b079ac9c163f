#pragma once

// An mbuf pool in plain heap memory, for tests that run without the EAL (the TCP
// engine segment by segment, the fuzz targets). It is an rte_mempool laid out by
// hand, as rte_pktmbuf_pool_create lays one out (no per-lcore cache; the pktmbuf
// private header after it; each mbuf with its object header in front and its
// private area and data room behind), whose ops keep the free mbufs on a stack.
// rte_pktmbuf_alloc, _free, _free_bulk, refcounts, clones and
// rte_mempool_in_use_count then work on it as on a real pool: they are inline
// functions over the mempool ops table, which needs no EAL.
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>

namespace c10m::test {

class HeapPool {
  public:
    explicit HeapPool(unsigned n = 4095, uint16_t priv = 64,
                      uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE)
        : n_(n) {
        static const int ops_index = register_ops();
        const size_t head = sizeof(rte_mempool) + sizeof(rte_pktmbuf_pool_private);
        mp_ = static_cast<rte_mempool *>(std::aligned_alloc(64, round64(head)));
        if (!mp_) throw std::bad_alloc();
        std::memset(static_cast<void *>(mp_), 0, round64(head));
        std::strncpy(mp_->name, "heap_pool", sizeof mp_->name - 1);
        mp_->size = n;
        mp_->cache_size = 0;
        mp_->header_size = kHeader;
        mp_->elt_size = static_cast<uint32_t>(sizeof(rte_mbuf) + priv + data_room);
        mp_->private_data_size = sizeof(rte_pktmbuf_pool_private);
        mp_->ops_index = ops_index;
        mp_->socket_id = SOCKET_ID_ANY;
        mp_->populated_size = n;
        stack_ = new std::vector<void *>();
        mp_->pool_data = stack_;
        auto *pp = static_cast<rte_pktmbuf_pool_private *>(rte_mempool_get_priv(mp_));
        pp->mbuf_data_room_size = data_room;
        pp->mbuf_priv_size = priv;

        stride_ = kHeader + round64(mp_->elt_size);
        mem_ = static_cast<uint8_t *>(std::aligned_alloc(64, stride_ * n));
        if (!mem_) throw std::bad_alloc();
        std::memset(mem_, 0, stride_ * n);
        for (unsigned i = 0; i < n; ++i) {
            uint8_t *obj = mem_ + i * stride_ + kHeader;
            auto *hdr = reinterpret_cast<rte_mempool_objhdr *>(obj - sizeof(rte_mempool_objhdr));
            hdr->mp = mp_;
            hdr->iova = RTE_BAD_IOVA;
            rte_pktmbuf_init(mp_, nullptr, obj, i);
            stack_->push_back(obj);
        }
    }
    ~HeapPool() {
        std::free(mem_);
        delete stack_;
        std::free(mp_);
    }
    HeapPool(const HeapPool &) = delete;
    HeapPool &operator=(const HeapPool &) = delete;

    rte_mempool *get() const noexcept { return mp_; }
    unsigned in_use() const noexcept { return rte_mempool_in_use_count(mp_); }
    unsigned size() const noexcept { return n_; }

    rte_mbuf *frame(const std::vector<uint8_t> &bytes) const {
        rte_mbuf *m = rte_pktmbuf_alloc(mp_);
        if (!m) throw std::runtime_error("heap pool empty");
        char *p = rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size()));
        if (!p) throw std::runtime_error("frame larger than the data room");
        if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
        return m;
    }

  private:
    static constexpr uint32_t kHeader = 64;  // room for the object header, keeps mbufs aligned
    static size_t round64(size_t x) { return (x + 63) & ~size_t{63}; }
    static std::vector<void *> &stack(const rte_mempool *mp) {
        return *static_cast<std::vector<void *> *>(mp->pool_data);
    }
    static int register_ops() {
        static rte_mempool_ops ops = [] {
            rte_mempool_ops o{};
            std::strncpy(o.name, "c10m_heap", sizeof o.name - 1);
            o.alloc = [](rte_mempool *) { return 0; };
            o.free = [](rte_mempool *) {};
            o.enqueue = [](rte_mempool *mp, void *const *objs, unsigned n) {
                auto &s = stack(mp);
                s.insert(s.end(), objs, objs + n);
                return 0;
            };
            o.dequeue = [](rte_mempool *mp, void **objs, unsigned n) {
                auto &s = stack(mp);
                if (s.size() < n) return -ENOBUFS;
                for (unsigned i = 0; i < n; ++i) {
                    objs[i] = s.back();
                    s.pop_back();
                }
                return 0;
            };
            o.get_count = [](const rte_mempool *mp) {
                return static_cast<unsigned>(stack(mp).size());
            };
            return o;
        }();
        const int idx = rte_mempool_register_ops(&ops);
        if (idx < 0) throw std::runtime_error("cannot register the heap pool's mempool ops");
        return idx;
    }

    unsigned n_;
    rte_mempool *mp_ = nullptr;
    std::vector<void *> *stack_ = nullptr;
    uint8_t *mem_ = nullptr;
    size_t stride_ = 0;
};

inline std::vector<uint8_t> bytes_of(const rte_mbuf *m) {
    const auto *p = rte_pktmbuf_mtod(m, const uint8_t *);
    return {p, p + rte_pktmbuf_data_len(m)};
}

}  // namespace c10m::test
