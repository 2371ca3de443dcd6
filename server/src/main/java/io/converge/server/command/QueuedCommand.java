package io.converge.server.command;

/** A command queued between MULTI and EXEC. */
public record QueuedCommand(CommandSpec spec, byte[][] args) {}
