package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.HashValue;
import io.converge.crdt.HllValue;
import io.converge.crdt.StreamId;
import io.converge.crdt.StreamValue;
import io.converge.crdt.RedisHll;
import io.converge.crdt.KeyState;
import io.converge.crdt.ListValue;
import io.converge.crdt.SetValue;
import io.converge.crdt.ValueType;
import io.converge.crdt.ZSetValue;
import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.KeySpec;
import io.converge.server.command.NodeServices;
import io.converge.server.config.NotifyFlags;
import io.converge.server.store.StorageEngine;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * DUMP and RESTORE with Redis 7.0's arguments, checks and errors, in Converge's own payload: the
 * visible value only (type and elements, no replication metadata), then a two-byte format version
 * and a CRC-32C of everything before it. A payload from another format (Redis's RDB payloads
 * included) is refused as Redis refuses a wrong version or checksum. RESTORE writes the value as
 * a new one, with this node's stamps, so it replicates like any write.
 */
final class DumpRestoreCommands {
    /** The payload format this code writes and reads. */
    private static final int FORMAT = 0xC001;
    private static final int FOOTER = 2 + 4;
    private static final CommandException BUSYKEY = new CommandException("BUSYKEY Target key name already exists.");
    private static final CommandException BAD_PAYLOAD =
            new CommandException("ERR DUMP payload version or checksum are wrong");
    private static final CommandException BAD_FORMAT = new CommandException("ERR Bad data format");

    private final StorageEngine engine;

    private DumpRestoreCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers DUMP and RESTORE. */
    static void register(NodeServices services, StorageEngine engine) {
        DumpRestoreCommands c = new DumpRestoreCommands(engine);
        services.commands().register(CommandSpec.builder("dump").arity(2).flags(READONLY).keys(1, 1, 1)
                .keySpecFlags("RO", "access").acl(AclCategory.KEYSPACE).group("generic").since("2.6.0")
                .tips("nondeterministic_output").summary("Returns a serialized representation of the value stored at a key.")
                .complexity("O(1) to access the key and additional O(N*M) to serialize it, where N is the number of "
                        + "Redis objects composing the value and M their average size. For small string values the "
                        + "time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).")
                .handler(c::dump).build());
        services.commands().register(CommandSpec.builder("restore").arity(-4).flags(WRITE, DENYOOM).keys(1, 1, 1)
                .keySpecs(KeySpec.range(1, 0, 1, "OW", "update")).acl(AclCategory.KEYSPACE, AclCategory.DANGEROUS)
                .group("generic").since("2.6.0").summary("Creates a key from the serialized representation of a value.")
                .complexity("O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, "
                        + "where N is the number of Redis objects composing the value and M their average size. For "
                        + "small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply "
                        + "O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting "
                        + "values into sorted sets is O(log(N)).")
                .handler(c::restore).build());
    }

    private void dump(CommandContext ctx) {
        byte[] payload = engine.withKey(ctx.arg(1), access -> {
            KeyState state = access.live();
            return state == null ? null : payloadOf(state);
        });
        if (payload == null) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().bulk(payload);
        }
    }

    private void restore(CommandContext ctx) {
        boolean replace = false;
        boolean absTtl = false;
        boolean idle = false;
        boolean freq = false;
        for (int j = 4; j < ctx.argc(); j++) {
            boolean more = j + 1 < ctx.argc();
            if (ctx.argIs(j, "replace")) {
                replace = true;
            } else if (ctx.argIs(j, "absttl")) {
                absTtl = true;
            } else if (ctx.argIs(j, "idletime") && more && !freq) {
                if (ctx.argLong(++j) < 0) {
                    throw new CommandException("ERR Invalid IDLETIME value, must be >= 0");
                }
                idle = true;
            } else if (ctx.argIs(j, "freq") && more && !idle) {
                long f = ctx.argLong(++j);
                if (f < 0 || f > 255) {
                    throw new CommandException("ERR Invalid FREQ value, must be >= 0 and <= 255");
                }
                freq = true;
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        boolean overwrite = replace;
        boolean absolute = absTtl;
        engine.withKey(ctx.arg(1), access -> {
            if (!overwrite && access.live() != null) {
                throw BUSYKEY;
            }
            long ttl = ctx.argLong(2);
            if (ttl < 0) {
                throw new CommandException("ERR Invalid TTL value, must be >= 0");
            }
            KeyState value = decode(ctx.arg(3));
            boolean deleted = false;
            if (access.live() != null) {
                access.written(access.forWrite().delete(access.stamp(), access.node()));
                deleted = true;
            }
            long expireAt = ttl == 0 ? 0 : absolute ? ttl : access.nowMs() + ttl;
            if (expireAt != 0 && expireAt <= access.nowMs()) {
                if (deleted) {
                    ctx.notify(NotifyFlags.GENERIC, "del", ctx.arg(1));
                }
                return null;
            }
            ValueCopy.copyInto(value, access);
            if (expireAt != 0) {
                access.written(access.forWrite().expire(expireAt, access.stamp(), access.node()));
            }
            ctx.notify(NotifyFlags.GENERIC, "restore", ctx.arg(1));
            return null;
        });
        ctx.reply().ok();
    }

    /** The payload of {@code state}'s visible value. */
    static byte[] payloadOf(KeyState state) {
        CrdtWriter w = new CrdtWriter();
        ValueType type = state.type();
        w.writeByte(type.code());
        switch (type) {
            case STRING -> w.writeBytes(state.stringBytes());
            case HASH -> {
                HashValue h = state.hash();
                w.writeVarInt(h.size());
                h.forEach((f, v) -> {
                    w.writeBytes(f);
                    w.writeBytes(v);
                });
            }
            case SET -> {
                SetValue s = state.set();
                w.writeVarInt(s.size());
                for (int i = 0; i < s.size(); i++) {
                    w.writeBytes(s.memberAt(i));
                }
            }
            case ZSET -> {
                ZSetValue z = state.zset();
                w.writeVarInt(z.size());
                z.index().forEachInRankRange(0, z.size(), false, (m, score) -> {
                    w.writeBytes(m);
                    w.writeDouble(score);
                });
            }
            case LIST -> {
                ListValue l = state.list();
                w.writeVarInt(l.size());
                l.forEach(0, l.size(), (i, v) -> {
                    w.writeBytes(v);
                    return true;
                });
            }
            case HLL -> w.writeBytes(state.stringBytes()); // Redis's dense HLL string
            case STREAM -> {
                StreamValue st = state.stream();
                w.writeVarInt(st.size());
                st.range(StreamId.MIN, StreamId.MAX, false, (id, pairs) -> {
                    w.writeVarLong(id.ms());
                    w.writeVarLong(id.seq());
                    w.writeVarInt(pairs.length);
                    for (byte[] b : pairs) {
                        w.writeBytes(b);
                    }
                    return true;
                });
                w.writeVarLong(st.lastId().ms());
                w.writeVarLong(st.lastId().seq());
                w.writeVarLong(st.maxDeletedId().ms());
                w.writeVarLong(st.maxDeletedId().seq());
                w.writeVarLong(st.entriesAdded());
            }
        }
        w.writeByte(FORMAT & 0xFF);
        w.writeByte(FORMAT >>> 8);
        CRC32C crc = new CRC32C();
        crc.update(w.buffer(), 0, w.size());
        long sum = crc.getValue();
        for (int i = 0; i < 4; i++) {
            w.writeByte((int) (sum >>> (8 * i)) & 0xFF);
        }
        return w.toByteArray();
    }

    /**
     * A state holding the payload's value (stamps of its own, to be copied under fresh ones);
     * Redis's errors for a wrong version or checksum, or a body that does not decode.
     */
    static KeyState decode(byte[] payload) {
        if (payload.length < FOOTER + 1) {
            throw BAD_PAYLOAD;
        }
        int end = payload.length - FOOTER;
        int format = (payload[end] & 0xFF) | (payload[end + 1] & 0xFF) << 8;
        CRC32C crc = new CRC32C();
        crc.update(payload, 0, end + 2);
        long sum = 0;
        for (int i = 0; i < 4; i++) {
            sum |= (long) (payload[end + 2 + i] & 0xFF) << (8 * i);
        }
        if (format != FORMAT || sum != crc.getValue()) {
            throw BAD_PAYLOAD;
        }
        try {
            CrdtReader r = new CrdtReader(Arrays.copyOf(payload, end));
            KeyState state = new KeyState();
            long hlc = 1;
            switch (ValueType.fromCode(r.readByte())) {
                case STRING -> state.setString(r.readBytes(), 0, hlc, 1);
                case HASH -> {
                    HashValue h = state.hashForWrite();
                    for (int n = r.readCount(); n > 0; n--) {
                        h.hset(r.readBytes(), r.readBytes(), hlc, 1);
                    }
                }
                case SET -> {
                    SetValue s = state.setForWrite();
                    for (int n = r.readCount(); n > 0; n--) {
                        s.add(r.readBytes(), hlc, 1);
                    }
                }
                case ZSET -> {
                    ZSetValue z = state.zsetForWrite();
                    for (int n = r.readCount(); n > 0; n--) {
                        byte[] m = r.readBytes();
                        double score = r.readDouble();
                        if (Double.isNaN(score)) {
                            throw BAD_FORMAT;
                        }
                        z.add(m, score, hlc, 1);
                    }
                }
                case LIST -> {
                    // readCount() checks the count against the bytes left, so the array is bounded.
                    byte[][] elements = new byte[r.readCount()][];
                    for (int i = 0; i < elements.length; i++) {
                        elements[i] = r.readBytes();
                    }
                    if (elements.length > 0) {
                        state.listForWrite().push(false, elements, 0, elements.length, hlc, 1);
                    }
                }
                case HLL -> {
                    RedisHll.Parsed hll = RedisHll.parse(r.readBytes());
                    if (hll == null || hll.corrupt()) {
                        throw BAD_FORMAT;
                    }
                    HllValue h = state.hllForWrite();
                    h.mergeRegisters(hll.registers(), hlc, 1);
                }
                case STREAM -> {
                    StreamValue st = state.streamForWrite();
                    for (int n = r.readCount(); n > 0; n--) {
                        StreamId id = new StreamId(r.readVarLong(), r.readVarLong());
                        byte[][] pairs = new byte[r.readCount()][];
                        if (pairs.length == 0 || pairs.length % 2 != 0 || id.compareTo(st.lastId()) <= 0) {
                            throw BAD_FORMAT;
                        }
                        for (int i = 0; i < pairs.length; i++) {
                            pairs[i] = r.readBytes();
                        }
                        st.add(id, pairs, hlc, 1);
                    }
                    StreamId last = new StreamId(r.readVarLong(), r.readVarLong());
                    if (last.compareTo(st.lastId()) < 0) {
                        throw BAD_FORMAT;
                    }
                    StreamId deleted = new StreamId(r.readVarLong(), r.readVarLong());
                    long added = r.readVarLong();
                    st.setInfo(last, deleted, added, hlc, 1);
                }
            }
            r.expectEnd();
            if (!state.exists()) {
                throw BAD_FORMAT;
            }
            return state;
        } catch (CrdtCodecException | IllegalStateException e) {
            throw BAD_FORMAT;
        }
    }
}
