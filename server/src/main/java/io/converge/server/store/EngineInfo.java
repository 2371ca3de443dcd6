package io.converge.server.store;

import io.converge.server.config.LiveConfig;
import io.converge.server.node.InfoRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.util.Locale;

/**
 * The embedded engine's INFO fields: memory (real JVM heap figures and the dataset estimate that
 * maxmemory uses, under names that say which is which), engine counters in stats, and the
 * keyspace line {@code db0:keys=N,expires=M,avg_ttl=0}.
 */
final class EngineInfo {
    private EngineInfo() {}

    /** Adds the engine's contributors to {@code info}. */
    static void register(EmbeddedEngine engine, InfoRegistry info, LiveConfig config) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        info.add("memory", out -> {
            MemoryUsage heap = memory.getHeapMemoryUsage();
            long dataset = engine.datasetBytes();
            long max = config.current().maxmemory();
            out.field("used_memory", heap.getUsed())
                    .field("used_memory_human", human(heap.getUsed()))
                    .field("used_memory_heap_committed", heap.getCommitted())
                    .field("used_memory_heap_max", heap.getMax())
                    .field("used_memory_dataset_estimate", dataset)
                    .field("used_memory_dataset_estimate_human", human(dataset))
                    .field("maxmemory", max)
                    .field("maxmemory_human", human(max))
                    .field("maxmemory_policy", config.current().maxmemoryPolicy())
                    .field("maxmemory_compares", "used_memory_dataset_estimate");
        });
        info.add("stats", out -> out
                .field("expired_keys", engine.expiredKeys())
                .field("evicted_keys", 0)
                .field("keyspace_hits", engine.keyspaceHits())
                .field("keyspace_misses", engine.keyspaceMisses())
                .field("tombstone_entries", engine.tombstoneEntries())
                .field("background_cycles", engine.activeExpiry().cycles()));
        info.add("keyspace", out -> {
            long keys = engine.size();
            if (keys > 0) {
                out.field("db0", "keys=" + keys + ",expires=" + engine.keysWithExpiry() + ",avg_ttl=0");
            }
        });
    }

    /** Redis's human-readable byte count ({@code 1.50M}). */
    static String human(long bytes) {
        double n = bytes;
        String[] units = {"B", "K", "M", "G", "T", "P"};
        int u = 0;
        while (n >= 1024 && u < units.length - 1) {
            n /= 1024;
            u++;
        }
        return u == 0 ? bytes + "B" : String.format(Locale.ROOT, "%.2f%s", n, units[u]);
    }
}
