package io.converge.server.config;

/**
 * One client class's {@code client-output-buffer-limit}: disconnect a client whose pending replies
 * exceed {@code hardBytes}, or stay above {@code softBytes} for {@code softSeconds}; 0 disables a
 * limit. The classes together: {@link ClientOutputLimits}.
 */
public record OutputBufferLimit(long hardBytes, long softBytes, long softSeconds) {
    /** No limit (Redis's default for normal clients). */
    public static final OutputBufferLimit UNLIMITED = new OutputBufferLimit(0, 0, 0);

    /** Whether no limit is set. */
    public boolean unlimited() {
        return hardBytes == 0 && softBytes == 0;
    }

    /** {@code <hard> <soft> <seconds>} in bytes, as Redis writes it. */
    String redisForm() {
        return hardBytes + " " + softBytes + " " + softSeconds;
    }
}
