package io.converge.bench.sidebyside;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses the {@code --csv} output of redis-benchmark.
 *
 * <p>Redis 7 prints a header line, {@code "test","rps","avg_latency_ms","min_latency_ms",
 * "p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"}, then one line per test.
 * Columns are matched by header name, so reordered or extra columns are fine; without a header
 * (older versions print only {@code "test","rps"}) the Redis 7 order is assumed. Fields may be
 * quoted or not; lines that are not result rows (warnings, blank lines) are skipped.
 */
public final class BenchmarkCsv {
    private static final List<String> REDIS7_COLUMNS = List.of("test", "rps", "avg_latency_ms",
            "min_latency_ms", "p50_latency_ms", "p95_latency_ms", "p99_latency_ms", "max_latency_ms");

    private BenchmarkCsv() {}

    /** The result rows in the order printed. */
    public static List<BenchmarkRow> parse(String output) {
        List<String> columns = REDIS7_COLUMNS;
        List<BenchmarkRow> rows = new ArrayList<>();
        for (String line : output.split("\\R")) {
            if (line.isBlank() || line.indexOf(',') < 0) {
                continue;
            }
            List<String> fields = splitFields(line);
            if (fields.get(0).trim().equalsIgnoreCase("test")) {
                columns = fields.stream().map(f -> f.trim().toLowerCase(Locale.ROOT)).toList();
                continue;
            }
            BenchmarkRow row = toRow(columns, fields);
            if (row != null) {
                rows.add(row);
            }
        }
        return rows;
    }

    private static BenchmarkRow toRow(List<String> columns, List<String> fields) {
        int testColumn = columns.indexOf("test");
        double rps = number(columns, fields, "rps");
        if (testColumn < 0 || testColumn >= fields.size() || Double.isNaN(rps)) {
            return null;
        }
        return new BenchmarkRow(fields.get(testColumn).trim(), rps,
                number(columns, fields, "avg_latency_ms"), number(columns, fields, "min_latency_ms"),
                number(columns, fields, "p50_latency_ms"), number(columns, fields, "p95_latency_ms"),
                number(columns, fields, "p99_latency_ms"), number(columns, fields, "max_latency_ms"));
    }

    private static double number(List<String> columns, List<String> fields, String column) {
        int index = columns.indexOf(column);
        if (index < 0 || index >= fields.size()) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(fields.get(index).trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** Splits one CSV line; a quoted field may contain commas and doubled quotes. */
    static List<String> splitFields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
