package io.converge.server.command.data;

import io.converge.crdt.ZSetIndex;
import io.converge.server.command.CommandException;

/**
 * A score interval of ZRANGEBYSCORE, ZCOUNT, ZREMRANGEBYSCORE...: each end a float, {@code (}
 * marking it exclusive, {@code -inf}/{@code +inf} for open ends. Parsed as Redis's
 * {@code zslParseRange} does (see {@link ZScoreParser#parseBound}).
 *
 * @param min lower end
 * @param minExclusive whether the lower end is excluded ({@code (1.5})
 * @param max upper end
 * @param maxExclusive whether the upper end is excluded
 */
record ZScoreRange(double min, boolean minExclusive, double max, boolean maxExclusive) {

    /** {@code ERR min or max is not a float}. */
    static final CommandException NOT_A_FLOAT = new CommandException("ERR min or max is not a float");

    /** Parses the two ends; throws {@link #NOT_A_FLOAT} if either is not valid. */
    static ZScoreRange parse(byte[] min, byte[] max) {
        boolean minEx = min.length > 0 && min[0] == '(';
        boolean maxEx = max.length > 0 && max[0] == '(';
        double lo = ZScoreParser.parseBound(min, minEx ? 1 : 0);
        double hi = ZScoreParser.parseBound(max, maxEx ? 1 : 0);
        if (Double.isNaN(lo) || Double.isNaN(hi)) {
            throw NOT_A_FLOAT;
        }
        return new ZScoreRange(lo, minEx, hi, maxEx);
    }

    /** Rank of the first member of {@code index} in the interval. */
    int firstRank(ZSetIndex index) {
        return index.firstRankInScore(min, minExclusive);
    }

    /** One past the rank of the last member in the interval; not above {@link #firstRank} for an empty one. */
    int endRank(ZSetIndex index) {
        return Math.max(firstRank(index), index.endRankInScore(max, maxExclusive));
    }
}
