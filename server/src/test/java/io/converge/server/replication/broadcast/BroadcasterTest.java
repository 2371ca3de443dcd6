package io.converge.server.replication.broadcast;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.Transport;
import io.converge.server.cluster.wire.PeerMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Broadcasts with timeouts of their own: each one ends at its deadline, a long one holding up no short one. */
class BroadcasterTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final List<PeerMessage.Broadcast> sent = new ArrayList<>();

    private final Transport transport = new Transport() {
        @Override
        public int localNodeId() {
            return 1;
        }

        @Override
        public void setHandler(PeerMessageHandler handler) {
        }

        @Override
        public void start() {
        }

        @Override
        public boolean send(int toNodeId, PeerMessage message) {
            sent.add((PeerMessage.Broadcast) message);
            return true;
        }

        @Override
        public ConnectionState connectionState(int nodeId) {
            return ConnectionState.CONNECTED;
        }

        @Override
        public void close() {
        }
    };

    @Test
    void eachBroadcastEndsAtItsOwnDeadline() {
        Broadcaster b = new Broadcaster(new int[] {2, 3}, peer -> true, transport, now::get, 1_000, 0);
        CompletableFuture<Broadcaster.Answers> slow = b.broadcast(5, new byte[] {1}, 30_000);
        CompletableFuture<Broadcaster.Answers> quick = b.broadcast(5, new byte[] {2});
        assertThat(sent).hasSize(4);
        b.onReply(2, new PeerMessage.BroadcastReply(sent.get(2).requestId(), new byte[] {7}));

        now.addAndGet(1_001);
        b.expire(now.get());
        assertThat(quick).as("the default timeout passed, behind a longer one").isCompleted();
        assertThat(quick.join().replies()).hasSize(1);
        assertThat(quick.join().complete()).isFalse();
        assertThat(slow).isNotDone();

        b.onReply(3, new PeerMessage.BroadcastReply(sent.get(1).requestId(), new byte[] {8}));
        now.addAndGet(28_000);
        b.expire(now.get());
        assertThat(slow).isNotDone();
        b.onReply(2, new PeerMessage.BroadcastReply(sent.get(0).requestId(), new byte[] {9}));
        assertThat(slow.join().complete()).as("every peer answered within 30 s").isTrue();
        assertThat(b.pending()).isZero();
    }
}
