package io.converge.server.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The configuration in force, replaced atomically by CONFIG SET. Readers call {@link #current()}
 * (one volatile read) and use the immutable snapshot.
 */
public final class LiveConfig {
    private volatile ConvergeConfig current;
    private final Map<String, Supplier<String>> computed = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final List<Reconfigurable> reconfigurables = new CopyOnWriteArrayList<>();

    /**
     * A part of the node that acts on configuration changes and may refuse one (a TLS context
     * that cannot be built from the new files): CONFIG SET commits only what every part accepted.
     */
    @FunctionalInterface
    public interface Reconfigurable {
        /**
         * Prepares for {@code next} replacing {@code current}; throws ConfigException (the reason)
         * to refuse it. Returns what to run once {@code next} is in force, or null.
         */
        Runnable prepare(ConvergeConfig current, ConvergeConfig next);
    }

    /** Starts with {@code initial}. */
    public LiveConfig(ConvergeConfig initial) {
        this.current = initial;
    }

    /** The configuration in force. */
    public ConvergeConfig current() {
        return current;
    }

    /**
     * Applies {@code name -> value} pairs all or nothing (CONFIG SET). Throws ConfigException with
     * Redis's CONFIG SET error text (without the "ERR " code) if a name is unknown or immutable or
     * a value invalid.
     */
    public synchronized void set(Map<String, String> values) {
        ConvergeConfig.Builder b = current.toBuilder();
        for (Map.Entry<String, String> e : values.entrySet()) {
            ConfigKeys.Key key = ConfigKeys.find(e.getKey());
            if (computed.containsKey(e.getKey())) {
                throw new ConfigException(failed(e.getKey(), "can't set immutable config"));
            }
            if (key == null || !key.exposed()) {
                throw new ConfigException("Unknown option or number of arguments for CONFIG SET - '" + e.getKey() + "'");
            }
            if (!key.mutable()) {
                throw new ConfigException(failed(e.getKey(), "can't set immutable config"));
            }
            try {
                key.apply(b, e.getValue());
            } catch (ConfigException ex) {
                throw new ConfigException(failed(e.getKey(), ex.getMessage()));
            }
        }
        String first = values.keySet().iterator().next();
        ConvergeConfig next;
        try {
            next = b.build();
        } catch (ConfigException ex) {
            throw new ConfigException(failed(first, ex.getMessage()));
        }
        List<Runnable> commits = new ArrayList<>();
        for (Reconfigurable r : reconfigurables) {
            try {
                Runnable commit = r.prepare(current, next);
                if (commit != null) {
                    commits.add(commit);
                }
            } catch (ConfigException ex) {
                throw new ConfigException(failed(first, ex.getMessage()));
            }
        }
        current = next;
        commits.forEach(Runnable::run);
    }

    /** Adds a part that must accept every later change ({@link #set}) before it is in force. */
    public void onChange(Reconfigurable part) {
        reconfigurables.add(part);
    }

    /**
     * Adds (or replaces) a read-only parameter that CONFIG GET reports but that is not part of the
     * configuration file, e.g. Redis's {@code save} and {@code appendonly} which tools such as
     * redis-benchmark query. CONFIG SET on it answers the immutable-config error.
     */
    public void registerReadOnly(String name, Supplier<String> value) {
        computed.put(name, value);
    }

    /** Parameters matching any of the glob {@code patterns} (case-insensitive), name to value, in key order. */
    public Map<String, String> get(List<byte[]> patterns) {
        ConvergeConfig c = current;
        Map<String, String> out = new LinkedHashMap<>();
        List<ConfigKeys.Key> keys = new ArrayList<>(ConfigKeys.all());
        for (ConfigKeys.Key k : keys) {
            if (!k.exposed()) {
                continue;
            }
            byte[] name = k.name().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            for (byte[] p : patterns) {
                if (io.converge.server.util.Glob.matches(p, name, true)) {
                    out.put(k.name(), k.format(c));
                    break;
                }
            }
        }
        for (Map.Entry<String, Supplier<String>> e : computed.entrySet()) {
            byte[] name = e.getKey().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            for (byte[] p : patterns) {
                if (io.converge.server.util.Glob.matches(p, name, true)) {
                    out.putIfAbsent(e.getKey(), e.getValue().get());
                    break;
                }
            }
        }
        return out;
    }

    private static String failed(String name, String reason) {
        return "CONFIG SET failed (possibly related to argument '" + name + "') - " + reason;
    }
}
