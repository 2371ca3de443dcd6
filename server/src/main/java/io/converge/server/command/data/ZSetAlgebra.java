package io.converge.server.command.data;

import io.converge.crdt.Bytes;
import java.util.HashMap;
import java.util.Map;

/**
 * The arithmetic of the sorted-set algebra shared by ZUNION/ZUNIONSTORE, ZINTER/ZINTERSTORE/
 * ZINTERCARD and ZDIFF/ZDIFFSTORE, computed as Redis computes it so results agree bit for bit.
 *
 * <p>Union and intersection take their inputs smallest first (a stable sort by size, as Redis's
 * qsort behaves on glibc), multiply each score by its input's weight (a NaN product, 0 x inf,
 * becomes 0) and combine scores with {@link Aggregate} (SUM turns a NaN sum, inf + -inf, into 0;
 * a NaN never wins MIN or MAX). The difference keeps the first input's members that no other
 * input holds, with their unweighted scores, in the order of the first input.
 */
final class ZSetAlgebra {
    private ZSetAlgebra() {}

    /** How the scores of one member in several inputs combine (AGGREGATE). */
    enum Aggregate {
        SUM, MIN, MAX;

        /** Redis's {@code zunionInterAggregate}: {@code target} combined with {@code value}. */
        double apply(double target, double value) {
            return switch (this) {
                case SUM -> {
                    double sum = target + value;
                    yield Double.isNaN(sum) ? 0.0 : sum;
                }
                case MIN -> value < target ? value : target;
                case MAX -> value > target ? value : target;
            };
        }
    }

    /** The union of {@code operands}, in no particular order. */
    static ZSetResult union(ZSetOperand[] operands, Aggregate aggregate) {
        Map<Bytes, double[]> totals = new HashMap<>();
        for (ZSetOperand op : bySize(operands)) {
            double weight = op.weight();
            op.forEach((member, score) -> {
                double weighted = weighted(weight, score);
                double[] total = totals.putIfAbsent(Bytes.wrap(member), new double[] {weighted});
                if (total != null) {
                    total[0] = aggregate.apply(total[0], weighted);
                }
            });
        }
        ZSetResult result = new ZSetResult(totals.size());
        for (Map.Entry<Bytes, double[]> e : totals.entrySet()) {
            result.add(e.getKey().array(), e.getValue()[0]);
        }
        return result;
    }

    /** The intersection of {@code operands}, in no particular order. */
    static ZSetResult intersect(ZSetOperand[] operands, Aggregate aggregate) {
        ZSetOperand[] sorted = bySize(operands);
        ZSetOperand smallest = sorted[0];
        ZSetResult result = new ZSetResult(smallest.size());
        smallest.forEach((member, score) -> {
            double total = weighted(smallest.weight(), score);
            for (int j = 1; j < sorted.length; j++) {
                double other = sorted[j].score(member);
                if (Double.isNaN(other)) {
                    return; // not in every input
                }
                total = aggregate.apply(total, other * sorted[j].weight());
            }
            result.add(member, total);
        });
        return result;
    }

    /**
     * The number of members of the intersection of {@code operands}, counting stopped at
     * {@code limit} when it is positive (ZINTERCARD's LIMIT; 0 is no limit).
     */
    static long intersectCount(ZSetOperand[] operands, long limit) {
        ZSetOperand[] sorted = bySize(operands);
        ZSetOperand smallest = sorted[0];
        long[] count = {0};
        int size = smallest.size();
        int chunk = 128;
        for (int from = 0; from < size && (limit == 0 || count[0] < limit); from += chunk) {
            smallest.forEach(from, Math.min(size, from + chunk), (member, score) -> {
                for (int j = 1; j < sorted.length; j++) {
                    if (!sorted[j].contains(member)) {
                        return;
                    }
                }
                count[0]++;
            });
        }
        return limit == 0 ? count[0] : Math.min(count[0], limit);
    }

    /**
     * The members of the first operand that no other operand holds, with the first operand's
     * scores (weights do not apply), in the first operand's order.
     */
    static ZSetResult difference(ZSetOperand[] operands) {
        ZSetOperand first = operands[0];
        ZSetResult result = new ZSetResult(first.size());
        first.forEach((member, score) -> {
            for (int j = 1; j < operands.length; j++) {
                if (operands[j].contains(member)) {
                    return;
                }
            }
            result.add(member, score);
        });
        return result;
    }

    /** {@code weight * score}, or 0 when the product is NaN (0 x inf), as Redis does. */
    private static double weighted(double weight, double score) {
        double product = weight * score;
        return Double.isNaN(product) ? 0.0 : product;
    }

    /** The operands ordered by size, smallest first, equal sizes in argument order. */
    private static ZSetOperand[] bySize(ZSetOperand[] operands) {
        ZSetOperand[] sorted = operands.clone();
        for (int i = 1; i < sorted.length; i++) {
            ZSetOperand s = sorted[i];
            int j = i - 1;
            while (j >= 0 && sorted[j].size() > s.size()) {
                sorted[j + 1] = sorted[j];
                j--;
            }
            sorted[j + 1] = s;
        }
        return sorted;
    }
}
