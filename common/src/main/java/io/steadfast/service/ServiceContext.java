package io.steadfast.service;

import io.steadfast.config.ModuleConfig;
import io.steadfast.config.NodeConfig;
import io.steadfast.config.SteadfastConfig;

import java.util.List;

/** What every service knows: the whole cluster config, which node it runs on, and the cluster membership. */
public record ServiceContext(SteadfastConfig config, String nodeName, Membership membership) {
    public NodeConfig node() {
        return config.node(nodeName).orElseThrow(
                () -> new IllegalArgumentException("node \"" + nodeName + "\" is not in cluster.nodes"));
    }

    /** The modules that run on this node. */
    public List<ModuleConfig> modules() {
        return config.modulesOn(nodeName);
    }
}
