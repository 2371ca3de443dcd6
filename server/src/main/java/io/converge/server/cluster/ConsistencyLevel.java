package io.converge.server.cluster;

import java.util.Locale;

/**
 * How many replicas must answer before a read or write is reported done.
 *
 * <ul>
 *   <li>{@link #ONE}: any one replica, in any datacenter.</li>
 *   <li>{@link #LOCAL_QUORUM}: a majority ({@code rf/2 + 1}) of the replicas in the
 *       coordinator's datacenter.</li>
 *   <li>{@link #EACH_QUORUM}: a majority in every datacenter.</li>
 *   <li>{@link #ALL}: every replica.</li>
 * </ul>
 *
 * Dynomite's names are accepted as aliases: {@code DC_ONE} = ONE, {@code DC_QUORUM} and
 * {@code DC_SAFE_QUORUM} = LOCAL_QUORUM (Dynomite's "safe" variant also compares payload
 * checksums; CRDT merge makes that unnecessary), {@code DC_EACH_SAFE_QUORUM} = EACH_QUORUM.
 */
public enum ConsistencyLevel {
    /** Any one replica. */
    ONE,
    /** A majority of the replicas in the coordinator's datacenter. */
    LOCAL_QUORUM,
    /** A majority of the replicas in every datacenter. */
    EACH_QUORUM,
    /** Every replica. */
    ALL;

    /** Names accepted by {@link #parse}, for error messages and help. */
    public static final String ACCEPTED_NAMES =
            "ONE, LOCAL_QUORUM, EACH_QUORUM, ALL, DC_ONE, DC_QUORUM, DC_SAFE_QUORUM, DC_EACH_SAFE_QUORUM";

    /** Parses a level name or Dynomite alias, case-insensitively; throws {@link IllegalArgumentException}. */
    public static ConsistencyLevel parse(CharSequence name) {
        ConsistencyLevel level = tryParse(name);
        if (level == null) {
            throw new IllegalArgumentException("unknown consistency level '" + name + "' (expected one of "
                    + ACCEPTED_NAMES + ")");
        }
        return level;
    }

    /** Like {@link #parse} but returns {@code null} for an unknown name. */
    public static ConsistencyLevel tryParse(CharSequence name) {
        if (name == null) {
            return null;
        }
        return switch (name.toString().trim().toUpperCase(Locale.ROOT)) {
            case "ONE", "DC_ONE" -> ONE;
            case "LOCAL_QUORUM", "DC_QUORUM", "DC_SAFE_QUORUM" -> LOCAL_QUORUM;
            case "EACH_QUORUM", "DC_EACH_SAFE_QUORUM" -> EACH_QUORUM;
            case "ALL" -> ALL;
            default -> null;
        };
    }

    /** A majority of {@code replicationFactor}: {@code rf / 2 + 1}. */
    public static int quorum(int replicationFactor) {
        return replicationFactor / 2 + 1;
    }

    /**
     * Acks this level needs from datacenter {@code dc} of {@code replicas} when coordinated from
     * {@code coordinatorDc}; for {@link #ONE} every datacenter reports 0 and
     * {@link #requiredAnywhere()} reports 1.
     */
    public int requiredIn(ReplicaSet replicas, int dc, int coordinatorDc) {
        int rf = replicas.sizeIn(dc);
        return switch (this) {
            case ONE -> 0;
            case LOCAL_QUORUM -> dc == coordinatorDc ? quorum(rf) : 0;
            case EACH_QUORUM -> quorum(rf);
            case ALL -> rf;
        };
    }

    /** Acks needed from any replica regardless of datacenter (1 for ONE, else 0). */
    public int requiredAnywhere() {
        return this == ONE ? 1 : 0;
    }

    /** Total acks this level blocks for. */
    public int blockFor(ReplicaSet replicas, int coordinatorDc) {
        int total = requiredAnywhere();
        for (int dc = 0; dc < replicas.datacenterCount(); dc++) {
            total += requiredIn(replicas, dc, coordinatorDc);
        }
        return total;
    }
}
