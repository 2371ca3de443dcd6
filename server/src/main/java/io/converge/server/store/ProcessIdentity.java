package io.converge.server.store;

/**
 * The identity keeper of an engine that keeps nothing on disk (tests, the simulation): its state
 * lives exactly as long as the engine, so it is always whole; a new incarnation only happens when
 * asked (a simulated lost disk, a rebuild).
 */
final class ProcessIdentity implements ReplicaIdentity {

    private final EmbeddedEngine engine;
    private volatile long rebuiltAt;
    private long lastProcess;

    ProcessIdentity(EmbeddedEngine engine) {
        this.engine = engine;
    }

    @Override
    public boolean provenComplete() {
        return true;
    }

    /** Nothing was loaded: the state is the engine's own, never restored; no peer can know a later stamp. */
    @Override
    public long loadedMark() {
        return Long.MAX_VALUE;
    }

    @Override
    public long storedReplicaId() {
        return engine.replicaId();
    }

    @Override
    public long rebuiltAt() {
        return rebuiltAt;
    }

    @Override
    public synchronized long startProcess(long candidate) {
        lastProcess = Math.max(candidate, lastProcess + 1);
        return lastProcess;
    }

    @Override
    public void adopt(long replicaId) {
        engine.replicaId(replicaId);
    }

    @Override
    public synchronized long newIncarnation(int nodeId) {
        long id = ReplicaIdentity.nextIncarnation(nodeId, ReplicaIdentity.epochOf(engine.replicaId()),
                engine.wallMillis());
        engine.replicaId(id);
        return id;
    }

    @Override
    public void rebuilt(long stable) {
        rebuiltAt = Math.max(rebuiltAt, stable);
    }
}
