package io.converge.bench.sidebyside;

import java.util.List;

/**
 * What a side-by-side run measures.
 *
 * @param tests               redis-benchmark test names ({@code -t}), run one at a time
 * @param pipelines           pipeline depths ({@code -P}), one table each
 * @param clients             parallel connections ({@code -c})
 * @param requestsUnpipelined requests per test at pipeline depth 1
 * @param requestsPipelined   requests per test at pipeline depths above 1
 * @param keyspace            random key range ({@code -r})
 * @param warmupRequests      requests per test and target before measuring (0: no warm-up)
 * @param rounds              how often every measurement is repeated; tables show the median
 * @param memoryKeys          keys loaded for the memory comparison
 * @param throughput          whether to run the throughput comparison
 * @param memory              whether to run the memory comparison
 */
public record RunPlan(List<String> tests, List<Integer> pipelines, int clients, int requestsUnpipelined,
                      int requestsPipelined, int keyspace, int warmupRequests, int rounds, int memoryKeys,
                      boolean throughput, boolean memory) {
    /** Validates and copies. */
    public RunPlan {
        tests = List.copyOf(tests);
        pipelines = List.copyOf(pipelines);
        if (tests.isEmpty() || pipelines.isEmpty()) {
            throw new IllegalArgumentException("need at least one test and one pipeline depth");
        }
        if (clients < 1 || requestsUnpipelined < 1 || requestsPipelined < 1 || keyspace < 1
                || warmupRequests < 0 || rounds < 1 || memoryKeys < 1 || pipelines.stream().anyMatch(p -> p < 1)) {
            throw new IllegalArgumentException("clients, requests, keyspace, rounds, pipeline depths and memory keys must be positive");
        }
    }

    /** Requests per test at the given pipeline depth. */
    public int requestsFor(int pipeline) {
        return pipeline <= 1 ? requestsUnpipelined : requestsPipelined;
    }

    /** The deepest pipeline of the run (warm-up uses it: most requests in least time). */
    public int deepestPipeline() {
        return pipelines.stream().mapToInt(Integer::intValue).max().orElse(1);
    }
}
