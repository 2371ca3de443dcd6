package io.converge.server.admin;

import io.converge.server.node.InfoRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every number INFO reports, as a Prometheus gauge, read at scrape time (as Redis exporters do):
 * {@code field:123} becomes {@code converge_field 123}; a per-item field such as
 * {@code peer2:up=1,phi=0.00,pending_deltas=4,...} (also {@code node3:}, {@code db0:}) becomes
 * {@code converge_peer_up{peer="2"} 1}, {@code converge_peer_pending_deltas{peer="2"} 4}...;
 * {@code errorstat_ERR:count=3} becomes {@code converge_errorstat_count{error="ERR"} 3}. Text
 * values are left out, and so is commandstats ({@link CommandMetrics} has those with their
 * histograms). So whatever a subsystem adds to INFO (replication, repair, the failure detector's
 * phi, tombstones, persistence) is scraped too, under the name INFO gives it.
 */
final class InfoMetrics implements MultiCollector {
    private static final Pattern NUMBERED = Pattern.compile("([a-z][a-z_]*?)_?([0-9]+)");
    private static final List<String> SECTIONS = List.of("everything");

    private final InfoRegistry info;

    /** Gauges of what {@code info} reports. */
    InfoMetrics(InfoRegistry info) {
        this.info = info;
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, GaugeSnapshot.Builder> gauges = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        String section = "";
        for (String line : info.render(SECTIONS).split("\r\n")) {
            if (line.startsWith("# ")) {
                section = line.substring(2).trim().toLowerCase(java.util.Locale.ROOT);
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || section.equals("commandstats") || section.equals("latencystats")) {
                continue;
            }
            String field = line.substring(0, colon);
            String value = line.substring(colon + 1);
            Double number = number(value);
            if (number != null) {
                add(gauges, seen, field, Labels.EMPTY, number, section);
                continue;
            }
            Labels labels = itemLabels(field);
            if (labels == null) {
                continue;
            }
            String prefix = field.startsWith("errorstat_") ? "errorstat" : NUMBERED.matcher(field).replaceAll("$1");
            for (String pair : value.split(",")) {
                int eq = pair.indexOf('=');
                Double v = eq <= 0 ? null : number(pair.substring(eq + 1));
                if (v != null) {
                    add(gauges, seen, prefix + "_" + pair.substring(0, eq), labels, v, section);
                }
            }
        }
        List<io.prometheus.metrics.model.snapshots.MetricSnapshot> out = new ArrayList<>();
        for (GaugeSnapshot.Builder b : gauges.values()) {
            out.add(b.build());
        }
        return new MetricSnapshots(out);
    }

    /** The labels of a per-item field ({@code peer2} → peer="2", {@code errorstat_ERR} → error="ERR"), or null. */
    private static Labels itemLabels(String field) {
        if (field.startsWith("errorstat_")) {
            return Labels.of("error", field.substring("errorstat_".length()));
        }
        Matcher m = NUMBERED.matcher(field);
        if (!m.matches()) {
            return null;
        }
        String name = PrometheusNaming.sanitizeLabelName(m.group(1));
        return Labels.of(name, m.group(2));
    }

    private static void add(Map<String, GaugeSnapshot.Builder> gauges, Set<String> seen, String field, Labels labels,
                            double value, String section) {
        String name = PrometheusNaming.sanitizeMetricName("converge_" + field.toLowerCase(java.util.Locale.ROOT));
        if (!PrometheusNaming.isValidMetricName(name)) {
            name = name + "_value"; // a reserved suffix (_total, _count...) on a gauge
            if (!PrometheusNaming.isValidMetricName(name)) {
                return;
            }
        }
        if (!seen.add(name + labels)) {
            return; // the same field twice with the same labels (two sections report it): keep the first
        }
        gauges.computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help("INFO " + section + " " + field))
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(value).build());
    }

    private static Double number(String text) {
        if (text.isEmpty() || text.length() > 40) {
            return null;
        }
        char c = text.charAt(0);
        if (c != '-' && c != '.' && (c < '0' || c > '9')) {
            return null;
        }
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
