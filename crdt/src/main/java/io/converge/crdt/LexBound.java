package io.converge.crdt;

import java.util.Objects;

/**
 * One end of a ZRANGEBYLEX-style interval, already parsed by the server: {@code [a} (inclusive),
 * {@code (a} (exclusive), {@code -} (below every member) or {@code +} (above every member).
 */
public final class LexBound {

    /** {@code -}: lower than every member. */
    public static final LexBound MIN = new LexBound(null, false, -1);
    /** {@code +}: higher than every member. */
    public static final LexBound MAX = new LexBound(null, false, 1);

    private final byte[] value;
    private final boolean exclusive;
    /** -1 for {@link #MIN}, +1 for {@link #MAX}, 0 for a real value. */
    private final int infinity;

    private LexBound(byte[] value, boolean exclusive, int infinity) {
        this.value = value;
        this.exclusive = exclusive;
        this.infinity = infinity;
    }

    /** {@code [value}: the bound includes {@code value}. */
    public static LexBound inclusive(byte[] value) {
        return new LexBound(Objects.requireNonNull(value, "value"), false, 0);
    }

    /** {@code (value}: the bound excludes {@code value}. */
    public static LexBound exclusive(byte[] value) {
        return new LexBound(Objects.requireNonNull(value, "value"), true, 0);
    }

    /** The bounding member, or null for {@link #MIN} / {@link #MAX}. */
    public byte[] value() {
        return value;
    }

    /** Whether the bound excludes its value ({@code (a}). */
    public boolean isExclusive() {
        return exclusive;
    }

    /** Whether this is {@link #MIN} ({@code -}). */
    public boolean isMin() {
        return infinity < 0;
    }

    /** Whether this is {@link #MAX} ({@code +}). */
    public boolean isMax() {
        return infinity > 0;
    }

    @Override
    public String toString() {
        return infinity < 0 ? "-" : infinity > 0 ? "+"
                : (exclusive ? "(" : "[") + new String(value, java.nio.charset.StandardCharsets.UTF_8);
    }
}
