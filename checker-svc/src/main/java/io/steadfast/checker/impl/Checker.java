package io.steadfast.checker.impl;

/** One configured checker of one module on this node: what it runs and where it stands. */
public final class Checker {
    private final CheckerTracker tracker;
    private final Probe probe;
    private boolean inFlight;
    private long overruns;
    private long epoch;
    private long graceUntil;

    public Checker(CheckerTracker tracker, Probe probe) {
        this.tracker = tracker;
        this.probe = probe;
    }

    public CheckerTracker tracker() {
        return tracker;
    }

    public Probe probe() {
        return probe;
    }

    /** Marks a probe started; false when the previous one is still running (this round is skipped). */
    public boolean begin() {
        if (inFlight) {
            overruns++;
            return false;
        }
        inFlight = true;
        return true;
    }

    public void end() {
        inFlight = false;
    }

    /** Changes when the checker is re-armed, so that a result of a probe started before is ignored. */
    public long epoch() {
        return epoch;
    }

    public void newEpoch() {
        epoch++;
    }

    /** Until then (epoch ms), a DOWN result before the first UP after a re-arm does not count: the app restarts. */
    public long graceUntil() {
        return graceUntil;
    }

    public void graceUntil(long at) {
        graceUntil = at;
    }

    public long overruns() {
        return overruns;
    }
}
