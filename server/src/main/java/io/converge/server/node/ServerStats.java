package io.converge.server.node;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Node-wide counters for INFO stats and INFO errorstats; safe to update from any thread.
 * {@code instantaneous_ops_per_sec} is sampled by {@link #sample} (called every 100 ms), averaging
 * the last 16 samples like Redis.
 */
public final class ServerStats {
    private static final int MAX_ERROR_CODES = 128;
    private static final int SAMPLES = 16;

    private final LongAdder connectionsReceived = new LongAdder();
    private final LongAdder rejectedConnections = new LongAdder();
    private final LongAdder commandsProcessed = new LongAdder();
    private final LongAdder netInputBytes = new LongAdder();
    private final LongAdder netOutputBytes = new LongAdder();
    private final LongAdder errorReplies = new LongAdder();
    private final Map<String, LongAdder> errorCodes = new ConcurrentHashMap<>();

    private final long[] opsSamples = new long[SAMPLES];
    private final long[] inputSamples = new long[SAMPLES];
    private final long[] outputSamples = new long[SAMPLES];
    private int sampleIndex;
    private long lastSampleMillis;
    private long lastOps;
    private long lastInput;
    private long lastOutput;

    /** A client connected. */
    public void connectionReceived() {
        connectionsReceived.increment();
    }

    /** A connection was refused (maxclients). */
    public void connectionRejected() {
        rejectedConnections.increment();
    }

    /** A command was executed. */
    public void commandProcessed() {
        commandsProcessed.increment();
    }

    /** Bytes read from clients. */
    public void inputBytes(long n) {
        netInputBytes.add(n);
    }

    /** Bytes written to clients. */
    public void outputBytes(long n) {
        netOutputBytes.add(n);
    }

    /** An error reply was sent; counted under its code (the first word, e.g. ERR, WRONGTYPE). */
    public void errorReply(byte[] message, int length) {
        errorReplies.increment();
        int end = 0;
        while (end < length && end < 64 && message[end] != ' ') {
            end++;
        }
        String code = new String(message, 0, end, StandardCharsets.UTF_8);
        LongAdder counter = errorCodes.get(code);
        if (counter == null) {
            if (errorCodes.size() >= MAX_ERROR_CODES) {
                return; // Redis also stops tracking new codes past a limit
            }
            counter = errorCodes.computeIfAbsent(code, k -> new LongAdder());
        }
        counter.increment();
    }

    /** total_connections_received. */
    public long connectionsReceived() {
        return connectionsReceived.sum();
    }

    /** rejected_connections. */
    public long rejectedConnections() {
        return rejectedConnections.sum();
    }

    /** total_commands_processed. */
    public long commandsProcessed() {
        return commandsProcessed.sum();
    }

    /** total_net_input_bytes. */
    public long netInputBytes() {
        return netInputBytes.sum();
    }

    /** total_net_output_bytes. */
    public long netOutputBytes() {
        return netOutputBytes.sum();
    }

    /** total_error_replies. */
    public long errorReplies() {
        return errorReplies.sum();
    }

    /** Error counts by code, sorted by code. */
    public Map<String, Long> errorCodes() {
        Map<String, Long> out = new TreeMap<>();
        errorCodes.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Takes a throughput sample; call periodically (every 100 ms). */
    public synchronized void sample(long nowMillis) {
        long ops = commandsProcessed();
        long in = netInputBytes();
        long out = netOutputBytes();
        if (lastSampleMillis != 0 && nowMillis > lastSampleMillis) {
            long dt = nowMillis - lastSampleMillis;
            opsSamples[sampleIndex] = (ops - lastOps) * 1000 / dt;
            inputSamples[sampleIndex] = (in - lastInput) * 1000 / dt;
            outputSamples[sampleIndex] = (out - lastOutput) * 1000 / dt;
            sampleIndex = (sampleIndex + 1) % SAMPLES;
        }
        lastSampleMillis = nowMillis;
        lastOps = ops;
        lastInput = in;
        lastOutput = out;
    }

    /** instantaneous_ops_per_sec. */
    public synchronized long instantaneousOpsPerSec() {
        return average(opsSamples);
    }

    /** instantaneous_input_kbps (as a double, kilobytes per second). */
    public synchronized double instantaneousInputKbps() {
        return average(inputSamples) / 1024.0;
    }

    /** instantaneous_output_kbps. */
    public synchronized double instantaneousOutputKbps() {
        return average(outputSamples) / 1024.0;
    }

    private static long average(long[] samples) {
        long sum = 0;
        for (long s : samples) {
            sum += s;
        }
        return sum / samples.length;
    }

    /** Clears the counters (CONFIG RESETSTAT). */
    public void reset() {
        connectionsReceived.reset();
        rejectedConnections.reset();
        commandsProcessed.reset();
        netInputBytes.reset();
        netOutputBytes.reset();
        errorReplies.reset();
        errorCodes.clear();
    }
}
