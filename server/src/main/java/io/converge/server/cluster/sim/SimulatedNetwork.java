package io.converge.server.cluster.sim;

import io.converge.server.cluster.Clock;
import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.wire.PeerCodec;
import io.converge.server.cluster.wire.PeerMessage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * A deterministic, single-threaded simulation of the network between nodes, in the style of
 * FoundationDB's simulator: one seed reproduces a whole run.
 *
 * <p>Everything happens in simulated time through one event queue ordered by (time, insertion
 * order): message deliveries and scheduled tasks (timer ticks of the nodes' state machines).
 * {@link #step()} runs the next event after moving the {@link #clock()} to its time. All
 * randomness (loss, duplication, delays) comes from one {@link Random} seeded at construction,
 * and no hash-ordered collection is iterated, so the same seed and the same calls replay the
 * same run.
 *
 * <p>Faults: per-message loss, duplication and random delay ({@link NetworkConditions});
 * partitions between groups of nodes ({@link #partition}); crashes and restarts
 * ({@link #crash}, {@link #restart}): a crashed node sends and receives nothing, messages in
 * flight to or from it are lost, and its timers scheduled with {@link #scheduleOn} never fire;
 * per-node clock skew for wall-clock consumers such as the HLC ({@link #wallClock}).
 *
 * <p>By default every message is encoded with {@link PeerCodec} at send and decoded at delivery,
 * which exercises the codec and guarantees sender and receiver never share mutable arrays.
 */
public final class SimulatedNetwork {

    private final long seed;
    private final Random random;
    private final SimulatedClock clock;
    private final boolean encodeMessages;
    private final PriorityQueue<Event> events = new PriorityQueue<>();
    private long eventCounter;
    private NetworkConditions conditions;

    private final Map<Integer, SimulatedTransport> transports = new TreeMap<>();
    private final Map<Integer, Integer> partitionGroup = new TreeMap<>();
    private final Map<Integer, Long> skewMillis = new TreeMap<>();
    private final Map<Integer, Integer> incarnation = new TreeMap<>();
    private final Map<Integer, Boolean> up = new TreeMap<>();

    private long sent;
    private long delivered;
    private long lost;
    private long duplicated;
    private long droppedPartitioned;
    private long droppedDown;

    /** A scheduled action. */
    private record Event(long time, long order, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            return time != o.time ? Long.compare(time, o.time) : Long.compare(order, o.order);
        }
    }

    /** A network with reliable 1 ms links, encoding every message. */
    public SimulatedNetwork(long seed) {
        this(seed, NetworkConditions.reliable(), true);
    }

    /** A network with the given conditions; {@code encodeMessages} round-trips messages through the codec. */
    public SimulatedNetwork(long seed, NetworkConditions conditions, boolean encodeMessages) {
        this.seed = seed;
        this.random = new Random(seed);
        this.clock = new SimulatedClock(0);
        this.conditions = conditions;
        this.encodeMessages = encodeMessages;
    }

    /** The seed this run was started with (print it when a check fails). */
    public long seed() {
        return seed;
    }

    /** The run's random source; use it for every random choice of the test too, to stay reproducible. */
    public Random random() {
        return random;
    }

    /** Simulated monotonic time, for timers and durations (failure detector, resend timeouts). */
    public SimulatedClock clock() {
        return clock;
    }

    /** Node {@code nodeId}'s wall clock: simulated time plus its skew (may jump when the skew changes). */
    public Clock wallClock(int nodeId) {
        return () -> clock.nowMillis() + skewMillis.getOrDefault(nodeId, 0L);
    }

    /** Sets node {@code nodeId}'s wall-clock skew. */
    public void setClockSkew(int nodeId, long millis) {
        skewMillis.put(nodeId, millis);
    }

    /** Changes the loss/duplication/delay model from now on. */
    public void setConditions(NetworkConditions conditions) {
        this.conditions = conditions;
    }

    /** The current loss/duplication/delay model. */
    public NetworkConditions conditions() {
        return conditions;
    }

    /** The transport of node {@code nodeId}, created (and the node marked up) on first call. */
    public SimulatedTransport transport(int nodeId) {
        return transports.computeIfAbsent(nodeId, id -> {
            up.put(id, true);
            incarnation.put(id, 0);
            return new SimulatedTransport(this, id);
        });
    }

    // ---- faults ----

    /**
     * Splits the nodes into {@code groups}; only nodes in the same group can talk. Nodes not in
     * any group form one more group together. Replaces any previous partition.
     */
    public void partition(Collection<? extends Collection<Integer>> groups) {
        List<ConnectionSnapshot> before = snapshot();
        partitionGroup.clear();
        int g = 1;
        for (Collection<Integer> group : groups) {
            for (int node : group) {
                partitionGroup.put(node, g);
            }
            g++;
        }
        notifyChanges(before);
    }

    /** Cuts {@code nodeId} off from every other node. */
    public void isolate(int nodeId) {
        List<ConnectionSnapshot> before = snapshot();
        partitionGroup.put(nodeId, -1 - nodeId);
        notifyChanges(before);
    }

    /** Removes every partition. */
    public void heal() {
        List<ConnectionSnapshot> before = snapshot();
        partitionGroup.clear();
        notifyChanges(before);
    }

    /** Whether messages from {@code a} to {@code b} can currently be delivered (both up, not partitioned). */
    public boolean canCommunicate(int a, int b) {
        return isUp(a) && isUp(b)
                && partitionGroup.getOrDefault(a, 0).intValue() == partitionGroup.getOrDefault(b, 0).intValue();
    }

    /** Crashes {@code nodeId}: it stops sending and receiving; its pending timers and in-flight messages die. */
    public void crash(int nodeId) {
        transport(nodeId);
        List<ConnectionSnapshot> before = snapshot();
        up.put(nodeId, false);
        incarnation.merge(nodeId, 1, Integer::sum);
        notifyChanges(before);
    }

    /** Brings a crashed node back (install its new handler on {@link #transport} first). */
    public void restart(int nodeId) {
        transport(nodeId);
        List<ConnectionSnapshot> before = snapshot();
        up.put(nodeId, true);
        incarnation.merge(nodeId, 1, Integer::sum);
        notifyChanges(before);
    }

    /** Whether {@code nodeId} is up. */
    public boolean isUp(int nodeId) {
        return up.getOrDefault(nodeId, false);
    }

    // ---- time and events ----

    /** Runs {@code task} after {@code delayMillis} of simulated time. */
    public void schedule(long delayMillis, Runnable task) {
        events.add(new Event(clock.nowMillis() + Math.max(0, delayMillis), eventCounter++, task));
    }

    /** Like {@link #schedule}, but the task is skipped if {@code nodeId} crashes (or restarts) meanwhile. */
    public void scheduleOn(int nodeId, long delayMillis, Runnable task) {
        int inc = incarnation.getOrDefault(nodeId, 0);
        schedule(delayMillis, () -> {
            if (isUp(nodeId) && incarnation.getOrDefault(nodeId, 0) == inc) {
                task.run();
            }
        });
    }

    /** Runs the next event, moving the clock to its time; {@code false} when no event is left. */
    public boolean step() {
        Event e = events.poll();
        if (e == null) {
            return false;
        }
        clock.advanceTo(e.time());
        e.action().run();
        return true;
    }

    /** Runs every event due within {@code millis} from now, then moves the clock to that instant. */
    public void runFor(long millis) {
        long until = clock.nowMillis() + millis;
        while (!events.isEmpty() && events.peek().time() <= until) {
            step();
        }
        clock.advanceTo(until);
    }

    /**
     * Runs events until {@code condition} holds (checked before each event) or {@code maxMillis} of
     * simulated time pass; returns whether the condition held.
     */
    public boolean runUntil(BooleanSupplier condition, long maxMillis) {
        long until = clock.nowMillis() + maxMillis;
        while (!condition.getAsBoolean()) {
            Event next = events.peek();
            if (next == null || next.time() > until) {
                clock.advanceTo(Math.max(clock.nowMillis(), until));
                return condition.getAsBoolean();
            }
            step();
        }
        return true;
    }

    /** Number of events waiting. */
    public int pendingEvents() {
        return events.size();
    }

    /** Counters so far. */
    public NetworkStats stats() {
        return new NetworkStats(sent, delivered, lost, duplicated, droppedPartitioned, droppedDown);
    }

    // ---- message path (called by SimulatedTransport) ----

    boolean submit(int from, int to, PeerMessage message) {
        if (!isUp(from) || !transports.containsKey(to)) {
            return false;
        }
        sent++;
        Object payload = encodeMessages ? PeerCodec.encodeToBytes(message) : message;
        if (random.nextDouble() < conditions.lossRate()) {
            lost++;
            return true;
        }
        int copies = random.nextDouble() < conditions.duplicateRate() ? 2 : 1;
        duplicated += copies - 1;
        int fromInc = incarnation.get(from);
        int toInc = incarnation.get(to);
        for (int c = 0; c < copies; c++) {
            long delay = conditions.minDelayMillis()
                    + (long) (random.nextDouble() * (conditions.maxDelayMillis() - conditions.minDelayMillis() + 1));
            schedule(Math.min(delay, conditions.maxDelayMillis()), () -> deliver(from, fromInc, to, toInc, payload));
        }
        return true;
    }

    private void deliver(int from, int fromInc, int to, int toInc, Object payload) {
        if (!isUp(from) || !isUp(to) || incarnation.get(from) != fromInc || incarnation.get(to) != toInc) {
            droppedDown++;
            return;
        }
        if (!canCommunicate(from, to)) {
            droppedPartitioned++;
            return;
        }
        PeerMessage message = payload instanceof byte[] bytes
                ? PeerCodec.decodeFrame(bytes, Integer.MAX_VALUE)
                : (PeerMessage) payload;
        delivered++;
        transports.get(to).deliver(from, message);
    }

    ConnectionState stateBetween(int from, int to) {
        return canCommunicate(from, to) ? ConnectionState.CONNECTED : ConnectionState.DISCONNECTED;
    }

    // ---- connection-state notifications ----

    private record ConnectionSnapshot(int from, int to, ConnectionState state) {}

    private List<ConnectionSnapshot> snapshot() {
        List<ConnectionSnapshot> states = new ArrayList<>();
        for (int a : transports.keySet()) {
            for (int b : transports.keySet()) {
                if (a != b) {
                    states.add(new ConnectionSnapshot(a, b, stateBetween(a, b)));
                }
            }
        }
        return states;
    }

    private void notifyChanges(List<ConnectionSnapshot> before) {
        for (ConnectionSnapshot s : before) {
            ConnectionState now = stateBetween(s.from(), s.to());
            if (now != s.state() && isUp(s.from())) {
                SimulatedTransport t = transports.get(s.from());
                scheduleOn(s.from(), 0, () -> t.notifyState(s.to(), now));
            }
        }
    }
}
