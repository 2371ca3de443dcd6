package io.converge.server.command.data;

import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.Errors;
import java.util.Arrays;

/**
 * The arguments of LMPOP, BLMPOP, ZMPOP and BZMPOP from {@code numkeys} on: {@code numkeys key
 * [key ...] <end> [COUNT count]}, checked in Redis's order with Redis's errors.
 *
 * @param keys  the keys
 * @param first whether the end is the first of the two words (LEFT, MIN)
 * @param count how many to pop (1 without COUNT)
 */
record MultiPopArgs(byte[][] keys, boolean first, long count) {
    private static final CommandException NUMKEYS_NOT_POSITIVE =
            new CommandException("ERR numkeys should be greater than 0");
    private static final CommandException COUNT_NOT_POSITIVE =
            new CommandException("ERR count should be greater than 0");

    /** Parses from argument {@code numKeysIndex}; the end is {@code firstEnd} or {@code secondEnd} (lower case). */
    static MultiPopArgs parse(CommandContext ctx, int numKeysIndex, String firstEnd, String secondEnd) {
        byte[][] args = ctx.args();
        long numKeys;
        try {
            numKeys = ctx.argLong(numKeysIndex);
        } catch (CommandException e) {
            throw NUMKEYS_NOT_POSITIVE;
        }
        if (numKeys < 1) {
            throw NUMKEYS_NOT_POSITIVE;
        }
        long whereIndex = numKeysIndex + 1 + numKeys;
        if (whereIndex >= args.length) {
            throw Errors.SYNTAX_ERROR;
        }
        boolean first;
        if (CommandContext.equalsIgnoreCase(args[(int) whereIndex], firstEnd)) {
            first = true;
        } else if (CommandContext.equalsIgnoreCase(args[(int) whereIndex], secondEnd)) {
            first = false;
        } else {
            throw Errors.SYNTAX_ERROR;
        }
        long count = -1;
        for (int j = (int) whereIndex + 1; j < args.length; j++) {
            if (count == -1 && CommandContext.equalsIgnoreCase(args[j], "count") && j + 1 < args.length) {
                j++;
                try {
                    count = ctx.argLong(j);
                } catch (CommandException e) {
                    throw COUNT_NOT_POSITIVE;
                }
                if (count < 1) {
                    throw COUNT_NOT_POSITIVE;
                }
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        return new MultiPopArgs(Arrays.copyOfRange(args, numKeysIndex + 1, (int) whereIndex), first,
                count == -1 ? 1 : count);
    }
}
