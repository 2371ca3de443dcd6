package io.converge.server.node;

/** Collects the {@code name:value} lines of one INFO section. */
public final class InfoBuilder {
    private final StringBuilder out;

    InfoBuilder(StringBuilder out) {
        this.out = out;
    }

    /** Adds {@code name:value}. */
    public InfoBuilder field(String name, String value) {
        out.append(name).append(':').append(value).append("\r\n");
        return this;
    }

    /** Adds {@code name:value} for an integer. */
    public InfoBuilder field(String name, long value) {
        out.append(name).append(':').append(value).append("\r\n");
        return this;
    }

    /** Adds {@code name:value} with two decimals (Redis's %.2f). */
    public InfoBuilder field(String name, double value) {
        out.append(name).append(':').append(String.format(java.util.Locale.ROOT, "%.2f", value)).append("\r\n");
        return this;
    }
}
