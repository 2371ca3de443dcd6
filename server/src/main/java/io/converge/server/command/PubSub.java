package io.converge.server.command;

import io.converge.crdt.Bytes;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.util.Glob;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The node's pub/sub: who subscribed to which channel, pattern and shard channel on this node,
 * and the delivery of a published message to them. In a cluster, a PUBLISH on any node reaches
 * the subscribers of every node: the {@link Peers} the request path installs carry it to the
 * other nodes (each delivers to its own subscribers and says how many there were), and PUBSUB
 * asks them for theirs. Messages are not stored: a node that cannot be reached when a message is
 * published (down, partitioned) does not get it, as a Redis client that is disconnected at that
 * moment does not.
 *
 * <p><b>Threads.</b> Subscriptions change on the subscriber's connection thread; messages are
 * delivered from any thread (a local PUBLISH, a peer's): each goes to the subscriber's connection
 * thread ({@link ConnectionChannel#push}), in the order this node delivers them, so the messages
 * of one publisher arrive in the order it published them.
 */
public final class PubSub {

    /** What a PUBSUB query asks a node for. */
    public enum Question {
        /** Its active channels matching the pattern (all when none). */
        CHANNELS,
        /** Its active shard channels matching the pattern (all when none). */
        SHARDCHANNELS,
        /** Its subscribed patterns. */
        PATTERNS,
        /** Its subscriber count of each channel. */
        NUMSUB,
        /** Its subscriber count of each shard channel. */
        SHARDNUMSUB
    }

    /**
     * One PUBSUB question for a node.
     *
     * @param question what is asked
     * @param args     the pattern (CHANNELS, SHARDCHANNELS: none or one) or the channels (NUMSUB, SHARDNUMSUB)
     */
    public record Query(Question question, byte[][] args) {}

    /** A node's answer: names (CHANNELS, SHARDCHANNELS, PATTERNS) or one count per asked channel. */
    public record Answer(byte[][] names, long[] counts) {}

    /** The other nodes of a cluster, as pub/sub reaches them (installed by the request path). */
    public interface Peers {
        /**
         * Delivers a message to the subscribers of every other node that can be reached now;
         * completes with how many received it there (a node that does not answer in time counts
         * none; at once with 0 when no other node can be reached).
         */
        CompletableFuture<Long> publish(boolean shard, byte[] channel, byte[] message);

        /** Asks every other node that can be reached now; completes with the answers that came in time. */
        CompletableFuture<List<Answer>> ask(Query query);
    }

    private static final byte[] MESSAGE = "message".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PMESSAGE = "pmessage".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SMESSAGE = "smessage".getBytes(StandardCharsets.US_ASCII);

    private final Map<Bytes, Set<ClientConnection>> channels = new ConcurrentHashMap<>();
    private final Map<Bytes, Set<ClientConnection>> patterns = new ConcurrentHashMap<>();
    private final Map<Bytes, Set<ClientConnection>> shardChannels = new ConcurrentHashMap<>();
    private final LongAdder published = new LongAdder();
    private volatile Peers peers;

    /** Installs the other nodes (cluster mode); null: this node alone. */
    public void peers(Peers peers) {
        this.peers = peers;
    }

    /** The other nodes, or null on a single node. */
    public Peers peers() {
        return peers;
    }

    // ------------------------------------------------------------------ subscriptions

    /** Adds {@code client} to the subscribers of {@code channel} (of a pattern, a shard channel). */
    void subscribe(Kind kind, Bytes name, ClientConnection client) {
        map(kind).computeIfAbsent(name, k -> ConcurrentHashMap.newKeySet()).add(client);
    }

    /** Removes {@code client} from the subscribers of {@code name}; the entry goes with its last subscriber. */
    void unsubscribe(Kind kind, Bytes name, ClientConnection client) {
        map(kind).computeIfPresent(name, (k, set) -> {
            set.remove(client);
            return set.isEmpty() ? null : set;
        });
    }

    /** Drops every subscription of a client that disconnected. */
    public void forget(ClientConnection client) {
        for (Kind kind : Kind.values()) {
            for (Bytes name : client.subscriptions(kind)) {
                unsubscribe(kind, name, client);
            }
            client.subscriptions(kind).clear();
        }
        client.subscriptionsChanged();
    }

    /**
     * The names {@code client} subscribed to with {@code kind}, read from the shared subscriber
     * sets (safe from any thread, unlike the client's own lists; a subscription made meanwhile
     * may be missed).
     */
    public List<byte[]> subscribedNames(Kind kind, ClientConnection client) {
        List<byte[]> names = new ArrayList<>();
        for (Map.Entry<Bytes, Set<ClientConnection>> e : map(kind).entrySet()) {
            if (e.getValue().contains(client)) {
                names.add(e.getKey().array());
            }
        }
        return names;
    }

    /** What a subscription is to: a channel, a pattern, a shard channel. */
    public enum Kind {
        /** SUBSCRIBE. */
        CHANNEL,
        /** PSUBSCRIBE. */
        PATTERN,
        /** SSUBSCRIBE. */
        SHARD
    }

    private Map<Bytes, Set<ClientConnection>> map(Kind kind) {
        return switch (kind) {
            case CHANNEL -> channels;
            case PATTERN -> patterns;
            case SHARD -> shardChannels;
        };
    }

    // ------------------------------------------------------------------ delivery

    /**
     * Delivers a message published on this node or received from a peer to this node's
     * subscribers; returns how many received it (a client subscribed to the channel and to
     * matching patterns counts once per subscription, as Redis counts).
     */
    public long deliver(boolean shard, byte[] channel, byte[] message) {
        published.increment();
        long receivers = 0;
        Set<ClientConnection> direct = (shard ? shardChannels : channels).get(Bytes.wrap(channel));
        if (direct != null) {
            byte[] kind = shard ? SMESSAGE : MESSAGE;
            for (ClientConnection c : direct) {
                c.channel().push(r -> message(r, kind, channel, message));
                receivers++;
            }
        }
        if (!shard && !patterns.isEmpty()) {
            for (Map.Entry<Bytes, Set<ClientConnection>> e : patterns.entrySet()) {
                byte[] pattern = e.getKey().array();
                if (!Glob.matches(pattern, channel, false)) {
                    continue;
                }
                for (ClientConnection c : e.getValue()) {
                    c.channel().push(r -> patternMessage(r, pattern, channel, message));
                    receivers++;
                }
            }
        }
        return receivers;
    }

    private static void message(ReplyWriter r, byte[] kind, byte[] channel, byte[] message) {
        r.pushHeader(3);
        r.bulk(kind);
        r.bulk(channel);
        r.bulk(message);
    }

    private static void patternMessage(ReplyWriter r, byte[] pattern, byte[] channel, byte[] message) {
        r.pushHeader(4);
        r.bulk(PMESSAGE);
        r.bulk(pattern);
        r.bulk(channel);
        r.bulk(message);
    }

    // ------------------------------------------------------------------ queries

    /** This node's answer to {@code query}. */
    public Answer answer(Query query) {
        return switch (query.question()) {
            case CHANNELS -> new Answer(names(channels, query.args()), null);
            case SHARDCHANNELS -> new Answer(names(shardChannels, query.args()), null);
            case PATTERNS -> new Answer(names(patterns, new byte[0][]), null);
            case NUMSUB -> new Answer(null, counts(channels, query.args()));
            case SHARDNUMSUB -> new Answer(null, counts(shardChannels, query.args()));
        };
    }

    private static byte[][] names(Map<Bytes, Set<ClientConnection>> map, byte[][] pattern) {
        List<byte[]> out = new ArrayList<>();
        for (Map.Entry<Bytes, Set<ClientConnection>> e : map.entrySet()) {
            byte[] name = e.getKey().array();
            if (!e.getValue().isEmpty() && (pattern.length == 0 || Glob.matches(pattern[0], name, false))) {
                out.add(name);
            }
        }
        return out.toArray(new byte[0][]);
    }

    private static long[] counts(Map<Bytes, Set<ClientConnection>> map, byte[][] names) {
        long[] counts = new long[names.length];
        for (int i = 0; i < names.length; i++) {
            Set<ClientConnection> set = map.get(Bytes.wrap(names[i]));
            counts[i] = set == null ? 0 : set.size();
        }
        return counts;
    }

    /** The names of several answers merged: each once, in byte order. */
    static byte[][] union(Answer mine, List<Answer> others) {
        TreeSet<Bytes> all = new TreeSet<>();
        for (byte[] n : mine.names()) {
            all.add(Bytes.wrap(n));
        }
        for (Answer a : others) {
            if (a.names() != null) {
                for (byte[] n : a.names()) {
                    all.add(Bytes.wrap(n));
                }
            }
        }
        byte[][] out = new byte[all.size()][];
        int i = 0;
        for (Bytes b : all) {
            out[i++] = b.array();
        }
        return out;
    }

    /** The counts of several answers added up, per channel. */
    static long[] sum(Answer mine, List<Answer> others) {
        long[] total = mine.counts().clone();
        for (Answer a : others) {
            if (a.counts() != null && a.counts().length == total.length) {
                for (int i = 0; i < total.length; i++) {
                    total[i] += a.counts()[i];
                }
            }
        }
        return total;
    }

    // ------------------------------------------------------------------ INFO

    /** Channels with at least one subscriber on this node. */
    public int channelCount() {
        return channels.size();
    }

    /** Patterns with at least one subscriber on this node. */
    public int patternCount() {
        return patterns.size();
    }

    /** Shard channels with at least one subscriber on this node. */
    public int shardChannelCount() {
        return shardChannels.size();
    }

    /** Messages delivered on this node since start (published here or received from peers). */
    public long deliveries() {
        return published.sum();
    }
}
