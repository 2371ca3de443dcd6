package io.converge.server.store;

/**
 * Thrown by {@link StorageEngine#merge} when the engine cannot record the delta durably right now
 * (its append-only log cannot be written): nothing was changed, so the caller must not
 * acknowledge the delta; its sender resends it later.
 */
public final class MergeRefusedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** A refusal explained by {@code message}. */
    public MergeRefusedException(String message) {
        super(message);
    }
}
