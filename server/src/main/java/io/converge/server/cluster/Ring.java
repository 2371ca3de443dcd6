package io.converge.server.cluster;

import io.converge.server.keyspace.Murmur3;
import io.converge.server.keyspace.Partitioner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The token ring: every node owns {@code virtual_nodes} tokens, and every key is replicated on
 * the nodes found by walking the ring clockwise from the key's token.
 *
 * <p><b>Tokens.</b> Node {@code n}'s {@code v}-th token is Murmur3 of the 8 bytes
 * {@code (n << 32 | v)} (little-endian) with a fixed seed, so every node computes the same ring
 * from the same description, and adding a node only inserts its own tokens: each new token
 * takes a small slice from whichever range it lands in.
 *
 * <p><b>Ranges.</b> Tokens are sorted as signed longs. Range {@code i} is
 * {@code (token[i-1], token[i]]} (range 0 wraps around from the last token); a key belongs to
 * the range of the first token {@code >=} its own token. Lookup is one binary search.
 *
 * <p><b>Placement</b> (Cassandra's NetworkTopologyStrategy): for each datacenter with
 * replication factor {@code rf}, walk clockwise from the range's token, skipping nodes already
 * chosen; take a node if its rack is not yet used in that datacenter (or every rack there is
 * already used), otherwise remember it as skipped. When the last unused rack gets a replica,
 * skipped nodes are taken first, in walk order. So replicas land on distinct racks as long as
 * racks remain, and always on distinct nodes. The result for every range is computed once, at
 * build time, and identical replica lists are interned into one {@link ReplicaSet}; nothing is
 * cached per key.
 */
public final class Ring {

    /** Seed for token derivation ("converge" in ASCII); changing it reshuffles every ring. */
    private static final long TOKEN_SEED = 0x636f6e7665726765L;

    private final Topology topology;
    private final long[] tokens;
    private final int[] owners;
    private final ReplicaSet[] replicasByRange;
    private final ReplicaSet[] replicaSetsById;

    private Ring(Topology topology, long[] tokens, int[] owners) {
        this.topology = topology;
        this.tokens = tokens;
        this.owners = owners;
        this.replicasByRange = new ReplicaSet[tokens.length];
        List<ReplicaSet> distinct = new ArrayList<>();
        Map<NodeList, ReplicaSet> interned = new HashMap<>();
        Map<NodeList, Integer> groups = new HashMap<>();
        Placement placement = new Placement(topology, owners);
        int[] dcStart = placement.dcStart();
        for (int i = 0; i < tokens.length; i++) {
            int[] nodes = placement.place(i);
            ReplicaSet set = interned.get(new NodeList(nodes));
            if (set == null) {
                int[] sorted = nodes.clone();
                for (int d = 0; d + 1 < dcStart.length; d++) {
                    Arrays.sort(sorted, dcStart[d], dcStart[d + 1]);
                }
                int group = groups.computeIfAbsent(new NodeList(sorted), k -> groups.size());
                set = new ReplicaSet(distinct.size(), group, nodes, sorted, dcStart);
                interned.put(new NodeList(nodes), set);
                distinct.add(set);
            }
            replicasByRange[i] = set;
        }
        this.replicaSetsById = distinct.toArray(ReplicaSet[]::new);
    }

    /** Builds the ring of {@code topology}. */
    public static Ring build(Topology topology) {
        int vnodes = topology.spec().virtualNodes();
        int n = topology.nodeCount() * vnodes;
        long[][] pairs = new long[n][];
        int k = 0;
        for (int i = 0; i < topology.nodeCount(); i++) {
            int nodeId = topology.nodeIdAt(i);
            for (int v = 0; v < vnodes; v++) {
                pairs[k++] = new long[] {tokenFor(nodeId, v), nodeId};
            }
        }
        // Sort by token, then node id, so even a (vanishingly unlikely) token collision is ordered
        // the same way on every node.
        Arrays.sort(pairs, (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        long[] tokens = new long[n];
        int[] owners = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = pairs[i][0];
            owners[i] = (int) pairs[i][1];
        }
        return new Ring(topology, tokens, owners);
    }

    /** Builds the ring of a cluster description. */
    public static Ring build(ClusterSpec spec) {
        return build(Topology.of(spec));
    }

    /** The token of node {@code nodeId}'s {@code vnode}-th virtual node. */
    public static long tokenFor(int nodeId, int vnode) {
        long id = ((long) nodeId << 32) | (vnode & 0xFFFFFFFFL);
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (id >>> (8 * i));
        }
        return Murmur3.hash64(b, 0, 8, TOKEN_SEED);
    }

    /** The topology this ring was built from. */
    public Topology topology() {
        return topology;
    }

    /** The replicas of {@code key} (honouring hash tags). Allocation-free. */
    public ReplicaSet replicasFor(byte[] key) {
        return replicasByRange[rangeIndexOf(Partitioner.token(key))];
    }

    /** The replicas of the range holding {@code token}. */
    public ReplicaSet replicasForToken(long token) {
        return replicasByRange[rangeIndexOf(token)];
    }

    /**
     * Whether two keys live on the same nodes (in whatever order), the condition for a multi-key
     * atomic command. Keys with the same hash tag always do; with as many nodes as replicas, every
     * key does; otherwise keys may or may not.
     */
    public boolean sameReplicaSet(byte[] a, byte[] b) {
        return replicasFor(a).sameNodes(replicasFor(b));
    }

    /** Index of the range holding {@code token}: the first token {@code >= token}, wrapping to 0. */
    public int rangeIndexOf(long token) {
        int lo = 0;
        int hi = tokens.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (tokens[mid] < token) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == tokens.length ? 0 : lo;
    }

    /** Number of ranges (= number of tokens = nodes × virtual nodes). */
    public int rangeCount() {
        return tokens.length;
    }

    /** Every range's end token, ascending (a copy): the boundaries the hash-tree leaves are cut at. */
    public long[] tokens() {
        return tokens.clone();
    }

    /** The token that ends range {@code i} (inclusive). */
    public long rangeEnd(int i) {
        return tokens[i];
    }

    /** The token that starts range {@code i} (exclusive): the previous token, wrapping. */
    public long rangeStart(int i) {
        return tokens[i == 0 ? tokens.length - 1 : i - 1];
    }

    /** The node owning the token that ends range {@code i} (the walk's starting node). */
    public int tokenOwner(int i) {
        return owners[i];
    }

    /** The replicas of range {@code i}. */
    public ReplicaSet replicasOfRange(int i) {
        return replicasByRange[i];
    }

    /** Number of distinct replica sets. */
    public int replicaSetCount() {
        return replicaSetsById.length;
    }

    /** The replica set with this {@link ReplicaSet#id()}. */
    public ReplicaSet replicaSet(int id) {
        return replicaSetsById[id];
    }

    /** Fraction of the token space (0..1) whose walk starts at {@code nodeId}. */
    public double primaryOwnership(int nodeId) {
        double sum = 0;
        for (int i = 0; i < tokens.length; i++) {
            if (owners[i] == nodeId) {
                sum += rangeFraction(i);
            }
        }
        return sum;
    }

    /** Fraction of the token space (0..1) of which {@code nodeId} holds a replica. */
    public double replicaOwnership(int nodeId) {
        double sum = 0;
        for (int i = 0; i < tokens.length; i++) {
            if (replicasByRange[i].contains(nodeId)) {
                sum += rangeFraction(i);
            }
        }
        return sum;
    }

    /** Width of range {@code i} as a fraction of the whole ring. */
    public double rangeFraction(int i) {
        if (tokens.length == 1) {
            return 1.0;
        }
        long width = tokens[i] - rangeStart(i); // unsigned modulo 2^64, wraps correctly for range 0
        return unsignedToDouble(width) / 0x1p64;
    }

    private static double unsignedToDouble(long x) {
        return x >= 0 ? x : ((x >>> 1) | (x & 1)) * 2.0;
    }

    /** Walks the ring to place replicas; reuses scratch arrays across ranges. */
    private static final class Placement {
        private final Topology topology;
        private final int[] owners;
        private final int dcCount;
        private final int[] rf;
        private final int[] dcStart;
        private final int[] seenStamp;
        private final boolean[][] rackUsed;
        private final int[] racksUsed;
        private final int[] chosen;
        private final int[][] skipped;
        private final int[] skippedCount;
        private int stamp;

        Placement(Topology topology, int[] owners) {
            this.topology = topology;
            this.owners = owners;
            this.dcCount = topology.datacenterCount();
            this.rf = new int[dcCount];
            this.dcStart = new int[dcCount + 1];
            this.rackUsed = new boolean[dcCount][];
            this.racksUsed = new int[dcCount];
            this.chosen = new int[dcCount];
            this.skipped = new int[dcCount][];
            this.skippedCount = new int[dcCount];
            int maxId = 0;
            for (int i = 0; i < topology.nodeCount(); i++) {
                maxId = Math.max(maxId, topology.nodeIdAt(i));
            }
            this.seenStamp = new int[maxId + 1];
            for (int d = 0; d < dcCount; d++) {
                rf[d] = topology.replicationFactor(d);
                dcStart[d + 1] = dcStart[d] + rf[d];
                rackUsed[d] = new boolean[topology.rackCount(d)];
                skipped[d] = new int[topology.nodeCount()];
            }
        }

        int[] dcStart() {
            return dcStart;
        }

        /** Replicas for the range ending at token index {@code start}, flattened per datacenter. */
        int[] place(int start) {
            stamp++;
            int[] result = new int[dcStart[dcCount]];
            int unsatisfied = 0;
            for (int d = 0; d < dcCount; d++) {
                Arrays.fill(rackUsed[d], false);
                racksUsed[d] = 0;
                chosen[d] = 0;
                skippedCount[d] = 0;
                if (rf[d] > 0) {
                    unsatisfied++;
                }
            }
            int n = owners.length;
            for (int step = 0; step < n && unsatisfied > 0; step++) {
                int node = owners[(start + step) % n];
                if (seenStamp[node] == stamp) {
                    continue;
                }
                seenStamp[node] = stamp;
                int dc = topology.datacenterOf(node);
                if (chosen[dc] == rf[dc]) {
                    continue;
                }
                int rack = topology.rackOf(node);
                if (racksUsed[dc] == rackUsed[dc].length) {
                    result[dcStart[dc] + chosen[dc]++] = node;
                } else if (!rackUsed[dc][rack]) {
                    rackUsed[dc][rack] = true;
                    racksUsed[dc]++;
                    result[dcStart[dc] + chosen[dc]++] = node;
                    if (racksUsed[dc] == rackUsed[dc].length) {
                        // Every rack now holds a replica: earlier-skipped nodes come next, in walk order.
                        for (int s = 0; s < skippedCount[dc] && chosen[dc] < rf[dc]; s++) {
                            result[dcStart[dc] + chosen[dc]++] = skipped[dc][s];
                        }
                    }
                } else {
                    skipped[dc][skippedCount[dc]++] = node;
                }
                if (chosen[dc] == rf[dc]) {
                    unsatisfied--;
                }
            }
            if (unsatisfied > 0) {
                throw new IllegalStateException("cannot place replicas: replication factor exceeds nodes");
            }
            return result;
        }
    }

    /** Hash-map key comparing replica lists by content. */
    private record NodeList(int[] nodes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof NodeList other && Arrays.equals(nodes, other.nodes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(nodes);
        }

        @Override
        public String toString() {
            return Arrays.toString(nodes);
        }
    }
}
