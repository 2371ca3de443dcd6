package io.converge.server.replication.antientropy;

/**
 * A snapshot of what this node received from one sending peer, as INFO shows it.
 *
 * @param peerId       the sender
 * @param incarnation  the sender incarnation being tracked
 * @param ackedSeq     cumulative acknowledgement sent back
 * @param accepted     deltas applied
 * @param duplicates   deltas recognised as duplicates and not applied
 * @param beyondWindow deltas refused for arriving too far ahead
 * @param staleBatches batches ignored as coming from an older incarnation
 */
public record InboundDeltaStats(int peerId, long incarnation, long ackedSeq, long accepted, long duplicates,
                                long beyondWindow, long staleBatches) {}
