package io.converge.server.store.persist;

import io.converge.server.node.InfoBuilder;
import io.converge.server.node.InfoRegistry;

/**
 * The INFO {@code persistence} section: Redis's AOF fields where they mean the same thing here
 * (the log is Converge's AOF, a snapshot its rewrite base), then Converge's own.
 *
 * <pre>
 *   loading, async_loading              always 0 once clients can connect (loading happens before)
 *   aof_enabled                         appendonly
 *   aof_rewrite_in_progress, aof_rewrite_scheduled, aof_last_rewrite_time_sec,
 *   aof_current_rewrite_time_sec, aof_last_bgrewrite_status, aof_rewrites,
 *   aof_rewrites_consecutive_failures, aof_last_write_status    as Redis (aof_last_write_status
 *                                       is err while the log cannot be written or forced: write
 *                                       commands are refused with MISCONF meanwhile)
 *   aof_current_size                    latest snapshot + log written since
 *   aof_base_size                       latest snapshot
 *   aof_pending_rewrite                 0
 *   aof_buffer_length                   bytes appended, not yet handed to the file
 *   aof_pending_bio_fsync               1 while written bytes await an fsync, else 0
 *   aof_delayed_fsync                   everysec fsyncs that came 2 s or more after the previous one
 * Converge only:
 *   aof_fsync, aof_segment, aof_segment_size, aof_base_generation, aof_records_written,
 *   aof_buffer_full_waits, aof_loaded_snapshot_keys, aof_loaded_deltas, aof_load_time_ms,
 *   aof_load_truncated_bytes, aof_load_skipped_bytes,
 *   aof_write_error                     the operating system's reason while the log cannot be
 *                                       written ("No space left on device"), else empty
 *   aof_write_error_seconds             how long it has been failing (0 when it works)
 *   aof_write_error_episodes            failures since start (each ended by a successful retry)
 *   aof_merges_refused                  peer deltas refused (not acknowledged) while failing
 *   aof_repairs_unlogged                read-repair states kept in memory only while failing
 *   hlc_high_water_mark, hlc_high_water_mark_writes
 * </pre>
 */
public final class PersistenceInfo {
    private PersistenceInfo() {}

    /** Adds the section's contributor for {@code persistence} (null: a node without persistence). */
    public static void register(InfoRegistry info, Persistence persistence) {
        info.add("persistence", out -> write(out, persistence));
    }

    static void write(InfoBuilder out, Persistence p) {
        boolean on = p != null && p.appendOnly();
        out.field("loading", p != null && p.loading() ? 1 : 0)
                .field("async_loading", 0)
                .field("aof_enabled", on ? 1 : 0);
        if (p == null) {
            return;
        }
        long lastRewrite = p.lastRewriteMillis();
        long currentRewrite = p.currentRewriteMillis();
        DeltaLog log = p.deltaLog();
        out.field("aof_rewrite_in_progress", p.rewriteInProgress() ? 1 : 0)
                .field("aof_rewrite_scheduled", 0)
                .field("aof_last_rewrite_time_sec", lastRewrite < 0 ? -1 : lastRewrite / 1000)
                .field("aof_current_rewrite_time_sec", currentRewrite < 0 ? -1 : currentRewrite / 1000)
                .field("aof_last_bgrewrite_status", p.lastRewriteOk() ? "ok" : "err")
                .field("aof_rewrites", p.rewrites())
                .field("aof_rewrites_consecutive_failures", p.consecutiveRewriteFailures())
                .field("aof_last_write_status", log != null && log.lastWriteFailed() ? "err" : "ok");
        if (log != null) {
            LogRecovery.Result loaded = p.loaded();
            out.field("aof_current_size", p.currentBytes())
                    .field("aof_base_size", p.baseBytes())
                    .field("aof_pending_rewrite", 0)
                    .field("aof_buffer_length", log.bufferedBytes())
                    .field("aof_pending_bio_fsync", log.pendingFsyncBytes() > log.bufferedBytes() ? 1 : 0)
                    .field("aof_delayed_fsync", log.delayedFsyncs())
                    .field("aof_fsync", p.fsyncPolicy().configName())
                    .field("aof_segment", log.segmentGeneration())
                    .field("aof_segment_size", log.segmentBytes())
                    .field("aof_base_generation", p.baseGeneration())
                    .field("aof_records_written", log.records())
                    .field("aof_buffer_full_waits", log.bufferFullWaits())
                    .field("aof_loaded_snapshot_keys", loaded.snapshotKeys())
                    .field("aof_loaded_deltas", loaded.records())
                    .field("aof_load_time_ms", p.loadMillis())
                    .field("aof_load_truncated_bytes", loaded.truncatedBytes())
                    .field("aof_load_skipped_bytes", loaded.skippedBytes());
            String error = log.failureReason();
            out.field("aof_write_error", error == null ? "" : error)
                    .field("aof_write_error_seconds", log.failingSeconds())
                    .field("aof_write_error_episodes", log.failureEpisodes())
                    .field("aof_merges_refused", log.mergesRefused())
                    .field("aof_repairs_unlogged", p.repairsUnlogged());
        }
        out.field("hlc_high_water_mark", p.highWaterMark())
                .field("hlc_high_water_mark_writes", p.highWaterMarkWrites());
    }
}
