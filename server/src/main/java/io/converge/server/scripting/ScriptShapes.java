package io.converge.server.scripting;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Which scripts, by SHA1, are straight-line ({@link LuaBytecode}), as the Lua states that compiled
 * them found; forgotten with the script cache (SCRIPT FLUSH starts a new generation), so it holds
 * no more entries than the cache held scripts.
 */
final class ScriptShapes {
    private final ConcurrentHashMap<String, Boolean> straightLine = new ConcurrentHashMap<>();
    private long generation;

    /** Records the shape of script {@code sha}, compiled in script cache generation {@code cacheGeneration}. */
    synchronized void note(String sha, long cacheGeneration, boolean straight) {
        if (cacheGeneration > generation) {
            straightLine.clear();
            generation = cacheGeneration;
        }
        if (cacheGeneration == generation) {
            straightLine.put(sha, straight);
        }
    }

    /** Whether script {@code sha} is known to be straight-line (false when unknown). */
    boolean straightLine(String sha) {
        return Boolean.TRUE.equals(straightLine.get(sha));
    }
}
