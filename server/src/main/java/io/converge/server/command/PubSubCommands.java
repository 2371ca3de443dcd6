package io.converge.server.command;

import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.PUBSUB;
import static io.converge.server.command.CommandFlag.STALE;

import io.converge.crdt.Bytes;
import io.converge.server.command.CommandDispatcher.AwaitingAcks;
import io.converge.server.command.PubSub.Answer;
import io.converge.server.command.PubSub.Kind;
import io.converge.server.command.PubSub.Query;
import io.converge.server.command.PubSub.Question;
import io.converge.server.protocol.ReplyWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Pub/sub commands, with Redis 7.0's replies: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
 * SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB CHANNELS / NUMSUB / NUMPAT /
 * SHARDCHANNELS / SHARDNUMSUB / HELP, over the node's {@link PubSub}. In a cluster PUBLISH,
 * SPUBLISH and PUBSUB cover every node that can be reached (see {@link PubSub}); run by EXEC they
 * cover this node only, since EXEC's reply cannot wait for the others.
 */
public final class PubSubCommands {
    private static final byte[] SUBSCRIBE = bytes("subscribe");
    private static final byte[] UNSUBSCRIBE = bytes("unsubscribe");
    private static final byte[] PSUBSCRIBE = bytes("psubscribe");
    private static final byte[] PUNSUBSCRIBE = bytes("punsubscribe");
    private static final byte[] SSUBSCRIBE = bytes("ssubscribe");
    private static final byte[] SUNSUBSCRIBE = bytes("sunsubscribe");
    private static final byte[] PONG = bytes("pong");
    private static final byte[] EMPTY = new byte[0];
    /** Commands a RESP2 client in subscribed mode may run, by their spec names. */
    private static final Set<String> ALLOWED_WHILE_SUBSCRIBED = Set.of("ping", "subscribe", "ssubscribe",
            "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset");

    private PubSubCommands() {}

    /** Whether a RESP2 client in subscribed mode may run {@code cmd}. */
    static boolean allowedWhileSubscribed(CommandSpec cmd) {
        return ALLOWED_WHILE_SUBSCRIBED.contains(cmd.name());
    }

    /** Registers the family in {@code table}. */
    public static void register(CommandTable table) {
        table.register(spec("subscribe", -2, "Listens for messages published to channels.",
                "O(N) where N is the number of channels to subscribe to.", "2.0.0",
                ctx -> subscribe(ctx, Kind.CHANNEL, SUBSCRIBE), NOSCRIPT));
        table.register(spec("unsubscribe", -1, "Stops listening to messages posted to channels.",
                "O(N) where N is the number of clients already subscribed to a channel.", "2.0.0",
                ctx -> unsubscribe(ctx, Kind.CHANNEL, UNSUBSCRIBE), NOSCRIPT));
        table.register(spec("psubscribe", -2, "Listens for messages published to channels that match one or more patterns.",
                "O(N) where N is the number of patterns the client is already subscribed to.", "2.0.0",
                ctx -> subscribe(ctx, Kind.PATTERN, PSUBSCRIBE), NOSCRIPT));
        table.register(spec("punsubscribe", -1, "Stops listening to messages published to channels that match one or more patterns.",
                "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total "
                        + "patterns subscribed in the system (by any client).", "2.0.0",
                ctx -> unsubscribe(ctx, Kind.PATTERN, PUNSUBSCRIBE), NOSCRIPT));
        table.register(spec("ssubscribe", -2, "Listens for messages published to shard channels.",
                "O(N) where N is the number of shard channels to subscribe to.", "7.0.0",
                ctx -> subscribe(ctx, Kind.SHARD, SSUBSCRIBE), NOSCRIPT));
        table.register(spec("sunsubscribe", -1, "Stops listening to messages posted to shard channels.",
                "O(N) where N is the number of clients already subscribed to a shard channel.", "7.0.0",
                ctx -> unsubscribe(ctx, Kind.SHARD, SUNSUBSCRIBE), NOSCRIPT));
        table.register(spec("publish", 3, "Posts a message to a channel.",
                "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total "
                        + "number of subscribed patterns (by any client).", "2.0.0",
                ctx -> publish(ctx, false), FAST));
        table.register(spec("spublish", 3, "Post a message to a shard channel",
                "O(N) where N is the number of clients subscribed to the receiving shard channel.", "7.0.0",
                ctx -> publish(ctx, true), FAST));

        CommandSpec.Builder pubsub = CommandSpec.builder("pubsub").arity(-2).acl(AclCategory.SLOW).group("pubsub")
                .since("2.8.0").summary("A container for Pub/Sub commands.").complexity("Depends on subcommand.");
        pubsub.subcommand(sub("channels", -2, "Returns the active channels.",
                "O(N) where N is the number of active channels, and assuming constant time pattern matching "
                        + "(relatively short channels and patterns)", ctx -> names(ctx, Question.CHANNELS)));
        pubsub.subcommand(sub("numpat", 2, "Returns a count of unique pattern subscriptions.", "O(1)",
                PubSubCommands::numpat));
        pubsub.subcommand(sub("numsub", -2, "Returns a count of subscribers to channels.",
                "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
                ctx -> counts(ctx, Question.NUMSUB)));
        pubsub.subcommand(sub("shardchannels", -2, "Returns the active shard channels.",
                "O(N) where N is the number of active shard channels, and assuming constant time pattern matching "
                        + "(relatively short shard channels).", ctx -> names(ctx, Question.SHARDCHANNELS)));
        pubsub.subcommand(sub("shardnumsub", -2, "Returns the count of subscribers of shard channels.",
                "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
                ctx -> counts(ctx, Question.SHARDNUMSUB)));
        pubsub.subcommand(CommandSpec.builder("help").arity(2).flags(LOADING, STALE).acl(AclCategory.SLOW)
                .group("pubsub").since("6.2.0").summary("Returns helpful text about the different subcommands.")
                .complexity("O(1)").handler(PubSubCommands::help));
        table.register(pubsub.build());
    }

    /** A SUBSCRIBE-like ({@code noscript}) or PUBLISH-like ({@code fast}) command, with Redis's flags in its order. */
    private static CommandSpec spec(String name, int arity, String summary, String complexity, String since,
                                    CommandHandler handler, CommandFlag kind) {
        CommandSpec.Builder b = CommandSpec.builder(name).arity(arity);
        if (kind == FAST) {
            b.flags(PUBSUB, LOADING, STALE, FAST).acl(AclCategory.FAST);
        } else {
            b.flags(PUBSUB, NOSCRIPT, LOADING, STALE).acl(AclCategory.SLOW);
        }
        return b.group("pubsub").since(since).summary(summary).complexity(complexity).handler(handler).build();
    }

    private static CommandSpec.Builder sub(String name, int arity, String summary, String complexity,
                                           CommandHandler handler) {
        return CommandSpec.builder(name).arity(arity).flags(PUBSUB, LOADING, STALE).acl(AclCategory.SLOW)
                .group("pubsub").since("2.8.0").summary(summary).complexity(complexity).handler(handler);
    }

    // ------------------------------------------------------------------ (un)subscribing

    private static void subscribe(CommandContext ctx, Kind kind, byte[] confirmation) {
        ClientConnection client = ctx.connection();
        PubSub pubsub = ctx.node().pubsub();
        Set<Bytes> mine = client.subscriptions(kind);
        for (int i = 1; i < ctx.argc(); i++) {
            Bytes name = Bytes.wrap(ctx.arg(i));
            if (mine.add(name)) {
                pubsub.subscribe(kind, name, client);
            }
            client.subscriptionsChanged();
            confirm(ctx.reply(), confirmation, name.array(), count(client, kind));
        }
    }

    private static void unsubscribe(CommandContext ctx, Kind kind, byte[] confirmation) {
        ClientConnection client = ctx.connection();
        PubSub pubsub = ctx.node().pubsub();
        Set<Bytes> mine = client.subscriptions(kind);
        List<Bytes> names = new ArrayList<>();
        if (ctx.argc() == 1) {
            names.addAll(mine);
            if (names.isEmpty()) {
                ctx.reply().pushHeader(3);
                ctx.reply().bulk(confirmation);
                ctx.reply().nullBulk();
                ctx.reply().integer(count(client, kind));
                return;
            }
        } else {
            for (int i = 1; i < ctx.argc(); i++) {
                names.add(Bytes.wrap(ctx.arg(i)));
            }
        }
        for (Bytes name : names) {
            if (mine.remove(name)) {
                pubsub.unsubscribe(kind, name, client);
            }
            client.subscriptionsChanged();
            confirm(ctx.reply(), confirmation, name.array(), count(client, kind));
        }
    }

    /** The count a (un)subscribe confirmation carries: channels and patterns, or shard channels. */
    private static int count(ClientConnection client, Kind kind) {
        return kind == Kind.SHARD ? client.shardChannelCount() : client.channelCount() + client.patternCount();
    }

    private static void confirm(ReplyWriter r, byte[] what, byte[] name, int count) {
        r.pushHeader(3);
        r.bulk(what);
        r.bulk(name);
        r.integer(count);
    }

    /** PING of a RESP2 client in subscribed mode: {@code ["pong", message or ""]}. */
    static void subscribedPing(CommandContext ctx) {
        ctx.reply().arrayHeader(2);
        ctx.reply().bulk(PONG);
        ctx.reply().bulk(ctx.argc() == 2 ? ctx.arg(1) : EMPTY);
    }

    // ------------------------------------------------------------------ publishing

    private static void publish(CommandContext ctx, boolean shard) {
        PubSub pubsub = ctx.node().pubsub();
        byte[] channel = ctx.arg(1);
        byte[] message = ctx.arg(2);
        long local = pubsub.deliver(shard, channel, message);
        PubSub.Peers peers = pubsub.peers();
        CompletableFuture<Long> remote = peers == null ? null : peers.publish(shard, channel, message);
        if (remote == null || !ctx.mayReplyLater()) {
            ctx.reply().integer(local);
            return;
        }
        AwaitingAcks reply = new AwaitingAcks();
        remote.whenComplete((others, error) -> reply.complete(
                client -> client.reply().integer(local + (others == null ? 0 : others))));
        ctx.replyLater(reply);
    }

    // ------------------------------------------------------------------ PUBSUB

    private static void names(CommandContext ctx, Question question) {
        if (ctx.argc() > 3) {
            throw new CommandException("ERR unknown subcommand or wrong number of arguments for '"
                    + ctx.argString(1) + "'. Try PUBSUB HELP.");
        }
        Query query = new Query(question, Arrays.copyOfRange(ctx.args(), 2, ctx.argc()));
        ask(ctx, query, (client, mine, others) -> client.reply().bulkArray(PubSub.union(mine, others)));
    }

    private static void numpat(CommandContext ctx) {
        ask(ctx, new Query(Question.PATTERNS, new byte[0][]),
                (client, mine, others) -> client.reply().integer(PubSub.union(mine, others).length));
    }

    private static void counts(CommandContext ctx, Question question) {
        byte[][] channels = Arrays.copyOfRange(ctx.args(), 2, ctx.argc());
        ask(ctx, new Query(question, channels), (client, mine, others) -> {
            long[] total = PubSub.sum(mine, others);
            ReplyWriter r = client.reply();
            r.arrayHeader(2 * channels.length);
            for (int i = 0; i < channels.length; i++) {
                r.bulk(channels[i]);
                r.integer(total[i]);
            }
        });
    }

    /** How a PUBSUB reply is written from this node's answer and the other nodes'. */
    @FunctionalInterface
    private interface Merge {
        void write(ClientConnection client, Answer mine, List<Answer> others);
    }

    /** Answers {@code query} from this node and, in a cluster, every other node that can be reached. */
    private static void ask(CommandContext ctx, Query query, Merge merge) {
        PubSub pubsub = ctx.node().pubsub();
        Answer mine = pubsub.answer(query);
        PubSub.Peers peers = pubsub.peers();
        CompletableFuture<List<Answer>> others = peers == null || !ctx.mayReplyLater() ? null : peers.ask(query);
        if (others == null) {
            merge.write(ctx.connection(), mine, List.of());
            return;
        }
        AwaitingAcks reply = new AwaitingAcks();
        others.whenComplete((answers, error) -> reply.complete(
                client -> merge.write(client, mine, answers == null ? List.of() : answers)));
        ctx.replyLater(reply);
    }

    private static void help(CommandContext ctx) {
        ctx.reply().simpleArray(
                "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "CHANNELS [<pattern>]",
                "    Return the currently active channels matching a <pattern> (default: '*').",
                "NUMPAT",
                "    Return number of subscriptions to patterns.",
                "NUMSUB [<channel> ...]",
                "    Return the number of subscribers for the specified channels, excluding",
                "    pattern subscriptions(default: no channels).",
                "SHARDCHANNELS [<pattern>]",
                "    Return the currently active shard level channels matching a <pattern> (default: '*').",
                "SHARDNUMSUB [<shardchannel> ...]",
                "    Return the number of subscribers for the specified shard level channel(s)",
                "HELP",
                "    Prints this help.");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
