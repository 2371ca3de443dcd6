package io.converge.server.node;

/**
 * A part of a node with work to hand over before the node stops (SHUTDOWN, SIGTERM): the node
 * stops taking client commands, then waits, up to {@code shutdown-timeout}, until every such part
 * says it is done, and only then closes it.
 */
public interface Drainable {
    /** Whether everything this part can hand over has been handed over; called repeatedly. */
    boolean drained();
}
