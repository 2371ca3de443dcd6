package io.converge.server.command.acl;

import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes users back as rules, in the form ACL LIST, ACL GETUSER and ACL SAVE show and ACL SETUSER
 * accepts: {@code on #<hash> ~keys resetchannels &chan -@all +@hash -hget (...)}.
 *
 * <p>The command rules are not the rules that were given but rebuilt from the selector's bitmap,
 * as Redis 7.0 rebuilds them: start from {@code +@all} (if the selector may run future commands)
 * or {@code -@all}, then repeatedly add (or remove) the category that best fits the commands
 * still to account for (more of its commands fit than not, fewest misfits, then most fits), then
 * fix single commands one by one, then the allowed first arguments. Applying the description to
 * a new user gives the same bitmap. The categories chosen depend on the command table, so a node
 * with fewer commands than Redis may describe the same permissions with other categories.
 */
final class AclDescriber {
    private final CommandCatalog catalog;

    /** Descriptions over the commands of {@code catalog}. */
    AclDescriber(CommandCatalog catalog) {
        this.catalog = catalog;
    }

    /** The whole user, without {@code user <name>}: flags, password hashes, root selector, other selectors. */
    String user(UserRules u) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < UserRules.FLAGS.length; i++) {
            if (u.has(UserRules.FLAGS[i])) {
                out.append(UserRules.FLAG_NAMES[i]).append(' ');
            }
        }
        for (String hash : u.passwords) {
            out.append('#').append(hash).append(' ');
        }
        for (AclSelector s : u.selectors) {
            if (s.has(AclSelector.ROOT)) {
                out.append(selector(s));
            } else {
                out.append(" (").append(selector(s)).append(')');
            }
        }
        return out.toString();
    }

    /** One selector: its keys, its channels (after {@code resetchannels} unless all), its commands. */
    String selector(AclSelector s) {
        StringBuilder out = new StringBuilder();
        if (s.has(AclSelector.ALL_KEYS)) {
            out.append("~* ");
        } else {
            for (AclSelector.KeyPattern k : s.keys) {
                out.append(k.rule()).append(' ');
            }
        }
        if (s.has(AclSelector.ALL_CHANNELS)) {
            out.append("&* ");
        } else {
            out.append("resetchannels ");
            for (AclSelector.Pattern c : s.channels) {
                out.append('&').append(c.text()).append(' ');
            }
        }
        return out.append(commands(s)).toString();
    }

    /** ACL GETUSER's {@code keys} field: {@code ~*}, or the patterns separated by spaces. */
    static String keys(AclSelector s) {
        if (s.has(AclSelector.ALL_KEYS)) {
            return "~*";
        }
        List<String> parts = new ArrayList<>();
        for (AclSelector.KeyPattern k : s.keys) {
            parts.add(k.rule());
        }
        return String.join(" ", parts);
    }

    /** ACL GETUSER's {@code channels} field: {@code &*}, or the patterns separated by spaces. */
    static String channels(AclSelector s) {
        if (s.has(AclSelector.ALL_CHANNELS)) {
            return "&*";
        }
        List<String> parts = new ArrayList<>();
        for (AclSelector.Pattern c : s.channels) {
            parts.add("&" + c.text());
        }
        return String.join(" ", parts);
    }

    /** The command rules of {@code s} (see the class comment). */
    String commands(AclSelector s) {
        boolean additive = !s.future;
        StringBuilder rules = new StringBuilder(additive ? "-@all " : "+@all ");
        // "fake" replays the rules written so far; "left" holds the commands still to account for.
        AclSelector fake = new AclSelector(0, catalog.size());
        if (additive) {
            fake.noCommands();
        } else {
            fake.allCommands();
        }
        AclSelector left = s.copy();
        AclCategory[] categories = AclCategory.values();
        boolean[] applied = new boolean[categories.length];
        while (true) {
            int best = -1;
            long minDiff = Long.MAX_VALUE;
            long maxSame = 0;
            for (int j = 0; j < categories.length; j++) {
                if (applied[j]) {
                    continue;
                }
                long[] onOff = left.count(catalog, categories[j]);
                long diff = additive ? onOff[1] : onOff[0];
                long same = additive ? onOff[0] : onOff[1];
                if (same > diff && (diff < minDiff || (diff == minDiff && same > maxSame))) {
                    best = j;
                    minDiff = diff;
                    maxSame = same;
                }
            }
            if (best < 0) {
                break;
            }
            fake.change(catalog, categories[best], additive);
            left.change(catalog, categories[best], !additive);
            rules.append(additive ? "+@" : "-@").append(categories[best].lowerName()).append(' ');
            applied[best] = true;
        }
        for (CommandSpec cmd : catalog.topLevel()) {
            singleCommand(s, fake, cmd, rules);
        }
        rules.setLength(rules.length() - 1);
        return rules.toString();
    }

    /** The rule fixing {@code cmd} (then its subcommands) where the replay still differs, and its first arguments. */
    private void singleCommand(AclSelector s, AclSelector fake, CommandSpec cmd, StringBuilder rules) {
        boolean userBit = s.bit(cmd.aclId());
        if (userBit != fake.bit(cmd.aclId())) {
            rules.append(userBit ? '+' : '-').append(cmd.fullName()).append(' ');
            fake.change(cmd, userBit);
        }
        for (CommandSpec sub : CommandCatalog.subcommandsOf(cmd)) {
            singleCommand(s, fake, sub, rules);
        }
        if (!userBit) {
            for (String arg : s.firstArgs(cmd.aclId())) {
                rules.append('+').append(cmd.fullName()).append('|').append(arg).append(' ');
            }
        }
    }
}
