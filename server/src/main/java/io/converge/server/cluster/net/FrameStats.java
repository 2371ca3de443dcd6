package io.converge.server.cluster.net;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of messages too large for one frame, for the whole transport: fragments and
 * fragmented messages each way, the largest of them, and what went wrong. Whole-frame messages
 * are not counted here (the write path sends many, and counts them elsewhere), so "largest" is
 * 0 until a message needed fragments.
 */
final class FrameStats {
    final AtomicLong fragmentsSent = new AtomicLong();
    final AtomicLong messagesFragmented = new AtomicLong();
    final AtomicLong largestSent = new AtomicLong();
    /** Fragmented messages whose connection was lost before their last fragment was written. */
    final AtomicLong largeSendsAborted = new AtomicLong();
    final AtomicLong fragmentsReceived = new AtomicLong();
    final AtomicLong messagesReassembled = new AtomicLong();
    final AtomicLong largestReceived = new AtomicLong();
    /** Fragment sequences refused (over the limit, out of order, too long, unexpected, before authentication). */
    final AtomicLong reassemblyErrors = new AtomicLong();

    /** Records a message of {@code bytes} sent in fragments (its first fragment is about to be written). */
    void onFragmentedSend(long bytes) {
        messagesFragmented.incrementAndGet();
        largestSent.accumulateAndGet(bytes, Math::max);
    }

    /** Records a message of {@code bytes} reassembled from fragments. */
    void onReassembled(long bytes) {
        messagesReassembled.incrementAndGet();
        largestReceived.accumulateAndGet(bytes, Math::max);
    }
}
