package io.converge.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.converge.server.cli.ServerCli;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.routing.ClusterNode;
import io.converge.server.config.ConfigLoader;
import io.converge.server.config.ConvergeConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes deployment (deploy/kubernetes, deploy/docker/entrypoint.sh, the Dockerfile):
 * every manifest matches the Kubernetes API schema, and what each pod would run is what the
 * nodes expect: the entrypoint, run with the pod names converge-0..N-1, starts node K+1 of the
 * ConfigMap's cluster file with the Secret's secrets, and the StatefulSet's ports, probes and
 * volumes agree with the ConfigMap's node configuration. Nothing here needs a Kubernetes cluster.
 */
class KubernetesManifestsTest {
    private static final Path MANIFESTS = Path.of("..", "deploy", "kubernetes");
    private static final Path ENTRYPOINT = Path.of("..", "deploy", "docker", "entrypoint.sh");
    private static final Path DOCKERFILE = Path.of("..", "Dockerfile");
    private static final Path JVM_OPTIONS = Path.of("..", "server", "jvm.options");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path tmp;

    /** Every manifest file's documents, by file name (sorted). */
    private static Map<String, List<JsonNode>> manifests() throws IOException {
        Map<String, List<JsonNode>> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(MANIFESTS)) {
            for (Path file : list.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
                    List<JsonNode> nodes = new ArrayList<>();
                    docs.forEachRemaining(d -> {
                        if (d != null && !d.isNull() && !d.isMissingNode()) {
                            nodes.add(d);
                        }
                    });
                    files.put(file.getFileName().toString(), nodes);
                }
            }
        }
        return files;
    }

    /** The one object of this kind in the manifests (the Secret comes from its example). */
    private static JsonNode object(String kind) throws IOException {
        List<JsonNode> found = new ArrayList<>();
        for (List<JsonNode> docs : manifests().values()) {
            docs.stream().filter(d -> d.path("kind").asText().equals(kind)).forEach(found::add);
        }
        assertThat(found).as("objects of kind %s", kind).hasSize(1);
        return found.get(0);
    }

    /** The Service with this name. */
    private static JsonNode service(String name) throws IOException {
        for (List<JsonNode> docs : manifests().values()) {
            for (JsonNode d : docs) {
                if (d.path("kind").asText().equals("Service") && d.path("metadata").path("name").asText().equals(name)) {
                    return d;
                }
            }
        }
        throw new AssertionError("no Service named " + name);
    }

    /** Parses one YAML document. */
    private static JsonNode yaml(String text) throws IOException {
        return YAML.readTree(text);
    }

    /** Every document of every manifest file (the Secret's example too) passes the schema check. */
    @Test
    void everyManifestMatchesTheKubernetesSchema() throws IOException {
        Map<String, List<JsonNode>> files = manifests();
        assertThat(files).containsKeys("kustomization.yaml", "statefulset.yaml", "configmap.yaml", "secret.example.yaml");
        int checked = 0;
        for (Map.Entry<String, List<JsonNode>> file : files.entrySet()) {
            if (file.getKey().equals("kustomization.yaml")) {
                continue;
            }
            assertThat(file.getValue()).as(file.getKey()).isNotEmpty();
            for (JsonNode doc : file.getValue()) {
                assertThat(KubernetesSchema.problems(doc)).as("%s: %s %s", file.getKey(), doc.path("kind").asText(),
                        doc.path("metadata").path("name").asText()).isEmpty();
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(7);
    }

    /** The kustomization applies every manifest but the example Secret, in one namespace throughout. */
    @Test
    void kustomizationListsEveryManifestButTheSecretExample() throws IOException {
        JsonNode k = manifests().get("kustomization.yaml").get(0);
        assertThat(k.path("apiVersion").asText()).isEqualTo("kustomize.config.k8s.io/v1beta1");
        assertThat(k.path("kind").asText()).isEqualTo("Kustomization");
        Set<String> fields = new TreeSet<>();
        k.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).isSubsetOf("apiVersion", "kind", "namespace", "resources", "images", "labels",
                "commonAnnotations", "patches", "configMapGenerator", "secretGenerator");
        Set<String> listed = new TreeSet<>();
        k.path("resources").forEach(r -> listed.add(r.asText()));
        Set<String> files = new TreeSet<>(manifests().keySet());
        files.removeIf(f -> f.equals("kustomization.yaml") || f.endsWith(".example.yaml"));
        assertThat(listed).isEqualTo(files);

        // One namespace throughout: the kustomization's, every object's, and the cluster file's host names.
        String namespace = k.path("namespace").asText();
        assertThat(object("Namespace").path("metadata").path("name").asText()).isEqualTo(namespace);
        for (List<JsonNode> docs : manifests().values()) {
            for (JsonNode d : docs) {
                if (!d.path("kind").asText().matches("Namespace|Kustomization")) {
                    assertThat(d.path("metadata").path("namespace").asText()).as(d.path("kind").asText()).isEqualTo(namespace);
                }
            }
        }
        // The image the StatefulSet names is the one the kustomization retags.
        String image = object("StatefulSet").at("/spec/template/spec/containers/0/image").asText();
        assertThat(image.split(":")[0]).isEqualTo(k.at("/images/0/name").asText());
    }

    /** Mutations of the real StatefulSet and a hand-written broken manifest: each fault is reported where it is. */
    @Test
    void brokenManifestsFailTheValidation() throws IOException {
        JsonNode good = object("StatefulSet");
        assertThat(KubernetesSchema.problems(good)).isEmpty();

        Map<String, Consumer<ObjectNode>> faults = new LinkedHashMap<>();
        faults.put("spec.replica: unknown field of V1StatefulSetSpec", s -> ((ObjectNode) s.get("spec")).put("replica", 3));
        faults.put("spec.template.spec.containers[0].livenessProbe.httpGett: unknown field of V1Probe", s -> {
            ObjectNode probe = (ObjectNode) s.at("/spec/template/spec/containers/0/livenessProbe");
            probe.set("httpGett", probe.remove("httpGet"));
        });
        faults.put("spec.replicas: expected a 32-bit integer, got string \"3\"",
                s -> ((ObjectNode) s.get("spec")).put("replicas", "3"));
        faults.put("spec.template.spec.containers[0].ports[0].containerPort: expected a 32-bit integer",
                s -> ((ObjectNode) s.at("/spec/template/spec/containers/0/ports/0")).put("containerPort", "6379"));
        faults.put("spec.template.metadata.annotations.prometheus.io/scrape: expected a string, got boolean true",
                s -> ((ObjectNode) s.at("/spec/template/metadata/annotations")).put("prometheus.io/scrape", true));
        faults.put("spec.template.spec.containers[0].ports: expected a list",
                s -> ((ObjectNode) s.at("/spec/template/spec/containers/0")).putObject("ports").put("name", "client"));
        faults.put("spec.template.spec.containers[0].resources.limits.memory: expected a quantity",
                s -> ((ObjectNode) s.at("/spec/template/spec/containers/0/resources/limits")).put("memory", "2GB"));
        faults.put("spec.template.spec.containers[0]: missing required field 'name' of V1Container",
                s -> ((ObjectNode) s.at("/spec/template/spec/containers/0")).remove("name"));
        faults.put("spec: missing required field 'selector' of V1StatefulSetSpec",
                s -> ((ObjectNode) s.get("spec")).remove("selector"));
        faults.put("no schema for apiVersion/kind apps/v1/StatefullSet", s -> s.put("kind", "StatefullSet"));
        for (Map.Entry<String, Consumer<ObjectNode>> fault : faults.entrySet()) {
            ObjectNode broken = good.deepCopy();
            fault.getValue().accept(broken);
            assertThat(KubernetesSchema.problems(broken)).as(fault.getKey())
                    .anySatisfy(p -> assertThat(p).startsWith(fault.getKey()));
        }

        List<String> problems = KubernetesSchema.problems(yaml("""
                apiVersion: v1
                kind: Service
                metadata:
                  name: broken
                  lables: {app: x}
                spec:
                  clusterIP: None
                  publishNotReadyAddress: true
                  ports:
                    - name: client
                      port: six-three-seven-nine
                      targetPort: client
                """));
        assertThat(problems).hasSize(3);
        assertThat(problems.get(0)).startsWith("metadata.lables: unknown field of V1ObjectMeta");
        assertThat(problems.get(1)).startsWith("spec.publishNotReadyAddress: unknown field of V1ServiceSpec");
        assertThat(problems.get(2)).startsWith("spec.ports[0].port: expected a 32-bit integer");
    }

    /** What the pod converge-K would run: the entrypoint under a fake java, and the node configuration it amounts to. */
    @Test
    void entrypointStartsNodeKPlusOneOfTheClusterFileForEveryPod() throws Exception {
        JsonNode sts = object("StatefulSet");
        JsonNode container = sts.at("/spec/template/spec/containers/0");
        JsonNode configMap = object("ConfigMap");
        JsonNode secret = object("Secret");
        Path root = podFilesystem(sts, configMap, secret);
        String namespace = sts.at("/metadata/namespace").asText();
        String peers = sts.at("/spec/serviceName").asText();
        String name = sts.at("/metadata/name").asText();
        int replicas = sts.at("/spec/replicas").asInt();
        Map<String, Integer> ports = containerPorts(container);

        ConvergeConfig nodeYaml = ConfigLoader.load(root.resolve("etc/converge/config/node.yaml"), Map.of());
        ClusterSpec spec = null;
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            Run run = entrypoint(root, container, name + "-" + ordinal);
            assertThat(run.exitCode()).as(run.stderr()).isZero();
            List<String> argv = run.stdout().lines().toList();
            int jar = argv.indexOf("-jar");
            assertThat(jar).as("java %s", argv).isPositive();
            assertThat(argv.subList(0, jar)).as("JVM options").containsSequence(jvmDefaults()).contains(
                    container.at("/env").findValuesAsText("value").stream()
                            .filter(v -> v.startsWith("-XX:")).toArray(String[]::new));
            assertThat(argv.get(jar + 1)).isEqualTo("/opt/converge/converge-server.jar");
            assertThat(argv.get(jar + 2)).isEqualTo("server");
            List<String> serverArgs = argv.subList(jar + 3, argv.size());

            ConvergeConfig config = ServerCli.configuration(serverArgs.toArray(String[]::new));
            spec = ClusterSpec.load(Path.of(config.cluster())); // validates, and reads secret_file
            ConvergeConfig placed = ClusterNode.place(config, spec);
            int id = ordinal + 1;
            NodeSpec self = spec.node(id);
            assertThat(config.nodeId()).isEqualTo(Integer.toString(id));
            assertThat(self).as("node %d in the cluster file", id).isNotNull();
            assertThat(self.host()).isEqualTo(name + "-" + ordinal + "." + peers + "." + namespace + ".svc.cluster.local");
            assertThat(placed.port()).isEqualTo(self.clientPort()).isEqualTo(ports.get("client"));
            assertThat(self.peerPort()).isEqualTo(ports.get("peer"));
            assertThat(placed.bind()).containsExactly("0.0.0.0");
            assertThat(placed.adminPort()).isEqualTo(ports.get("admin"));
            assertThat(placed.dataDir()).isEqualTo(nodeYaml.dataDir()).isEqualTo(Path.of("/data"));
            assertThat(placed.protectedMode()).isTrue();
            assertThat(placed.requirepass()).isEqualTo(secret.at("/stringData/requirepass").asText());
            assertThat(spec.secret()).isEqualTo(secret.at("/stringData/cluster-secret").asText());
        }
        assertThat(spec.nodes()).extracting(NodeSpec::id)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, replicas).boxed().toList());
        assertThat(spec.nodes()).extracting(NodeSpec::rack).doesNotHaveDuplicates();

        Run bad = entrypoint(root, container, "converge");
        assertThat(bad.exitCode()).isEqualTo(64);
        assertThat(bad.stderr()).contains("cannot derive the node id from host name 'converge'");
        Run leadingZero = entrypoint(root, container, "converge-08");
        assertThat(leadingZero.stdout().lines().toList()).containsSequence("--node-id", "9");
        // Container args reach `converge server`.
        Run withArgs = entrypoint(root, container, name + "-0", "--set", "maxclients=123");
        List<String> argv = withArgs.stdout().lines().toList();
        ConvergeConfig config = ServerCli.configuration(argv.subList(argv.indexOf("server") + 1, argv.size())
                .toArray(String[]::new));
        assertThat(config.maxclients()).isEqualTo(123);
        assertThat(config.nodeId()).isEqualTo("1");
    }

    /** Ports, probes, volumes, Services, budget and image agree with each other and with node.yaml. */
    @Test
    void statefulSetServicesAndBudgetAgreeWithTheNodeConfiguration() throws IOException {
        JsonNode sts = object("StatefulSet");
        JsonNode pod = sts.at("/spec/template");
        JsonNode container = pod.at("/spec/containers/0");
        JsonNode configMap = object("ConfigMap");
        Map<String, Integer> ports = containerPorts(container);
        Path nodeYaml = Files.writeString(tmp.resolve("node.yaml"), configMap.at("/data/node.yaml").asText());
        ConvergeConfig config = ConfigLoader.load(nodeYaml, Map.of());
        JsonNode cluster = yaml(configMap.at("/data/cluster.yaml").asText());

        // Probes: /health and /ready on the admin port.
        assertThat(ports.get("admin")).isEqualTo(config.adminPort()).isPositive();
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            JsonNode get = container.path(probe).path("httpGet");
            assertThat(portNumber(get.path("port"), ports)).as(probe).isEqualTo(config.adminPort());
            assertThat(get.path("path").asText()).as(probe).isEqualTo(probe.equals("readinessProbe") ? "/ready" : "/health");
        }
        JsonNode annotations = pod.at("/metadata/annotations");
        assertThat(annotations.path("prometheus.io/port").asText()).isEqualTo(Integer.toString(config.adminPort()));
        assertThat(annotations.path("prometheus.io/path").asText()).isEqualTo("/metrics");

        // Volumes: the claim template at data-dir, the ConfigMap and Secret where the env says.
        Map<String, String> mounts = new HashMap<>();
        container.path("volumeMounts").forEach(m -> mounts.put(m.path("name").asText(), m.path("mountPath").asText()));
        String claim = sts.at("/spec/volumeClaimTemplates/0/metadata/name").asText();
        assertThat(mounts.get(claim)).isEqualTo(config.dataDir().toString());
        Map<String, JsonNode> volumes = new HashMap<>();
        pod.at("/spec/volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
        assertThat(mounts.keySet()).allMatch(m -> m.equals(claim) || volumes.containsKey(m));
        String configVolume = volumes.entrySet().stream().filter(e -> e.getValue().has("configMap")).findFirst().orElseThrow().getKey();
        assertThat(volumes.get(configVolume).at("/configMap/name").asText()).isEqualTo(configMap.at("/metadata/name").asText());
        String secretVolume = volumes.entrySet().stream().filter(e -> e.getValue().has("secret")).findFirst().orElseThrow().getKey();
        assertThat(volumes.get(secretVolume).at("/secret/secretName").asText())
                .isEqualTo(object("Secret").at("/metadata/name").asText());
        Map<String, String> env = env(container);
        assertThat(env.get("CONVERGE_CONFIG")).isEqualTo(mounts.get(configVolume) + "/node.yaml");
        assertThat(env.get("CONVERGE_CLUSTER")).isEqualTo(mounts.get(configVolume) + "/cluster.yaml");
        assertThat(env.get("CONVERGE_REQUIREPASS_FILE")).isEqualTo(mounts.get(secretVolume) + "/requirepass");
        assertThat(Path.of(mounts.get(configVolume)).resolve(cluster.path("secret_file").asText()).normalize())
                .isEqualTo(Path.of(mounts.get(secretVolume), "cluster-secret"));
        assertThat(mounts).containsValue("/tmp"); // the root file system is read-only

        // Identity and lifecycle.
        assertThat(sts.at("/spec/replicas").asInt()).isEqualTo(cluster.path("nodes").size());
        assertThat(sts.at("/spec/podManagementPolicy").asText()).isEqualTo("Parallel");
        assertThat(sts.at("/spec/template/spec/terminationGracePeriodSeconds").asInt())
                .as("grace period: shutdown-timeout plus time to flush the log")
                .isGreaterThanOrEqualTo(config.shutdownTimeout() + 10);
        JsonNode podLabels = pod.at("/metadata/labels");
        assertThat(matches(sts.at("/spec/selector/matchLabels"), podLabels)).isTrue();

        // Services: the headless one names the pods (even before they are ready), the client one serves clients.
        JsonNode peers = service(sts.at("/spec/serviceName").asText());
        assertThat(peers.at("/spec/clusterIP").asText()).isEqualTo("None");
        assertThat(peers.at("/spec/publishNotReadyAddresses").asBoolean()).isTrue();
        assertThat(matches(peers.at("/spec/selector"), podLabels)).isTrue();
        JsonNode client = service(sts.at("/metadata/name").asText());
        assertThat(matches(client.at("/spec/selector"), podLabels)).isTrue();
        for (JsonNode svc : List.of(peers, client)) {
            for (JsonNode p : svc.at("/spec/ports")) {
                assertThat(portNumber(p.path("targetPort"), ports)).as("%s port %s", svc.at("/metadata/name"), p)
                        .isEqualTo(p.path("port").asInt());
            }
        }
        assertThat(client.at("/spec/ports/0/port").asInt()).isEqualTo(cluster.at("/nodes/0/client_port").asInt());
        assertThat(peers.at("/spec/ports").findValuesAsText("name")).contains("peer");

        // The disruption budget: at most as many pods away as a quorum of replicas can spare.
        JsonNode pdb = object("PodDisruptionBudget");
        assertThat(matches(pdb.at("/spec/selector/matchLabels"), podLabels)).isTrue();
        int rf = cluster.path("replication").elements().next().asInt();
        assertThat(pdb.at("/spec/maxUnavailable").asInt()).isBetween(1, rf - (rf / 2 + 1));

        // The image: the ports it exposes, its user, and where it puts what the entrypoint runs.
        String dockerfile = Files.readString(DOCKERFILE);
        Matcher expose = Pattern.compile("(?m)^EXPOSE (.+)$").matcher(dockerfile);
        assertThat(expose.find()).isTrue();
        assertThat(new TreeSet<>(List.of(expose.group(1).trim().split("\\s+"))))
                .isEqualTo(new TreeSet<>(ports.values().stream().map(String::valueOf).toList()));
        assertThat(dockerfile).contains("USER " + pod.at("/spec/securityContext/runAsUser").asInt() + ":");
        assertThat(dockerfile).contains("/opt/converge/converge-server.jar", "/opt/converge/jvm.options",
                "ENTRYPOINT [\"/opt/converge/entrypoint.sh\"]", "VOLUME [\"" + config.dataDir() + "\"]");
    }

    /**
     * What {@code kubectl apply -k} would send, as kustomize renders it, passes the schema check
     * too; skipped where kubectl (which carries kustomize) is not installed.
     */
    @Test
    void renderedKustomizationMatchesTheSchema() throws Exception {
        Path kubectl = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .map(dir -> Path.of(dir, "kubectl")).filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(kubectl != null, "kubectl is not installed");
        Path out = tmp.resolve("rendered.yaml");
        Path err = tmp.resolve("kustomize.err");
        Process p = new ProcessBuilder(kubectl.toString(), "kustomize", MANIFESTS.toAbsolutePath().toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kubectl kustomize finished").isTrue();
        assertThat(p.exitValue()).as(Files.readString(err)).isZero();
        List<String> kinds = new ArrayList<>();
        try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(out.toFile())) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                kinds.add(doc.path("kind").asText());
                assertThat(KubernetesSchema.problems(doc)).as("rendered %s", doc.path("kind").asText()).isEmpty();
            }
        }
        assertThat(kinds).containsExactlyInAnyOrder("Namespace", "ConfigMap", "Service", "Service", "StatefulSet",
                "PodDisruptionBudget");
    }

    /** Whether every label of {@code selector} is on {@code labels}. */
    private static boolean matches(JsonNode selector, JsonNode labels) {
        if (selector.isMissingNode() || selector.isEmpty()) {
            return false;
        }
        for (var it = selector.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!labels.path(e.getKey()).asText().equals(e.getValue().asText())) {
                return false;
            }
        }
        return true;
    }

    /** The container's ports by name. */
    private static Map<String, Integer> containerPorts(JsonNode container) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        container.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
        assertThat(ports).containsOnlyKeys("client", "peer", "admin");
        return ports;
    }

    /** A port given by number or by the container port's name. */
    private static int portNumber(JsonNode port, Map<String, Integer> ports) {
        return port.isInt() ? port.asInt() : ports.getOrDefault(port.asText(), -1);
    }

    /** The container's plain environment variables. */
    private static Map<String, String> env(JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        container.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
        return env;
    }

    /** The defaults of server/jvm.options that a JDK 25 on Linux takes. */
    private static List<String> jvmDefaults() throws IOException {
        List<String> opts = new ArrayList<>();
        for (String line : Files.readAllLines(JVM_OPTIONS)) {
            String[] parts = line.trim().split("\\s+", 2);
            if (parts.length == 2 && !parts[0].startsWith("#")
                    && Integer.parseInt(parts[0].replace("/linux", "")) <= 25) {
                opts.add(parts[1]);
            }
        }
        assertThat(opts).contains("--enable-native-access=ALL-UNNAMED");
        return opts;
    }

    /**
     * A copy of what the pod sees, under {@code tmp}: the ConfigMap's and the Secret's files at the
     * StatefulSet's mount paths, and a {@code java} that prints its arguments instead of running.
     */
    private Path podFilesystem(JsonNode sts, JsonNode configMap, JsonNode secret) throws IOException {
        Path root = tmp.resolve("pod");
        JsonNode container = sts.at("/spec/template/spec/containers/0");
        Map<String, String> mounts = new HashMap<>();
        container.path("volumeMounts").forEach(m -> mounts.put(m.path("name").asText(), m.path("mountPath").asText()));
        for (JsonNode volume : sts.at("/spec/template/spec/volumes")) {
            String mount = mounts.get(volume.path("name").asText());
            Path dir = Files.createDirectories(root.resolve(mount.substring(1)));
            JsonNode data = volume.has("configMap") ? configMap.path("data")
                    : volume.has("secret") ? secret.path("stringData") : null;
            if (data != null) {
                for (var it = data.properties().iterator(); it.hasNext(); ) {
                    var file = it.next();
                    Files.writeString(dir.resolve(file.getKey()), file.getValue().asText());
                }
            }
        }
        Path bin = Files.createDirectories(root.resolve("bin"));
        Path java = Files.writeString(bin.resolve("java"), """
                #!/bin/sh
                if [ "$1" = "-version" ]; then echo 'openjdk version "25.0.1" 2025-10-21 LTS' >&2; exit 0; fi
                for a in "$@"; do printf '%s\\n' "$a"; done
                """);
        assertThat(java.toFile().setExecutable(true)).isTrue();
        return root;
    }

    /** One finished run of the entrypoint. */
    private record Run(int exitCode, String stdout, String stderr) {}

    /**
     * Runs the entrypoint as the pod {@code hostname} would, with the container's environment
     * (paths moved under {@code root}), nothing inherited from this JVM's, and the container's args
     * followed by {@code extraArgs}.
     */
    private static Run entrypoint(Path root, JsonNode container, String hostname, String... extraArgs) throws Exception {
        List<String> command = new ArrayList<>(List.of("sh", ENTRYPOINT.toAbsolutePath().toString()));
        container.path("args").forEach(a -> command.add(a.asText()));
        command.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile());
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", root.resolve("bin") + ":/usr/bin:/bin");
        env.put("HOSTNAME", hostname);
        env.put("CONVERGE_JVM_OPTIONS", JVM_OPTIONS.toAbsolutePath().toString());
        env(container).forEach((k, v) -> env.put(k, v.startsWith("/") ? root.resolve(v.substring(1)).toString() : v));
        Path out = Files.createTempFile(root, "stdout", ".txt");
        Path err = Files.createTempFile(root, "stderr", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("entrypoint finished").isTrue();
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
