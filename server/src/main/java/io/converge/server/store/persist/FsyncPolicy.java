package io.converge.server.store.persist;

import java.util.Locale;

/** When the append-only log is forced to disk ({@code appendfsync}), as in Redis. */
public enum FsyncPolicy {
    /** Before a write's reply is sent (group commit: one fsync covers every write pending at that moment). */
    ALWAYS,
    /** In the background about once a second: a crash of the machine loses at most about a second of writes. */
    EVERYSEC,
    /** Never explicitly: the operating system writes the data back when it chooses. */
    NO;

    /** The policy named {@code name} as in the configuration (always, everysec, no). */
    public static FsyncPolicy parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "always" -> ALWAYS;
            case "everysec" -> EVERYSEC;
            case "no" -> NO;
            default -> throw new IllegalArgumentException("appendfsync must be always, everysec or no: " + name);
        };
    }

    /** The configuration name. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
