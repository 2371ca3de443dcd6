package io.converge.server.cluster;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One node of the cluster description: who it is, where its clients and peers reach it, and
 * where it sits (datacenter and rack) for replica placement.
 *
 * <p>A missing datacenter or rack in YAML defaults to {@code dc1} / {@code rack1}.
 *
 * @param id         small unique node id, 0..65535 (also the HLC tie-breaker)
 * @param host       host name or address peers and clients dial
 * @param clientPort the Redis-protocol port
 * @param peerPort   the node-to-node port
 * @param datacenter datacenter name
 * @param rack       rack name, unique within its datacenter's namespace
 */
public record NodeSpec(
        @JsonProperty(value = "id", required = true) int id,
        @JsonProperty("host") String host,
        @JsonProperty(value = "client_port", required = true) int clientPort,
        @JsonProperty(value = "peer_port", required = true) int peerPort,
        @JsonProperty("datacenter") String datacenter,
        @JsonProperty("rack") String rack) {

    /** Default datacenter name when YAML leaves it out. */
    public static final String DEFAULT_DATACENTER = "dc1";
    /** Default rack name when YAML leaves it out. */
    public static final String DEFAULT_RACK = "rack1";

    /** Applies the datacenter/rack defaults. */
    public NodeSpec {
        datacenter = datacenter == null || datacenter.isBlank() ? DEFAULT_DATACENTER : datacenter;
        rack = rack == null || rack.isBlank() ? DEFAULT_RACK : rack;
    }

    /** {@code host:peerPort}, for logs. */
    public String peerAddress() {
        return host + ":" + peerPort;
    }
}
