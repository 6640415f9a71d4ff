package io.steadfast.heartbeat.impl;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Replay protection of heartbeats across restarts of either side. Every beat carries its sender's boot epoch (a
 * number that grows at every start of the sender's agent, {@link BootEpoch}) and a sequence number that grows
 * within the epoch. Per peer this remembers the newest epoch seen and, from the last save, the highest sequence
 * accepted in it; both survive a restart of this node ({@link #save}/{@link #load}), so that after it:
 * <ul>
 *   <li>a beat of an older epoch than one seen is refused (the peer's previous boot: replayed);</li>
 *   <li>a beat of the newest epoch at or below the saved sequence is refused (captured before the restart);</li>
 *   <li>a newer epoch starts a new boot.</li>
 * </ul>
 * Per lan ordering within an epoch stays {@link PeerTracker}'s. Not thread-safe: the engine thread's.
 */
public final class ReplayWindow {
    /** The newest epoch of a peer and the highest sequence accepted in it. */
    public record Mark(long epoch, long seq) {
    }

    public enum Verdict { NEW_EPOCH, SAME_EPOCH, OLD_EPOCH, BELOW_FLOOR }

    private final Map<String, Mark> marks = new HashMap<>();
    /** Per peer: sequences at or below this, in the mark's epoch, were seen before this node's restart. */
    private final Map<String, Long> floors = new HashMap<>();
    private boolean dirty;

    public ReplayWindow(Map<String, Mark> saved) {
        marks.putAll(saved);
        saved.forEach((peer, m) -> floors.put(peer, m.seq()));
    }

    public Verdict check(String peer, long epoch, long seq) {
        Mark m = marks.get(peer);
        if (m == null || epoch > m.epoch()) {
            return Verdict.NEW_EPOCH;
        }
        if (epoch < m.epoch()) {
            return Verdict.OLD_EPOCH;
        }
        Long floor = floors.get(peer);
        return floor != null && seq <= floor ? Verdict.BELOW_FLOOR : Verdict.SAME_EPOCH;
    }

    /** True when the peer ever sent a beat with an epoch (its older, epoch-less beats are then refused). */
    public boolean knows(String peer) {
        return marks.containsKey(peer);
    }

    public Optional<Mark> mark(String peer) {
        return Optional.ofNullable(marks.get(peer));
    }

    /** Records an accepted beat. */
    public void accepted(String peer, long epoch, long seq) {
        Mark m = marks.get(peer);
        if (m == null || epoch > m.epoch()) {
            marks.put(peer, new Mark(epoch, seq));
            floors.remove(peer);
            dirty = true;
        } else if (epoch == m.epoch() && seq > m.seq()) {
            marks.put(peer, new Mark(epoch, seq));
            dirty = true;
        }
    }

    /** The marks to save when they changed since the last call, else empty. */
    public Optional<Map<String, Mark>> takeChanges() {
        if (!dirty) {
            return Optional.empty();
        }
        dirty = false;
        return Optional.of(Map.copyOf(marks));
    }

    // ------------------------------------------------------------------ persistence

    /**
     * Replaces {@code file} atomically (temp file + rename). Not fsynced: it must survive a restart of the agent,
     * which the page cache does; after a crash of the machine it may be a few seconds old (replays of beats from
     * those seconds, all of the peer's current boot, are then refused only by the per-lan order).
     */
    public static void save(Path file, Map<String, Mark> marks) throws IOException {
        JsonObject j = new JsonObject();
        marks.forEach((peer, m) -> j.put(peer, new JsonObject().put("epoch", m.epoch()).put("seq", m.seq())));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.createDirectories(file.getParent());
        Files.writeString(tmp, j.encode(), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The saved marks; none when the file does not exist; a damaged file is an error naming it. */
    public static Map<String, Mark> load(Path file) {
        try {
            JsonObject j = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
            Map<String, Mark> out = new HashMap<>();
            for (String peer : j.fieldNames()) {
                JsonObject m = j.getJsonObject(peer);
                out.put(peer, new Mark(m.getLong("epoch"), m.getLong("seq")));
            }
            return out;
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(file + " is damaged (" + e.getMessage() + "); remove it to start "
                    + "without remembered heartbeat epochs", e);
        }
    }
}
