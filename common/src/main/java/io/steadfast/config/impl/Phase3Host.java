package io.steadfast.config.impl;

import io.steadfast.config.ModuleConfig;
import io.steadfast.config.SteadfastConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Phase 3: what only the host can tell, for a config that passed phases 1 and 2 — a replicated directory that exists
 * but is not a directory, or that lies on a pseudo filesystem (judged by the filesystem type of the directory or,
 * when it does not exist yet, of its nearest existing parent; tmpfs is allowed). Everything it needs from the
 * machine comes through {@link Host}, so the rules are tested without one.
 */
public final class Phase3Host {
    /** Filesystems that hold kernel state, not data (mountinfo type names). */
    static final Set<String> PSEUDO = Set.of("proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs",
            "securityfs", "tracefs", "fusectl", "configfs", "bpf", "pstore", "efivarfs", "hugetlbfs", "mqueue",
            "binfmt_misc", "autofs", "rpc_pipefs", "nsfs", "selinuxfs");

    private final Problems problems;
    private final Locator where;
    private final Host host;

    public Phase3Host(Problems problems, Locator where, Host host) {
        this.problems = problems;
        this.where = where;
        this.host = host;
    }

    public void check(SteadfastConfig config) {
        List<ModuleConfig> modules = config.modules();
        for (int i = 0; i < modules.size(); i++) {
            var rep = modules.get(i).replication();
            if (rep.isEmpty()) {
                continue;
            }
            List<Path> dirs = rep.get().dirs();
            for (int j = 0; j < dirs.size(); j++) {
                String problem = problem(dirs.get(j));
                if (problem != null) {
                    Locator.Loc loc = where.at("modules", i, "replication", "dirs", j);
                    problems.add(loc.node(), loc.ctx(), problem);
                }
            }
        }
    }

    private String problem(Path dir) {
        String q = "\"" + dir + "\"";
        if (host.kind(dir) == Host.Kind.OTHER) {
            return q + " exists and is not a directory";
        }
        var mount = host.mountOf(dir);
        if (mount.isPresent() && PSEUDO.contains(mount.get().type())) {
            return q + " is on a " + mount.get().type() + " filesystem (mounted at " + mount.get().point()
                    + "), a pseudo filesystem that holds no data to replicate";
        }
        return null;
    }
}
