package io.converge.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.ConvergeFixture;
import io.converge.server.testing.FreePorts;
import io.converge.server.testing.RespClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node's admin endpoint over real HTTP: /health and /ready answer, and /metrics is valid
 * Prometheus text (parsed by the Prometheus project's own text parser, from Python's
 * prometheus_client) holding the per-command counters and latency histograms, INFO's numbers and
 * the JVM's metrics, with values that match what the node did.
 */
class AdminEndpointTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void healthReadyAndMetricsParsedByThePrometheusTextParser() throws Exception {
        int admin = FreePorts.find();
        try (ConvergeFixture node = ConvergeFixture.start(b -> b.adminPort(admin));
             RespClient c = new RespClient("127.0.0.1", node.port())) {
            for (int i = 0; i < 25; i++) {
                c.call("SET", "k" + i, "v");
            }
            c.call("GET", "k1");
            assertThat(c.call("INCR", "k1")).isInstanceOf(RespClient.Err.class);
            assertThat(c.call("GET")).isInstanceOf(RespClient.Err.class); // wrong arity: rejected

            assertThat(get(admin, "/health")).isEqualTo("200 OK\n");
            assertThat(get(admin, "/ready")).isEqualTo("200 READY\n");
            assertThat(get(admin, "/nothing")).startsWith("404 ");

            Map<String, Double> samples = parse(body(admin, "/metrics"));
            assertThat(samples).containsEntry("converge_commands_total{cmd=\"set\"}", 25.0)
                    .containsEntry("converge_commands_total{cmd=\"get\"}", 1.0)
                    .containsEntry("converge_command_errors_total{cmd=\"incr\"}", 1.0)
                    .containsEntry("converge_command_rejections_total{cmd=\"get\"}", 1.0)
                    .containsEntry("converge_command_duration_seconds_count{cmd=\"set\"}", 25.0)
                    .containsEntry("converge_command_duration_seconds_bucket{cmd=\"set\",le=\"+Inf\"}", 25.0)
                    .containsEntry("converge_connected_clients", 1.0)
                    .containsEntry("converge_db_keys{db=\"0\"}", 25.0)
                    .containsEntry("converge_errorstat_count{error=\"ERR\"}", 2.0);
            assertThat(samples.get("converge_uptime_in_seconds")).isNotNull();
            assertThat(samples.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes{"));
            // Buckets are cumulative and end with every call.
            double previous = 0;
            for (String le : List.of("1.0E-6", "1.6E-5", "0.001024", "+Inf")) {
                Double v = samples.get("converge_command_duration_seconds_bucket{cmd=\"set\",le=\"" + le + "\"}");
                assertThat(v).as("bucket le=%s", le).isNotNull().isGreaterThanOrEqualTo(previous);
                previous = v;
            }
        }
    }

    /** "status body" of a GET. */
    private static String get(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    private static String body(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        return r.body();
    }

    /**
     * The samples of a Prometheus text exposition, as the Prometheus client's own parser reads it
     * (a failure to parse fails the test): {@code name{label="v",...} -> value}, labels sorted.
     */
    static Map<String, Double> parse(String exposition) throws IOException, InterruptedException {
        Path in = Files.createTempFile("metrics", ".txt");
        try {
            Files.writeString(in, exposition, StandardCharsets.UTF_8);
            String script = String.join("\n",
                    "import sys",
                    "from prometheus_client.parser import text_string_to_metric_families",
                    "for family in text_string_to_metric_families(open(sys.argv[1]).read()):",
                    "    for s in family.samples:",
                    "        labels = ','.join('%s=\"%s\"' % (k, s.labels[k]) for k in sorted(s.labels))",
                    "        print('%s%s\\t%r' % (s.name, '{' + labels + '}' if labels else '', float(s.value)))");
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", script, in.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("the Prometheus parser refused the exposition:\n%s", out).isZero();
            Map<String, Double> samples = new HashMap<>();
            for (String line : out.split("\n")) {
                int tab = line.lastIndexOf('\t');
                if (tab > 0) {
                    samples.put(line.substring(0, tab), Double.parseDouble(line.substring(tab + 1)));
                }
            }
            return samples;
        } finally {
            Files.deleteIfExists(in);
        }
    }
}
