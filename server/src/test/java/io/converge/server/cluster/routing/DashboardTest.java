package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.testing.FreePorts;
import io.converge.server.testing.RespClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The admin dashboard in a real browser (headless Chromium, Debian's {@code chromium}) against a
 * running 3-node cluster: the page, served by node 1, shows every node with its state as node 1's
 * failure detector sees it and the figures each node reports; once node 3 is stopped it shows
 * node 3 down and the others up, as does {@code ./converge status}. Screenshots are kept in
 * {@code server/target/dashboard/}.
 */
class DashboardTest {
    private static final Pattern ROW = Pattern.compile("<tr data-node=\"(\\d+)\" data-state=\"(\\w+)\">(.*?)</tr>");

    @Test
    void theDashboardShowsEveryNodeAndANodeThatWentDown() throws Exception {
        String chromium = chromium();
        List<Integer> adminPorts = new ArrayList<>();
        Set<Integer> taken = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            adminPorts.add(TestCluster.distinctFreePort(taken));
        }
        AtomicInteger starts = new AtomicInteger();
        // Nodes start in id order, so the n-th start is node n (no node restarts in this test).
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3),
                c -> c.adminPort(adminPorts.get(Math.min(starts.getAndIncrement(), 2))))) {
            try (RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
                for (int i = 0; i < 200; i++) {
                    one.call("SET", "k" + i, "v");
                }
            }
            cluster.awaitQuiet();
            String url = "http://127.0.0.1:" + adminPorts.get(0) + "/";

            String page = render(chromium, url, "all-up");
            List<String[]> rows = rows(page);
            assertThat(rows).extracting(r -> r[0] + "=" + r[1]).containsExactly("1=up", "2=up", "3=up");
            for (String[] row : rows) {
                assertThat(row[2]).contains("127.0.0.1:" + cluster.port(Integer.parseInt(row[0])))
                        .contains("<td class=\"keys\">200</td>"); // every replica holds the 200 keys
            }
            assertThat(page).contains("3 nodes, 3 up, seen from node 1");

            cluster.stopNode(3);
            await().atMost(Duration.ofSeconds(30)).until(() -> rows(render(chromium, url, null)).stream()
                    .anyMatch(r -> r[0].equals("3") && r[1].equals("down")));
            page = render(chromium, url, "node-3-down");
            assertThat(rows(page)).extracting(r -> r[0] + "=" + r[1]).containsExactly("1=up", "2=up", "3=down");
            assertThat(page).contains("3 nodes, 2 up, seen from node 1");

            // ./converge status prints the same view from the same CONVERGE STATUS document.
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.io.PrintStream saved = System.out;
            int exit;
            try {
                System.setOut(new java.io.PrintStream(out, true, StandardCharsets.UTF_8));
                exit = io.converge.server.Main.run("status", "--port", Integer.toString(cluster.port(1)));
            } finally {
                System.setOut(saved);
            }
            assertThat(exit).isZero();
            String table = out.toString(StandardCharsets.UTF_8);
            assertThat(table).containsPattern("(?m)^1\\*\\s+127\\.0\\.0\\.1:" + cluster.port(1) + "\\s+UP\\s+-\\s+200\\s")
                    .containsPattern("(?m)^2\\s+127\\.0\\.0\\.1:" + cluster.port(2) + "\\s+UP\\s")
                    .containsPattern("(?m)^3\\s+\\?\\s+DOWN\\s");

            // With no peer reachable at all, node 1 still answers with what it knows.
            cluster.stopNode(2);
            try (RespClient one = new RespClient("127.0.0.1", cluster.port(1))) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    String json = ((RespClient.Bulk) one.call("CONVERGE", "STATUS")).text();
                    assertThat(json).startsWith("{\"self\":1,\"nodes\":[{\"id\":\"1\"")
                            .contains("\"2\":{\"up\":false").contains("\"3\":{\"up\":false")
                            .doesNotContain("\"id\":\"2\"");
                });
            }
        }
    }

    /** The page's DOM once its script ran (and a screenshot named {@code shot}, if not null). */
    private static String render(String chromium, String url, String shot) throws IOException, InterruptedException {
        List<String> base = List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--virtual-time-budget=3000", "--window-size=1600,420");
        if (shot != null) {
            Path dir = Path.of("target", "dashboard");
            Files.createDirectories(dir);
            List<String> cmd = new ArrayList<>(base);
            cmd.add("--screenshot=" + dir.resolve(shot + ".png").toAbsolutePath());
            cmd.add(url);
            run(cmd);
        }
        List<String> cmd = new ArrayList<>(base);
        cmd.add("--dump-dom");
        cmd.add(url);
        return run(cmd);
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        return out;
    }

    /** Per table row: node id, state and the row's HTML. */
    private static List<String[]> rows(String dom) {
        List<String[]> out = new ArrayList<>();
        Matcher m = ROW.matcher(dom);
        while (m.find()) {
            out.add(new String[] {m.group(1), m.group(2), m.group(3)});
        }
        return out;
    }

    private static String chromium() {
        for (String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        // ./converge test installs Debian's chromium when it is missing (as root).
        throw new AssertionError("no Chromium installed: apt-get install chromium (./converge test does it as root)");
    }
}
