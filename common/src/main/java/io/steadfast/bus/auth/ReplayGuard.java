package io.steadfast.bus.auth;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Refuses a signed event-bus message seen before. Each sending JVM ({@code node}/{@code instance}) signs with a
 * random boot id, its boot time and a counter from 1; this keeps, per sending JVM, its current boot and the
 * {@value #PREVIOUS_BOOTS} before it, each with the highest counter seen and a window of
 * {@value #WINDOW} counters below it (the counter is drawn before the message is queued, so two event loops of the
 * sender may put them on the wire slightly out of order). Memory: a fixed amount per configured node and instance.
 *
 * <p>A message is accepted when its counter is above the highest of its boot, or within the window and not seen yet.
 * A boot id not seen before is accepted (a restarted JVM) unless an already known boot of the same JVM is newer by
 * the sender's own clock: a message recorded from an earlier run and replayed is refused. What is not covered: right
 * after this JVM starts it knows no boot, so the first message of an earlier run of a sender replayed before the
 * sender's current run is heard (every agent publishes its presence every second) is accepted once, and then
 * superseded by the current boot.
 *
 * <p>A publication is delivered to each local consumer separately and each delivery is checked: the same message is
 * accepted again for the same {@code delivery} token (an object shared by the deliveries of one received message
 * and never by two received messages, see {@link BusAuth}); a replay brings a new token.
 */
public final class ReplayGuard {
    static final int WINDOW = 4096;
    static final int PREVIOUS_BOOTS = 3;
    static final int DELIVERIES = 64;
    static final int MAX_SENDERS = 1024;

    public enum Verdict {
        ACCEPTED, REPLAYED, STALE_BOOT
    }

    private static final class Boot {
        final long id;
        final long bootTime;
        long highest;
        final long[] seen = new long[WINDOW / 64];
        final long[] deliverySeq = new long[DELIVERIES];
        final Object[] deliveryToken = new Object[DELIVERIES];
        int next;

        Boot(long id, long bootTime) {
            this.id = id;
            this.bootTime = bootTime;
        }

        boolean bit(long seq) {
            int i = (int) (seq % WINDOW);
            return (seen[i >>> 6] & (1L << (i & 63))) != 0;
        }

        void set(long seq) {
            int i = (int) (seq % WINDOW);
            seen[i >>> 6] |= 1L << (i & 63);
        }

        void clear(long seq) {
            int i = (int) (seq % WINDOW);
            seen[i >>> 6] &= ~(1L << (i & 63));
        }

        Verdict check(long seq, Object token) {
            if (seq > highest) {
                long from = Math.max(highest + 1, seq - WINDOW + 1);
                for (long s = from; s < seq; s++) { // counters skipped now fall in the window, unseen
                    clear(s);
                }
                highest = seq;
                set(seq);
                remember(seq, token);
                return Verdict.ACCEPTED;
            }
            if (highest - seq >= WINDOW) {
                return Verdict.REPLAYED;
            }
            if (!bit(seq)) {
                set(seq);
                remember(seq, token);
                return Verdict.ACCEPTED;
            }
            if (token != null) {
                for (int i = 0; i < DELIVERIES; i++) {
                    if (deliveryToken[i] == token && deliverySeq[i] == seq) {
                        return Verdict.ACCEPTED; // another consumer of the same received publication
                    }
                }
            }
            return Verdict.REPLAYED;
        }

        private void remember(long seq, Object token) {
            if (token != null) {
                deliverySeq[next] = seq;
                deliveryToken[next] = token;
                next = (next + 1) % DELIVERIES;
            }
        }
    }

    private static final class Sender {
        Boot current;
        final Deque<Boot> previous = new ArrayDeque<>();
    }

    private final Map<String, Sender> senders = new HashMap<>();

    /**
     * Checks (and records) one delivery of a message whose signature has been verified.
     *
     * @param token the same object for every delivery of one received message (null: no second delivery allowed)
     */
    public synchronized Verdict check(String node, String instance, long boot, long bootTime, long seq, Object token) {
        String key = node + "/" + instance;
        Sender sender = senders.get(key);
        if (sender == null) {
            if (senders.size() >= MAX_SENDERS) { // callers only pass configured nodes and known instances
                senders.clear();
            }
            sender = new Sender();
            senders.put(key, sender);
        }
        Boot b = find(sender, boot);
        if (b == null) {
            if (sender.current != null && bootTime < sender.current.bootTime) {
                return Verdict.STALE_BOOT;
            }
            b = new Boot(boot, bootTime);
            if (sender.current != null) {
                sender.previous.addFirst(sender.current);
                while (sender.previous.size() > PREVIOUS_BOOTS) {
                    sender.previous.removeLast();
                }
            }
            sender.current = b;
        }
        return b.check(seq, token);
    }

    private static Boot find(Sender sender, long boot) {
        if (sender.current != null && sender.current.id == boot) {
            return sender.current;
        }
        for (Boot b : sender.previous) {
            if (b.id == boot) {
                return b;
            }
        }
        return null;
    }
}
