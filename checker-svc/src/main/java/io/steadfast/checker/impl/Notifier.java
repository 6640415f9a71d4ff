package io.steadfast.checker.impl;

import io.steadfast.api.HeartbeatApi.ModuleState;
import io.steadfast.api.ReplicationApi.ResyncProgress;
import io.steadfast.config.NotifyConfig;
import io.steadfast.service.HealthRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * Module notifications of this node ({@code notify: { script, webhook }}): turns the events checker-svc sees into
 * {@link Notification}s — a state change of a module here, a split-brain alert appearing
 * ({@link HealthRules#SPLIT_BRAIN_DETAIL}), a checker of a module here going DOWN, a resync of a module here ending —
 * and delivers them from one thread of its own through a bounded {@link NotifyQueue} with retries.
 *
 * <p>Off the failover path: heartbeat-svc only publishes; the inputs here only offer to the queue (never block);
 * scripts and HTTP run on the notifier's thread, never on the event loop nor under a module's script lock.
 * The first state seen of a module (at start) is remembered, not notified: only changes are.
 */
public final class Notifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
    public static final int QUEUE_CAPACITY = 256;
    public static final int MAX_ATTEMPTS = 5;
    public static final long BASE_BACKOFF_MS = 1_000;
    public static final long MAX_BACKOFF_MS = 30_000;
    public static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);

    /** Delivers one notification; throws when it failed (then it is retried). Runs on the notifier's thread. */
    public interface Sender {
        void script(List<String> argv, Notification n) throws Exception;

        void webhook(String url, Notification n) throws Exception;
    }

    private final String node;
    private final Map<String, NotifyConfig> modules;
    private final NotifyQueue queue;
    private final Sender sender;
    private final LongSupplier wall;
    /** (module, line) → the module log. */
    private final BiConsumer<String, String> moduleLog;
    private final Map<String, ModuleState> last = new ConcurrentHashMap<>();
    private final Map<String, String> resyncPhase = new ConcurrentHashMap<>();
    private final Object signal = new Object();
    private volatile boolean closed;
    private Thread worker;

    public Notifier(String node, Map<String, NotifyConfig> modules, NotifyQueue queue, Sender sender,
                    LongSupplier wall, BiConsumer<String, String> moduleLog) {
        this.node = node;
        this.modules = Map.copyOf(modules);
        this.queue = queue;
        this.sender = sender;
        this.wall = wall;
        this.moduleLog = moduleLog;
    }

    /** Starts the delivery thread (a virtual thread). */
    public Notifier start() {
        worker = Thread.ofVirtual().name("sf-notify").start(this::run);
        return this;
    }

    public NotifyQueue queue() {
        return queue;
    }

    // ---- inputs (any thread, never block)

    public void onState(ModuleState s) {
        if (!s.node().equals(node) || !enabled(s.module())) {
            return;
        }
        ModuleState before = last.put(s.module(), s);
        if (before != null && before.state() != s.state()) {
            notify(s.module(), "state", before.state().name(), s.state().name(), s.reason());
        }
        String sb = splitBrain(s);
        if (!sb.isEmpty() && !sb.equals(before == null ? "" : splitBrain(before))) {
            notify(s.module(), "splitbrain", s.state().name(), s.state().name(), "split brain: " + sb);
        }
    }

    public void onCheckerDown(String module, String checker, String reason) {
        if (!enabled(module)) {
            return;
        }
        String st = stateOf(module);
        notify(module, "checker", st, st, "checker " + checker + " down: " + reason);
    }

    public void onResync(ResyncProgress p) {
        if (!p.node().equals(node) || !enabled(p.module())) {
            return;
        }
        String before = resyncPhase.put(p.module(), p.phase());
        if ("done".equals(p.phase()) && !"done".equals(before)) {
            String st = stateOf(p.module());
            notify(p.module(), "resync", st, st, "resync with " + p.peer() + " done (" + p.bytesDone() + " bytes)");
        }
    }

    private boolean enabled(String module) {
        NotifyConfig c = modules.get(module);
        return c != null && c.enabled();
    }

    private String stateOf(String module) {
        ModuleState s = last.get(module);
        return s == null ? "UNKNOWN" : s.state().name();
    }

    private static String splitBrain(ModuleState s) {
        return s.details().getValue(HealthRules.SPLIT_BRAIN_DETAIL) instanceof String t ? t.strip() : "";
    }

    private void notify(String module, String event, String from, String to, String reason) {
        NotifyConfig c = modules.get(module);
        Notification n = new Notification(module, node, event, from, to, reason, wall.getAsLong());
        List<NotifyQueue.Target> targets = new ArrayList<>();
        if (!c.script().isEmpty()) {
            targets.add(NotifyQueue.Target.SCRIPT);
        }
        if (c.webhook().isPresent()) {
            targets.add(NotifyQueue.Target.WEBHOOK);
        }
        for (NotifyQueue.Target t : targets) {
            queue.offer(n, t).ifPresent(dropped -> LOG.warn("notification queue full ({} dropped so far): dropped "
                    + "the oldest, {} to {}", queue.dropped(), dropped.notification(), dropped.target()));
        }
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    // ---- delivery (the notifier's thread)

    private void run() {
        while (!closed) {
            Optional<NotifyQueue.Job> job = queue.poll();
            if (job.isEmpty()) {
                long wait = Math.min(queue.waitMs(), 1_000);
                synchronized (signal) {
                    try {
                        if (!closed && wait > 0) {
                            signal.wait(wait);
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                continue;
            }
            deliver(job.get());
        }
    }

    private void deliver(NotifyQueue.Job j) {
        Notification n = j.notification();
        NotifyConfig c = modules.get(n.module());
        try {
            if (j.target() == NotifyQueue.Target.SCRIPT) {
                sender.script(c.script(), n);
            } else {
                sender.webhook(c.webhook().orElseThrow(), n);
            }
            queue.delivered(j);
        } catch (Exception e) {
            String what = j.target().name().toLowerCase(java.util.Locale.ROOT);
            Optional<NotifyQueue.Job> retry = queue.failed(j);
            String line = "notify " + what + " failed (attempt " + j.attempt() + "/" + queue.maxAttempts() + "): "
                    + e.getMessage() + (retry.isPresent() ? "; retrying in "
                    + queue.backoffMs(j.attempt()) + " ms" : "; given up")
                    + " — " + n;
            LOG.warn("{}: {}", n.module(), line);
            log(n.module(), line);
        }
    }

    private void log(String module, String line) {
        try {
            moduleLog.accept(module, line);
        } catch (RuntimeException e) {
            LOG.debug("module log: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (signal) {
            signal.notifyAll();
        }
        if (worker != null) {
            worker.interrupt();
        }
    }

    /**
     * The real deliveries: the script as argv (never through a shell) with {@link Notification#args()} appended,
     * stdin /dev/null, output discarded, killed after {@link #SCRIPT_TIMEOUT}, a non-zero exit is a failure; the
     * webhook a JSON POST, a non-2xx answer or no answer within {@link #HTTP_TIMEOUT} is a failure.
     */
    public static final class RealSender implements Sender {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();

        @Override
        public void script(List<String> argv, Notification n) throws Exception {
            List<String> full = new ArrayList<>(argv);
            full.addAll(n.args());
            ProcessBuilder pb = new ProcessBuilder(full).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("STEADFAST_EVENT", n.event());
            pb.environment().put("STEADFAST_MODULE", n.module());
            pb.environment().put("STEADFAST_NODE", n.node());
            Process p = pb.start();
            if (!p.waitFor(SCRIPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException(argv.getFirst() + " timed out after " + SCRIPT_TIMEOUT.toSeconds()
                        + " s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(argv.getFirst() + " exited " + p.exitValue());
            }
        }

        @Override
        public void webhook(String url, Notification n) throws Exception {
            HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(HTTP_TIMEOUT)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(n.toJson().encode())).build();
            HttpResponse<Void> r = http.send(req, HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException(url + " answered " + r.statusCode());
            }
        }
    }
}
