package io.converge.server.config;

/** A configuration value or file that cannot be used; the message says which key and why. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message meant for the operator. */
    public ConfigException(String message) {
        super(message);
    }

    /** Creates the exception with a message and cause. */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
