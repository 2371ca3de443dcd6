package io.converge.server.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code converge repair}: asks a running node for a hash-tree repair pass with one peer or with
 * all of them ({@code CONVERGE REPAIR}), then follows it ({@code CONVERGE REPAIR STATUS} and
 * {@code INFO replication}) with a progress bar, leaves and bytes done, rate and time left,
 * until every pass asked for has completed.
 */
@Command(name = "repair", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Run a hash-tree repair pass on a running node (with one peer, or all of them) and follow its progress.")
public final class RepairCli implements Callable<Integer> {

    private static final int BAR = 30;

    @Option(names = {"-h", "--host"}, paramLabel = "HOST", defaultValue = "127.0.0.1", description = "Node address (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", defaultValue = "7001", description = "Node client port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--node", paramLabel = "ID", description = "Repair with this peer only (default: every peer).")
    Integer peer;

    @Option(names = {"-a", "--pass"}, paramLabel = "PASSWORD", description = "Password (AUTH), if the node requires one.")
    String password;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "0", description = "Give up after this long (default: 0, wait for as long as it takes).")
    long timeoutSeconds;

    @Override
    public Integer call() throws InterruptedException {
        PrintStream out = System.out;
        boolean tty = System.console() != null;
        try (RespConnection c = new RespConnection(host, port, 10_000)) {
            if (password != null && c.call("AUTH", password) instanceof RespConnection.Error e) {
                System.err.println("converge repair: " + e.message());
                return 1;
            }
            Object started = peer == null ? c.call("CONVERGE", "REPAIR") : c.call("CONVERGE", "REPAIR", peer.toString());
            if (started instanceof RespConnection.Error e) {
                System.err.println("converge repair: " + e.message());
                return 1;
            }
            long t0 = System.nanoTime();
            List<Integer> peers = peers(c);
            out.printf("converge repair: node %s:%d, passes with node%s %s%n", host, port, peers.size() == 1 ? "" : "s",
                    peers);
            String last = "";
            while (true) {
                long elapsedMillis = (System.nanoTime() - t0) / 1_000_000;
                Map<Integer, Long> sinceRepair = lastRepairMillisAgo(c);
                boolean done = true;
                for (int p : peers) {
                    long ago = sinceRepair.getOrDefault(p, -1L);
                    done &= ago >= 0 && ago <= elapsedMillis;
                }
                Progress progress = progress(c, peers);
                if (done) {
                    Map<String, String> info = info(c);
                    line(out, tty, bar(1) + String.format(Locale.ROOT, " 100.0%%  done in %.1f s", elapsedMillis / 1000.0));
                    out.println();
                    out.printf("  leaves differing so far %s, keys repaired %s sent / %s received, repair bytes %s sent / "
                                    + "%s received (node totals); peers still owed a repair: %s%n",
                            info.get("repair_leaves_differing"), info.get("repair_keys_sent"),
                            info.get("repair_keys_received"), human(parse(info.get("repair_bytes_sent"))),
                            human(parse(info.get("repair_bytes_received"))), info.get("peers_needing_full_sync"));
                    return 0;
                }
                String text = progress.sessions == 0 ? bar(0) + "  waiting for the pass to start..."
                        : String.format(Locale.ROOT, "%s %5.1f%%  leaves %d/%d  %s  %s/s  eta %s", bar(progress.fraction()),
                                100 * progress.fraction(), progress.leavesDone, progress.leaves, human(progress.bytes),
                                human(progress.rate), progress.eta());
                if (tty || !text.equals(last)) {
                    line(out, tty, text);
                    last = text;
                }
                if (timeoutSeconds > 0 && elapsedMillis > timeoutSeconds * 1000) {
                    out.println();
                    System.err.println("converge repair: not done after " + timeoutSeconds + " s (the pass goes on in the node)");
                    return 3;
                }
                Thread.sleep(tty ? 250 : 1000);
            }
        } catch (IOException e) {
            System.err.println("converge repair: cannot talk to " + host + ":" + port + ": " + e.getMessage());
            return 2;
        }
    }

    private List<Integer> peers(RespConnection c) throws IOException {
        if (peer != null) {
            return List.of(peer);
        }
        return lastRepairMillisAgo(c).keySet().stream().sorted().toList();
    }

    /** Per peer, {@code last_repair_ms_ago} from INFO replication's {@code peerN:} lines. */
    private static Map<Integer, Long> lastRepairMillisAgo(RespConnection c) throws IOException {
        Map<Integer, Long> out = new HashMap<>();
        for (Map.Entry<String, String> e : info(c).entrySet()) {
            if (e.getKey().startsWith("peer") && e.getKey().substring(4).chars().allMatch(Character::isDigit)) {
                String v = field(e.getValue(), "last_repair_ms_ago");
                out.put(Integer.parseInt(e.getKey().substring(4)), v == null ? -1 : Long.parseLong(v));
            }
        }
        return out;
    }

    private static Map<String, String> info(RespConnection c) throws IOException {
        Object reply = c.call("INFO", "replication");
        Map<String, String> fields = new HashMap<>();
        if (reply instanceof String text) {
            for (String line : text.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    fields.put(line.substring(0, colon), line.substring(colon + 1));
                }
            }
        }
        return fields;
    }

    /** The running passes with {@code peers}, summed. */
    private static Progress progress(RespConnection c, List<Integer> peers) throws IOException {
        Progress p = new Progress();
        if (c.call("CONVERGE", "REPAIR", "STATUS") instanceof List<?> lines) {
            for (Object o : lines) {
                String line = String.valueOf(o);
                if (!peers.contains(Integer.parseInt(field(line, "peer")))) {
                    continue;
                }
                p.sessions++;
                p.leaves += parse(field(line, "leaves"));
                p.leavesDone += parse(field(line, "leaves_done"));
                p.bytes += parse(field(line, "bytes"));
                p.rate += parse(field(line, "rate_bps"));
                p.etaMillis = Math.max(p.etaMillis, parse(field(line, "eta_ms")));
            }
        }
        return p;
    }

    /** What the running passes have done. */
    private static final class Progress {
        int sessions;
        long leaves;
        long leavesDone;
        long bytes;
        long rate;
        long etaMillis;

        double fraction() {
            return leaves == 0 ? 0 : Math.min(1, (double) leavesDone / leaves);
        }

        String eta() {
            return etaMillis < 0 ? "?" : String.format(Locale.ROOT, "%.1fs", etaMillis / 1000.0);
        }
    }

    /** The value of {@code name} in a {@code a=1,b=2} line, or null. */
    private static String field(String line, String name) {
        for (String part : line.split(",")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).equals(name)) {
                return part.substring(eq + 1);
            }
        }
        return null;
    }

    private static long parse(String v) {
        try {
            return v == null ? 0 : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String bar(double fraction) {
        int full = (int) Math.round(fraction * BAR);
        return "[" + "#".repeat(full) + ".".repeat(BAR - full) + "]";
    }

    private static void line(PrintStream out, boolean tty, String text) {
        if (tty) {
            out.print("\r" + text + "    ");
        } else {
            out.println(text);
        }
        out.flush();
    }

    private static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GB", bytes / (1024.0 * 1024 * 1024));
    }
}
