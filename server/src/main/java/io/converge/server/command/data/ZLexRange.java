package io.converge.server.command.data;

import io.converge.crdt.LexBound;
import io.converge.crdt.ZSetIndex;
import io.converge.server.command.CommandException;
import java.util.Arrays;

/**
 * A lexicographic interval of ZRANGEBYLEX, ZLEXCOUNT, ZREMRANGEBYLEX: each end {@code [member}
 * (inclusive), {@code (member} (exclusive), {@code -} or {@code +}. Parsed as Redis's
 * {@code zslParseLexRangeItem} does; like Redis, the queries assume all members share one score.
 *
 * @param min lower end
 * @param max upper end
 */
record ZLexRange(LexBound min, LexBound max) {

    /** {@code ERR min or max not valid string range item}. */
    static final CommandException NOT_VALID = new CommandException("ERR min or max not valid string range item");

    /** Parses the two ends; throws {@link #NOT_VALID} if either is not valid. */
    static ZLexRange parse(byte[] min, byte[] max) {
        return new ZLexRange(parseItem(min), parseItem(max));
    }

    private static LexBound parseItem(byte[] item) {
        if (item.length == 0) {
            throw NOT_VALID;
        }
        switch (item[0]) {
            case '+':
                // Redis reads the item as a C string: "+" must be followed by its end (or a NUL).
                if (item.length > 1 && item[1] != 0) {
                    throw NOT_VALID;
                }
                return LexBound.MAX;
            case '-':
                if (item.length > 1 && item[1] != 0) {
                    throw NOT_VALID;
                }
                return LexBound.MIN;
            case '(':
                return LexBound.exclusive(Arrays.copyOfRange(item, 1, item.length));
            case '[':
                return LexBound.inclusive(Arrays.copyOfRange(item, 1, item.length));
            default:
                throw NOT_VALID;
        }
    }

    /** Rank of the first member of {@code index} in the interval. */
    int firstRank(ZSetIndex index) {
        return index.firstRankInLex(min);
    }

    /** One past the rank of the last member in the interval; not above {@link #firstRank} for an empty one. */
    int endRank(ZSetIndex index) {
        return Math.max(firstRank(index), index.endRankInLex(max));
    }
}
