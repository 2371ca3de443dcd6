package io.converge.server.command;

import static io.converge.server.command.AclCategory.CONNECTION;
import static io.converge.server.command.CommandFlag.ALLOW_BUSY;
import static io.converge.server.command.CommandFlag.ENDS_TRANSACTION;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.NO_AUTH;
import static io.converge.server.command.CommandFlag.STALE;
import static io.converge.server.command.CommandFlag.TRANSACTION_CONTROL;

import io.converge.server.command.acl.AclUser;
import io.converge.server.node.Version;
import io.converge.server.protocol.ReplyWriter;
import java.nio.charset.StandardCharsets;

/** Connection commands: PING, ECHO, HELLO, AUTH (against the node's ACL users), SELECT, QUIT, RESET. */
public final class ConnectionCommands {
    private static final byte[] PONG = "+PONG\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESET = "+RESET\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DEFAULT_USER = "default".getBytes(StandardCharsets.US_ASCII);
    private static final String HELLO_NOAUTH = "NOAUTH HELLO must be called with the client already authenticated, "
            + "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
            + "the RESP protocol version at the same time";
    private static final String AUTH_WITHOUT_PASSWORD = "ERR AUTH <password> called without any password configured "
            + "for the default user. Are you sure your configuration is correct?";

    /** Registers the family in {@code table}. */
    public static void register(CommandTable table) {
        ConnectionCommands c = new ConnectionCommands();
        table.register(CommandSpec.builder("ping").arity(-1).flags(FAST).acl(CONNECTION)
                .tips("request_policy:all_shards", "response_policy:all_succeeded")
                .group("connection").summary("Returns the server's liveliness response.").complexity("O(1)")
                .handler(c::ping).build());
        table.register(CommandSpec.builder("echo").arity(2).flags(LOADING, STALE, FAST).acl(CONNECTION)
                .group("connection").summary("Returns the given string.").complexity("O(1)")
                .handler(c::echo).build());
        table.register(CommandSpec.builder("hello").arity(-1).flags(NOSCRIPT, LOADING, STALE, FAST, NO_AUTH, ALLOW_BUSY)
                .acl(CONNECTION).group("connection").since("6.0.0").complexity("O(1)")
                .summary("Handshakes with the server: protocol version, authentication, client name.")
                .handler(c::hello).build());
        table.register(CommandSpec.builder("auth").arity(-2).flags(NOSCRIPT, LOADING, STALE, FAST, NO_AUTH, ALLOW_BUSY)
                .acl(CONNECTION).group("connection").summary("Authenticates the connection.")
                .complexity("O(N) where N is the number of passwords defined for the user")
                .handler(c::auth).build());
        table.register(CommandSpec.builder("select").arity(2).flags(LOADING, STALE, FAST).acl(CONNECTION)
                .group("connection").summary("Changes the selected database (only database 0 exists).")
                .complexity("O(1)").handler(c::select).build());
        table.register(CommandSpec.builder("quit").arity(-1)
                .flags(NOSCRIPT, LOADING, STALE, FAST, NO_AUTH, ALLOW_BUSY, TRANSACTION_CONTROL, ENDS_TRANSACTION).acl(CONNECTION)
                .group("connection").summary("Closes the connection.").complexity("O(1)")
                .handler(c::quit).build());
        table.register(CommandSpec.builder("reset").arity(1)
                .flags(NOSCRIPT, LOADING, STALE, FAST, NO_AUTH, ALLOW_BUSY, TRANSACTION_CONTROL, ENDS_TRANSACTION).acl(CONNECTION)
                .group("connection").since("6.2.0").summary("Resets the connection.").complexity("O(1)")
                .handler(c::reset).build());
    }

    private void ping(CommandContext ctx) {
        if (ctx.argc() > 2) {
            // Redis checks this in the handler, so it counts as a failed (not rejected) call.
            throw new CommandException(Errors.wrongArity("ping"));
        }
        if (ctx.connection().subscribed() && ctx.connection().protocol() == 2) {
            PubSubCommands.subscribedPing(ctx);
        } else if (ctx.argc() == 1) {
            ctx.reply().raw(PONG);
        } else {
            ctx.reply().bulk(ctx.arg(1));
        }
    }

    private void echo(CommandContext ctx) {
        ctx.reply().bulk(ctx.arg(1));
    }

    private void hello(CommandContext ctx) {
        ClientConnection client = ctx.connection();
        long version = 0;
        int next = 1;
        if (ctx.argc() >= 2) {
            try {
                version = ctx.argLong(next++);
            } catch (CommandException e) {
                throw new CommandException("ERR Protocol version is not an integer or out of range");
            }
            if (version < 2 || version > 3) {
                throw new CommandException("NOPROTO unsupported protocol version");
            }
        }
        for (int j = next; j < ctx.argc(); j++) {
            int more = ctx.argc() - 1 - j;
            if (ctx.argIs(j, "auth") && more >= 2) {
                if (!ctx.node().acl().authenticate(client, ctx.arg(0), ctx.arg(j + 1), ctx.arg(j + 2))) {
                    throw new CommandException(Errors.WRONGPASS);
                }
                j += 2;
            } else if (ctx.argIs(j, "setname") && more >= 1) {
                ClientCommands.setName(client, ctx.arg(j + 1));
                j++;
            } else {
                throw new CommandException("ERR Syntax error in HELLO option '" + ctx.argString(j) + "'");
            }
        }
        if (!client.isAuthenticated()) {
            throw new CommandException(HELLO_NOAUTH);
        }
        if (version != 0) {
            client.protocol((int) version);
        }
        ReplyWriter r = ctx.reply();
        r.mapHeader(7);
        r.bulk("server");
        r.bulk("converge");
        r.bulk("version");
        r.bulk(Version.REDIS_COMPATIBLE);
        r.bulk("proto");
        r.integer(client.protocol());
        r.bulk("id");
        r.integer(client.id());
        r.bulk("mode");
        r.bulk("standalone");
        r.bulk("role");
        r.bulk("master");
        r.bulk("modules");
        r.emptyArray();
    }

    private void auth(CommandContext ctx) {
        if (ctx.argc() > 3) {
            throw Errors.SYNTAX_ERROR;
        }
        byte[] user;
        byte[] password;
        if (ctx.argc() == 2) {
            if (ctx.node().acl().defaultUserHasNoPassword()) {
                throw new CommandException(AUTH_WITHOUT_PASSWORD);
            }
            user = DEFAULT_USER;
            password = ctx.arg(1);
        } else {
            user = ctx.arg(1);
            password = ctx.arg(2);
        }
        if (!ctx.node().acl().authenticate(ctx.connection(), ctx.arg(0), user, password)) {
            throw new CommandException(Errors.WRONGPASS);
        }
        ctx.reply().ok();
    }

    private void select(CommandContext ctx) {
        long index = ctx.argLong(1);
        if (index != 0) {
            throw new CommandException("ERR DB index is out of range");
        }
        ctx.connection().db(0);
        ctx.reply().ok();
    }

    private void quit(CommandContext ctx) {
        ctx.reply().ok();
        ctx.connection().closeAfterReply(true);
    }

    private void reset(CommandContext ctx) {
        ClientConnection client = ctx.connection();
        client.endMulti();
        client.unwatchAll();
        client.db(0);
        client.protocol(2);
        AclUser defaultUser = ctx.node().acl().defaultUser();
        client.authenticated(defaultUser.openWithoutPassword(), defaultUser);
        client.name(null);
        client.noEvict(false);
        client.noTouch(false);
        ctx.node().pubsub().forget(client);
        ctx.node().monitor().forget(client);
        ctx.reply().raw(RESET);
    }
}
