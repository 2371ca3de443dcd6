package io.converge.server.cluster;

import java.util.List;

/** A cluster description that cannot be read or is invalid; the message lists every problem. */
public final class ClusterSpecException extends RuntimeException {

    private final List<String> problems;

    /** One problem, with its cause (e.g. a YAML syntax error). */
    public ClusterSpecException(String message, Throwable cause) {
        super(message, cause);
        this.problems = List.of(message);
    }

    /** Several validation problems, reported together. */
    public ClusterSpecException(String source, List<String> problems) {
        super("invalid cluster description" + (source == null ? "" : " " + source) + ":\n  - "
                + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    /** The individual problems, one sentence each. */
    public List<String> problems() {
        return problems;
    }
}
