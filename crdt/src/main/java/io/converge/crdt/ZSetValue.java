package io.converge.crdt;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A Redis sorted set: add-wins membership and a score that is an LWW base (ZADD) plus counter
 * increments (ZINCRBY), with an ordered {@link ZSetIndex} for rank, score and lex queries.
 *
 * <p><b>Model.</b> Each member holds a small set of {@link ScoreRecord score records}, each
 * identified by a dot; the member is present while it has at least one record, and the
 * records' dots are its membership dots, exactly as in {@link SetValue}. Merge is the dot-store
 * join over records (a record survives if both sides have it, or one side has it and the other
 * has not observed its dot), so membership is add-wins with no tombstones.
 * <ul>
 *   <li>ZADD writes one <em>base</em> record (score, stamp) and drops every record it observed.
 *   <li>ZINCRBY at replica n writes one <em>contribution</em> record: n's running sum of
 *       increments on top of the winning base, tagged with that base's stamp and score. It drops
 *       n's previous contribution and any record the winning base already outranks.
 *   <li>ZREM drops every record of the member.
 * </ul>
 * The visible score: the <em>reference</em> is the greatest base stamp any surviving record
 * refers to (a base, or a contribution that remembers its base); the score is the reference's
 * score plus the contributions tagged with it, added in node-id order so every replica computes
 * the same double bit for bit. Hence concurrent ZINCRBYs sum; a ZADD concurrent with a ZINCRBY
 * (or later than it in HLC order) wins over the increments it did not see; and when a remove
 * (or DEL) races an increment it had not seen, the member survives with the score the
 * incrementing replica computed, minus the contributions the remove did see. If concurrent
 * infinite increments of opposite sign sum to NaN, the score falls back to the reference score.
 * Scores never hold -0.0: ZADD and ZINCRBY turn it into 0.0, as Redis's compact encoding does.
 *
 * <p>Because every part of the score carries a dot, a key-level DEL needs only the deleting
 * replica's observed context ({@link #removeObserved}); no HLC watermark is involved.
 *
 * <p><b>Deltas</b> work as in {@link SetValue}: mutators return a delta listing every member its
 * context concerns (possibly with no records, for a remove), and merging a delta visits only
 * those members. Merge a delta into {@code new ZSetValue()} to start a state from it.
 *
 * <p><b>Layout.</b> One {@code Entry} per member serves as the index node too; its single score
 * record, the common case, is stored inline as primitives. Members are found through an
 * open-addressing table of entries (linear probing, backward-shift deletion) keyed by
 * {@link MemberHash}. Member arrays are kept by reference and never mutated. Not thread-safe.
 */
public final class ZSetValue implements CrdtValue<ZSetValue> {

    /** Reference stamp of contributions made while no base exists (score 0): {@link Stamp#NONE}. */
    private static final long NO_BASE_HLC = 0;
    private static final long NO_BASE_NODE = 0;
    private static final int FLAG_DELTA = 1;
    private static final int KIND_BASE = 0;
    private static final int KIND_CONTRIBUTION = 1;
    /** Smallest encoded record: kind, two one-byte varints, fixed HLC, one double. */
    private static final int MIN_RECORD_BYTES = 19;
    private static final int DECODE_CAPACITY = 1024;

    private final CausalContext context;
    private final ZSetIndex index = new ZSetIndex();
    private boolean delta;
    private long lastHlc;
    private long lastNode;
    /** Open-addressing table of entries (present and, in deltas, record-less ones); null when empty. */
    private Entry[] table;
    private int entries;

    /** Creates an empty sorted-set state. */
    public ZSetValue() {
        this(false, new CausalContext());
    }

    private ZSetValue(boolean delta, CausalContext context) {
        this.delta = delta;
        this.context = context;
    }

    @Override
    public ValueType type() {
        return ValueType.ZSET;
    }

    // ------------------------------------------------------------------ operations

    /**
     * ZADD of one member with {@code score}, stamped {@code (hlc, node)} at replica {@code node}:
     * sets a new base (dropping the member's observed records) and returns the delta. The array
     * is kept; the caller must not mutate it afterwards.
     *
     * @throws IllegalArgumentException if {@code score} is NaN
     */
    public ZSetValue add(byte[] member, double score, long hlc, long node) {
        Objects.requireNonNull(member, "member");
        if (Double.isNaN(score)) {
            throw new IllegalArgumentException("score is not a number (NaN)");
        }
        score += 0.0; // -0.0 becomes 0.0, as Redis's compact encoding stores it
        int hash = MemberHash.hash(member);
        Entry e = find(member, hash);
        long counter = context.maxCounter(node) + 1;
        context.add(node, counter);
        ZSetValue d = new ZSetValue(true, new CausalContext());
        d.context.add(node, counter);
        if (e == null) {
            e = new Entry(member, hash);
            insertEntry(e);
        } else {
            addDotsTo(e, d.context);
        }
        e.setSingle(node, counter, true, hlc, node, score, 0.0);
        rescore(e);
        Entry de = new Entry(member, hash);
        de.setSingle(node, counter, true, hlc, node, score, 0.0);
        d.insertEntry(de);
        d.rescore(de);
        d.lastHlc = hlc;
        d.lastNode = node;
        stamp(hlc, node);
        return d;
    }

    /**
     * ZINCRBY of one member by {@code increment}, stamped {@code (hlc, node)} at replica
     * {@code node}: adds to {@code node}'s contribution on top of the winning base (creating the
     * member with score {@code increment} if absent, as Redis does) and returns the delta. Read
     * the new score with {@link #score}.
     *
     * @throws IllegalArgumentException if {@code increment} is NaN or the resulting score would
     *     be NaN ({@code +inf} plus {@code -inf}); the state is then unchanged
     */
    public ZSetValue incrBy(byte[] member, double increment, long hlc, long node) {
        Objects.requireNonNull(member, "member");
        if (Double.isNaN(increment)) {
            throw new IllegalArgumentException("increment is not a number (NaN)");
        }
        increment += 0.0; // no -0.0 ever enters, so no sum can produce one
        int hash = MemberHash.hash(member);
        Entry e = find(member, hash);
        int n = e == null ? 0 : e.count();
        long refHlc = NO_BASE_HLC;
        long refNode = NO_BASE_NODE;
        double refScore = 0.0;
        ScoreRecord[] records = new ScoreRecord[n];
        for (int i = 0; i < n; i++) {
            records[i] = e.record(i);
        }
        if (n > 0) {
            ScoreRecord best = records[bestReference(records, n)];
            refHlc = best.refHlc();
            refNode = best.refNode();
            refScore = best.refScore();
        }
        // Keep the records of the winning reference except our own contribution, which the new
        // one replaces; drop the rest (all observed, all outranked).
        long counter = context.maxCounter(node) + 1;
        ScoreRecord[] kept = new ScoreRecord[n + 1];
        int k = 0;
        double own = 0.0;
        boolean placed = false;
        for (int i = 0; i < n; i++) {
            ScoreRecord r = records[i];
            boolean current = r.refersTo(refHlc, refNode);
            if (!r.base() && r.dotNode() == node) {
                if (current) {
                    own = r.sum();
                }
                continue;
            }
            if (current) {
                if (!placed && r.dotNode() > node) {
                    kept[k++] = null; // placeholder for the new contribution, in node order
                    placed = true;
                }
                kept[k++] = r;
            }
        }
        double sum = own + increment;
        ScoreRecord fresh = new ScoreRecord(node, counter, false, refHlc, refNode, refScore, sum);
        if (placed) {
            for (int i = 0; i < k; i++) {
                if (kept[i] == null) {
                    kept[i] = fresh;
                }
            }
        } else {
            kept[k++] = fresh;
        }
        if (Double.isNaN(sum) || Double.isNaN(rawScore(kept, k))) {
            throw new IllegalArgumentException("resulting score is not a number (NaN)");
        }
        context.add(node, counter);
        ZSetValue d = new ZSetValue(true, new CausalContext());
        d.context.add(node, counter);
        for (int i = 0; i < n; i++) {
            ScoreRecord r = records[i];
            if (!contains(kept, k, r)) {
                d.context.add(r.dotNode(), r.dotCounter());
            }
        }
        if (e == null) {
            e = new Entry(member, hash);
            insertEntry(e);
        }
        e.setRecords(kept, k);
        rescore(e);
        Entry de = new Entry(member, hash);
        de.setRecords(new ScoreRecord[] {fresh}, 1);
        d.insertEntry(de);
        d.rescore(de);
        d.lastHlc = hlc;
        d.lastNode = node;
        stamp(hlc, node);
        return d;
    }

    /**
     * ZREM of one member stamped {@code (hlc, node)}: drops all its records and returns the
     * delta (the member with no records, the dropped dots as context), or null if the member was
     * not present.
     */
    public ZSetValue remove(byte[] member, long hlc, long node) {
        int hash = MemberHash.hash(member);
        Entry e = find(member, hash);
        if (e == null || e.count() == 0) {
            return null;
        }
        ZSetValue d = new ZSetValue(true, new CausalContext());
        addDotsTo(e, d.context);
        d.insertEntry(new Entry(member, hash));
        d.lastHlc = hlc;
        d.lastNode = node;
        e.setRecords(null, 0);
        rescore(e);
        stamp(hlc, node);
        return d;
    }

    /**
     * ZPOPMIN of one member: hands the lowest-ranked member and its score to {@code popped},
     * removes it and returns the delta, or returns null (calling nothing) if the set is empty.
     */
    public ZSetValue popMin(long hlc, long node, ScoredMemberConsumer popped) {
        return pop(0, hlc, node, popped);
    }

    /** ZPOPMAX of one member: like {@link #popMin} for the highest-ranked member. */
    public ZSetValue popMax(long hlc, long node, ScoredMemberConsumer popped) {
        return pop(index.size() - 1, hlc, node, popped);
    }

    private ZSetValue pop(int rank, long hlc, long node, ScoredMemberConsumer popped) {
        if (index.size() == 0) {
            return null;
        }
        ZSetIndex.Node x = index.nodeAt(rank);
        popped.accept(x.member, x.score);
        return remove(x.member, hlc, node);
    }

    /**
     * Key-level remove (DEL): drops every score record whose dot {@code observed} covers
     * (members left without records disappear; survivors are rescored) and joins
     * {@code observed} into this context. Writes {@code observed} has not seen survive. Leaves
     * the last-write stamp alone (the key envelope stamps the DEL).
     */
    public void removeObserved(CausalContext observed) {
        for (Entry e : snapshot()) {
            filterRecords(e, observed);
        }
        context.merge(observed);
    }

    /**
     * The replicable form of a key-level remove: a full state with no members whose context is
     * {@code observed}. Merging it into any state has the effect of
     * {@code removeObserved(observed)}.
     */
    public static ZSetValue removalOf(CausalContext observed) {
        return new ZSetValue(false, observed.copy());
    }

    /** Whether {@code member} is in the set. */
    public boolean contains(byte[] member) {
        Entry e = find(member, MemberHash.hash(member));
        return e != null && e.indexed;
    }

    /** The score of {@code member} (ZSCORE), or NaN if it is not in the set. */
    public double score(byte[] member) {
        Entry e = find(member, MemberHash.hash(member));
        return e != null && e.indexed ? e.score : Double.NaN;
    }

    /** The 0-based ascending rank of {@code member} (ZRANK), or -1 if it is not in the set. */
    public int rank(byte[] member) {
        Entry e = find(member, MemberHash.hash(member));
        return e != null && e.indexed ? index.rankOf(e) : -1;
    }

    /** The 0-based descending rank of {@code member} (ZREVRANK), or -1 if it is not in the set. */
    public int revRank(byte[] member) {
        int r = rank(member);
        return r < 0 ? -1 : index.size() - 1 - r;
    }

    /** Number of members (ZCARD). */
    public int size() {
        return index.size();
    }

    /** The ordered view for rank, score-range and lex-range queries (live, read-only). */
    public ZSetIndex index() {
        return index;
    }

    /** The observed causal context (live; do not mutate). */
    public CausalContext context() {
        return context;
    }

    /** Whether this value is a delta (lists every member its context concerns), not a full state. */
    public boolean isDelta() {
        return delta;
    }

    /** HLC of the greatest-stamped write joined into this state (0 if none). */
    public long lastWriteHlc() {
        return lastHlc;
    }

    /** Node of the greatest-stamped write joined into this state (0 if none). */
    public long lastWriteNode() {
        return lastNode;
    }

    @Override
    public boolean isEmpty() {
        return index.size() == 0;
    }

    // ------------------------------------------------------------------ merge

    /**
     * Joins {@code other} (a state or a delta) into this state, keeping the index in sync. Visits
     * every member of this state only when {@code other} is a full state.
     */
    @Override
    public void merge(ZSetValue other) {
        if (other == this) {
            return;
        }
        CausalContext theirs = other.context;
        if (!other.delta) {
            for (Entry e : snapshot()) {
                if (other.find(e.member, e.hash) == null) {
                    filterRecords(e, theirs);
                }
            }
        }
        if (other.table != null) {
            for (Entry oe : other.table) {
                if (oe == null) {
                    continue;
                }
                Entry e = find(oe.member, oe.hash);
                if (e == null) {
                    int n = oe.count();
                    ScoreRecord[] kept = new ScoreRecord[n];
                    int k = 0;
                    for (int i = 0; i < n; i++) {
                        if (!context.contains(oe.dotNodeAt(i), oe.dotCounterAt(i))) {
                            kept[k++] = oe.record(i);
                        }
                    }
                    if (k > 0 || delta) {
                        e = new Entry(oe.member, oe.hash);
                        insertEntry(e);
                        e.setRecords(kept, k);
                        rescore(e);
                    }
                } else {
                    joinRecords(e, oe, theirs);
                }
            }
        }
        context.merge(theirs);
        if (delta && !other.delta) {
            delta = false;
            for (Entry e : snapshot()) {
                if (e.count() == 0) {
                    removeEntry(e);
                }
            }
        }
        stamp(other.lastHlc, other.lastNode);
    }

    /** Dot-store join of entry {@code e} here with entry {@code oe} of a state whose context is {@code theirs}. */
    private void joinRecords(Entry e, Entry oe, CausalContext theirs) {
        int mine = e.count();
        int their = oe.count();
        if (mine == 1 && their == 1 && e.dotNodeAt(0) == oe.dotNodeAt(0)
                && e.dotCounterAt(0) == oe.dotCounterAt(0)) {
            return; // the common case: both sides hold the same single record
        }
        ScoreRecord[] out = new ScoreRecord[mine + their];
        int n = 0;
        int a = 0;
        int b = 0;
        boolean changed = false;
        while (a < mine || b < their) {
            int c;
            if (a == mine) {
                c = 1;
            } else if (b == their) {
                c = -1;
            } else {
                c = ScoreRecord.compareDots(e.dotNodeAt(a), e.dotCounterAt(a), oe.dotNodeAt(b), oe.dotCounterAt(b));
            }
            if (c == 0) {
                out[n++] = e.record(a);
                a++;
                b++;
            } else if (c < 0) {
                if (!theirs.contains(e.dotNodeAt(a), e.dotCounterAt(a))) {
                    out[n++] = e.record(a);
                } else {
                    changed = true;
                }
                a++;
            } else {
                if (!context.contains(oe.dotNodeAt(b), oe.dotCounterAt(b))) {
                    out[n++] = oe.record(b);
                    changed = true;
                }
                b++;
            }
        }
        if (changed) {
            e.setRecords(out, n);
            rescore(e);
        }
    }

    /** Drops the records of {@code e} whose dots {@code seen} covers. */
    private void filterRecords(Entry e, CausalContext seen) {
        int count = e.count();
        ScoreRecord[] out = null;
        int n = 0;
        for (int i = 0; i < count; i++) {
            boolean drop = seen.contains(e.dotNodeAt(i), e.dotCounterAt(i));
            if (drop && out == null) {
                out = new ScoreRecord[count];
                for (int j = 0; j < i; j++) {
                    out[n++] = e.record(j);
                }
            } else if (!drop && out != null) {
                out[n++] = e.record(i);
            }
        }
        if (out != null) {
            e.setRecords(out, n);
            rescore(e);
        }
    }

    @Override
    public ZSetValue copy() {
        ZSetValue c = new ZSetValue(delta, context.copy());
        c.lastHlc = lastHlc;
        c.lastNode = lastNode;
        ZSetIndex.Node[] ordered = index.nodesInOrder();
        Entry[] copies = new Entry[ordered.length];
        for (int i = 0; i < ordered.length; i++) {
            copies[i] = ((Entry) ordered[i]).copy();
            c.insertEntry(copies[i]);
        }
        c.index.buildFromSorted(copies, copies.length);
        if (entries > ordered.length) {
            for (Entry e : snapshot()) {
                if (!e.indexed) {
                    c.insertEntry(e.copy());
                }
            }
        }
        return c;
    }

    // ------------------------------------------------------------------ codec

    /**
     * Writes this state: flags (bit 0 = delta), last-write stamp, context, the present members
     * in index order each with its records in dot order, then (deltas only) the record-less
     * members in byte order. Equal states encode to equal bytes.
     */
    @Override
    public void encode(CrdtWriter w) {
        w.writeByte(delta ? FLAG_DELTA : 0);
        w.writeFixedLong(lastHlc);
        CrdtCodec.writeNode(w, lastNode);
        context.encode(w);
        ZSetIndex.Node[] ordered = index.nodesInOrder();
        w.writeVarInt(ordered.length);
        for (ZSetIndex.Node node : ordered) {
            Entry e = (Entry) node;
            w.writeBytes(e.member);
            int n = e.count();
            w.writeVarInt(n);
            for (int i = 0; i < n; i++) {
                writeRecord(w, e.record(i));
            }
        }
        byte[][] bare = new byte[entries - ordered.length][];
        int k = 0;
        if (bare.length > 0) {
            for (Entry e : snapshot()) {
                if (!e.indexed) {
                    bare[k++] = e.member;
                }
            }
            Arrays.sort(bare, Arrays::compareUnsigned);
        }
        w.writeVarInt(bare.length);
        for (byte[] member : bare) {
            w.writeBytes(member);
        }
    }

    private static void writeRecord(CrdtWriter w, ScoreRecord r) {
        w.writeByte(r.base() ? KIND_BASE : KIND_CONTRIBUTION);
        CrdtCodec.writeNode(w, r.dotNode());
        w.writeVarLong(r.dotCounter());
        w.writeFixedLong(r.refHlc());
        if (r.base()) {
            w.writeDouble(r.refScore());
        } else {
            CrdtCodec.writeNode(w, r.refNode());
            w.writeDouble(r.refScore());
            w.writeDouble(r.sum());
        }
    }

    /**
     * Reads a state written by {@link #encode}. Rejects with {@link CrdtCodecException} anything
     * malformed: unknown flags or record kinds, NaN scores, members out of order or repeated,
     * records out of dot order, dots the context has not seen, record-less members in a full
     * state.
     */
    public static ZSetValue decode(CrdtReader r) {
        int flags = r.readByte();
        if ((flags & ~FLAG_DELTA) != 0) {
            throw new CrdtCodecException("unknown sorted-set flags " + flags);
        }
        long hlc = r.readFixedLong();
        long node = CrdtCodec.readNode(r);
        CausalContext ctx = CausalContext.decode(r);
        ZSetValue v = new ZSetValue((flags & FLAG_DELTA) != 0, ctx);
        v.lastHlc = hlc;
        v.lastNode = node;
        int n = r.readCount();
        // Grows as members actually arrive: a forged count cannot force a large allocation.
        Entry[] ordered = new Entry[Math.min(n, DECODE_CAPACITY)];
        for (int i = 0; i < n; i++) {
            byte[] member = r.readBytes();
            int count = r.readCount();
            if (count == 0) {
                throw new CrdtCodecException("sorted-set member without score records");
            }
            if (count > r.remaining() / MIN_RECORD_BYTES) {
                throw new CrdtCodecException("record count " + count + " exceeds remaining input");
            }
            ScoreRecord[] records = new ScoreRecord[count];
            for (int j = 0; j < count; j++) {
                records[j] = readRecord(r, ctx);
                if (j > 0 && ScoreRecord.compareDots(records[j - 1].dotNode(), records[j - 1].dotCounter(),
                        records[j].dotNode(), records[j].dotCounter()) >= 0) {
                    throw new CrdtCodecException("score records not in strictly ascending dot order");
                }
            }
            Entry e = new Entry(member, MemberHash.hash(member));
            e.setRecords(records, count);
            e.score = e.computeScore();
            if (i > 0 && ZSetIndex.compare(ordered[i - 1].score, ordered[i - 1].member, e.score, member) >= 0) {
                throw new CrdtCodecException("sorted-set members not in strictly ascending order");
            }
            if (v.find(member, e.hash) != null) {
                throw new CrdtCodecException("repeated sorted-set member");
            }
            v.insertEntry(e);
            e.indexed = true;
            if (i == ordered.length) {
                ordered = Arrays.copyOf(ordered, ordered.length * 2);
            }
            ordered[i] = e;
        }
        v.index.buildFromSorted(ordered, n);
        int bare = r.readCount();
        if (bare > 0 && !v.delta) {
            throw new CrdtCodecException("record-less members in a full sorted-set state");
        }
        byte[] previous = null;
        for (int i = 0; i < bare; i++) {
            byte[] member = r.readBytes();
            if (previous != null && Arrays.compareUnsigned(previous, member) >= 0) {
                throw new CrdtCodecException("record-less members not in strictly ascending order");
            }
            previous = member;
            int hash = MemberHash.hash(member);
            if (v.find(member, hash) != null) {
                throw new CrdtCodecException("repeated sorted-set member");
            }
            v.insertEntry(new Entry(member, hash));
        }
        return v;
    }

    private static ScoreRecord readRecord(CrdtReader r, CausalContext ctx) {
        int kind = r.readByte();
        if (kind != KIND_BASE && kind != KIND_CONTRIBUTION) {
            throw new CrdtCodecException("unknown score record kind " + kind);
        }
        long dotNode = CrdtCodec.readNode(r);
        long dotCounter = r.readVarLong();
        if (dotCounter < 1) {
            throw new CrdtCodecException("dot counter must be >= 1");
        }
        if (!ctx.contains(dotNode, dotCounter)) {
            throw new CrdtCodecException("score record dot outside the causal context");
        }
        long refHlc = r.readFixedLong();
        long refNode = dotNode;
        double sum = 0.0;
        if (kind == KIND_CONTRIBUTION) {
            refNode = CrdtCodec.readNode(r);
        }
        double refScore = r.readDouble();
        if (kind == KIND_CONTRIBUTION) {
            sum = r.readDouble();
        }
        if (Double.isNaN(refScore) || Double.isNaN(sum)) {
            throw new CrdtCodecException("NaN score");
        }
        return new ScoreRecord(dotNode, dotCounter, kind == KIND_BASE, refHlc, refNode, refScore, sum);
    }

    // ------------------------------------------------------------------ scores

    /** Position of the record naming the winning base: greatest stamp, first in dot order on ties. */
    private static int bestReference(ScoreRecord[] records, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            ScoreRecord r = records[i];
            ScoreRecord b = records[best];
            if (Stamp.compare(r.refHlc(), r.refNode(), b.refHlc(), b.refNode()) > 0) {
                best = i;
            }
        }
        return best;
    }

    /** Reference score plus its contributions in node order; NaN if they cancel infinities. */
    private static double rawScore(ScoreRecord[] records, int n) {
        ScoreRecord best = records[bestReference(records, n)];
        double total = best.refScore();
        for (int i = 0; i < n; i++) {
            ScoreRecord r = records[i];
            if (!r.base() && r.refersTo(best.refHlc(), best.refNode())) {
                total += r.sum();
            }
        }
        return total;
    }

    /** The visible score of {@code records[0, n)} ({@code n > 0}), never NaN. */
    private static double visibleScore(ScoreRecord[] records, int n) {
        double raw = rawScore(records, n);
        return Double.isNaN(raw) ? records[bestReference(records, n)].refScore() : raw;
    }

    private static boolean contains(ScoreRecord[] records, int n, ScoreRecord r) {
        for (int i = 0; i < n; i++) {
            if (records[i] == r) {
                return true;
            }
        }
        return false;
    }

    /**
     * Recomputes the score of {@code e} after its records changed and moves it in the index (or
     * out of it, and out of a full state, when it has no records left).
     */
    private void rescore(Entry e) {
        if (e.count() == 0) {
            if (e.indexed) {
                index.remove(e);
                e.indexed = false;
            }
            if (!delta) {
                removeEntry(e);
            }
            return;
        }
        double s = e.computeScore();
        if (!e.indexed) {
            e.score = s;
            index.insert(e);
            e.indexed = true;
        } else if (s != e.score) {
            index.remove(e);
            e.score = s;
            index.insert(e);
        } else {
            e.score = s; // equal as a score (maybe -0.0 vs 0.0): same place in the order
        }
    }

    private void addDotsTo(Entry e, CausalContext target) {
        for (int i = 0, n = e.count(); i < n; i++) {
            target.add(e.dotNodeAt(i), e.dotCounterAt(i));
        }
    }

    private void stamp(long hlc, long node) {
        if (Stamp.compare(hlc, node, lastHlc, lastNode) > 0) {
            lastHlc = hlc;
            lastNode = node;
        }
    }

    // ------------------------------------------------------------------ member table

    private Entry find(byte[] member, int hash) {
        Entry[] t = table;
        if (t == null) {
            return null;
        }
        int mask = t.length - 1;
        for (int s = hash & mask; ; s = (s + 1) & mask) {
            Entry e = t[s];
            if (e == null) {
                return null;
            }
            if (e.hash == hash && Arrays.equals(e.member, member)) {
                return e;
            }
        }
    }

    private void insertEntry(Entry e) {
        if (table == null) {
            table = new Entry[4];
        } else if ((entries + 1) * 4 > table.length * 3) {
            Entry[] old = table;
            table = new Entry[old.length * 2];
            for (Entry x : old) {
                if (x != null) {
                    place(x);
                }
            }
        }
        place(e);
        entries++;
    }

    private void place(Entry e) {
        int mask = table.length - 1;
        int s = e.hash & mask;
        while (table[s] != null) {
            s = (s + 1) & mask;
        }
        table[s] = e;
    }

    /** Removes {@code e} from the table, shifting later entries of its probe run back. */
    private void removeEntry(Entry e) {
        int mask = table.length - 1;
        int hole = e.hash & mask;
        while (table[hole] != e) {
            hole = (hole + 1) & mask;
        }
        for (int j = (hole + 1) & mask; table[j] != null; j = (j + 1) & mask) {
            int home = table[j].hash & mask;
            boolean homeInRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!homeInRange) {
                table[hole] = table[j];
                hole = j;
            }
        }
        table[hole] = null;
        entries--;
    }

    /** The entries, copied out so the caller may modify the table while walking them. */
    private Entry[] snapshot() {
        Entry[] out = new Entry[entries];
        if (table != null) {
            int k = 0;
            for (Entry e : table) {
                if (e != null) {
                    out[k++] = e;
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ equality

    /** Equal when both hold the same members with the same records, context, stamp and delta flag. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ZSetValue other) || delta != other.delta || entries != other.entries
                || index.size() != other.index.size() || lastHlc != other.lastHlc
                || lastNode != other.lastNode || !context.equals(other.context)) {
            return false;
        }
        for (Entry e : snapshot()) {
            Entry oe = other.find(e.member, e.hash);
            if (oe == null || e.count() != oe.count()) {
                return false;
            }
            for (int i = 0; i < e.count(); i++) {
                if (!e.record(i).equals(oe.record(i))) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 0;
        for (Entry e : snapshot()) {
            h += Arrays.hashCode(e.member) ^ Double.hashCode(e.score);
        }
        return 31 * h + entries;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(delta ? "ZSetDelta{" : "ZSet{");
        index.forEachInRankRange(0, index.size(), false, (m, s) ->
                sb.append(new String(m, StandardCharsets.UTF_8)).append('=').append(s).append(' '));
        return sb.append("ctx=").append(context).append('}').toString();
    }

    // ------------------------------------------------------------------ entry

    /**
     * One member: its index node plus its score records. A single record (the common case) is
     * stored inline in the primitive fields; two or more live in {@code records}; none (only in
     * deltas) means "this member was removed".
     */
    static final class Entry extends ZSetIndex.Node {
        final int hash;
        /** Whether this entry is in the index (it has records). */
        boolean indexed;
        long dotNode;
        /** > 0 when the inline record is in use. */
        long dotCounter;
        boolean base;
        long refHlc;
        long refNode;
        double refScore;
        double sum;
        ScoreRecord[] records;

        Entry(byte[] member, int hash) {
            super(member, 0.0);
            this.hash = hash;
        }

        int count() {
            return records != null ? records.length : dotCounter > 0 ? 1 : 0;
        }

        long dotNodeAt(int i) {
            return records != null ? records[i].dotNode() : dotNode;
        }

        long dotCounterAt(int i) {
            return records != null ? records[i].dotCounter() : dotCounter;
        }

        ScoreRecord record(int i) {
            return records != null ? records[i]
                    : new ScoreRecord(dotNode, dotCounter, base, refHlc, refNode, refScore, sum);
        }

        void setSingle(long dotNode, long dotCounter, boolean base, long refHlc, long refNode, double refScore,
                       double sum) {
            this.records = null;
            this.dotNode = dotNode;
            this.dotCounter = dotCounter;
            this.base = base;
            this.refHlc = refHlc;
            this.refNode = refNode;
            this.refScore = refScore;
            this.sum = sum;
        }

        /** Replaces the records with {@code rs[0, n)}, which must be in dot order (taken over, not copied). */
        void setRecords(ScoreRecord[] rs, int n) {
            if (n >= 2) {
                records = rs.length == n ? rs : Arrays.copyOf(rs, n);
                dotCounter = 0;
            } else if (n == 1) {
                ScoreRecord r = rs[0];
                setSingle(r.dotNode(), r.dotCounter(), r.base(), r.refHlc(), r.refNode(), r.refScore(), r.sum());
            } else {
                records = null;
                dotCounter = 0;
            }
        }

        double computeScore() {
            if (records != null) {
                return visibleScore(records, records.length);
            }
            if (base) {
                return refScore;
            }
            double s = refScore + sum;
            return Double.isNaN(s) ? refScore : s;
        }

        Entry copy() {
            Entry c = new Entry(member, hash);
            c.score = score;
            c.indexed = indexed;
            c.setSingle(dotNode, dotCounter, base, refHlc, refNode, refScore, sum);
            c.records = records == null ? null : records.clone();
            return c;
        }
    }
}
