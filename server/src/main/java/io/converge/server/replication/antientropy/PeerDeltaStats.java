package io.converge.server.replication.antientropy;

/**
 * A snapshot of one peer's outgoing delta buffer, as INFO shows it.
 *
 * @param peerId                 the peer
 * @param pendingCount           deltas buffered (not yet acknowledged)
 * @param pendingBytes           their bytes
 * @param inFlightCount          of those, sent and awaiting acknowledgement
 * @param oldestUnackedAgeMillis age of the oldest buffered delta (0 when empty)
 * @param ackedSeq               highest sequence number the peer acknowledged
 * @param lastSeq                highest sequence number assigned
 * @param needsFullSync          the buffer overflowed (or a delta was too large): deltas were dropped
 * @param overflows              how many times the buffer overflowed
 * @param droppedDeltas          deltas dropped by overflows or for being too large
 * @param resends                how many times unacknowledged deltas were resent
 */
public record PeerDeltaStats(int peerId, int pendingCount, long pendingBytes, int inFlightCount,
                             long oldestUnackedAgeMillis, long ackedSeq, long lastSeq, boolean needsFullSync,
                             long overflows, long droppedDeltas, long resends) {}
