package io.converge.server.config;

/**
 * Redis's {@code notify-keyspace-events} classes as bits, parsed from and printed to Redis 7.0's
 * characters: {@code K} keyspace channel, {@code E} keyevent channel, {@code g} generic,
 * {@code $} string, {@code l} list, {@code s} set, {@code h} hash, {@code z} sorted set,
 * {@code x} expired, {@code e} evicted, {@code t} stream, {@code d} module, {@code n} new key,
 * {@code m} key miss, {@code A} for {@code g$lshzxetd}.
 */
public final class NotifyFlags {
    /** K. */
    public static final int KEYSPACE = 1;
    /** E. */
    public static final int KEYEVENT = 1 << 1;
    /** g. */
    public static final int GENERIC = 1 << 2;
    /** $. */
    public static final int STRING = 1 << 3;
    /** l. */
    public static final int LIST = 1 << 4;
    /** s. */
    public static final int SET = 1 << 5;
    /** h. */
    public static final int HASH = 1 << 6;
    /** z. */
    public static final int ZSET = 1 << 7;
    /** x. */
    public static final int EXPIRED = 1 << 8;
    /** e. */
    public static final int EVICTED = 1 << 9;
    /** t. */
    public static final int STREAM = 1 << 10;
    /** m. */
    public static final int KEY_MISS = 1 << 11;
    /** d. */
    public static final int MODULE = 1 << 12;
    /** n. */
    public static final int NEW = 1 << 13;
    /** A: every class but key miss and new key. */
    public static final int ALL = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

    private static final String INVALID = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

    private NotifyFlags() {}

    /** The flags of {@code classes}; throws Redis's error on a character it does not know. */
    public static int parse(String classes) {
        int flags = 0;
        for (int i = 0; i < classes.length(); i++) {
            flags |= switch (classes.charAt(i)) {
                case 'A' -> ALL;
                case 'g' -> GENERIC;
                case '$' -> STRING;
                case 'l' -> LIST;
                case 's' -> SET;
                case 'h' -> HASH;
                case 'z' -> ZSET;
                case 'x' -> EXPIRED;
                case 'e' -> EVICTED;
                case 'K' -> KEYSPACE;
                case 'E' -> KEYEVENT;
                case 't' -> STREAM;
                case 'm' -> KEY_MISS;
                case 'd' -> MODULE;
                case 'n' -> NEW;
                default -> throw new ConfigException(INVALID);
            };
        }
        return flags;
    }

    /**
     * The flags as Redis 7.0 prints them: {@code A} when every class of it is set (a set
     * {@code n} is then not printed, as 7.0 does), else each class; then {@code K}, {@code E},
     * {@code m}.
     */
    public static String format(int flags) {
        StringBuilder s = new StringBuilder();
        if ((flags & ALL) == ALL) {
            s.append('A');
        } else {
            char[] chars = {'g', '$', 'l', 's', 'h', 'z', 'x', 'e', 't', 'd', 'n'};
            int[] bits = {GENERIC, STRING, LIST, SET, HASH, ZSET, EXPIRED, EVICTED, STREAM, MODULE, NEW};
            for (int i = 0; i < chars.length; i++) {
                if ((flags & bits[i]) != 0) {
                    s.append(chars[i]);
                }
            }
        }
        if ((flags & KEYSPACE) != 0) {
            s.append('K');
        }
        if ((flags & KEYEVENT) != 0) {
            s.append('E');
        }
        if ((flags & KEY_MISS) != 0) {
            s.append('m');
        }
        return s.toString();
    }
}
