package io.converge.server.cluster.routing;

import io.converge.server.command.PubSub;
import io.converge.server.command.PubSub.Answer;
import io.converge.server.command.PubSub.Query;
import io.converge.server.command.PubSub.Question;
import io.converge.server.replication.Replicator;
import io.converge.server.replication.broadcast.Broadcaster;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Pub/sub across the cluster, over the replicator's node-level broadcasts: a message published
 * on this node goes to every peer, which delivers it to its own subscribers and answers with
 * their number; a PUBSUB query goes to every peer, which answers from its own subscriptions.
 *
 * <p>Payloads (big-endian): PUBLISH {@code [shard:1][channel length:4][channel][message]}, answered
 * with {@code [receivers:8]}; QUERY {@code [question:1][count:4]([length:4][bytes])*}, answered with
 * {@code [0:1][count:4]([length:4][name])*} (names) or {@code [1:1][count:4]([n:8])*} (counts).
 */
final class PubSubRelay implements PubSub.Peers, Broadcaster.Handler {
    static final int TOPIC_PUBLISH = 1;
    static final int TOPIC_QUERY = 2;

    private final Replicator replicator;
    private final PubSub pubsub;

    PubSubRelay(Replicator replicator, PubSub pubsub) {
        this.replicator = replicator;
        this.pubsub = pubsub;
    }

    // ------------------------------------------------------------------ this node asks

    @Override
    public CompletableFuture<Long> publish(boolean shard, byte[] channel, byte[] message) {
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + channel.length + message.length);
        b.put((byte) (shard ? 1 : 0)).putInt(channel.length).put(channel).put(message);
        CompletableFuture<Broadcaster.Answers> answers = replicator.broadcast(TOPIC_PUBLISH, b.array());
        return answers.thenApply(list -> {
            long total = 0;
            for (byte[] a : list.replies()) {
                if (a.length == 8) {
                    total += ByteBuffer.wrap(a).getLong();
                }
            }
            return total;
        });
    }

    @Override
    public CompletableFuture<List<Answer>> ask(Query query) {
        CompletableFuture<Broadcaster.Answers> answers = replicator.broadcast(TOPIC_QUERY, encodeQuery(query));
        return answers.thenApply(list -> {
            List<Answer> out = new ArrayList<>(list.replies().size());
            for (byte[] a : list.replies()) {
                try {
                    out.add(decodeAnswer(a));
                } catch (BufferUnderflowException | IllegalArgumentException e) {
                    // a malformed answer counts as none
                }
            }
            return out;
        });
    }

    // ------------------------------------------------------------------ a peer asks

    @Override
    public CompletableFuture<byte[]> handle(int fromNodeId, int topic, byte[] payload) {
        try {
            ByteBuffer b = ByteBuffer.wrap(payload);
            return switch (topic) {
                case TOPIC_PUBLISH -> {
                    boolean shard = b.get() != 0;
                    byte[] channel = bytes(b, b.getInt());
                    byte[] message = bytes(b, b.remaining());
                    long receivers = pubsub.deliver(shard, channel, message);
                    yield CompletableFuture.completedFuture(ByteBuffer.allocate(8).putLong(receivers).array());
                }
                case TOPIC_QUERY -> CompletableFuture.completedFuture(encodeAnswer(pubsub.answer(decodeQuery(b))));
                default -> CompletableFuture.failedFuture(new IllegalArgumentException("unknown topic " + topic));
            };
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("malformed pub/sub request", e));
        }
    }

    // ------------------------------------------------------------------ encodings

    static byte[] encodeQuery(Query q) {
        int size = 1 + 4;
        for (byte[] a : q.args()) {
            size += 4 + a.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put((byte) q.question().ordinal()).putInt(q.args().length);
        for (byte[] a : q.args()) {
            b.putInt(a.length).put(a);
        }
        return b.array();
    }

    static Query decodeQuery(ByteBuffer b) {
        int question = b.get();
        Question[] all = Question.values();
        if (question < 0 || question >= all.length) {
            throw new IllegalArgumentException("question " + question);
        }
        return new Query(all[question], list(b));
    }

    static byte[] encodeAnswer(Answer a) {
        if (a.names() != null) {
            int size = 1 + 4;
            for (byte[] n : a.names()) {
                size += 4 + n.length;
            }
            ByteBuffer b = ByteBuffer.allocate(size);
            b.put((byte) 0).putInt(a.names().length);
            for (byte[] n : a.names()) {
                b.putInt(n.length).put(n);
            }
            return b.array();
        }
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 * a.counts().length);
        b.put((byte) 1).putInt(a.counts().length);
        for (long c : a.counts()) {
            b.putLong(c);
        }
        return b.array();
    }

    static Answer decodeAnswer(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int kind = b.get();
        if (kind == 0) {
            return new Answer(list(b), null);
        }
        int n = count(b, 8);
        long[] counts = new long[n];
        for (int i = 0; i < n; i++) {
            counts[i] = b.getLong();
        }
        return new Answer(null, counts);
    }

    private static byte[][] list(ByteBuffer b) {
        int n = count(b, 4);
        byte[][] out = new byte[n][];
        for (int i = 0; i < n; i++) {
            out[i] = bytes(b, b.getInt());
        }
        return out;
    }

    /** A count of items of at least {@code minBytes} each that the rest of {@code b} can hold. */
    private static int count(ByteBuffer b, int minBytes) {
        int n = b.getInt();
        if (n < 0 || (long) n * minBytes > b.remaining()) {
            throw new IllegalArgumentException("count " + n);
        }
        return n;
    }

    private static byte[] bytes(ByteBuffer b, int length) {
        if (length < 0 || length > b.remaining()) {
            throw new IllegalArgumentException("length " + length);
        }
        byte[] out = new byte[length];
        b.get(out);
        return out;
    }
}
