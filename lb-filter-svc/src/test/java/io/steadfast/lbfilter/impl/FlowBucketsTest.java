package io.steadfast.lbfilter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.steadfast.config.FarmRule;
import io.steadfast.config.FilterMode;
import io.steadfast.config.Proto;
import io.steadfast.lbfilter.impl.FlowBuckets.Flow;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FlowBucketsTest {
    private static final FilterSpec SPEC = new FilterSpec("web", "d0", "198.18.0.50",
            List.of(new FarmRule(Proto.TCP, 8080, FilterMode.ON_ADDR), new FarmRule(Proto.TCP, 8081, FilterMode.ON_PORT),
                    new FarmRule(Proto.UDP, 53, FilterMode.ON_PORT)), Map.of("n1", 1));

    /**
     * Buckets the kernel (6.18, nft 1.0.6) chose for these flows under this spec's table: frames sent into a veth
     * whose ingress had the table, the bucket read from the element counter that moved.
     */
    @Test
    void sameBucketsAsTheKernel() {
        Object[][] kernel = {
                {Proto.TCP, "198.18.165.243", 10910, 8080, 164}, {Proto.TCP, "198.18.165.243", 26899, 8081, 191},
                {Proto.UDP, "198.18.165.243", 43683, 53, 55}, {Proto.TCP, "198.18.24.19", 54847, 8080, 144},
                {Proto.TCP, "198.18.24.19", 36143, 8081, 226}, {Proto.UDP, "198.18.24.19", 7192, 53, 101},
                {Proto.TCP, "198.18.187.150", 4825, 8080, 7}, {Proto.TCP, "198.18.187.150", 60642, 8081, 143},
                {Proto.UDP, "198.18.187.150", 34279, 53, 205}, {Proto.TCP, "198.18.30.212", 38081, 8080, 0},
                {Proto.TCP, "198.18.30.212", 9137, 8081, 245}, {Proto.UDP, "198.18.30.212", 63116, 53, 105},
                {Proto.TCP, "198.18.113.12", 57284, 8081, 252}, {Proto.UDP, "198.18.113.12", 9751, 53, 241},
        };
        for (Object[] k : kernel) {
            Flow f = new Flow((Proto) k[0], (String) k[1], (int) k[2], (int) k[3]);
            assertThat(FlowBuckets.bucket(SPEC, f)).as("%s", f).isEqualTo(k[4]);
        }
        // on_addr: the address alone; the 4-byte case agrees with the test model used by the benchmark
        assertThat(FlowBuckets.bucket(SPEC, new Flow(Proto.TCP, "198.18.24.19", 1, 8080)))
                .isEqualTo(NftJhash.bucket("198.18.24.19", FilterScript.seed("web")));
        assertThat(FlowBuckets.bucket(SPEC, new Flow(Proto.UDP, "198.18.24.19", 1, 8080))).as("no such rule").isEqualTo(-1);
    }

    @Test
    void readsTheKernelsSetListing() {
        String json = """
                {"nftables": [{"metainfo": {"version": "1.0.6"}}, {"set": {"family": "netdev", "name": "tflows",
                 "table": "sf_web", "type": ["ipv4_addr", "inet_service", "inet_service"], "flags": ["timeout"],
                 "timeout": 7200, "elem": [{"elem": {"val": {"concat": ["198.18.165.243", 10910, 8080]}, "expires": 7199}},
                 {"elem": {"val": {"concat": ["198.18.165.243", 26899, 8081]}, "expires": 7199}},
                 {"concat": ["198.18.24.19", 54847, 8080]}, {"concat": ["198.18.24.19", 1, 9999]}]}}]}
                """;
        assertThat(FlowBuckets.buckets(SPEC, Proto.TCP, json)).containsExactly(144, 164, 191);
        assertThat(FlowBuckets.buckets(SPEC, Proto.TCP, "{\"nftables\": [{\"set\": {\"name\": \"tflows\"}}]}")).isEmpty();
    }
}
