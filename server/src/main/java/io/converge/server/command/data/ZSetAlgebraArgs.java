package io.converge.server.command.data;

import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.Errors;
import io.converge.server.command.data.ZSetAlgebra.Aggregate;

/**
 * The arguments of the sorted-set algebra commands, {@code [destination] numkeys key [key ...]
 * [options]}, parsed in Redis's order: numkeys first ({@link #parse}), then, once the inputs were
 * read and their types checked, the options ({@link #parseOptions}). Which options a command takes
 * is given by the {@link Form}; any other word is a syntax error.
 *
 * @param numKeysIndex the index of the numkeys argument (1, or 2 after a destination)
 * @param keys         the input keys
 */
record ZSetAlgebraArgs(int numKeysIndex, byte[][] keys) {

    private static final CommandException WEIGHT_NOT_FLOAT = new CommandException("ERR weight value is not a float");
    private static final CommandException NEGATIVE_LIMIT = new CommandException("ERR LIMIT can't be negative");

    /** The options a command accepts after its keys. */
    enum Form {
        /** ZUNION, ZINTER: WEIGHTS, AGGREGATE, WITHSCORES. */
        WEIGHTED_REPLY(true, true, false),
        /** ZUNIONSTORE, ZINTERSTORE: WEIGHTS, AGGREGATE. */
        WEIGHTED_STORE(true, false, false),
        /** ZDIFF: WITHSCORES. */
        PLAIN_REPLY(false, true, false),
        /** ZDIFFSTORE: none. */
        PLAIN_STORE(false, false, false),
        /** ZINTERCARD: LIMIT. */
        CARDINALITY(false, false, true);

        final boolean weights;
        final boolean withScores;
        final boolean limit;

        Form(boolean weights, boolean withScores, boolean limit) {
            this.weights = weights;
            this.withScores = withScores;
            this.limit = limit;
        }
    }

    /** What the options asked for: the aggregate, WITHSCORES, and LIMIT (0: none). */
    record Options(Aggregate aggregate, boolean withScores, long limit) {}

    /**
     * Reads numkeys at {@code numKeysIndex} and the keys after it: an integer (else "value is not
     * an integer"), at least 1 (else "at least 1 input key is needed"), and no more than the
     * arguments that follow (else a syntax error).
     */
    static ZSetAlgebraArgs parse(CommandContext ctx, int numKeysIndex) {
        long numKeys = ctx.argLong(numKeysIndex);
        if (numKeys < 1) {
            throw new CommandException(
                    "ERR at least 1 input key is needed for '" + ctx.command().fullName() + "' command");
        }
        if (numKeys > ctx.argc() - (numKeysIndex + 1)) {
            throw Errors.SYNTAX_ERROR;
        }
        byte[][] keys = new byte[(int) numKeys][];
        System.arraycopy(ctx.args(), numKeysIndex + 1, keys, 0, keys.length);
        return new ZSetAlgebraArgs(numKeysIndex, keys);
    }

    /**
     * Parses the options after the keys for a command of {@code form}, setting the weights of
     * {@code operands} (one per key, in argument order) as WEIGHTS gives them.
     */
    Options parseOptions(CommandContext ctx, Form form, ZSetOperand[] operands) {
        byte[][] args = ctx.args();
        Aggregate aggregate = Aggregate.SUM;
        boolean withScores = false;
        long limit = 0;
        int j = numKeysIndex + 1 + keys.length;
        while (j < args.length) {
            int remaining = args.length - j;
            if (form.weights && remaining >= operands.length + 1 && ctx.argIs(j, "weights")) {
                j++;
                for (ZSetOperand op : operands) {
                    double w = ZScoreParser.parseScore(args[j++]);
                    if (Double.isNaN(w)) {
                        throw WEIGHT_NOT_FLOAT;
                    }
                    op.weight(w);
                }
            } else if (form.weights && remaining >= 2 && ctx.argIs(j, "aggregate")) {
                aggregate = parseAggregate(ctx, j + 1);
                j += 2;
            } else if (form.withScores && ctx.argIs(j, "withscores")) {
                withScores = true;
                j++;
            } else if (form.limit && remaining >= 2 && ctx.argIs(j, "limit")) {
                limit = parseLimit(ctx, j + 1);
                j += 2;
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        return new Options(aggregate, withScores, limit);
    }

    private static Aggregate parseAggregate(CommandContext ctx, int i) {
        if (ctx.argIs(i, "sum")) {
            return Aggregate.SUM;
        }
        if (ctx.argIs(i, "min")) {
            return Aggregate.MIN;
        }
        if (ctx.argIs(i, "max")) {
            return Aggregate.MAX;
        }
        throw Errors.SYNTAX_ERROR;
    }

    /** LIMIT's value: a non-negative integer, anything else answering "LIMIT can't be negative". */
    private static long parseLimit(CommandContext ctx, int i) {
        long limit;
        try {
            limit = ctx.argLong(i);
        } catch (CommandException e) {
            throw NEGATIVE_LIMIT;
        }
        if (limit < 0) {
            throw NEGATIVE_LIMIT;
        }
        return limit;
    }
}
