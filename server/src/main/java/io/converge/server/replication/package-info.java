/**
 * The replication core of a Converge cluster (DESIGN §4, §5 layers 1–3, tombstone GC): one
 * {@link io.converge.server.replication.Replicator} per node, a state machine driven by
 * peer messages ({@link io.converge.server.cluster.Transport}), client-path calls and a timer
 * tick, with time from a {@link io.converge.server.cluster.Clock}. It runs unchanged over Netty
 * and over the deterministic {@link io.converge.server.cluster.sim.SimulatedNetwork}.
 *
 * <h2>How the client path uses it</h2>
 * <pre>{@code
 * Replicator r = new Replicator(ring, transport, Clock.system(), ReplicaStore.embedded(engine),
 *                               ReplicationSettings.defaults());
 * r.setForwardHandler((from, key, payload) -> runForwardedCommand(payload)); // -> reply bytes
 * r.start();                       // handler, delta listener, tombstone policy (+ restart push)
 * transport.start();
 * timer.scheduleAtFixedRate(r::tick, 10, 10, MILLISECONDS);
 * ReplicationInfo.register(r, services.info());
 *
 * // per command on key k, at read level R / write level W:
 * int target = r.chooseReplica(k);
 * if (target != r.localNodeId()) {
 *     r.forward(target, k, encode(args, protocol, R, W, r.localDatacenter()))  // -> reply bytes
 *      .whenComplete(...);
 * } else if (write command) {
 *     DeltaCapture c = r.beginCapture();
 *     try { handler.execute(ctx); } finally { c.close(); }   // reply buffered, not yet sent
 *     r.replicate(c, W, coordinatorDc).whenComplete(...);    // send reply, or -ERR + message
 * } else {                                                   // read command
 *     r.readRepair(keys, R, coordinatorDc).thenRun(() -> handler.execute(ctx));
 * }
 * }</pre>
 *
 * <h2>Wire use</h2>
 * {@code DELTA_BATCH} entries and {@code READ_STATE_REPLY} states are
 * {@link io.converge.server.replication.StampedState}s (sender HLC + CRDT codec bytes);
 * {@code WRITE}/{@code WRITE_ACK} carry forwarded commands (opaque payload, status
 * {@code OK} or {@link io.converge.server.replication.Replicator#FORWARD_FAILED});
 * {@code HEARTBEAT} feeds the phi-accrual detector; {@code GC_STATUS} gossips the GC horizon
 * ({@link io.converge.server.replication.GcHorizon}).
 *
 * <h2>Guarantees and limits</h2>
 * <ul>
 *   <li>A write is applied where it ran and buffered for every other replica before the command
 *       returns; it reaches them (resent until acknowledged) unless a buffer overflows, which
 *       flags the peer for a full sync (layer 4, later work) and freezes tombstone GC.</li>
 *   <li>A level is met when that many replicas merged the delta; a missed level is an error that
 *       says where the write was applied; nothing is rolled back.</li>
 *   <li>Quorum reads merge replica states into the executing replica's engine before the command
 *       runs; with R + W over a replication factor they see every acknowledged write.
 *       Read-your-writes at ONE holds because {@code chooseReplica} is stable per key.</li>
 *   <li>A restarted node (same engine, lost in-memory buffers) pushes its states to their other
 *       replicas when it starts.</li>
 *   <li>Tombstones are dropped once every node's horizon passed them; a node that stays away
 *       holds GC back (a grace period is later work).</li>
 * </ul>
 */
package io.converge.server.replication;
