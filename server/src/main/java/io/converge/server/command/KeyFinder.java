package io.converge.server.command;

import java.util.List;

/**
 * Finds the key arguments of a command whose keys (first, last, step) cannot describe: those
 * Redis reports with the {@code movablekeys} flag, e.g. the sources of ZUNIONSTORE that follow
 * its numkeys argument. Used by {@link CommandSpec#keys(byte[][])}, so COMMAND GETKEYS and
 * MULTI/EXEC locking see the same keys.
 */
@FunctionalInterface
public interface KeyFinder {

    /**
     * The keys of {@code args} ({@code args[0]} is the command name), empty if the arguments
     * name none (malformed arguments the command itself will refuse).
     */
    List<byte[]> keys(byte[][] args);

    /**
     * The keys of a numkeys-style command: the argument at {@code numKeysIndex} counts the keys
     * that follow it; {@code destinationIndex} is the index of a destination key written before
     * it (ZUNIONSTORE's), or 0 if there is none (SINTERCARD).
     */
    static KeyFinder numKeys(int destinationIndex, int numKeysIndex) {
        return new NumKeysFinder(destinationIndex, numKeysIndex);
    }
}
