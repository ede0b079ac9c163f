// --config "(port,queue,lcore),..." parsing, as l3fwd takes it.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "config/options.hpp"

using namespace c10m;
using namespace c10m::config;

namespace {
std::string error_of(const std::string &text) {
    try {
        parse_queue_map(text);
    } catch (const UsageError &e) {
        return e.what();
    }
    return "<no error>";
}
}  // namespace

TEST(QueueMap, ParsesTriplesWithSpaces) {
    auto m = parse_queue_map(" (0,0,1), (0, 1 ,2),(1,0,1) ");
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0], (QueueMapEntry{0, 0, 1}));
    EXPECT_EQ(m[1], (QueueMapEntry{0, 1, 2}));
    EXPECT_EQ(m[2], (QueueMapEntry{1, 0, 1}));
}

TEST(QueueMap, Single) {
    auto m = parse_queue_map("(3,7,127)");
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0], (QueueMapEntry{3, 7, 127}));
}

TEST(QueueMap, Errors) {
    const std::string shape =
        "--config: expected (port,queue,lcore)[,(port,queue,lcore)...] with decimal numbers, got '";
    for (const char *bad : {"", "0,0,1", "(0,0)", "(0,0,1", "(0,0,1,2)", "(a,0,1)",
                            "(0,0,1)(1,0,1)", "(0,0,1),", "(-1,0,1)", "(0,,1)", "(0,0,1)x"})
        EXPECT_EQ(error_of(bad), shape + bad + "'") << bad;
    EXPECT_EQ(error_of("(32,0,1)"),
              "--config: expected port ids below 32 (RTE_MAX_ETHPORTS), got '(32,0,1)'");
    EXPECT_EQ(error_of("(0,1024,1)"), "--config: expected queue ids below 1024, got '(0,1024,1)'");
    EXPECT_EQ(error_of("(0,0,128)"),
              "--config: expected lcore ids below 128 (RTE_MAX_LCORE), got '(0,0,128)'");
    EXPECT_EQ(error_of("(0,0,1),(0,0,2)"),
              "--config: expected each (port,queue) at most once, got '(0,0,1),(0,0,2)'");
}
