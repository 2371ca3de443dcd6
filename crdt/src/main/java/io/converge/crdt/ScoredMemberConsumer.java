package io.converge.crdt;

/** Receives sorted-set members with their scores, without allocating a pair per element. */
@FunctionalInterface
public interface ScoredMemberConsumer {

    /** Accepts one member (must not be mutated) and its score. */
    void accept(byte[] member, double score);
}
