package io.converge.server.node;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Version strings: Converge's own, and the Redis version whose behaviour the node reproduces. */
public final class Version {
    private Version() {}

    /**
     * The Redis version Converge answers as (HELLO, INFO redis_version): its replies and errors are
     * those of this version, which the differential tests compare against.
     */
    public static final String REDIS_COMPATIBLE = "7.0.15";

    /** Converge's version, from the build ("dev" when run from an IDE without a build). */
    public static final String CONVERGE = load();

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("/converge-version.properties")) {
            if (in == null) {
                return "dev";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "dev");
            return v.startsWith("${") ? "dev" : v;
        } catch (IOException e) {
            return "dev";
        }
    }
}
