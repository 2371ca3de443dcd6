package io.converge.server.command;

/**
 * Executes one command. Arguments are in {@link CommandContext#args()} (argument 0 is the command
 * name, then its subcommand if any); the reply goes to {@link CommandContext#reply()}. Exactly one
 * reply must be written, or a {@link CommandException} thrown (it becomes the error reply and
 * anything written before it is discarded). Runs on the connection's event loop thread.
 */
@FunctionalInterface
public interface CommandHandler {
    /** Executes the command of {@code ctx}. */
    void handle(CommandContext ctx);
}
