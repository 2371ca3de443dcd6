package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.KeyState;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.NodeServices;
import io.converge.server.store.StorageEngine;
import java.util.ArrayList;
import java.util.List;

/**
 * Server commands that touch the keyspace: DBSIZE, FLUSHDB and FLUSHALL. (INFO keyspace is
 * contributed by the engine.)
 *
 * <p>FLUSHDB/FLUSHALL are not a local wipe: they delete, as CRDT key deletes, every key this
 * node observes, so each delete is a delta that replicates like a DEL; writes made concurrently
 * on other replicas that this node had not seen survive. They run with the whole keyspace held
 * (nothing interleaves on this node). ASYNC and SYNC are accepted and behave the same.
 */
public final class ServerDataCommands {
    private final StorageEngine engine;

    private ServerDataCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers the family. */
    public static void register(NodeServices services, StorageEngine engine) {
        ServerDataCommands c = new ServerDataCommands(engine);
        var t = services.commands();
        t.register(CommandSpec.builder("dbsize").arity(1).flags(READONLY, FAST).acl(AclCategory.KEYSPACE)
                .tips("request_policy:all_shards", "response_policy:agg_sum").group("server").since("1.0.0")
                .summary("Returns the number of keys in the database.").complexity("O(1)").handler(c::dbsize).build());
        t.register(CommandSpec.builder("flushdb").arity(-1).flags(WRITE).acl(AclCategory.KEYSPACE, AclCategory.DANGEROUS)
                .tips("request_policy:all_shards", "response_policy:all_succeeded").group("server").since("1.0.0")
                .summary("Remove all keys from the current database.")
                .complexity("O(N) where N is the number of keys in the selected database").handler(c::flush).build());
        t.register(CommandSpec.builder("flushall").arity(-1).flags(WRITE).acl(AclCategory.KEYSPACE, AclCategory.DANGEROUS)
                .tips("request_policy:all_shards", "response_policy:all_succeeded").group("server").since("1.0.0")
                .summary("Removes all keys from all databases.")
                .complexity("O(N) where N is the total number of keys in all databases").handler(c::flush).build());
    }

    private void dbsize(CommandContext ctx) {
        ctx.reply().integer(engine.size());
    }

    /** FLUSHDB and FLUSHALL [ASYNC|SYNC]. */
    private void flush(CommandContext ctx) {
        if (ctx.argc() > 2 || (ctx.argc() == 2 && !ctx.argIs(1, "sync") && !ctx.argIs(1, "async"))) {
            throw Errors.SYNTAX_ERROR;
        }
        ctx.node().tracking().flushed(); // tracking clients drop their whole cache, as Redis tells them
        flushAll(engine);
        ctx.reply().ok();
    }

    /** Deletes every key {@code engine} holds, as CRDT deletes, atomically on this node. */
    public static void flushAll(StorageEngine engine) {
        engine.runExclusive(List.of(), true, () -> {
            List<byte[]> keys = new ArrayList<>();
            long cursor = 0;
            do {
                cursor = engine.scan(cursor, 1024, (key, state) -> keys.add(key));
            } while (cursor != 0);
            for (byte[] key : keys) {
                engine.withKey(key, a -> {
                    KeyState live = a.live();
                    if (live != null) {
                        a.written(a.forWrite().delete(a.stamp(), a.node()));
                    }
                    return null;
                });
            }
        });
    }
}
