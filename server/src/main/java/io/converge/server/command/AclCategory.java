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

    /** This category's bit in a category set. */
    public long bit() {
        return 1L << ordinal();
    }
}
