// EAL-tier tests: one EAL per process, started here without hugepages or PCI.
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <unistd.h>

#include <string>
#include <vector>

int main(int argc, char **argv) {
    ::testing::InitGoogleTest(&argc, argv);
    const std::string prefix = "--file-prefix=c10m_eal_" + std::to_string(getpid());
    std::vector<std::string> args = {
        "c10m_eal",      "-l",       "0",           "--no-huge", "-m",
        "256",           "--no-pci", "--no-shconf", prefix,      "--log-level=lib.eal:error",
        "--no-telemetry"};
    std::vector<char *> av;
    for (auto &a : args)
        av.push_back(a.data());
    if (rte_eal_init(static_cast<int>(av.size()), av.data()) < 0) {
        fprintf(stderr, "cannot init EAL\n");
        return 1;
    }
    const int ret = RUN_ALL_TESTS();
    rte_eal_cleanup();
    return ret;
}
