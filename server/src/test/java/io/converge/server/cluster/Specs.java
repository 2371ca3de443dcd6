package io.converge.server.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds cluster descriptions for tests. */
final class Specs {

    private Specs() {}

    /**
     * {@code dcs} datacenters, each with {@code racksPerDc} racks of {@code nodesPerRack} nodes, ids
     * from 1, replication {@code rf} in every datacenter.
     */
    static ClusterSpec uniform(int dcs, int racksPerDc, int nodesPerRack, int rf, int vnodes) {
        List<NodeSpec> nodes = new ArrayList<>();
        Map<String, Integer> replication = new LinkedHashMap<>();
        int id = 1;
        for (int d = 1; d <= dcs; d++) {
            for (int r = 1; r <= racksPerDc; r++) {
                for (int n = 0; n < nodesPerRack; n++, id++) {
                    nodes.add(new NodeSpec(id, "10.0." + d + "." + id, 6379, 16379, "dc" + d, "rack" + r));
                }
            }
            replication.put("dc" + d, rf);
        }
        return new ClusterSpec("test", "secret", vnodes, replication, nodes).validate();
    }

    /** {@code spec} with one more node. */
    static ClusterSpec plus(ClusterSpec spec, NodeSpec node) {
        List<NodeSpec> nodes = new ArrayList<>(spec.nodes());
        nodes.add(node);
        return new ClusterSpec(spec.name(), spec.secret(), spec.virtualNodes(), spec.replication(), nodes).validate();
    }
}
