// libFuzzer target: echo_frame (host/echo.hpp) on arbitrary bytes, and the pipeline's
// flow hash on the same bytes. Each input is a frame, with the port's checksum
// verdicts in its first byte. Checked: nothing is read past the frame (ASan, the
// frame sits at the end of its allocation), a reply is never larger than its
// request, and every verdict is one of the four outcomes with a named reason.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "host/echo.hpp"
#include "pipeline/flow_hash.hpp"

using namespace c10m;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 9000) return 0;
    const auto ip_csum = static_cast<net::Csum>(data[0] % 3);
    const auto l4_csum = static_cast<net::Csum>((data[0] / 3) % 3);
    const size_t len = size - 1;
    // Exactly len bytes, so that ASan sees any read past the frame.
    std::vector<uint8_t> frame(data + 1, data + size);
    static host::PortHost ph = [] {
        host::PortHost p;
        p.has_ip = true;
        p.ip = 0xc6120001;
        p.bcast = 0xc61200ff;
        const uint8_t mac[6] = {0x02, 0xc1, 0x0a, 0, 0, 1};
        std::memcpy(p.mac, mac, 6);
        return p;
    }();
    static host::UdpPorts udp = [] {
        host::UdpPorts u;
        u.add(7);
        return u;
    }();
    static host::EchoLcore lc;
    static host::NeighbourTable nt;
    (void)pipeline::flow_hash(frame.data(), static_cast<uint32_t>(len));
    const host::Verdict v = host::echo_frame(frame.data(), static_cast<uint32_t>(len), ph, udp, lc,
                                             nt, 1, ip_csum, l4_csum);
    switch (v.outcome) {
        case host::Outcome::reply:
            if (v.len > len || v.event == stats::Event::count_) std::abort();
            break;
        case host::Outcome::drop:
            if (v.drop == stats::Drop::count_) std::abort();
            break;
        case host::Outcome::tcp:
            if (v.len + 14u > len) std::abort();
            break;
        case host::Outcome::consumed:
            break;
    }
    return 0;
}
