package io.converge.server.command;

/**
 * ACL categories, in the order Redis reports them ({@code @read}, {@code @string}, ...).
 *
 * <p>Some are implied by flags exactly as in Redis: WRITE gives {@code @write}, READONLY gives
 * {@code @read}, ADMIN gives {@code @admin @dangerous}, PUBSUB gives {@code @pubsub}, FAST gives
 * {@code @fast}, BLOCKING gives {@code @blocking}, and a command that is not {@code @fast} is
 * {@code @slow}. See {@link CommandSpec.Builder#build()}.
 */
public enum AclCategory {
    KEYSPACE, READ, WRITE, SET, SORTEDSET, LIST, HASH, STRING, BITMAP, HYPERLOGLOG, GEO, STREAM,
    PUBSUB, ADMIN, FAST, SLOW, BLOCKING, DANGEROUS, CONNECTION, TRANSACTION, SCRIPTING;

    /** The category as written in replies, e.g. {@code @read}. */
    public String redisName() {
        return "@" + name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The category's name without the {@code @}, as ACL CAT lists it, e.g. {@code read}. */
    public String lowerName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The category called {@code name} (any case, without {@code @}), or null. */
    public static AclCategory byName(String name) {
        for (AclCategory c : values()) {
            if (c.name().equalsIgnoreCase(name)) {
                return c;
            }
        }
        return null;
    }

    /** This category's bit in a category set. */
    public long bit() {
        return 1L << ordinal();
    }
}
