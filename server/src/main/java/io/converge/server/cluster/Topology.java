package io.converge.server.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An indexed, immutable view of a validated {@link ClusterSpec}: datacenters and racks get
 * dense indexes (datacenters sorted by name), so the ring and the ack math work on int arrays.
 */
public final class Topology {

    private final ClusterSpec spec;
    private final String[] dcNames;
    private final int[] replicationByDc;
    private final int[] rackCountByDc;
    private final int[] nodeIds;
    /** Indexed by node id; -1 for ids not in the cluster. */
    private final int[] dcByNodeId;
    /** Indexed by node id; rack index within the node's datacenter. */
    private final int[] rackByNodeId;
    private final NodeSpec[] specByNodeId;

    private Topology(ClusterSpec spec) {
        this.spec = spec;
        List<String> dcs = spec.datacenters();
        this.dcNames = dcs.toArray(String[]::new);
        this.replicationByDc = new int[dcNames.length];
        for (int d = 0; d < dcNames.length; d++) {
            replicationByDc[d] = spec.replication().getOrDefault(dcNames[d], 0);
        }
        int maxId = 0;
        for (NodeSpec n : spec.nodes()) {
            maxId = Math.max(maxId, n.id());
        }
        this.dcByNodeId = new int[maxId + 1];
        this.rackByNodeId = new int[maxId + 1];
        this.specByNodeId = new NodeSpec[maxId + 1];
        Arrays.fill(dcByNodeId, -1);
        Arrays.fill(rackByNodeId, -1);
        List<List<String>> racks = new ArrayList<>();
        for (int d = 0; d < dcNames.length; d++) {
            racks.add(new ArrayList<>());
        }
        this.nodeIds = new int[spec.nodes().size()];
        int i = 0;
        for (NodeSpec n : spec.nodes()) {
            int dc = Arrays.binarySearch(dcNames, n.datacenter());
            List<String> dcRacks = racks.get(dc);
            int rack = dcRacks.indexOf(n.rack());
            if (rack < 0) {
                rack = dcRacks.size();
                dcRacks.add(n.rack());
            }
            dcByNodeId[n.id()] = dc;
            rackByNodeId[n.id()] = rack;
            specByNodeId[n.id()] = n;
            nodeIds[i++] = n.id();
        }
        Arrays.sort(nodeIds);
        this.rackCountByDc = new int[dcNames.length];
        for (int d = 0; d < dcNames.length; d++) {
            rackCountByDc[d] = racks.get(d).size();
        }
    }

    /** Indexes {@code spec} after validating it. */
    public static Topology of(ClusterSpec spec) {
        return new Topology(spec.validate());
    }

    /** The description this view indexes. */
    public ClusterSpec spec() {
        return spec;
    }

    /** Number of datacenters. */
    public int datacenterCount() {
        return dcNames.length;
    }

    /** Name of datacenter {@code dc}. */
    public String datacenterName(int dc) {
        return dcNames[dc];
    }

    /** Index of the datacenter called {@code name}, or -1. */
    public int datacenterIndex(String name) {
        int i = Arrays.binarySearch(dcNames, name);
        return i < 0 ? -1 : i;
    }

    /** Replication factor of datacenter {@code dc}. */
    public int replicationFactor(int dc) {
        return replicationByDc[dc];
    }

    /** Sum of the replication factors of all datacenters. */
    public int totalReplicationFactor() {
        int sum = 0;
        for (int rf : replicationByDc) {
            sum += rf;
        }
        return sum;
    }

    /** Number of distinct racks in datacenter {@code dc}. */
    public int rackCount(int dc) {
        return rackCountByDc[dc];
    }

    /** Whether {@code nodeId} is a member of the cluster. */
    public boolean contains(int nodeId) {
        return nodeId >= 0 && nodeId < dcByNodeId.length && dcByNodeId[nodeId] >= 0;
    }

    /** Datacenter index of {@code nodeId}; throws if the node is unknown. */
    public int datacenterOf(int nodeId) {
        requireMember(nodeId);
        return dcByNodeId[nodeId];
    }

    /** Rack index of {@code nodeId} within its datacenter; throws if the node is unknown. */
    public int rackOf(int nodeId) {
        requireMember(nodeId);
        return rackByNodeId[nodeId];
    }

    /** The description of {@code nodeId}; throws if the node is unknown. */
    public NodeSpec node(int nodeId) {
        requireMember(nodeId);
        return specByNodeId[nodeId];
    }

    /** Number of nodes. */
    public int nodeCount() {
        return nodeIds.length;
    }

    /** All node ids, ascending (a copy). */
    public int[] nodeIds() {
        return nodeIds.clone();
    }

    /** The {@code i}-th node id in ascending order. */
    public int nodeIdAt(int i) {
        return nodeIds[i];
    }

    private void requireMember(int nodeId) {
        if (!contains(nodeId)) {
            throw new IllegalArgumentException("node " + nodeId + " is not in cluster '" + spec.name() + "'");
        }
    }
}
