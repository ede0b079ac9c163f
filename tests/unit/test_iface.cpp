// --iface helpers: the vdev string and the default-route guard.
#include <gtest/gtest.h>

#include "io/iface.hpp"

using namespace c10m::io;

TEST(Iface, AfPacketVdev) {
    EXPECT_EQ(af_packet_vdev("veth0", 0, 1),
              "net_af_packet_c10m0,iface=veth0,qpairs=1,framecnt=2048");
    EXPECT_EQ(af_packet_vdev("srv0", 3, 4),
              "net_af_packet_c10m3,iface=srv0,qpairs=4,framecnt=2048");
}

TEST(Iface, DefaultRouteV4) {
    const char *route =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
        "veth0\t001212C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
    EXPECT_TRUE(has_default_route_v4(route, "eth0"));
    EXPECT_FALSE(has_default_route_v4(route, "veth0"));
    EXPECT_FALSE(has_default_route_v4(route, "eth"));
    EXPECT_FALSE(has_default_route_v4("Iface\tDestination\n", "eth0"));
}

TEST(Iface, DefaultRouteV6) {
    const char *route =
        "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
        "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
        "fe800000000000000000000000000001 00000400 00000001 00000000 00000003     wlan0\n";
    EXPECT_TRUE(has_default_route_v6(route, "wlan0"));
    EXPECT_FALSE(has_default_route_v6(route, "eth0"));
}

TEST(Iface, Exists) {
    EXPECT_TRUE(iface_exists("lo"));
    EXPECT_FALSE(iface_exists("c10m-nosuch0"));
}
