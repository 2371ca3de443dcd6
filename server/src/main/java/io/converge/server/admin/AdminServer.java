package io.converge.server.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.converge.server.command.NodeServices;
import io.converge.server.command.NodeStatus;
import io.converge.server.config.ConvergeConfig;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's HTTP admin endpoint on {@code admin-port}: {@code /metrics} in Prometheus's text
 * format (per-command calls, errors and latency histograms, every number INFO reports, the JVM's
 * metrics), {@code /health} (200 while the node runs: a liveness probe) and {@code /ready} (200
 * once the node serves clients and, in a cluster, has finished its start-up sync with its peers;
 * 503 with the reason otherwise: a readiness probe for load balancers and Kubernetes), {@code /}
 * (a live dashboard: the ring and every node's state, ops/s, p99, backlog and repairs, from
 * {@code /api/cluster}, which this node gathers from its peers: {@link NodeStatus}). It runs
 * on two threads of its own (the JDK's HTTP server), never on the client event loops, and
 * everything it reports is read when asked: serving it costs the request path nothing.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final HttpServer http;
    private final ExecutorService threads;

    private AdminServer(HttpServer http, ExecutorService threads) {
        this.http = http;
        this.threads = threads;
    }

    /** Starts the endpoint of the node of {@code services} on its configured bind address and admin port. */
    public static AdminServer start(NodeServices services) throws IOException {
        ConvergeConfig config = services.config().current();
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new CommandMetrics(services.commands()));
        registry.register(new InfoMetrics(services.info()));
        JvmMetrics.builder().register(registry);
        HttpServer http = HttpServer.create(new InetSocketAddress(config.bind().get(0), config.adminPort()), 64);
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "converge-admin-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(threads);
        http.createContext("/metrics", new MetricsHandler(registry));
        http.createContext("/health", exchange -> reply(exchange, 200, "OK\n"));
        http.createContext("/ready", exchange -> {
            String notReady = notReady(services);
            reply(exchange, notReady == null ? 200 : 503, notReady == null ? "READY\n" : notReady + "\n");
        });
        NodeStatus single = new NodeStatus(services);
        http.createContext("/api/cluster", exchange -> {
            NodeStatus.Cluster cluster = services.part(NodeStatus.Cluster.class);
            String json;
            try {
                json = cluster != null ? cluster.json().get(10, TimeUnit.SECONDS)
                        : "{\"self\":\"" + services.nodeId() + "\",\"nodes\":[" + single.json() + "]}";
            } catch (Exception e) {
                reply(exchange, 503, "text/plain; charset=utf-8", "cannot gather the cluster's status: " + e + "\n");
                return;
            }
            reply(exchange, 200, "application/json", json);
        });
        byte[] dashboard = dashboard();
        http.createContext("/", exchange -> {
            if (exchange.getRequestURI().getPath().equals("/")) {
                reply(exchange, 200, "text/html; charset=utf-8", new String(dashboard, StandardCharsets.UTF_8));
            } else {
                reply(exchange, 404, "Not found. Try /, /metrics, /health, /ready or /api/cluster.\n");
            }
        });
        http.start();
        log.info("Admin endpoint on http://{}:{}/ (dashboard; /metrics, /health, /ready)", config.bind().get(0),
                http.getAddress().getPort());
        return new AdminServer(http, threads);
    }

    /** The port the endpoint listens on (the configured one, or the one picked for 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Why the node is not ready to serve, or null when it is. */
    static String notReady(NodeServices services) {
        if (services.port() <= 0) {
            return "starting: the client port is not open yet";
        }
        String sync = services.info().fields(List.of("replication")).get("sync_state");
        return sync == null || sync.equals("complete") ? null : "syncing with the other nodes (sync_state:" + sync + ")";
    }

    private static byte[] dashboard() throws IOException {
        try (InputStream in = AdminServer.class.getResourceAsStream("dashboard.html")) {
            if (in == null) {
                throw new IOException("dashboard.html is missing from the jar");
            }
            return in.readAllBytes();
        }
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        reply(exchange, status, "text/plain; charset=utf-8", body);
    }

    private static void reply(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, exchange.getRequestMethod().equals("HEAD") ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!exchange.getRequestMethod().equals("HEAD")) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
        threads.shutdownNow();
    }
}
