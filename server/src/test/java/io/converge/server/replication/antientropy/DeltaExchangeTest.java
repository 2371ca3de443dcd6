package io.converge.server.replication.antientropy;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.sim.NetworkConditions;
import io.converge.server.cluster.sim.SimulatedNetwork;
import io.converge.server.cluster.sim.SimulatedTransport;
import io.converge.server.cluster.wire.PeerMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * The delta buffer and the receive window together, over a simulated network that loses,
 * duplicates and reorders messages (acks included): every delta must be applied exactly once.
 */
class DeltaExchangeTest {

    private static final int SENDER = 1;
    private static final int RECEIVER = 2;

    @Property(tries = 40)
    void everyDeltaIsAppliedExactlyOnceDespiteLossDuplicationAndReordering(
            @ForAll long seed,
            @ForAll @DoubleRange(min = 0, max = 0.4) double loss,
            @ForAll @DoubleRange(min = 0, max = 0.4) double duplication,
            @ForAll @IntRange(min = 1, max = 400) int deltas,
            @ForAll boolean partitionMidway) {
        SimulatedNetwork net = new SimulatedNetwork(seed, new NetworkConditions(loss, duplication, 1, 30), true);
        Random random = net.random();
        DeltaBufferSettings settings = new DeltaBufferSettings(1L << 30, 200, 2_000, 80);
        DeltaOutbox outbox = new DeltaOutbox(SENDER, new int[] {SENDER, RECEIVER}, 1, settings);
        DeltaReceiver receiver = new DeltaReceiver();
        Map<String, Integer> applied = new TreeMap<>();

        SimulatedTransport senderTransport = net.transport(SENDER);
        SimulatedTransport receiverTransport = net.transport(RECEIVER);
        senderTransport.setHandler((from, message) -> {
            if (message instanceof PeerMessage.DeltaAck ack) {
                outbox.onAck(from, ack);
            }
        });
        receiverTransport.setHandler((PeerMessageHandler) (from, message) -> {
            if (message instanceof PeerMessage.DeltaBatch batch) {
                PeerMessage.DeltaAck ack = receiver.receive(from, batch,
                        (key, delta) -> applied.merge(new String(key, StandardCharsets.UTF_8), 1, Integer::sum));
                if (ack != null) {
                    receiverTransport.send(from, ack);
                }
            }
        });

        // The sender's timer: resend check and flush every 10 ms.
        Runnable[] flush = new Runnable[1];
        flush[0] = () -> {
            long now = net.clock().nowMillis();
            outbox.tick(now);
            outbox.drain(now, peer -> true, senderTransport::send);
            net.scheduleOn(SENDER, 10, flush[0]);
        };
        net.scheduleOn(SENDER, 0, flush[0]);
        // Writes arrive at random times over the first two seconds.
        for (int i = 0; i < deltas; i++) {
            int n = i;
            net.schedule(random.nextInt(2_000), () -> outbox.buffer(RECEIVER).enqueue(
                    ("d" + n).getBytes(StandardCharsets.UTF_8), new byte[1 + n % 50], SENDER, net.clock().nowMillis()));
        }
        if (partitionMidway) {
            net.schedule(500, () -> net.partition(List.of(List.of(SENDER), List.of(RECEIVER))));
            net.schedule(1_500, net::heal);
        }

        PeerDeltaBuffer buffer = outbox.buffer(RECEIVER);
        boolean done = net.runUntil(() -> net.clock().nowMillis() > 2_000 && buffer.pendingCount() == 0, 600_000);

        assertThat(done).as("seed %d: all deltas acknowledged", seed).isTrue();
        assertThat(applied).as("seed %d", seed).hasSize(deltas);
        assertThat(applied.values()).as("seed %d: applied exactly once", seed).allMatch(c -> c == 1);
        assertThat(buffer.lastSeq()).isEqualTo(deltas);
        assertThat(buffer.needsFullSync()).isFalse();
        InboundDeltaStats stats = receiver.stats().get(0);
        assertThat(stats.accepted()).isEqualTo(deltas);
        assertThat(stats.ackedSeq()).isEqualTo(deltas);
    }

    /** Model-based check of the byte bound and the overflow bookkeeping under random operations. */
    @Property(tries = 100)
    void bufferKeepsItsByteBoundAndMarksEveryOverflow(@ForAll long seed) {
        Random random = new Random(seed);
        long maxBytes = 200 + random.nextInt(2_000);
        int maxBatch = 50 + random.nextInt(150);
        PeerDeltaBuffer buffer = new PeerDeltaBuffer(2, 1, new DeltaBufferSettings(maxBytes, maxBatch, 500, 50));
        ArrayDeque<long[]> model = new ArrayDeque<>(); // {seq, bytes}
        long modelBytes = 0;
        boolean modelFlag = false;
        long nextSeq = 1;
        long acked = 0;
        long now = 0;
        for (int op = 0; op < 400; op++) {
            now += random.nextInt(20);
            switch (random.nextInt(4)) {
                case 0, 1 -> {
                    byte[] key = new byte[random.nextInt(10)];
                    byte[] delta = new byte[random.nextInt(2 * maxBatch)];
                    int bytes = 8 + key.length + delta.length;
                    long seq = buffer.enqueue(key, delta, 1, now);
                    if (!model.isEmpty() && modelBytes + bytes > maxBytes) {
                        model.clear();
                        modelBytes = 0;
                        modelFlag = true;
                    }
                    assertThat(seq).isEqualTo(nextSeq);
                    model.add(new long[] {nextSeq++, bytes});
                    modelBytes += bytes;
                }
                case 2 -> {
                    PeerMessage.DeltaBatch batch = buffer.nextBatch(now);
                    if (batch != null) {
                        assertThat(batch.baseSeq()).isEqualTo(model.peek()[0]);
                        int batchBytes = batch.entries().stream().mapToInt(e -> e.encodedSize()).sum();
                        assertThat(batch.entries().size() == 1 || batchBytes <= maxBatch).isTrue();
                    }
                }
                default -> {
                    long upTo = acked + random.nextInt((int) (nextSeq - acked));
                    buffer.onAck(1, upTo);
                    acked = Math.max(acked, upTo);
                    while (!model.isEmpty() && model.peek()[0] <= upTo) {
                        modelBytes -= model.poll()[1];
                    }
                    buffer.tick(now);
                }
            }
            assertThat(buffer.pendingBytes()).isEqualTo(modelBytes);
            assertThat(buffer.pendingBytes() <= maxBytes || buffer.pendingCount() == 1)
                    .as("within the bound, or a single delta larger than it").isTrue();
            assertThat(buffer.pendingCount()).isEqualTo(model.size());
            assertThat(buffer.needsFullSync()).isEqualTo(modelFlag);
        }
    }
}
