package io.converge.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSpecTest {

    private static final String VALID = """
            name: prod
            secret: s3cret-s3cret
            virtual_nodes: 64
            replication:
              east: 2
              west: 1
            nodes:
              - {id: 1, host: 10.0.0.1, client_port: 6379, peer_port: 16379, datacenter: east, rack: a}
              - {id: 2, host: 10.0.0.2, client_port: 6379, peer_port: 16379, datacenter: east, rack: b}
              - {id: 7, host: 10.0.1.1, client_port: 6379, peer_port: 16379, datacenter: west, rack: a}
            """;

    @Test
    void parsesAllFields() {
        ClusterSpec spec = ClusterSpec.parse(VALID);
        assertThat(spec.name()).isEqualTo("prod");
        assertThat(spec.secret()).isEqualTo("s3cret-s3cret");
        assertThat(spec.virtualNodes()).isEqualTo(64);
        assertThat(spec.replication()).containsExactly(Map.entry("east", 2), Map.entry("west", 1));
        assertThat(spec.nodes()).hasSize(3);
        assertThat(spec.node(7)).isEqualTo(new NodeSpec(7, "10.0.1.1", 6379, 16379, "west", "a"));
        assertThat(spec.node(3)).isNull();
        assertThat(spec.datacenters()).containsExactly("east", "west");
    }

    @Test
    void appliesDefaults() {
        ClusterSpec spec = ClusterSpec.parse("""
                name: c
                secret: x
                replication: {dc1: 1}
                nodes:
                  - {id: 1, host: h, client_port: 1, peer_port: 2}
                """);
        assertThat(spec.virtualNodes()).isEqualTo(ClusterSpec.DEFAULT_VIRTUAL_NODES);
        assertThat(spec.nodes().get(0).datacenter()).isEqualTo("dc1");
        assertThat(spec.nodes().get(0).rack()).isEqualTo("rack1");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        String yaml = """
                name: c
                secret: x
                replication: {dc1: 3, nowhere: 1}
                nodes:
                  - {id: 1, host: h, client_port: 7001, peer_port: 17001, datacenter: dc1}
                  - {id: 1, host: h, client_port: 7002, peer_port: 7001, datacenter: dc1}
                  - {id: 3, host: h, client_port: 7003, peer_port: 17003, datacenter: dc2}
                """;
        assertThatThrownBy(() -> ClusterSpec.parse(yaml))
                .isInstanceOf(ClusterSpecException.class)
                .satisfies(e -> assertThat(((ClusterSpecException) e).problems()).containsExactlyInAnyOrder(
                        "duplicate node id 1",
                        "node 1: peer_port h:7001 is already used by node 1",
                        "replication factor 3 for datacenter 'dc1' exceeds its 2 node(s)",
                        "replication names datacenter 'nowhere' but no node is in it",
                        "datacenter 'dc2' has nodes but no replication factor (add 'replication: {dc2: N}')"));
    }

    @Test
    void rejectsMissingEssentials() {
        assertThatThrownBy(() -> ClusterSpec.parse("virtual_nodes: 0\nnodes: []\n"))
                .isInstanceOf(ClusterSpecException.class)
                .hasMessageContaining("'name' (the cluster name) is missing")
                .hasMessageContaining("'secret' is missing")
                .hasMessageContaining("'nodes' is empty");
        assertThatThrownBy(() -> ClusterSpec.parse("")).isInstanceOf(ClusterSpecException.class);
        ClusterSpec longName = new ClusterSpec("c".repeat(257), "x", 16, Map.of("dc1", 1),
                List.of(new NodeSpec(1, "h", 7001, 17001, "dc1", "r")));
        assertThat(longName.problems()).as("the name travels in the handshake, whose frames are small")
                .contains("'name' (the cluster name) is longer than 256 characters");
    }

    @Test
    void rejectsBadRangesAndZeroReplication() {
        ClusterSpec spec = new ClusterSpec("c", "x", 5000, Map.of("dc1", 0),
                List.of(new NodeSpec(70000, "h", 0, 70000, "dc1", "r")));
        assertThat(spec.problems()).contains(
                "'virtual_nodes' must be between 1 and 4096, got 5000",
                "node 70000: id must be between 0 and 65535",
                "node 70000: 'client_port' must be between 1 and 65535, got 0",
                "node 70000: 'peer_port' must be between 1 and 65535, got 70000",
                "replication factor of datacenter 'dc1' must be at least 1, got 0");
    }

    @Test
    void nodeIdAndPortsAreRequired() {
        assertThatThrownBy(() -> ClusterSpec.parse("""
                name: c
                secret: x
                replication: {dc1: 1}
                nodes:
                  - {host: h, client_port: 1, peer_port: 2}
                """)).isInstanceOf(ClusterSpecException.class).hasMessageContaining("'id'");
    }

    @Test
    void unknownFieldsAndSyntaxErrorsAreClear() {
        assertThatThrownBy(() -> ClusterSpec.parse("name: c\nsecrett: x\n"))
                .isInstanceOf(ClusterSpecException.class)
                .hasMessageContaining("secrett")
                .hasMessageContaining("at 'secrett'")
                .hasMessageContaining("line ");
        assertThatThrownBy(() -> ClusterSpec.parse("name: c\nsecret: x\nnodes:\n  - {id: 1, host: h, client_port: 1, "
                + "peer_port: 2, zone: z}\n"))
                .hasMessageContaining("at 'nodes[0].zone'");
        assertThatThrownBy(() -> ClusterSpec.parse("name: [unclosed\n"))
                .isInstanceOf(ClusterSpecException.class)
                .hasMessageContaining("cannot parse cluster description");
    }

    @Test
    void loadsFromFileAndNamesItInErrors(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("cluster.yaml");
        Files.writeString(good, VALID);
        assertThat(ClusterSpec.load(good).nodes()).hasSize(3);

        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "name: c\nsecret: x\nnodes: []\n");
        assertThatThrownBy(() -> ClusterSpec.load(bad)).hasMessageContaining(bad.toString());
        assertThatThrownBy(() -> ClusterSpec.load(dir.resolve("missing.yaml")))
                .isInstanceOf(ClusterSpecException.class)
                .hasMessageContaining("cannot read");
    }

    @Test
    void yamlRoundTrips() {
        ClusterSpec spec = ClusterSpec.parse(VALID);
        assertThat(ClusterSpec.parse(spec.toYaml())).isEqualTo(spec);
    }

    @Test
    void toStringNeverShowsTheSecret() {
        assertThat(ClusterSpec.parse(VALID).toString()).doesNotContain("s3cret").contains("<redacted>");
    }

    /** {@code secret_file} (a mounted Kubernetes Secret, say) stands for {@code secret}, relative to the file's folder. */
    @Test
    void secretFileIsReadRelativeToTheDescription(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("config"));
        Files.createDirectories(dir.resolve("secret"));
        Files.writeString(dir.resolve("secret/cluster-secret"), "from-a-file\n");
        Path cluster = dir.resolve("config/cluster.yaml");
        Files.writeString(cluster, VALID.replace("secret: s3cret-s3cret", "secret_file: ../secret/cluster-secret"));
        assertThat(ClusterSpec.load(cluster).secret()).isEqualTo("from-a-file");

        Files.writeString(cluster, VALID.replace("secret: s3cret-s3cret",
                "secret_file: " + dir.resolve("secret/cluster-secret")));
        assertThat(ClusterSpec.load(cluster).secret()).isEqualTo("from-a-file");

        Files.writeString(cluster, VALID.replace("secret: s3cret-s3cret", "secret_file: ../secret/missing"));
        assertThatThrownBy(() -> ClusterSpec.load(cluster)).isInstanceOf(ClusterSpecException.class)
                .hasMessageContaining("cannot read the secret from 'secret_file'").hasMessageContaining("no such file");

        Files.writeString(dir.resolve("secret/empty"), "\n");
        Files.writeString(cluster, VALID.replace("secret: s3cret-s3cret", "secret_file: ../secret/empty"));
        assertThatThrownBy(() -> ClusterSpec.load(cluster)).hasMessageContaining("empty");

        Files.writeString(cluster, VALID.replace("secret: s3cret-s3cret",
                "secret: s3cret-s3cret\nsecret_file: ../secret/cluster-secret"));
        assertThatThrownBy(() -> ClusterSpec.load(cluster)).hasMessageContaining("both set");

        Files.writeString(cluster, VALID.replace("secret: s3cret-s3cret",
                "secret_file: ../secret/cluster-secret\nsecrett: x"));
        assertThatThrownBy(() -> ClusterSpec.load(cluster)).hasMessageContaining("secrett");
    }

    @Test
    void localClusterHasTheDocumentedShape() {
        ClusterSpec three = ClusterSpec.localCluster(3, 1, 7001);
        assertThat(three.nodes()).extracting(NodeSpec::clientPort).containsExactly(7001, 7002, 7003);
        assertThat(three.nodes()).extracting(NodeSpec::peerPort).containsExactly(17001, 17002, 17003);
        assertThat(three.nodes()).extracting(NodeSpec::rack).containsExactly("rack1", "rack2", "rack3");
        assertThat(three.replication()).containsExactly(Map.entry("dc1", 3));
        assertThat(three.secret()).hasSizeGreaterThanOrEqualTo(32);
        assertThat(ClusterSpec.localCluster(3, 1, 7001).secret()).isNotEqualTo(three.secret());

        ClusterSpec five = ClusterSpec.localCluster(5, 2, 7001);
        assertThat(five.nodes()).extracting(NodeSpec::datacenter).containsExactly("dc1", "dc1", "dc1", "dc2", "dc2");
        assertThat(five.replication()).containsExactly(Map.entry("dc1", 3), Map.entry("dc2", 2));
        assertThatThrownBy(() -> ClusterSpec.localCluster(2, 3, 7001)).isInstanceOf(IllegalArgumentException.class);
    }
}
