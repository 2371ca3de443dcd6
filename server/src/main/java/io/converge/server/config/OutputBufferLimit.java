package io.converge.server.config;

/**
 * Redis's {@code client-output-buffer-limit} for normal clients: disconnect a client whose
 * pending replies exceed {@code hardBytes}, or stay above {@code softBytes} for {@code softSeconds};
 * 0 disables a limit.
 */
public record OutputBufferLimit(long hardBytes, long softBytes, long softSeconds) {
    /** No limit (Redis's default for normal clients). */
    public static final OutputBufferLimit UNLIMITED = new OutputBufferLimit(0, 0, 0);

    /** Redis's textual form, {@code normal <hard> <soft> <seconds>}. */
    public String redisForm() {
        return "normal " + hardBytes + " " + softBytes + " " + softSeconds;
    }

    /**
     * Parses {@code [normal] <hard> <soft> <seconds>} (sizes accept memory units); the
     * {@code normal} class name may be omitted. Other client classes do not exist in Converge.
     */
    public static OutputBufferLimit parse(String text) {
        String[] parts = text.trim().split("\\s+");
        int i = 0;
        if (parts.length == 4) {
            if (!parts[0].equalsIgnoreCase("normal")) {
                throw new ConfigException("Invalid client class specified in buffer limit configuration.");
            }
            i = 1;
        } else if (parts.length != 3) {
            throw new ConfigException("Wrong number of arguments in buffer limit configuration.");
        }
        try {
            long hard = MemorySize.parse(parts[i]);
            long soft = MemorySize.parse(parts[i + 1]);
            long seconds = Long.parseLong(parts[i + 2]);
            if (seconds < 0) {
                throw new ConfigException("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
            }
            return new OutputBufferLimit(hard, soft, seconds);
        } catch (NumberFormatException | ConfigException e) {
            throw new ConfigException("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
        }
    }
}
