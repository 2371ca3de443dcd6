package io.converge.crdt;

/**
 * A counter operation (INCR*, DECR*, INCRBYFLOAT, HINCRBY*) was refused before it changed any
 * state. The {@link Reason} tells the server which Redis error to answer; {@link #getMessage()}
 * is Redis's wording for a string key (hash commands use {@link Reason#hashMessage()}).
 *
 * <p>One stackless instance per reason is shared: refusals are ordinary client errors, not bugs.
 */
public final class CounterException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why a counter operation was refused. */
    public enum Reason {
        /** The current value is not a canonical 64-bit integer. */
        NOT_AN_INTEGER("value is not an integer or out of range", "hash value is not an integer"),
        /** The increment would leave the 64-bit range. */
        OVERFLOW("increment or decrement would overflow", "increment or decrement would overflow"),
        /** The current value or the increment is not a valid float. */
        NOT_A_FLOAT("value is not a valid float", "hash value is not a float"),
        /** The float result would be NaN or infinite. */
        NAN_OR_INFINITY("increment would produce NaN or Infinity", "increment would produce NaN or Infinity");

        private final String message;
        private final String hashMessage;

        Reason(String message, String hashMessage) {
            this.message = message;
            this.hashMessage = hashMessage;
        }

        /** Redis's error text (without the "ERR " prefix) for string commands. */
        public String message() {
            return message;
        }

        /** Redis's error text (without the "ERR " prefix) for hash commands. */
        public String hashMessage() {
            return hashMessage;
        }
    }

    /** Current value is not an integer. */
    public static final CounterException NOT_AN_INTEGER = new CounterException(Reason.NOT_AN_INTEGER);
    /** Increment would overflow. */
    public static final CounterException OVERFLOW = new CounterException(Reason.OVERFLOW);
    /** Value or increment is not a valid float. */
    public static final CounterException NOT_A_FLOAT = new CounterException(Reason.NOT_A_FLOAT);
    /** Result would be NaN or infinite. */
    public static final CounterException NAN_OR_INFINITY = new CounterException(Reason.NAN_OR_INFINITY);

    private final Reason reason;

    private CounterException(Reason reason) {
        super(reason.message(), null, false, false);
        this.reason = reason;
    }

    /** Why the operation was refused. */
    public Reason reason() {
        return reason;
    }
}
