package io.steadfast.lab;

import java.util.List;

/** Node i: namespace {@code <prefix>-n<i>}, {@code eth0} = 198.18.0.(10+i)/16, {@code eth1} = 198.19.0.(10+i)/16. */
public final class LabNode extends LabHost {
    LabNode(Lab lab, String name, String namespace, int index, List<String> addrs, List<String> switchPorts) {
        super(lab, name, namespace, index, addrs, switchPorts);
    }
}
