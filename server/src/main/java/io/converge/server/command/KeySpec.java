package io.converge.server.command;

import java.util.List;

/**
 * One key specification as Redis 7 reports it in COMMAND INFO: flags describing what the command
 * does with these keys, where the search begins ({@code begin_search} by index) and how the keys
 * are found from there ({@code find_keys}: a {@link Range} or a {@link KeyNum}), or that neither
 * can be said ({@link Unknown}: SORT's BY/GET and STORE keys).
 *
 * <p>Examples: SMOVE has two range specs, {@code range(1, 0, 1, "RW", "access", "delete")} for the
 * source and {@code range(2, 0, 1, "RW", "insert")} for the destination; ZUNIONSTORE has
 * {@code range(1, 0, 1, "OW", "update")} for the destination and {@code keyNum(2, 0, 1, 1, "RO",
 * "access")} for the sources counted by its numkeys argument.
 *
 * @param notes      free text Redis adds to some specs (shown first), or null
 * @param flags      key-spec flags, e.g. {@code RW}, {@code access}, {@code insert}
 * @param beginIndex argument index where the search begins (1 = first argument after the name);
 *                   0 with {@link Unknown}
 * @param findKeys   how the keys are found from {@code beginIndex}
 */
public record KeySpec(String notes, List<String> flags, int beginIndex, FindKeys findKeys) {

    /** How keys are found once the search began. */
    public sealed interface FindKeys permits Range, KeyNum, Unknown {}

    /**
     * Keys from the begin index up to {@code lastKey} (relative to it; negative counts from the
     * end: -1 is the last argument), every {@code keyStep} arguments; {@code limit} as Redis's.
     */
    public record Range(int lastKey, int keyStep, int limit) implements FindKeys {}

    /**
     * The number of keys is the argument at {@code keyNumIndex} (relative to the begin index);
     * the keys start {@code firstKey} arguments after the begin index, every {@code keyStep}.
     */
    public record KeyNum(int keyNumIndex, int firstKey, int keyStep) implements FindKeys {}

    /** Keys that no position describes: both {@code begin_search} and {@code find_keys} are of type {@code unknown}. */
    public record Unknown() implements FindKeys {}

    /** Copies the flags list. */
    public KeySpec {
        flags = List.copyOf(flags);
    }

    /** A range spec without notes. */
    public static KeySpec range(int beginIndex, int lastKey, int keyStep, String... flags) {
        return new KeySpec(null, List.of(flags), beginIndex, new Range(lastKey, keyStep, 0));
    }

    /** A keynum spec without notes. */
    public static KeySpec keyNum(int beginIndex, int keyNumIndex, int firstKey, int keyStep, String... flags) {
        return new KeySpec(null, List.of(flags), beginIndex, new KeyNum(keyNumIndex, firstKey, keyStep));
    }

    /** An unknown spec (begin and keys of type {@code unknown}) with {@code notes}. */
    public static KeySpec unknown(String notes, String... flags) {
        return new KeySpec(notes, List.of(flags), 0, new Unknown());
    }

    /** This spec with {@code notes}. */
    public KeySpec withNotes(String notes) {
        return new KeySpec(notes, flags, beginIndex, findKeys);
    }
}
