package io.converge.server.command;

import io.converge.server.protocol.ReplyWriter;

import static io.converge.server.command.AclCategory.CONNECTION;
import static io.converge.server.command.CommandFlag.ADMIN;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.STALE;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The CLIENT command: ID, SETNAME, GETNAME, INFO, LIST, SETINFO, KILL, NO-EVICT, NO-TOUCH, HELP.
 */
public final class ClientCommands {

    /** Registers CLIENT and its subcommands in {@code table}. */
    public static void register(CommandTable table) {
        ClientCommands c = new ClientCommands();
        CommandSpec.Builder client = CommandSpec.builder("client").arity(-2).group("connection")
                .summary("A container for client connection commands.").complexity("Depends on subcommand.");
        client.subcommand(sub("id", 2, "Returns the unique client ID of the connection.", c::id)
                .flags(NOSCRIPT, LOADING, STALE));
        client.subcommand(sub("setname", 3, "Sets the connection name.", c::setname)
                .flags(NOSCRIPT, LOADING, STALE).since("2.6.9"));
        client.subcommand(sub("getname", 2, "Returns the name of the connection.", c::getname)
                .flags(NOSCRIPT, LOADING, STALE).since("2.6.9"));
        client.subcommand(sub("info", 2, "Returns information about the connection.", c::info)
                .flags(NOSCRIPT, LOADING, STALE).tips("nondeterministic_output").since("6.2.0"));
        client.subcommand(sub("list", -2, "Lists open connections.", c::list)
                .flags(ADMIN, NOSCRIPT, LOADING, STALE).tips("nondeterministic_output").since("2.4.0"));
        client.subcommand(sub("setinfo", 4, "Sets information specific to the client or connection.", c::setinfo)
                .flags(NOSCRIPT, LOADING, STALE).tips("request_policy:all_nodes", "response_policy:all_succeeded")
                .since("7.2.0"));
        client.subcommand(sub("kill", -3, "Terminates open connections.", c::kill)
                .flags(ADMIN, NOSCRIPT, LOADING, STALE).since("2.4.0"));
        client.subcommand(sub("unblock", -3, "Unblocks a client blocked by a blocking command from a different connection.",
                c::unblock).flags(ADMIN, NOSCRIPT, LOADING, STALE).since("5.0.0")
                .complexity("O(log N) where N is the number of client connections"));
        client.subcommand(sub("tracking", -3, "Controls server-assisted client-side caching for the connection.",
                c::tracking).flags(NOSCRIPT, LOADING, STALE).since("6.0.0")
                .complexity("O(1). Some options may introduce additional complexity."));
        client.subcommand(sub("caching", 3, "Instructs the server whether to track the keys in the next request.",
                c::caching).flags(NOSCRIPT, LOADING, STALE).since("6.0.0"));
        client.subcommand(sub("getredir", 2, "Returns the client ID to which the connection's tracking notifications "
                + "are redirected.", c::getredir).flags(NOSCRIPT, LOADING, STALE).since("6.0.0"));
        client.subcommand(sub("trackinginfo", 2, "Returns information about server-assisted client-side caching for "
                + "the connection.", c::trackinginfo).flags(NOSCRIPT, LOADING, STALE).since("6.2.0"));
        client.subcommand(sub("no-evict", 3, "Sets the client eviction mode of the connection.", c::noEvict)
                .flags(ADMIN, NOSCRIPT, LOADING, STALE).since("7.0.0"));
        client.subcommand(sub("no-touch", 3, "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", c::noTouch)
                .flags(NOSCRIPT, LOADING, STALE).since("7.2.0"));
        client.subcommand(CommandSpec.builder("help").arity(2).flags(LOADING, STALE).acl(CONNECTION)
                .group("connection").since("5.0.0").summary("Returns helpful text about the different subcommands.")
                .complexity("O(1)").handler(c::help));
        table.register(client.build());
    }

    private static CommandSpec.Builder sub(String name, int arity, String summary, CommandHandler handler) {
        return CommandSpec.builder(name).arity(arity).acl(CONNECTION).group("connection").summary(summary)
                .complexity("O(1)").handler(handler);
    }

    /** CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 if that client was blocked here (it answers as on timeout, or with UNBLOCKED). */
    private void unblock(CommandContext ctx) {
        long id = ctx.argLong(2);
        String error = null;
        if (ctx.argc() == 4) {
            if (ctx.argIs(3, "error")) {
                error = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
            } else if (!ctx.argIs(3, "timeout")) {
                throw new CommandException("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            }
        } else if (ctx.argc() > 4) {
            throw Errors.SYNTAX_ERROR;
        }
        ctx.reply().integer(ctx.node().blocked().unblock(id, error) ? 1 : 0);
    }

    private void id(CommandContext ctx) {
        ctx.reply().integer(ctx.connection().id());
    }

    private void setname(CommandContext ctx) {
        setName(ctx.connection(), ctx.arg(2));
        ctx.reply().ok();
    }

    /**
     * Sets (or with an empty name clears) the client name, refusing spaces and special characters
     * as Redis does so that CLIENT LIST stays parseable.
     */
    static void setName(ClientConnection client, byte[] name) {
        if (name.length == 0) {
            client.name(null);
            return;
        }
        if (!isPrintableWithoutSpaces(name)) {
            throw new CommandException("ERR Client names cannot contain spaces, newlines or special characters.");
        }
        client.name(new String(name, StandardCharsets.US_ASCII));
    }

    private static boolean isPrintableWithoutSpaces(byte[] value) {
        for (byte b : value) {
            if (b < '!' || b > '~') {
                return false;
            }
        }
        return true;
    }

    private void getname(CommandContext ctx) {
        String name = ctx.connection().name();
        if (name == null) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().bulk(name);
        }
    }

    private void info(CommandContext ctx) {
        ctx.reply().verbatim(describe(ctx.connection()));
    }

    private void list(CommandContext ctx) {
        Set<Long> ids = null;
        boolean typeNone = false;
        if (ctx.argc() == 4 && ctx.argIs(2, "type")) {
            String type = ctx.argString(3).toLowerCase(java.util.Locale.ROOT);
            switch (type) {
                case "normal" -> { }
                case "master", "replica", "slave", "pubsub" -> typeNone = true;
                default -> throw new CommandException("ERR Unknown client type '" + ctx.argString(3) + "'");
            }
        } else if (ctx.argc() > 3 && ctx.argIs(2, "id")) {
            ids = new HashSet<>();
            for (int j = 3; j < ctx.argc(); j++) {
                long id;
                try {
                    id = ctx.argLong(j);
                } catch (CommandException e) {
                    throw new CommandException("ERR Invalid client ID");
                }
                ids.add(id);
            }
        } else if (ctx.argc() != 2) {
            throw Errors.SYNTAX_ERROR;
        }
        StringBuilder out = new StringBuilder();
        if (!typeNone) {
            for (ClientConnection c : ctx.node().clients().all()) {
                if (ids == null || ids.contains(c.id())) {
                    out.append(describe(c));
                }
            }
        }
        ctx.reply().verbatim(out.toString());
    }

    /** One CLIENT LIST line (with its trailing newline), in Redis's field order. */
    public static String describe(ClientConnection c) {
        long now = System.currentTimeMillis();
        StringBuilder flags = new StringBuilder();
        if (c.monitoring()) {
            flags.append('O');
        }
        if (c.subscribed()) {
            flags.append('P');
        }
        if (c.inMulti()) {
            flags.append('x');
        }
        if (c.noEvict()) {
            flags.append('e');
        }
        if (c.noTouch()) {
            flags.append('T');
        }
        if (flags.isEmpty()) {
            flags.append('N');
        }
        CommandSpec last = c.lastCommand();
        long qbuf = c.channel().queryBufferBytes();
        long omem = c.channel().outputBufferBytes();
        String name = c.name();
        String lib = c.libName();
        String libVer = c.libVersion();
        return "id=" + c.id()
                + " addr=" + c.channel().remoteAddress()
                + " laddr=" + c.channel().localAddress()
                + " fd=" + c.channel().fileDescriptor()
                + " name=" + (name == null ? "" : name)
                + " age=" + (now - c.createdMillis()) / 1000
                + " idle=" + (now - c.lastInteractionMillis()) / 1000
                + " flags=" + flags
                + " db=" + c.db()
                + " sub=" + c.channelCount() + " psub=" + c.patternCount() + " ssub=" + c.shardChannelCount()
                + " multi=" + c.queuedCount()
                + " qbuf=" + qbuf
                + " qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0"
                + " obl=" + omem
                + " oll=0"
                + " omem=" + omem
                + " tot-mem=" + (qbuf + omem)
                + " events=r"
                + " cmd=" + (last == null ? "NULL" : last.fullName())
                + " user=" + c.user()
                + " redir=-1"
                + " resp=" + c.protocol()
                + " lib-name=" + (lib == null ? "" : lib)
                + " lib-ver=" + (libVer == null ? "" : libVer)
                + "\n";
    }

    private void setinfo(CommandContext ctx) {
        ClientConnection client = ctx.connection();
        boolean isName = ctx.argIs(2, "lib-name");
        if (!isName && !ctx.argIs(2, "lib-ver")) {
            throw new CommandException("ERR Unrecognized option '" + ctx.argString(2) + "'");
        }
        byte[] value = ctx.arg(3);
        if (!isPrintableWithoutSpaces(value) && value.length > 0) {
            throw new CommandException("ERR " + ctx.argString(2) + " cannot contain spaces, newlines or special characters.");
        }
        String text = value.length == 0 ? null : new String(value, StandardCharsets.US_ASCII);
        if (isName) {
            client.libName(text);
        } else {
            client.libVersion(text);
        }
        ctx.reply().ok();
    }

    private void kill(CommandContext ctx) {
        ClientConnection self = ctx.connection();
        List<ClientConnection> all = ctx.node().clients().all();
        if (ctx.argc() == 3) {
            // Old form: CLIENT KILL addr:port -> +OK or error.
            String addr = ctx.argString(2);
            for (ClientConnection c : all) {
                if (c.channel().remoteAddress().equals(addr)) {
                    killClient(self, c);
                    ctx.reply().ok();
                    return;
                }
            }
            throw new CommandException("ERR No such client");
        }
        if (ctx.argc() % 2 != 0) {
            throw Errors.SYNTAX_ERROR;
        }
        Long id = null;
        String addr = null;
        String laddr = null;
        String user = null;
        boolean typeNone = false;
        boolean skipMe = true;
        for (int i = 2; i < ctx.argc(); i += 2) {
            String value = ctx.argString(i + 1);
            if (ctx.argIs(i, "id")) {
                long v;
                try {
                    v = ctx.argLong(i + 1);
                } catch (CommandException e) {
                    throw new CommandException("ERR client-id should be greater than 0");
                }
                if (v <= 0) {
                    throw new CommandException("ERR client-id should be greater than 0");
                }
                id = v;
            } else if (ctx.argIs(i, "type")) {
                switch (value.toLowerCase(java.util.Locale.ROOT)) {
                    case "normal" -> { }
                    case "master", "replica", "slave", "pubsub" -> typeNone = true;
                    default -> throw new CommandException("ERR Unknown client type '" + value + "'");
                }
            } else if (ctx.argIs(i, "addr")) {
                addr = value;
            } else if (ctx.argIs(i, "laddr")) {
                laddr = value;
            } else if (ctx.argIs(i, "user")) {
                if (!userExists(ctx, value)) {
                    throw new CommandException("ERR No such user '" + value + "'");
                }
                user = value;
            } else if (ctx.argIs(i, "skipme")) {
                if (ctx.argIs(i + 1, "yes")) {
                    skipMe = true;
                } else if (ctx.argIs(i + 1, "no")) {
                    skipMe = false;
                } else {
                    throw Errors.SYNTAX_ERROR;
                }
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        List<ClientConnection> victims = new ArrayList<>();
        if (!typeNone) {
            for (ClientConnection c : all) {
                if ((id != null && c.id() != id)
                        || (addr != null && !c.channel().remoteAddress().equals(addr))
                        || (laddr != null && !c.channel().localAddress().equals(laddr))
                        || (user != null && !c.user().equals(user))
                        || (skipMe && c == self)) {
                    continue;
                }
                victims.add(c);
            }
        }
        for (ClientConnection c : victims) {
            killClient(self, c);
        }
        ctx.reply().integer(victims.size());
    }

    private static boolean userExists(CommandContext ctx, String name) {
        return ctx.node().acl().exists(name);
    }

    private static void killClient(ClientConnection self, ClientConnection victim) {
        if (victim == self) {
            self.closeAfterReply(true); // reply first, as Redis does
        } else {
            victim.channel().close();
        }
    }

    /** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP], checked as Redis 7.0 does. */
    private void tracking(CommandContext ctx) {
        ClientConnection client = ctx.connection();
        boolean bcast = false;
        boolean optin = false;
        boolean optout = false;
        boolean noloop = false;
        long redirect = 0;
        List<byte[]> prefixes = new ArrayList<>();
        for (int i = 3; i < ctx.argc(); i++) {
            boolean more = i + 1 < ctx.argc();
            if (ctx.argIs(i, "redirect") && more) {
                if (redirect != 0) {
                    throw new CommandException("ERR A client can only redirect to a single other client");
                }
                redirect = ctx.argLong(++i);
                if (ctx.node().clients().byId(redirect) == null) {
                    throw new CommandException("ERR The client ID you want redirect to does not exist");
                }
            } else if (ctx.argIs(i, "bcast")) {
                bcast = true;
            } else if (ctx.argIs(i, "optin")) {
                optin = true;
            } else if (ctx.argIs(i, "optout")) {
                optout = true;
            } else if (ctx.argIs(i, "noloop")) {
                noloop = true;
            } else if (ctx.argIs(i, "prefix") && more) {
                prefixes.add(ctx.arg(++i));
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        ClientTracking.Mode current = client.tracking();
        if (ctx.argIs(2, "on")) {
            if (!prefixes.isEmpty() && !bcast) {
                throw new CommandException("ERR PREFIX option requires BCAST mode to be enabled");
            }
            if (current != null && current.bcast() != bcast) {
                throw new CommandException("ERR You can't switch BCAST mode on/off before disabling tracking for this "
                        + "client, and then re-enabling it with a different mode.");
            }
            if (optin && optout) {
                throw new CommandException("ERR You can't specify both OPTIN mode and OPTOUT mode");
            }
            if (current != null && ((optin && current.optout()) || (optout && current.optin()))) {
                throw new CommandException("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this "
                        + "client, and then re-enabling it with a different mode.");
            }
            if ((optin || optout) && bcast) {
                throw new CommandException("ERR OPTIN and OPTOUT are not compatible with BCAST");
            }
            List<byte[]> existing = current == null ? List.of() : current.prefixes();
            String overlap = ClientTracking.overlap(existing, prefixes);
            if (overlap != null) {
                throw new CommandException(overlap);
            }
            List<byte[]> all = new ArrayList<>(existing);
            all.addAll(prefixes);
            all.sort(Arrays::compareUnsigned); // Redis keeps them in a radix tree: listed in byte order
            ctx.node().tracking().enable(client, new ClientTracking.Mode(bcast, optin, optout, noloop, redirect,
                    List.copyOf(all)));
        } else if (ctx.argIs(2, "off")) {
            ctx.node().tracking().disable(client);
        } else {
            throw Errors.SYNTAX_ERROR;
        }
        ctx.reply().ok();
    }

    /** CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN / OPTOUT modes). */
    private void caching(CommandContext ctx) {
        ClientConnection client = ctx.connection();
        ClientTracking.Mode mode = client.tracking();
        if (mode == null) {
            throw new CommandException("ERR CLIENT CACHING can be called only when the client is in tracking mode "
                    + "with OPTIN or OPTOUT mode enabled");
        }
        if (ctx.argIs(2, "yes")) {
            if (!mode.optin()) {
                throw new CommandException("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
            }
            client.caching(true);
        } else if (ctx.argIs(2, "no")) {
            if (!mode.optout()) {
                throw new CommandException("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
            }
            client.caching(false);
        } else {
            throw Errors.SYNTAX_ERROR;
        }
        ctx.reply().ok();
    }

    /** CLIENT GETREDIR: -1 when tracking is off, 0 without redirection, else the client id. */
    private void getredir(CommandContext ctx) {
        ClientTracking.Mode mode = ctx.connection().tracking();
        ctx.reply().integer(mode == null ? -1 : mode.redirect());
    }

    /** CLIENT TRACKINGINFO: flags, redirect and prefixes, as Redis 7.0 reports them. */
    private void trackinginfo(CommandContext ctx) {
        ClientConnection client = ctx.connection();
        ClientTracking.Mode mode = client.tracking();
        List<String> flags = new ArrayList<>();
        if (mode == null) {
            flags.add("off");
        } else {
            flags.add("on");
            if (mode.bcast()) {
                flags.add("bcast");
            }
            if (mode.optin()) {
                flags.add("optin");
                if (Boolean.TRUE.equals(client.caching())) {
                    flags.add("caching-yes");
                }
            }
            if (mode.optout()) {
                flags.add("optout");
                if (Boolean.FALSE.equals(client.caching())) {
                    flags.add("caching-no");
                }
            }
            if (mode.noloop()) {
                flags.add("noloop");
            }
            if (mode.redirect() > 0 && ctx.node().clients().byId(mode.redirect()) == null) {
                flags.add("broken_redirect");
            }
        }
        ReplyWriter reply = ctx.reply();
        reply.mapHeader(3);
        reply.bulk("flags");
        reply.setHeader(flags.size());
        for (String f : flags) {
            reply.bulk(f);
        }
        reply.bulk("redirect");
        reply.integer(mode == null ? -1 : mode.redirect());
        reply.bulk("prefixes");
        List<byte[]> prefixes = mode == null ? List.of() : mode.prefixes();
        reply.arrayHeader(prefixes.size());
        for (byte[] p : prefixes) {
            reply.bulk(p);
        }
    }

    private void noEvict(CommandContext ctx) {
        ctx.connection().noEvict(onOff(ctx));
        ctx.reply().ok();
    }

    private void noTouch(CommandContext ctx) {
        ctx.connection().noTouch(onOff(ctx));
        ctx.reply().ok();
    }

    private static boolean onOff(CommandContext ctx) {
        if (ctx.argIs(2, "on")) {
            return true;
        }
        if (ctx.argIs(2, "off")) {
            return false;
        }
        throw Errors.SYNTAX_ERROR;
    }

    private void help(CommandContext ctx) {
        ctx.reply().simpleArray(
                "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GETNAME",
                "    Return the name of the current connection.",
                "ID",
                "    Return the ID of the current connection.",
                "INFO",
                "    Return information about the current client connection.",
                "KILL <ip:port>",
                "    Kill connection made from <ip:port>.",
                "KILL <option> <value> [<option> <value> [...]]",
                "    Kill connections. Options are:",
                "    * ADDR (<ip:port>|<unixsocket>:0)",
                "      Kill connections made from the specified address",
                "    * LADDR (<ip:port>|<unixsocket>:0)",
                "      Kill connections made to specified local address",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "      Kill connections by type.",
                "    * USER <username>",
                "      Kill connections authenticated by <username>.",
                "    * SKIPME (YES|NO)",
                "      Skip killing current connection (default: yes).",
                "    * ID <client-id>",
                "      Kill connections by client id.",
                "LIST [options ...]",
                "    Return information about client connections. Options:",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "      Return clients of specified type.",
                "    * ID <client-id> [<client-id> ...]",
                "      Return clients of specified IDs only.",
                "SETNAME <name>",
                "    Assign the name <name> to the current connection.",
                "SETINFO <option> <value>",
                "    Set client meta attr. Options are:",
                "    * LIB-NAME: the client lib name.",
                "    * LIB-VER: the client lib version.",
                "NO-EVICT (ON|OFF)",
                "    Protect current client connection from eviction.",
                "NO-TOUCH (ON|OFF)",
                "    Will not touch LRU/LFU stats when this mode is on.",
                "HELP",
                "    Print this help.");
    }
}
