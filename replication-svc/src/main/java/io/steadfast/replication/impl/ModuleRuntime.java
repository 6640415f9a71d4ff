package io.steadfast.replication.impl;

import io.steadfast.api.ReplicationApi.ReplicationStatus;
import io.steadfast.api.ReplicationApi.ResyncProgress;
import org.cryptomator.jfuse.api.Fuse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** One module's replication on this node: the bind/FUSE mounts of its directories and its replicator. */
public final class ModuleRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ModuleRuntime.class);

    private final List<DirMount> mounts = new ArrayList<>();
    private final ModuleReplicator replicator;

    /**
     * @param dirs the configured directories; {@code settingsWithoutBackings}' backings are ignored and derived
     */
    public ModuleRuntime(List<Path> dirs, ModuleReplicator.Settings base, Consumer<ReplicationStatus> onStatus,
                         Consumer<ResyncProgress> onProgress) throws IOException {
        List<Path> backings = new ArrayList<>();
        for (Path d : dirs) {
            DirMount m = new DirMount(d);
            mounts.add(m);
            backings.add(m.backing());
        }
        ModuleReplicator.Settings s = new ModuleReplicator.Settings(base.node(), base.module(), backings,
                base.stateDir(), base.async(), base.sendTimeout(), base.auth(), base.listen());
        replicator = new ModuleReplicator(s, onStatus, onProgress);
        try {
            for (int i = 0; i < mounts.size(); i++) {
                DirMount m = mounts.get(i);
                m.prepare();
                m.mount(new ReplicatedFs(m.backing(), i, replicator, Fuse.builder().errno()));
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    public ModuleReplicator replicator() {
        return replicator;
    }

    /** The directories whose replicated filesystem is no longer mounted (blocking: reads the mount table). */
    public List<String> unmounted() {
        return mounts.stream().filter(m -> !m.mounted()).map(m -> m.dir().toString()).toList();
    }

    public List<DirMount> mounts() {
        return mounts;
    }

    @Override
    public void close() {
        try {
            replicator.close();
        } catch (IOException e) {
            log.warn("closing the replicator: {}", e.getMessage());
        }
        for (DirMount m : mounts) {
            m.close();
        }
    }
}
