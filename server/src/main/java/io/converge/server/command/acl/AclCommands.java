package io.converge.server.command.acl;

import static io.converge.server.command.CommandFlag.ADMIN;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.STALE;

import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandHandler;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.CommandTable;
import io.converge.server.command.Errors;
import io.converge.server.protocol.ReplyWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The ACL command (SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, LOG, DRYRUN, GENPASS,
 * SAVE, LOAD, HELP) with Redis 7.0's replies and errors, over the node's {@link Acl}.
 */
public final class AclCommands {
    private static final String NO_ACLFILE = "ERR This Redis instance is not configured to use an ACL file. You may "
            + "want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have "
            + "a Redis configuration file set) in order to store users in the Redis configuration.";
    private static final int GENPASS_MAX_BITS = 4096;

    private AclCommands() {}

    /** Registers ACL and its subcommands in {@code table}. */
    public static void register(CommandTable table) {
        CommandSpec.Builder acl = CommandSpec.builder("acl").arity(-2).acl(AclCategory.SLOW).group("server")
                .since("6.0.0").summary("A container for Access List Control commands ")
                .complexity("Depends on subcommand.");
        acl.subcommand(sub("cat", -2, false, "List the ACL categories or the commands inside a category",
                "O(1) since the categories and commands are a fixed set.", AclCommands::cat));
        acl.subcommand(sub("deluser", -3, true, "Remove the specified ACL users and the associated rules",
                "O(1) amortized time considering the typical user.", AclCommands::deluser));
        acl.subcommand(sub("dryrun", -4, true,
                "Returns whether the user can execute the given command without executing the command.", "O(1).",
                AclCommands::dryrun).since("7.0.0"));
        acl.subcommand(sub("genpass", -2, false, "Generate a pseudorandom secure password to use for ACL users",
                "O(1)", AclCommands::genpass));
        acl.subcommand(sub("getuser", 3, true, "Get the rules for a specific ACL user",
                "O(N). Where N is the number of password, command and pattern rules that the user has.",
                AclCommands::getuser));
        acl.subcommand(CommandSpec.builder("help").arity(2).flags(LOADING, STALE).acl(AclCategory.SLOW)
                .group("server").since("6.0.0").summary("Show helpful text about the different subcommands")
                .complexity("O(1)").handler(AclCommands::help));
        acl.subcommand(sub("list", 2, true, "List the current ACL rules in ACL config file format",
                "O(N). Where N is the number of configured users.", AclCommands::list));
        acl.subcommand(sub("load", 2, true, "Reload the ACLs from the configured ACL file",
                "O(N). Where N is the number of configured users.", AclCommands::load));
        acl.subcommand(sub("log", -2, true, "List latest events denied because of ACLs in place",
                "O(N) with N being the number of entries shown.", AclCommands::log));
        acl.subcommand(sub("save", 2, true, "Save the current ACL rules in the configured ACL file",
                "O(N). Where N is the number of configured users.", AclCommands::save));
        acl.subcommand(sub("setuser", -3, true, "Modify or create the rules for a specific ACL user",
                "O(N). Where N is the number of rules provided.", AclCommands::setuser));
        acl.subcommand(sub("users", 2, true, "List the username of all the configured ACL rules",
                "O(N). Where N is the number of configured users.", AclCommands::users));
        acl.subcommand(sub("whoami", 2, false, "Return the name of the user associated to the current connection",
                "O(1)", AclCommands::whoami));
        table.register(acl.build());
    }

    private static CommandSpec.Builder sub(String name, int arity, boolean admin, String summary, String complexity,
                                           CommandHandler handler) {
        CommandFlag[] flags = admin ? new CommandFlag[] {ADMIN, NOSCRIPT, LOADING, STALE}
                : new CommandFlag[] {NOSCRIPT, LOADING, STALE};
        return CommandSpec.builder(name).arity(arity).flags(flags).acl(AclCategory.SLOW).group("server")
                .since("6.0.0").summary(summary).complexity(complexity).handler(handler);
    }

    private static Acl acl(CommandContext ctx) {
        return ctx.node().acl();
    }

    private static CommandException syntax(CommandContext ctx) {
        return new CommandException("ERR unknown subcommand or wrong number of arguments for '"
                + truncate(ctx.argString(1)) + "'. Try ACL HELP.");
    }

    private static String truncate(String s) {
        return s.length() > 128 ? s.substring(0, 128) : s;
    }

    private static void setuser(CommandContext ctx) {
        String name = AclText.of(ctx.arg(2));
        if (AclText.hasSpaces(name)) {
            throw new CommandException("ERR Usernames can't contain spaces or null characters");
        }
        List<String> ops = new ArrayList<>();
        for (int i = 3; i < ctx.argc(); i++) {
            ops.add(AclText.of(ctx.arg(i)));
        }
        int[] unmatched = new int[1];
        List<String> merged = AclRules.mergeSelectorArguments(ops, unmatched);
        if (merged == null) {
            throw new CommandException("ERR Unmatched parenthesis in acl selector starting at '"
                    + ops.get(unmatched[0]) + "'.");
        }
        String error = acl(ctx).setUser(name, merged);
        if (error != null) {
            throw new CommandException(error);
        }
        ctx.reply().ok();
    }

    private static void deluser(CommandContext ctx) {
        List<String> names = new ArrayList<>();
        for (int i = 2; i < ctx.argc(); i++) {
            String name = AclText.of(ctx.arg(i));
            if (name.equals("default")) {
                throw new CommandException("ERR The 'default' user cannot be removed");
            }
            names.add(name);
        }
        ctx.reply().integer(acl(ctx).deleteUsers(names, ctx.connection()));
    }

    private static void getuser(CommandContext ctx) {
        AclUser user = acl(ctx).user(AclText.of(ctx.arg(2)));
        ReplyWriter r = ctx.reply();
        if (user == null) {
            r.nullBulk();
            return;
        }
        UserRules rules = user.rules();
        AclDescriber describer = acl(ctx).describer();
        r.mapHeader(6);
        r.bulk("flags");
        int flags = 0;
        for (int f : UserRules.FLAGS) {
            flags += rules.has(f) ? 1 : 0;
        }
        r.setHeader(flags);
        for (int i = 0; i < UserRules.FLAGS.length; i++) {
            if (rules.has(UserRules.FLAGS[i])) {
                r.bulk(UserRules.FLAG_NAMES[i]);
            }
        }
        r.bulk("passwords");
        r.arrayHeader(rules.passwords.size());
        for (String p : rules.passwords) {
            r.bulk(p);
        }
        selectorFields(r, describer, rules.root());
        r.bulk("selectors");
        r.arrayHeader(rules.selectors.size() - 1);
        for (AclSelector s : rules.selectors.subList(1, rules.selectors.size())) {
            r.mapHeader(3);
            selectorFields(r, describer, s);
        }
    }

    private static void selectorFields(ReplyWriter r, AclDescriber describer, AclSelector s) {
        r.bulk("commands");
        r.bulk(AclText.bytes(describer.commands(s)));
        r.bulk("keys");
        r.bulk(AclText.bytes(AclDescriber.keys(s)));
        r.bulk("channels");
        r.bulk(AclText.bytes(AclDescriber.channels(s)));
    }

    private static void list(CommandContext ctx) {
        List<AclUser> users = acl(ctx).users();
        AclDescriber describer = acl(ctx).describer();
        ReplyWriter r = ctx.reply();
        r.arrayHeader(users.size());
        for (AclUser u : users) {
            r.bulk(AclText.bytes("user " + u.name() + " " + describer.user(u.rules())));
        }
    }

    private static void users(CommandContext ctx) {
        List<AclUser> users = acl(ctx).users();
        ReplyWriter r = ctx.reply();
        r.arrayHeader(users.size());
        for (AclUser u : users) {
            r.bulk(AclText.bytes(u.name()));
        }
    }

    private static void whoami(CommandContext ctx) {
        ctx.reply().bulk(AclText.bytes(ctx.connection().aclUser().name()));
    }

    private static void cat(CommandContext ctx) {
        ReplyWriter r = ctx.reply();
        if (ctx.argc() == 2) {
            AclCategory[] all = AclCategory.values();
            r.arrayHeader(all.length);
            for (AclCategory c : all) {
                r.bulk(c.lowerName());
            }
            return;
        }
        if (ctx.argc() != 3) {
            throw syntax(ctx);
        }
        AclCategory category = AclCategory.byName(ctx.argString(2));
        if (category == null) {
            throw new CommandException("ERR Unknown category '" + truncate(ctx.argString(2)) + "'");
        }
        List<CommandSpec> commands = acl(ctx).catalog().inCategory(category);
        r.arrayHeader(commands.size());
        for (CommandSpec c : commands) {
            r.bulk(c.fullName());
        }
    }

    private static void genpass(CommandContext ctx) {
        if (ctx.argc() > 3) {
            throw syntax(ctx);
        }
        long bits = 256;
        if (ctx.argc() == 3) {
            bits = ctx.argLong(2);
        }
        if (bits <= 0 || bits > GENPASS_MAX_BITS) {
            throw new CommandException("ERR ACL GENPASS argument must be the number of bits for the output password, "
                    + "a positive number up to " + GENPASS_MAX_BITS);
        }
        ctx.reply().bulk(Passwords.random((int) ((bits + 3) / 4)));
    }

    private static void log(CommandContext ctx) {
        if (ctx.argc() > 3) {
            throw syntax(ctx);
        }
        long count = 10;
        if (ctx.argc() == 3) {
            if (ctx.argIs(2, "reset")) {
                acl(ctx).log().reset();
                ctx.reply().ok();
                return;
            }
            count = Math.max(0, ctx.argLong(2));
        }
        acl(ctx).log().write(ctx.reply(), count);
    }

    private static void dryrun(CommandContext ctx) {
        String name = AclText.of(ctx.arg(2));
        AclUser user = acl(ctx).user(name);
        if (user == null) {
            throw new CommandException("ERR User '" + name + "' not found");
        }
        byte[][] args = Arrays.copyOfRange(ctx.args(), 3, ctx.argc());
        CommandSpec cmd = ctx.node().commands().lookup(args[0]);
        if (cmd != null && cmd.isContainer() && args.length >= 2) {
            cmd = cmd.subcommands().lookup(args[1]);
        }
        if (cmd == null) {
            throw new CommandException("ERR Command '" + AclText.of(args[0]) + "' not found");
        }
        if (!cmd.arityAccepts(args.length)) {
            throw new CommandException(Errors.wrongArity(cmd.fullName()));
        }
        String denied = Acl.dryRun(user, cmd, args);
        if (denied == null) {
            ctx.reply().ok();
        } else {
            ctx.reply().bulk(AclText.bytes(denied));
        }
    }

    private static void load(CommandContext ctx) {
        if (!ctx.node().config().current().hasAclfile()) {
            throw new CommandException(NO_ACLFILE);
        }
        String error = acl(ctx).loadFile(ctx.connection());
        if (error != null) {
            throw new CommandException(error);
        }
        ctx.reply().ok();
    }

    private static void save(CommandContext ctx) {
        if (!ctx.node().config().current().hasAclfile()) {
            throw new CommandException(NO_ACLFILE);
        }
        if (!acl(ctx).saveFile()) {
            throw new CommandException("ERR There was an error trying to save the ACLs. Please check the server logs "
                    + "for more information");
        }
        ctx.reply().ok();
    }

    private static void help(CommandContext ctx) {
        ctx.reply().simpleArray(
                "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "CAT [<category>]",
                "    List all commands that belong to <category>, or all command categories",
                "    when no category is specified.",
                "DELUSER <username> [<username> ...]",
                "    Delete a list of users.",
                "DRYRUN <username> <command> [<arg> ...]",
                "    Returns whether the user can execute the given command without executing the command.",
                "GETUSER <username>",
                "    Get the user's details.",
                "GENPASS [<bits>]",
                "    Generate a secure 256-bit user password. The optional `bits` argument can",
                "    be used to specify a different size.",
                "LIST",
                "    Show users details in config file format.",
                "LOAD",
                "    Reload users from the ACL file.",
                "LOG [<count> | RESET]",
                "    Show the ACL log entries.",
                "SAVE",
                "    Save the current config to the ACL file.",
                "SETUSER <username> <attribute> [<attribute> ...]",
                "    Create or modify a user with the specified attributes.",
                "USERS",
                "    List all the registered usernames.",
                "WHOAMI",
                "    Return the current connection username.",
                "HELP",
                "    Prints this help.");
    }
}
