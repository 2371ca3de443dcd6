package io.converge.server.command.acl;

import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.CommandTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The commands ACL rules can name on a node: every command and subcommand of the node's table,
 * numbered by their {@link CommandSpec#aclId()} (the bit of a command in a selector's bitmap). It
 * is taken once every command family is registered. Iteration is in name order, each container
 * followed by its subcommands: ACL CAT lists and rule descriptions follow it (Redis follows the
 * order of its command hash table, which differs from run to run).
 */
final class CommandCatalog {
    private final CommandTable table;
    private final int size;
    private final List<CommandSpec> topLevel;
    private final List<CommandSpec> all;

    /** The catalog of {@code table}'s commands as registered now. */
    CommandCatalog(CommandTable table) {
        this.table = table;
        this.size = table.aclIdCount();
        List<CommandSpec> top = new ArrayList<>(table.all());
        top.sort(Comparator.comparing(CommandSpec::fullName));
        this.topLevel = List.copyOf(top);
        List<CommandSpec> every = new ArrayList<>();
        for (CommandSpec c : top) {
            every.add(c);
            every.addAll(subcommandsOf(c));
        }
        this.all = List.copyOf(every);
    }

    /** The number of command ids (bits of a selector's bitmap). */
    int size() {
        return size;
    }

    /** The top-level commands, by name. */
    List<CommandSpec> topLevel() {
        return topLevel;
    }

    /** Every command and subcommand, by name, each container followed by its subcommands. */
    List<CommandSpec> all() {
        return all;
    }

    /** The subcommands of {@code container} by name (none for a plain command). */
    static List<CommandSpec> subcommandsOf(CommandSpec container) {
        if (!container.isContainer()) {
            return List.of();
        }
        List<CommandSpec> subs = new ArrayList<>(container.subcommands().all());
        subs.sort(Comparator.comparing(CommandSpec::fullName));
        return subs;
    }

    /**
     * The command named {@code name} as ACL rules write it, any case: {@code get} or
     * {@code client|id}; null if there is none (a subcommand of a plain command, more than one
     * {@code |}, an unknown name).
     */
    CommandSpec lookup(String name) {
        int bar = name.indexOf('|');
        if (bar < 0) {
            return table.lookup(AclText.bytes(name));
        }
        if (name.indexOf('|', bar + 1) >= 0) {
            return null;
        }
        CommandSpec parent = table.lookup(AclText.bytes(name.substring(0, bar)));
        if (parent == null || !parent.isContainer()) {
            return null;
        }
        return parent.subcommands().lookup(AclText.bytes(name.substring(bar + 1)));
    }

    /** The commands and subcommands in {@code category}, in catalog order (ACL CAT). */
    List<CommandSpec> inCategory(AclCategory category) {
        List<CommandSpec> out = new ArrayList<>();
        for (CommandSpec c : all) {
            if (c.inCategory(category)) {
                out.add(c);
            }
        }
        return out;
    }
}
