package io.converge.server.cluster.sim;

/**
 * Counters of a simulated network run.
 *
 * @param sent                messages handed to the network
 * @param delivered           deliveries made (duplicates count twice)
 * @param lost                messages lost at random
 * @param duplicated          extra copies created
 * @param droppedPartitioned  deliveries dropped because sender and receiver were partitioned
 * @param droppedDown         deliveries dropped because an end was down or had restarted
 */
public record NetworkStats(long sent, long delivered, long lost, long duplicated, long droppedPartitioned,
                           long droppedDown) {}
