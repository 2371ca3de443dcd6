package io.converge.server.cluster;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.converge.server.util.SecretFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The cluster description: its name and shared secret, its nodes, the replication factor per
 * datacenter and the number of virtual nodes per node. Every node must load the same one.
 *
 * <p>YAML form (keys in snake_case):
 * <pre>
 * name: converge-local
 * secret: a-long-random-string  # or secret_file: FILE (relative to this file's folder)
 * virtual_nodes: 256          # optional, default 256
 * tls: false                  # optional: mutual TLS on the peer links
 * replication: {dc1: 3}       # replicas per datacenter
 * nodes:
 *   - {id: 1, host: 127.0.0.1, client_port: 7001, peer_port: 17001, datacenter: dc1, rack: r1}
 * </pre>
 *
 * <p>Use {@link #load(Path)} or {@link #parse(String)}: both validate. The record constructor
 * only normalises (defaults, defensive copies); {@link #validate()} checks the rules.
 *
 * @param name         cluster name; peers of another cluster are refused
 * @param secret       shared secret for peer authentication (never sent on the wire)
 * @param virtualNodes tokens per node on the ring
 * @param replication  replicas per datacenter (sorted by datacenter name)
 * @param nodes        the nodes, in file order
 * @param tls          whether peer links use mutual TLS (each node's certificates: its tls-* keys)
 */
public record ClusterSpec(
        @JsonProperty("name") String name,
        @JsonProperty("secret") String secret,
        @JsonProperty("virtual_nodes") int virtualNodes,
        @JsonProperty("replication") Map<String, Integer> replication,
        @JsonProperty("nodes") List<NodeSpec> nodes,
        @JsonProperty("tls") boolean tls) {

    /** Virtual nodes per node when the description does not say. */
    public static final int DEFAULT_VIRTUAL_NODES = 256;
    /** The key naming a file that holds the secret, in place of {@code secret} (read by {@link #load}). */
    public static final String SECRET_FILE_KEY = "secret_file";
    /** Upper bound on virtual nodes per node (keeps the ring small and its build fast). */
    public static final int MAX_VIRTUAL_NODES = 4096;
    /** Largest node id (ids travel as unsigned 16-bit values). */
    public static final int MAX_NODE_ID = 0xFFFF;
    /** Upper bound on the total replication factor over all datacenters (ack bitmasks are 64-bit). */
    public static final int MAX_TOTAL_REPLICAS = 64;

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Applies defaults and makes the collections immutable. */
    @JsonCreator
    public ClusterSpec {
        virtualNodes = virtualNodes == 0 ? DEFAULT_VIRTUAL_NODES : virtualNodes;
        replication = replication == null ? Map.of() : copySorted(replication);
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
    }

    /** A description whose peer links do not use TLS. */
    public ClusterSpec(String name, String secret, int virtualNodes, Map<String, Integer> replication, List<NodeSpec> nodes) {
        this(name, secret, virtualNodes, replication, nodes, false);
    }

    /** A copy whose peer links use mutual TLS, or not. */
    public ClusterSpec withTls(boolean useTls) {
        return new ClusterSpec(name, secret, virtualNodes, replication, nodes, useTls);
    }

    private static Map<String, Integer> copySorted(Map<String, Integer> in) {
        TreeMap<String, Integer> sorted = new TreeMap<>();
        in.forEach((dc, rf) -> sorted.put(dc, rf == null ? 0 : rf));
        return java.util.Collections.unmodifiableMap(sorted);
    }

    /** Reads and validates a YAML cluster description. */
    public static ClusterSpec load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ClusterSpecException("cannot read cluster description " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /** Parses and validates a YAML cluster description held in a string. */
    public static ClusterSpec parse(String yaml) {
        return parse(yaml, null);
    }

    private static ClusterSpec parse(String yaml, String source) {
        ClusterSpec spec;
        try {
            JsonNode tree = YAML.readTree(yaml);
            if (tree instanceof ObjectNode fields && fields.has(SECRET_FILE_KEY)) {
                spec = YAML.treeToValue(withSecretFromFile(fields, source), ClusterSpec.class);
            } else {
                spec = YAML.readValue(yaml, ClusterSpec.class); // keeps line numbers in its errors
            }
        } catch (JacksonException e) {
            String where = source == null ? "" : " " + source;
            throw new ClusterSpecException("cannot parse cluster description" + where + ": "
                    + e.getOriginalMessage() + locationOf(e), e);
        }
        if (spec == null) {
            throw new ClusterSpecException(source, List.of("the description is empty"));
        }
        List<String> problems = spec.problems();
        if (!problems.isEmpty()) {
            throw new ClusterSpecException(source, problems);
        }
        return spec;
    }

    /**
     * {@code fields} with {@code secret_file} replaced by {@code secret}, read from that file (a
     * relative name is relative to the folder of the description's file {@code source}, or to the
     * working directory when there is none), so the secret can live apart from the description.
     */
    private static ObjectNode withSecretFromFile(ObjectNode fields, String source) {
        JsonNode name = fields.remove(SECRET_FILE_KEY);
        if (fields.has("secret")) {
            throw new ClusterSpecException(source, List.of("'secret' and '" + SECRET_FILE_KEY
                    + "' are both set: give the secret one way"));
        }
        if (!name.isTextual() || name.asText().isBlank()) {
            throw new ClusterSpecException(source, List.of("'" + SECRET_FILE_KEY + "' must name a file"));
        }
        Path file = Path.of(name.asText());
        Path folder = source == null ? null : Path.of(source).toAbsolutePath().getParent();
        if (!file.isAbsolute() && folder != null) {
            file = folder.resolve(file);
        }
        try {
            fields.put("secret", SecretFiles.read(file));
        } catch (IOException e) {
            throw new ClusterSpecException(source, List.of("cannot read the secret from '" + SECRET_FILE_KEY + "': "
                    + e.getMessage()));
        }
        return fields;
    }

    /** " at nodes[1].client_port (line 7, column 3)", as far as Jackson knows it. */
    private static String locationOf(JacksonException e) {
        StringBuilder sb = new StringBuilder();
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            StringBuilder path = new StringBuilder();
            for (JsonMappingException.Reference ref : m.getPath()) {
                if (ref.getFieldName() != null) {
                    path.append(path.isEmpty() ? "" : ".").append(ref.getFieldName());
                } else if (ref.getIndex() >= 0) {
                    path.append('[').append(ref.getIndex()).append(']');
                }
            }
            sb.append(" at '").append(path).append('\'');
        }
        var loc = e.getLocation();
        if (loc != null) {
            sb.append(" (line ").append(loc.getLineNr()).append(", column ").append(loc.getColumnNr()).append(')');
        }
        return sb.toString();
    }

    /** Throws {@link ClusterSpecException} listing every rule this description breaks; returns {@code this}. */
    public ClusterSpec validate() {
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            throw new ClusterSpecException(null, problems);
        }
        return this;
    }

    /** Every rule this description breaks, one sentence each (empty when valid). */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (name == null || name.isBlank()) {
            problems.add("'name' (the cluster name) is missing");
        } else if (name.length() > 256) {
            problems.add("'name' (the cluster name) is longer than 256 characters");
        }
        if (secret == null || secret.isBlank()) {
            problems.add("'secret' is missing: peers authenticate with it (or name a file holding it with '"
                    + SECRET_FILE_KEY + "')");
        }
        if (virtualNodes < 1 || virtualNodes > MAX_VIRTUAL_NODES) {
            problems.add("'virtual_nodes' must be between 1 and " + MAX_VIRTUAL_NODES + ", got " + virtualNodes);
        }
        if (nodes.isEmpty()) {
            problems.add("'nodes' is empty: a cluster needs at least one node");
        }
        Set<Integer> ids = new HashSet<>();
        Map<String, Integer> endpoints = new HashMap<>();
        Map<String, Integer> nodesPerDc = new TreeMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeSpec n = nodes.get(i);
            if (n == null) {
                problems.add("nodes[" + i + "] is empty");
                continue;
            }
            String who = "node " + n.id();
            if (n.id() < 0 || n.id() > MAX_NODE_ID) {
                problems.add(who + ": id must be between 0 and " + MAX_NODE_ID);
            }
            if (!ids.add(n.id())) {
                problems.add("duplicate node id " + n.id());
            }
            if (n.host() == null || n.host().isBlank()) {
                problems.add(who + ": 'host' is missing");
            }
            checkPort(problems, who, "client_port", n.clientPort());
            checkPort(problems, who, "peer_port", n.peerPort());
            claimEndpoint(problems, endpoints, n, "client_port", n.clientPort());
            claimEndpoint(problems, endpoints, n, "peer_port", n.peerPort());
            nodesPerDc.merge(n.datacenter(), 1, Integer::sum);
        }
        int totalReplicas = 0;
        for (Map.Entry<String, Integer> e : replication.entrySet()) {
            String dc = e.getKey();
            int rf = e.getValue();
            Integer available = nodesPerDc.get(dc);
            if (available == null) {
                problems.add("replication names datacenter '" + dc + "' but no node is in it");
            } else if (rf < 1) {
                problems.add("replication factor of datacenter '" + dc + "' must be at least 1, got " + rf);
            } else if (rf > available) {
                problems.add("replication factor " + rf + " for datacenter '" + dc + "' exceeds its "
                        + available + " node(s)");
            }
            totalReplicas += Math.max(rf, 0);
        }
        for (String dc : nodesPerDc.keySet()) {
            if (!replication.containsKey(dc)) {
                problems.add("datacenter '" + dc + "' has nodes but no replication factor (add 'replication: {"
                        + dc + ": N}')");
            }
        }
        if (totalReplicas > MAX_TOTAL_REPLICAS) {
            problems.add("total replication factor " + totalReplicas + " exceeds " + MAX_TOTAL_REPLICAS);
        }
        return problems;
    }

    private static void checkPort(List<String> problems, String who, String field, int port) {
        if (port < 1 || port > 65535) {
            problems.add(who + ": '" + field + "' must be between 1 and 65535, got " + port);
        }
    }

    private static void claimEndpoint(List<String> problems, Map<String, Integer> endpoints, NodeSpec n,
                                      String field, int port) {
        if (n.host() == null) {
            return;
        }
        String endpoint = n.host() + ":" + port;
        Integer previous = endpoints.putIfAbsent(endpoint, n.id());
        if (previous != null) {
            problems.add("node " + n.id() + ": " + field + " " + endpoint + " is already used by node " + previous);
        }
    }

    /** The node with this id, or {@code null}. */
    public NodeSpec node(int id) {
        for (NodeSpec n : nodes) {
            if (n.id() == id) {
                return n;
            }
        }
        return null;
    }

    /** Datacenter names that have nodes, sorted. */
    public List<String> datacenters() {
        TreeSet<String> dcs = new TreeSet<>();
        for (NodeSpec n : nodes) {
            dcs.add(n.datacenter());
        }
        return List.copyOf(dcs);
    }

    /** This description as YAML (the secret included: write it only to files the operator owns). */
    public String toYaml() {
        try {
            return YAML.writeValueAsString(this);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot serialise cluster description", e);
        }
    }

    /** Like the record's, but with the secret redacted so it never lands in a log. */
    @Override
    public String toString() {
        return "ClusterSpec[name=" + name + ", secret=<redacted>, virtualNodes=" + virtualNodes
                + ", replication=" + replication + ", nodes=" + nodes + ", tls=" + tls + "]";
    }

    /**
     * A local cluster on 127.0.0.1, as {@code converge up} starts it: {@code nodeCount} nodes with ids
     * 1..N spread over {@code dcCount} datacenters ({@code dc1}, ...) in contiguous blocks, each node
     * in its own rack, replication factor {@code min(3, nodes in the DC)} per datacenter, client ports
     * {@code clientBasePort + i} and peer ports {@code clientBasePort + 10000 + i}, a random secret.
     */
    public static ClusterSpec localCluster(int nodeCount, int dcCount, int clientBasePort) {
        if (nodeCount < 1 || dcCount < 1 || dcCount > nodeCount) {
            throw new IllegalArgumentException("need 1 <= datacenters <= nodes, got " + dcCount + " DCs for "
                    + nodeCount + " nodes");
        }
        List<NodeSpec> nodes = new ArrayList<>(nodeCount);
        Map<String, Integer> replication = new LinkedHashMap<>();
        int index = 0;
        for (int dc = 0; dc < dcCount; dc++) {
            int inDc = nodeCount / dcCount + (dc < nodeCount % dcCount ? 1 : 0);
            String dcName = "dc" + (dc + 1);
            for (int r = 0; r < inDc; r++, index++) {
                nodes.add(new NodeSpec(index + 1, "127.0.0.1", clientBasePort + index,
                        clientBasePort + 10_000 + index, dcName, "rack" + (r + 1)));
            }
            replication.put(dcName, Math.min(3, inDc));
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        return new ClusterSpec("converge-local", HexFormat.of().formatHex(random), DEFAULT_VIRTUAL_NODES,
                replication, nodes).validate();
    }
}
