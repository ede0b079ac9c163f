#include "net/addr.hpp"

#include <cstdio>

namespace c10m::net {

std::optional<uint32_t> parse_ipv4(std::string_view text) {
    uint32_t out = 0;
    int parts = 0;
    size_t i = 0;
    while (parts < 4) {
        if (i >= text.size() || text[i] < '0' || text[i] > '9') return std::nullopt;
        uint32_t v = 0;
        size_t digits = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            v = v * 10 + static_cast<uint32_t>(text[i] - '0');
            if (++digits > 3 || v > 255) return std::nullopt;
            ++i;
        }
        if (digits > 1 && text[i - digits] == '0') return std::nullopt;  // no octal-looking parts
        out = out << 8 | v;
        if (++parts < 4) {
            if (i >= text.size() || text[i] != '.') return std::nullopt;
            ++i;
        }
    }
    if (i != text.size()) return std::nullopt;
    return out;
}

std::string ipv4_text(uint32_t a) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
                  a & 0xff);
    return buf;
}

}  // namespace c10m::net
