package io.converge.crdt.codec;

/**
 * The one exception the binary decoder throws for input it cannot accept: truncated, oversized,
 * of an unknown version or tag, or otherwise malformed. Decoding never throws anything else.
 */
public final class CrdtCodecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message saying what was wrong with the input. */
    public CrdtCodecException(String message) {
        super(message);
    }
}
