package io.converge.server.replication.antientropy;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.wire.KeyedBytes;
import io.converge.server.cluster.wire.PeerMessage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PeerDeltaBufferTest {

    private static final int PEER = 2;
    private static final int SELF = 1;

    /** Each test delta is 8 + 2 + 10 = 20 bytes. */
    private static byte[] key(int i) {
        return String.format("%02d", i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] delta(int i) {
        return String.format("delta-%04d", i).getBytes(StandardCharsets.UTF_8);
    }

    private static PeerDeltaBuffer buffer(long maxBytes, int batchBytes, long inFlight) {
        return new PeerDeltaBuffer(PEER, 77, new DeltaBufferSettings(maxBytes, batchBytes, inFlight, 100));
    }

    @Test
    void assignsSequenceNumbersAndBatchesInOrder() {
        PeerDeltaBuffer b = buffer(10_000, 50, 10_000);
        for (int i = 1; i <= 5; i++) {
            assertThat(b.enqueue(key(i), delta(i), SELF, 0)).isEqualTo(i);
        }
        assertThat(b.pendingCount()).isEqualTo(5);
        assertThat(b.pendingBytes()).isEqualTo(100);

        PeerMessage.DeltaBatch first = b.nextBatch(10);
        assertThat(first.incarnation()).isEqualTo(77);
        assertThat(first.baseSeq()).isEqualTo(1);
        assertThat(first.firstSeq()).isEqualTo(1);
        assertThat(first.entries()).hasSize(2).extracting(KeyedBytes::value).containsExactly(delta(1), delta(2));
        PeerMessage.DeltaBatch second = b.nextBatch(10);
        assertThat(second.firstSeq()).isEqualTo(3);
        assertThat(second.entries()).hasSize(2);
        assertThat(b.nextBatch(10).entries()).hasSize(1);
        assertThat(b.nextBatch(10)).as("everything sent").isNull();
        assertThat(b.hasUnsent()).isFalse();
    }

    @Test
    void aSingleDeltaLargerThanTheTargetStillGoesAloneIfItFitsTheLimit() {
        PeerDeltaBuffer b = buffer(10_000, 25, 10_000);
        b.enqueue(key(1), delta(1), SELF, 0);
        b.enqueue(key(2), delta(2), SELF, 0);
        assertThat(b.nextBatch(0).entries()).hasSize(1);
        assertThat(b.nextBatch(0).entries()).hasSize(1);
    }

    @Test
    void cumulativeAcksGarbageCollect() {
        PeerDeltaBuffer b = buffer(10_000, 1_000, 10_000);
        for (int i = 1; i <= 4; i++) {
            b.enqueue(key(i), delta(i), SELF, 0);
        }
        b.nextBatch(0);
        b.onAck(77, 3);
        assertThat(b.pendingCount()).isEqualTo(1);
        assertThat(b.pendingBytes()).isEqualTo(20);
        assertThat(b.ackedSeq()).isEqualTo(3);
        b.onAck(77, 2);
        assertThat(b.pendingCount()).as("an older ack changes nothing").isEqualTo(1);
        b.onAck(76, 4);
        assertThat(b.pendingCount()).as("an ack for another incarnation is ignored").isEqualTo(1);
        b.onAck(77, 1_000);
        assertThat(b.pendingCount()).isZero();
        assertThat(b.ackedSeq()).as("clamped to what was assigned").isEqualTo(4);
    }

    @Test
    void neverBuffersADeltaForItsOrigin() {
        PeerDeltaBuffer b = buffer(10_000, 1_000, 10_000);
        assertThat(b.enqueue(key(1), delta(1), PEER, 0)).isEqualTo(PeerDeltaBuffer.NOT_ENQUEUED);
        assertThat(b.pendingCount()).isZero();
        assertThat(b.needsFullSync()).isFalse();
    }

    @Test
    void resendsFromTheOldestUnackedDeltaAfterTheTimeout() {
        PeerDeltaBuffer b = buffer(10_000, 40, 10_000);
        for (int i = 1; i <= 4; i++) {
            b.enqueue(key(i), delta(i), SELF, 0);
        }
        b.nextBatch(0);
        b.nextBatch(0);
        b.onAck(77, 2);
        assertThat(b.tick(99)).isFalse();
        assertThat(b.nextBatch(99)).isNull();
        assertThat(b.tick(100)).isTrue();
        PeerMessage.DeltaBatch resent = b.nextBatch(100);
        assertThat(resent.firstSeq()).isEqualTo(3);
        assertThat(resent.baseSeq()).isEqualTo(3);
        assertThat(b.stats(100).resends()).isEqualTo(1);
        assertThat(b.tick(150)).as("the timer restarts at the resend").isFalse();
    }

    @Test
    void pausesWhenTooMuchIsInFlight() {
        PeerDeltaBuffer b = buffer(10_000, 20, 40);
        for (int i = 1; i <= 5; i++) {
            b.enqueue(key(i), delta(i), SELF, 0);
        }
        assertThat(b.nextBatch(0)).isNotNull();
        assertThat(b.nextBatch(0)).isNotNull();
        assertThat(b.nextBatch(0)).as("40 bytes in flight").isNull();
        b.onAck(77, 1);
        assertThat(b.nextBatch(0).firstSeq()).isEqualTo(3);
    }

    @Test
    void overflowDropsEverythingAndMarksTheirLeavesAsOwed() {
        PeerDeltaBuffer b = buffer(100, 40, 1_000);
        for (int i = 1; i <= 5; i++) {
            b.enqueue(key(i), delta(i), SELF, 0);
        }
        assertThat(b.pendingBytes()).isEqualTo(100);
        assertThat(b.needsFullSync()).isFalse();
        b.nextBatch(0);

        long seq = b.enqueue(key(6), delta(6), SELF, 5);
        assertThat(seq).as("sequence numbers keep increasing").isEqualTo(6);
        PeerDeltaStats stats = b.stats(5);
        assertThat(stats.needsFullSync()).isTrue();
        assertThat(stats.overflows()).isEqualTo(1);
        assertThat(stats.droppedDeltas()).isEqualTo(5);
        assertThat(stats.pendingCount()).isEqualTo(1);
        assertThat(stats.pendingBytes()).isEqualTo(20);
        assertThat(stats.inFlightCount()).isZero();

        PeerMessage.DeltaBatch next = b.nextBatch(5);
        assertThat(next.baseSeq()).as("tells the receiver to skip the hole").isEqualTo(6);
        assertThat(next.firstSeq()).isEqualTo(6);

        b.debt().clearAll(b.debt().generation());
        assertThat(b.needsFullSync()).as("a repair pass pays the debt").isFalse();
    }

    @Test
    void aDeltaLargerThanABatchGoesAloneAndOneLargerThanTheBufferIsKept() {
        PeerDeltaBuffer b = buffer(1_000, 30, 10_000);
        assertThat(b.enqueue(key(1), new byte[100], SELF, 0)).isEqualTo(1);
        assertThat(b.enqueue(key(2), delta(2), SELF, 0)).isEqualTo(2);
        assertThat(b.nextBatch(0).entries()).as("alone in its batch").hasSize(1);
        assertThat(b.needsFullSync()).isFalse();
        assertThat(b.enqueue(key(3), new byte[5_000], SELF, 0)).as("kept although larger than the buffer").isEqualTo(3);
        assertThat(b.pendingCount()).as("what was buffered before it overflowed").isEqualTo(1);
        assertThat(b.needsFullSync()).isTrue();
        assertThat(b.nextBatch(0).entries().get(0).value()).hasSize(5_000);
    }

    @Test
    void reportsTheAgeOfTheOldestUnackedDelta() {
        PeerDeltaBuffer b = buffer(1_000, 100, 1_000);
        assertThat(b.oldestUnackedAgeMillis(50)).isZero();
        b.enqueue(key(1), delta(1), SELF, 10);
        b.enqueue(key(2), delta(2), SELF, 30);
        assertThat(b.oldestUnackedAgeMillis(50)).isEqualTo(40);
        b.nextBatch(50);
        b.onAck(77, 1);
        assertThat(b.oldestUnackedAgeMillis(50)).isEqualTo(20);
        PeerDeltaStats stats = b.stats(50);
        assertThat(stats.peerId()).isEqualTo(PEER);
        assertThat(stats.lastSeq()).isEqualTo(2);
        assertThat(stats.ackedSeq()).isEqualTo(1);
        assertThat(stats.inFlightCount()).isEqualTo(1);
    }
}
