#include "io/eal.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_pdump.h>

#include <cstdio>

#include "common/error.hpp"

namespace c10m::io {

std::string rte_error_text(int e) {
    return rte_strerror(e < 0 ? -e : e);
}
std::string rte_error_text() {
    return rte_strerror(rte_errno);
}

Eal::Eal(const std::vector<std::string> &args) : storage_(args) {
    for (auto &s : storage_)
        argv_.push_back(s.data());
    argv_.push_back(nullptr);
    // Logs go to stderr so that stdout carries only the stats (text or JSON lines).
    rte_openlog_stream(stderr);
    const int ret = rte_eal_init(static_cast<int>(storage_.size()), argv_.data());
    if (ret < 0) throw SetupError("EAL initialisation failed: " + rte_error_text());
    if (static_cast<size_t>(ret) + 1 != storage_.size()) {
        rte_eal_cleanup();
        throw UsageError("EAL: unexpected argument '" + storage_[static_cast<size_t>(ret) + 1] +
                         "'; application options go after --");
    }
    // Let dpdk-pdump (a secondary process) capture on our ports. With --in-memory no
    // secondary can attach; the call still succeeds.
    if (rte_pdump_init() != 0)
        std::fprintf(stderr, "c10m: packet capture unavailable: %s\n", rte_error_text().c_str());
}

Eal::~Eal() {
    rte_pdump_uninit();
    rte_eal_cleanup();
}

}  // namespace c10m::io
