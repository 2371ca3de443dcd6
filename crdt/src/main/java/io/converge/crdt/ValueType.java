package io.converge.crdt;

/** The Redis-visible type of a key's value, with its stable code in the binary format. */
public enum ValueType {
    /** Strings, integers and floats (LWW register, resettable counter). */
    STRING(1, "string"),
    /** Hashes (map of field to register or counter). */
    HASH(2, "hash"),
    /** Sets (add-wins observed-remove set). */
    SET(3, "set"),
    /** Sorted sets (add-wins membership, LWW + counter score). */
    ZSET(4, "zset"),
    /** Lists (sequence CRDT with dense positions, observed-remove elements, LWW element values). */
    LIST(5, "list"),
    /**
     * HyperLogLogs (per-replica register contributions). Redis keeps an HLL in a string, so TYPE
     * answers "string".
     */
    HLL(6, "string"),
    /** Streams (add-wins map of immutable entries with observed removal; see {@link StreamValue}). */
    STREAM(7, "stream");

    private final int code;
    private final String redisName;

    ValueType(int code, String redisName) {
        this.code = code;
        this.redisName = redisName;
    }

    /** The code used in the binary format. */
    public int code() {
        return code;
    }

    /** The name Redis's TYPE command answers. */
    public String redisName() {
        return redisName;
    }

    /** The type with the given binary code. */
    public static ValueType fromCode(int code) {
        for (ValueType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new io.converge.crdt.codec.CrdtCodecException("unknown value type code " + code);
    }
}
