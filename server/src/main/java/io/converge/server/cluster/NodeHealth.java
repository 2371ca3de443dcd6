package io.converge.server.cluster;

/**
 * One row of the failure detector's view, as INFO shows it.
 *
 * @param nodeId             the peer
 * @param phi                current suspicion level (0 = just heard; grows while silent)
 * @param up                 {@code phi < threshold} and heard at least once
 * @param lastHeardMillis    clock time of the last heartbeat, or -1 if never heard
 * @param millisSinceHeard   time since the last heartbeat, or -1 if never heard
 * @param meanIntervalMillis mean heartbeat inter-arrival time over the sample window
 * @param samples            number of inter-arrival samples in the window
 */
public record NodeHealth(int nodeId, double phi, boolean up, long lastHeardMillis, long millisSinceHeard,
                         double meanIntervalMillis, int samples) {}
