package io.converge.server.config;

import java.util.Locale;

/**
 * Redis's {@code client-output-buffer-limit}: a {@link OutputBufferLimit} per client class. Normal
 * clients are unlimited by default; a subscribed (pub/sub) client, whose messages pile up when it
 * reads slower than they are published, has Redis's default of 32mb hard, 8mb for 60 s soft. The
 * replica class is kept only so that Redis's full form round-trips (Converge nodes replicate over
 * their own peer links).
 */
public record ClientOutputLimits(OutputBufferLimit normal, OutputBufferLimit replica, OutputBufferLimit pubsub) {
    /** Redis 7's defaults. */
    public static final ClientOutputLimits DEFAULT = new ClientOutputLimits(OutputBufferLimit.UNLIMITED,
            new OutputBufferLimit(256L << 20, 64L << 20, 60), new OutputBufferLimit(32L << 20, 8L << 20, 60));

    private static final String WRONG_COUNT = "Wrong number of arguments in buffer limit configuration.";
    private static final String BAD_CLASS = "Invalid client class specified in buffer limit configuration.";
    private static final String BAD_VALUE = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";

    /** The form CONFIG GET shows, as Redis: {@code normal <h> <s> <sec> slave <h> <s> <sec> pubsub <h> <s> <sec>}. */
    public String redisForm() {
        return "normal " + normal.redisForm() + " slave " + replica.redisForm() + " pubsub " + pubsub.redisForm();
    }

    /**
     * Applies {@code text} over {@code base}: one or more {@code <class> <hard> <soft> <seconds>}
     * groups (class {@code normal}, {@code replica} or {@code slave}, {@code pubsub}; sizes accept
     * memory units); the classes not named keep their limits. Errors as Redis words them.
     */
    public static ClientOutputLimits parse(String text, ClientOutputLimits base) {
        String[] parts = text.trim().split("\\s+");
        if (parts.length == 0 || parts.length % 4 != 0) {
            throw new ConfigException(WRONG_COUNT);
        }
        OutputBufferLimit normal = base.normal;
        OutputBufferLimit replica = base.replica;
        OutputBufferLimit pubsub = base.pubsub;
        for (int i = 0; i < parts.length; i += 4) {
            OutputBufferLimit limit = limit(parts[i + 1], parts[i + 2], parts[i + 3]);
            switch (parts[i].toLowerCase(Locale.ROOT)) {
                case "normal" -> normal = limit;
                case "replica", "slave" -> replica = limit;
                case "pubsub" -> pubsub = limit;
                default -> throw new ConfigException(BAD_CLASS);
            }
        }
        return new ClientOutputLimits(normal, replica, pubsub);
    }

    private static OutputBufferLimit limit(String hard, String soft, String seconds) {
        try {
            long s = Long.parseLong(seconds);
            if (s < 0) {
                throw new ConfigException(BAD_VALUE);
            }
            return new OutputBufferLimit(MemorySize.parse(hard), MemorySize.parse(soft), s);
        } catch (NumberFormatException | ConfigException e) {
            throw new ConfigException(BAD_VALUE);
        }
    }
}
