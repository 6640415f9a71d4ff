package io.steadfast.lab;

import java.util.List;

/**
 * Client j: namespace {@code <prefix>-c<j>}, lan1 only, {@code eth0} = 198.18.1.j/16 plus the extra source
 * addresses 198.18.(10+j).k/16 (k = 1..N) for load-sharing tests.
 */
public final class LabClient extends LabHost {
    private final List<String> extraAddrs;

    LabClient(Lab lab, String name, String namespace, int index, List<String> addrs, List<String> switchPorts,
            List<String> extraAddrs) {
        super(lab, name, namespace, index, addrs, switchPorts);
        this.extraAddrs = List.copyOf(extraAddrs);
    }

    /** Extra source addresses (no prefix length), in order k = 1..N. */
    public List<String> extraAddrs() {
        return extraAddrs;
    }
}
