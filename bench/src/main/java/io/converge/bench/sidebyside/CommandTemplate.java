package io.converge.bench.sidebyside;

import java.util.ArrayList;
import java.util.List;

/**
 * A command line that starts one server, with {@value #PORT} standing for the port it must
 * listen on.
 *
 * @param argv    the program and its arguments, placeholders not yet substituted
 * @param display how to show the command to a reader (the shell text when given as one)
 */
public record CommandTemplate(List<String> argv, String display) {
    /** The placeholder replaced by the server's port. */
    public static final String PORT = "{port}";

    /** Validates that the port placeholder appears somewhere. */
    public CommandTemplate {
        argv = List.copyOf(argv);
        if (argv.stream().noneMatch(arg -> arg.contains(PORT))) {
            throw new IllegalArgumentException("the command must contain " + PORT + ": " + display);
        }
    }

    /** A command given as separate arguments (no shell involved). */
    public static CommandTemplate ofArgs(List<String> argv) {
        return new CommandTemplate(argv, String.join(" ", argv.stream().map(CommandTemplate::shellQuote).toList()));
    }

    /** Quotes an argument for display the way a POSIX shell would need it ({@code ''} for empty). */
    public static String shellQuote(String arg) {
        return arg.matches("[A-Za-z0-9_@%+=:,./{}-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'";
    }

    /**
     * A command given as one shell line, so users can quote as they would in a terminal. It runs
     * as {@code sh -c "exec LINE"}: exec makes the server itself the process we started, so its
     * pid is the server's (for RSS and jcmd) and stopping it stops the server.
     */
    public static CommandTemplate ofShell(String line) {
        return new CommandTemplate(List.of("/bin/sh", "-c", "exec " + line), line);
    }

    /** The command to run for a server listening on {@code port}. */
    public List<String> forPort(int port) {
        List<String> result = new ArrayList<>(argv.size());
        for (String arg : argv) {
            result.add(arg.replace(PORT, Integer.toString(port)));
        }
        return result;
    }

    /** The displayed command for a server listening on {@code port}. */
    public String displayForPort(int port) {
        return display.replace(PORT, Integer.toString(port));
    }
}
