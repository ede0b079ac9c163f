#pragma once

// The forward path's common case four frames at a time, in SSE registers (as DPDK's
// l3fwd does): the checks fast_path() (router.hpp) makes one frame at a time, made on
// four at once as lanes of vectors, with one branch for all of them. It answers for
// the four together: yes when each is a plain forward whose route is one given table
// entry (the burst's last gateway, whose neighbour is known); "mixed" when each is a
// plain forward but their routes differ, for the caller to match each lane's entry
// with a gateway it knows. Any other group goes back to one frame at a time, so no
// frame's fate depends on its neighbours in the burst. Nothing is written until all
// four passed.
#include <rte_config.h>
#include <smmintrin.h>

#include <bit>
#include <cstdint>
#include <cstring>

#include "route/fib.hpp"
#include "route/router.hpp"
#include "wire/bytes.hpp"

namespace c10m::route {

// Lanes hold header words as they lie in memory, read as native integers.
static_assert(std::endian::native == std::endian::little);

// Four frames' headers, as judge_x4 read them; what rewrite_x4 writes.
struct FourFrames {
    uint8_t *f[4];
    __m128i head[4];  // each frame's first 16 bytes
    __m128i ttl;      // per lane, the 32-bit word at IPv4 offset 8 (TTL, protocol, checksum)
    __m128i entries;  // mixed: per lane, the route's first-level entry (Lpm::entries_x4)
};

enum class Judged : uint8_t {
    no,       // some frame is not a plain forward (or lacks its checks): one at a time
    mixed,    // all four plain forwards within rv.min_mtu, not all by `entry` within `mtu`
    one_hop,  // all four plain forwards by `entry`, within `mtu`
};

namespace detail {

// Per lane (u32), whether the ten 16-bit words of the lane's IPv4 header, spread over
// five vectors two words a lane, sum to a multiple of 0xffff other than 0: its
// checksum is right (RFC 1071). pmaddwd adds word pairs, signed: with each word's top
// bit flipped, a word w counts as w - 0x8000, and the ten of them sum to the true sum
// less 5 * 0x10000, which is added back. Folded twice (the sum is below 2^20), a
// right checksum reads 0xffff (only 0 folds to 0, and the header is never all zero).
[[gnu::always_inline]] inline __m128i checksum_ok_x4(__m128i a, __m128i b, __m128i c, __m128i d,
                                                     __m128i e) noexcept {
    const __m128i flip = _mm_set1_epi16(static_cast<int16_t>(0x8000));
    const __m128i ones = _mm_set1_epi16(1);
    __m128i s = _mm_add_epi32(_mm_madd_epi16(_mm_xor_si128(a, flip), ones),
                              _mm_madd_epi16(_mm_xor_si128(b, flip), ones));
    s = _mm_add_epi32(s, _mm_madd_epi16(_mm_xor_si128(c, flip), ones));
    s = _mm_add_epi32(s, _mm_madd_epi16(_mm_xor_si128(d, flip), ones));
    s = _mm_add_epi32(s, _mm_madd_epi16(_mm_xor_si128(e, flip), ones));
    s = _mm_add_epi32(s, _mm_set1_epi32(5 * 0x10000));
    const __m128i low = _mm_set1_epi32(0xffff);
    s = _mm_add_epi32(_mm_and_si128(s, low), _mm_srli_epi32(s, 16));
    s = _mm_add_epi32(_mm_and_si128(s, low), _mm_srli_epi32(s, 16));
    return _mm_cmpeq_epi32(s, low);
}

// Whether src (four addresses, one a lane) equals any of the four addresses whose
// rotations are at o[0..4) (RouterView::own_x4), OR-ed into bad. A function, not a
// lambda: GCC left the lambda out of line, and a call spills every live vector.
[[gnu::always_inline]] inline __m128i own4(__m128i bad, __m128i src, const __m128i *o) noexcept {
    bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi32(src, _mm_load_si128(o)),
                                         _mm_cmpeq_epi32(src, _mm_load_si128(o + 1))));
    return _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi32(src, _mm_load_si128(o + 2)),
                                          _mm_cmpeq_epi32(src, _mm_load_si128(o + 3))));
}

}  // namespace detail

// Whether all four frames at f (whose lengths are the lanes of len) are ones that
// fast_path() takes but for their route, each as long as its IPv4 header says (no
// Ethernet padding to trim, which leaves a forward's frame as it is but for TTL,
// checksum and MACs); and whether each is routed by the table entry `entry`
// (Lpm::entry_of) with `mtu` its fast_mtu. Reads each frame's first 34 bytes once all
// four are that long. Unless it says no, x holds what rewrite_x4 needs (mixed: and
// each lane's entry); either way nothing is written.
[[gnu::always_inline]] inline Judged judge_x4(uint8_t *const f[4], __m128i len, const PortIf &in,
                                              const RouterView &rv, uint32_t entry, uint16_t mtu,
                                              FourFrames &x) noexcept {
    if (_mm_movemask_epi8(_mm_cmplt_epi32(len, _mm_set1_epi32(14 + 20)))) return Judged::no;
    // Ethernet and the IPv4 header's first byte, against the rx port's want and mask.
    const __m128i want = _mm_load_si128(reinterpret_cast<const __m128i *>(in.head_want));
    const __m128i mask = _mm_load_si128(reinterpret_cast<const __m128i *>(in.head_mask));
    for (int k = 0; k < 4; ++k)
        x.head[k] = _mm_loadu_si128(reinterpret_cast<const __m128i *>(f[k]));
    const __m128i diff =
        _mm_or_si128(_mm_or_si128(_mm_xor_si128(x.head[0], want), _mm_xor_si128(x.head[1], want)),
                     _mm_or_si128(_mm_xor_si128(x.head[2], want), _mm_xor_si128(x.head[3], want)));
    if (!_mm_testz_si128(diff, mask)) return Judged::no;
    // The IPv4 headers' first 16 bytes, transposed: row j holds each frame's 32-bit
    // word j (as it lies in memory) in that frame's lane; dst the last word.
    const __m128i i0 = _mm_loadu_si128(reinterpret_cast<const __m128i *>(f[0] + 14));
    const __m128i i1 = _mm_loadu_si128(reinterpret_cast<const __m128i *>(f[1] + 14));
    const __m128i i2 = _mm_loadu_si128(reinterpret_cast<const __m128i *>(f[2] + 14));
    const __m128i i3 = _mm_loadu_si128(reinterpret_cast<const __m128i *>(f[3] + 14));
    const __m128i lo01 = _mm_unpacklo_epi32(i0, i1), lo23 = _mm_unpacklo_epi32(i2, i3);
    const __m128i hi01 = _mm_unpackhi_epi32(i0, i1), hi23 = _mm_unpackhi_epi32(i2, i3);
    const __m128i w0 = _mm_unpacklo_epi64(lo01, lo23);  // version, IHL, TOS, total length
    const __m128i w1 = _mm_unpackhi_epi64(lo01, lo23);  // identification, fragment
    const __m128i w2 = _mm_unpacklo_epi64(hi01, hi23);  // TTL, protocol, checksum
    const __m128i src = _mm_unpackhi_epi64(hi01, hi23);
    __m128i dst = _mm_cvtsi32_si128(static_cast<int>(wire::load32_raw(f[0] + 30)));
    dst = _mm_insert_epi32(dst, static_cast<int>(wire::load32_raw(f[1] + 30)), 1);
    dst = _mm_insert_epi32(dst, static_cast<int>(wire::load32_raw(f[2] + 30)), 2);
    dst = _mm_insert_epi32(dst, static_cast<int>(wire::load32_raw(f[3] + 30)), 3);

    // Total length, byte-swapped into its lane: the frame is exactly that plus 14,
    // and it holds at least the 20-byte header.
    const __m128i total = _mm_shuffle_epi8(
        w0, _mm_setr_epi8(3, 2, -1, -1, 7, 6, -1, -1, 11, 10, -1, -1, 15, 14, -1, -1));
    __m128i ok = _mm_cmpeq_epi32(_mm_add_epi32(total, _mm_set1_epi32(14)), len);
    ok = _mm_and_si128(ok, _mm_cmpgt_epi32(total, _mm_set1_epi32(19)));
    ok = _mm_and_si128(ok, _mm_cmpgt_epi32(_mm_and_si128(w2, _mm_set1_epi32(0xff)),
                                           _mm_set1_epi32(1)));  // TTL > 1
    ok = _mm_and_si128(ok, detail::checksum_ok_x4(w0, w1, w2, src, dst));
    // The route: each destination's first-level entry is `entry` (valid, not
    // extended to a second level, the depth bits aside), and the egress MTU holds it.
    const __m128i dst_host =
        _mm_shuffle_epi8(dst, _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
    const __m128i entries = rv.lpm->entries_x4(dst_host);
    const __m128i route_ok =
        _mm_andnot_si128(_mm_cmpgt_epi32(total, _mm_set1_epi32(mtu)),
                         _mm_cmpeq_epi32(entries, _mm_set1_epi32(static_cast<int>(entry))));
    // Never forwarded: a source or destination whose first byte is 0, 127 or 224 and
    // up (detail::kOddTop), as 16-bit lanes (source's low, destination's high); a
    // source that is ours.
    const __m128i tops =
        _mm_or_si128(_mm_and_si128(src, _mm_set1_epi32(0xff)),
                     _mm_and_si128(_mm_slli_epi32(dst, 16), _mm_set1_epi32(0xff0000)));
    __m128i bad = _mm_or_si128(_mm_cmpeq_epi16(tops, _mm_setzero_si128()),
                               _mm_cmpeq_epi16(tops, _mm_set1_epi16(127)));
    bad = _mm_or_si128(bad, _mm_cmpgt_epi16(tops, _mm_set1_epi16(223)));
    // The first four addresses outside the loop: a router has at least one (each
    // port an --ip), and rarely more than four (with none, the zeros there match
    // only the source 0.0.0.0, refused above).
    const auto *own = reinterpret_cast<const __m128i *>(rv.own_x4);
    bad = detail::own4(bad, src, own);
    if (rv.nb_own_x4 > 4) [[unlikely]] {
        for (uint32_t g = 4; g < rv.nb_own_x4; g += 4)
            bad = detail::own4(bad, src, own + g);
    }
    ok = _mm_andnot_si128(bad, ok);
    for (int k = 0; k < 4; ++k)
        x.f[k] = f[k];
    x.ttl = w2;
    if (_mm_movemask_epi8(_mm_and_si128(ok, route_ok)) == 0xffff) [[likely]]
        return Judged::one_hop;
    ok = _mm_andnot_si128(_mm_cmpgt_epi32(total, _mm_set1_epi32(rv.min_mtu)), ok);
    if (_mm_movemask_epi8(ok) != 0xffff) return Judged::no;
    x.entries = entries;
    return Judged::mixed;
}

// decrement_ttl() (router.hpp) on the four lanes of x.ttl, and the Ethernet addresses
// (the 12 bytes at macs[k] for frame k: the next hop's MAC, then the egress port's)
// written into each frame's first 16 bytes as judge_x4 read them: one 16-byte store
// per frame. The addresses are read before any frame is written, so that one pointer
// given four times is read once.
[[gnu::always_inline]] inline void rewrite_x4(const FourFrames &x,
                                              const uint8_t *const macs[4]) noexcept {
    __m128i m[4];
    for (int k = 0; k < 4; ++k)
        m[k] = _mm_loadu_si128(reinterpret_cast<const __m128i *>(macs[k]));
    // w + 0xffff, one more where w >= 0xfffe0000 (unsigned, by a signed compare of
    // both sides with their top bits flipped).
    const __m128i top = _mm_set1_epi32(static_cast<int>(0x80000000u));
    const __m128i wrap = _mm_cmpgt_epi32(
        _mm_xor_si128(x.ttl, top), _mm_set1_epi32(static_cast<int>(0xfffdffffu ^ 0x80000000u)));
    const __m128i w = _mm_add_epi32(_mm_add_epi32(x.ttl, _mm_set1_epi32(0xffff)),
                                    _mm_and_si128(wrap, _mm_set1_epi32(0x10000)));
    alignas(16) uint32_t lanes[4];
    _mm_store_si128(reinterpret_cast<__m128i *>(lanes), w);
    // The 12 address bytes as the low six 16-bit words, the frame's bytes 12..15 kept.
    for (int k = 0; k < 4; ++k) {
        _mm_storeu_si128(reinterpret_cast<__m128i *>(x.f[k]),
                         _mm_blend_epi16(x.head[k], m[k], 0x3f));
        std::memcpy(x.f[k] + 14 + 8, &lanes[k], 4);
    }
}

}  // namespace c10m::route
