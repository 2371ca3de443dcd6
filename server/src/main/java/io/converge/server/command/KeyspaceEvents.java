package io.converge.server.command;

import io.converge.server.config.NotifyFlags;
import io.converge.server.node.Engine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * Keyspace notifications ({@code notify-keyspace-events}), as Redis 7.0 publishes them: an event
 * of an enabled class goes to {@code __keyspace@0__:<key>} with the event name as the message
 * ({@code K}) and to {@code __keyevent@0__:<event>} with the key as the message ({@code E}),
 * through {@link PubSub}, so in a cluster to the subscribers of every node.
 *
 * <p><b>Once per event.</b> A command's events come from the node that ran it (replicas that
 * merge its deltas publish nothing). Every replica expires a key on its own (the first purge
 * replicates to the others), so an expiry's {@code expired} event comes only from the replica
 * {@link #expiryPublisher} names, whether it purged the key itself or merged another's purge
 * first (on a single node, this one; in a cluster, the first replica of the key the failure
 * detector thinks up: during a partition each side may name its own, and the event may then come
 * twice; a replica whose clock is behind the purging one's sees a plain delete and tells
 * nothing).
 *
 * <p>Commands report events with {@link CommandContext#notify}, the engine reports keys a write
 * creates ({@code new}) and keys that expire; while a command runs on a thread its events queue
 * there, in the order they happened, and are published once it ran (after it released the key's
 * locks). Nothing is built while no class is enabled.
 */
public final class KeyspaceEvents implements Engine.KeyListener {
    private static final byte[] KEYSPACE_PREFIX = "__keyspace@0__:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEYEVENT_PREFIX = "__keyevent@0__:".getBytes(StandardCharsets.US_ASCII);
    private static final String EXPIRED = "expired";

    private final NodeServices node;
    private volatile Predicate<byte[]> expiryPublisher = key -> true;
    /** Per thread: the events of the command running there, or null when none runs. */
    private final ThreadLocal<Pending> pending = new ThreadLocal<>();

    private record Event(int type, String event, byte[] key) {}

    /** The events of the command (and the commands EXEC runs inside it) running on one thread. */
    private static final class Pending {
        final List<Event> events = new ArrayList<>(2);
        int depth;
        /** Per depth (1-based): the command running there and its arguments. */
        CommandSpec[] commands = new CommandSpec[4];
        byte[][][] args = new byte[4][][];
    }

    KeyspaceEvents(NodeServices node) {
        this.node = node;
    }

    /** Sets which expiries this node publishes (the cluster layer: keys it is the first live replica of). */
    public void expiryPublisher(Predicate<byte[]> publishes) {
        this.expiryPublisher = publishes;
    }

    /** Whether any event class is enabled (commands then queue their events: see {@link #commandStarted}). */
    boolean active() {
        return node.config().current().notifyKeyspaceEvents() != 0;
    }

    /** Whether events of class {@code type} are published now. */
    boolean enabled(int type) {
        int flags = node.config().current().notifyKeyspaceEvents();
        return (flags & type) != 0 && (flags & (NotifyFlags.KEYSPACE | NotifyFlags.KEYEVENT)) != 0;
    }

    /** A key expired here (lazily or by the active cycle); called under the key's lock, must not block. */
    @Override
    public void expired(byte[] key) {
        if (enabled(NotifyFlags.EXPIRED) && expiryPublisher.test(key)) {
            report(NotifyFlags.EXPIRED, EXPIRED, key);
        }
    }

    /** {@code command} starts on this thread with {@code args}: its events queue until {@link #commandEnded}. */
    void commandStarted(CommandSpec command, byte[][] args) {
        Pending p = pending.get();
        if (p == null) {
            p = new Pending();
            pending.set(p);
        }
        p.depth++;
        if (p.depth >= p.commands.length) {
            p.commands = Arrays.copyOf(p.commands, p.commands.length * 2);
            p.args = Arrays.copyOf(p.args, p.args.length * 2);
        }
        p.commands[p.depth] = command;
        p.args[p.depth] = args;
    }

    /** The command that started last on this thread ended: the outermost one publishes the queue. */
    void commandEnded() {
        Pending p = pending.get();
        p.commands[p.depth] = null;
        p.args[p.depth] = null;
        if (--p.depth > 0 || p.events.isEmpty()) {
            return;
        }
        List<Event> events = new ArrayList<>(p.events);
        p.events.clear();
        for (Event e : events) {
            publish(e.type(), e.event(), e.key());
        }
    }

    /**
     * Reports an event of class {@code type} outside a client's command (a blocked client served
     * later): published now if the class is enabled.
     */
    public void notifyNow(int type, String event, byte[] key) {
        if (enabled(type)) {
            report(type, event, key);
        }
    }

    /** An event of an enabled class: queued behind the running command's, or published now. */
    void report(int type, String event, byte[] key) {
        Pending p = pending.get();
        if (p != null && p.depth > 0) {
            p.events.add(new Event(type, event, key));
        } else {
            publish(type, event, key);
        }
    }

    /** A client's write is creating a key here: the {@code new} event. Called under the key's lock. */
    @Override
    public void created(byte[] key) {
        if (enabled(NotifyFlags.NEW)) {
            report(NotifyFlags.NEW, "new", key);
        }
    }

    /** A read found no key here: the {@code keymiss} event. Called under the key's lock. */
    @Override
    public void missed(byte[] key) {
        if (!enabled(NotifyFlags.KEY_MISS)) {
            return;
        }
        // As Redis: a key the command looks up for writing (its key spec says so) is no miss.
        Pending p = pending.get();
        if (p != null && p.depth > 0 && !p.commands[p.depth].isWrittenKey(p.args[p.depth], key)) {
            report(NotifyFlags.KEY_MISS, "keymiss", key);
        }
    }

    /** Publishes one event (its class enabled): keyspace channel first, then keyevent, as Redis. */
    void publish(int type, String event, byte[] key) {
        int flags = node.config().current().notifyKeyspaceEvents();
        if ((flags & type) == 0) {
            return;
        }
        byte[] name = event.getBytes(StandardCharsets.US_ASCII);
        if ((flags & NotifyFlags.KEYSPACE) != 0) {
            send(concat(KEYSPACE_PREFIX, key), name);
        }
        if ((flags & NotifyFlags.KEYEVENT) != 0) {
            send(concat(KEYEVENT_PREFIX, name), key);
        }
    }

    private void send(byte[] channel, byte[] message) {
        PubSub pubsub = node.pubsub();
        pubsub.deliver(false, channel, message);
        PubSub.Peers peers = pubsub.peers();
        if (peers != null) {
            peers.publish(false, channel, message); // nobody waits for the count
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
