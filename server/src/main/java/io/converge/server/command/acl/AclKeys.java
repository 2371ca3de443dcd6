package io.converge.server.command.acl;

import io.converge.server.command.CommandSpec;
import io.converge.server.command.KeySpec;
import io.converge.server.util.RedisNumbers;
import java.util.ArrayList;
import java.util.List;

/**
 * The keys of a command as the ACL check sees them: each key argument's index with the access
 * its key spec implies, as Redis 7.0 maps key-spec flags: {@code access} needs read permission,
 * {@code insert}, {@code delete} and {@code update} need write permission, and a key with none of
 * those (EXISTS, TYPE, TOUCH: only {@code RO}) needs neither, so any key pattern covering it
 * will do. SET's spec has {@code variable_flags}: it reads its key only with {@code GET}; so has
 * BITFIELD's: it only reads its key when every operation is a GET (Redis's {@code bitfieldGetKeys}).
 */
final class AclKeys {
    /** A key argument: its index in the arguments and the access it needs. */
    record KeyRef(int index, int access) {}

    private AclKeys() {}

    /** The key arguments of {@code args} for {@code cmd}, in Redis's order (spec by spec). */
    static List<KeyRef> of(CommandSpec cmd, byte[][] args) {
        List<KeySpec> specs = cmd.keySpecs();
        for (KeySpec spec : specs) {
            if (hasFlag(spec, "variable_flags") && cmd.fullName().equals("set")) {
                return List.of(new KeyRef(1, setAccess(args)));
            }
            if (hasFlag(spec, "variable_flags") && cmd.fullName().equals("bitfield")) {
                return List.of(new KeyRef(1, bitfieldAccess(args)));
            }
        }
        List<KeyRef> refs = new ArrayList<>();
        boolean valid = !specs.isEmpty();
        for (KeySpec spec : specs) {
            if (hasFlag(spec, "not_key")) {
                continue;
            }
            if (!addSpecKeys(spec, args, refs)) {
                valid = false;
                break;
            }
        }
        if (valid) {
            return refs;
        }
        // Arguments the specs cannot walk (a bad numkeys...): the command's own key finder, with the
        // access of any of its specs (the command will refuse such arguments itself anyway).
        int access = 0;
        for (KeySpec spec : specs) {
            access |= access(spec);
        }
        refs.clear();
        for (byte[] key : cmd.keys(args)) {
            for (int i = 1; i < args.length; i++) {
                if (args[i] == key) {
                    refs.add(new KeyRef(i, access));
                    break;
                }
            }
        }
        return refs;
    }

    /** Adds the keys {@code spec} finds in {@code args}; false when the spec does not fit them (Redis's invalid spec). */
    private static boolean addSpecKeys(KeySpec spec, byte[][] args, List<KeyRef> refs) {
        int argc = args.length;
        int first = spec.beginIndex();
        int last;
        int step;
        switch (spec.findKeys()) {
            case KeySpec.Range r -> {
                step = r.keyStep();
                if (r.lastKey() >= 0) {
                    last = first + r.lastKey();
                } else if (r.limit() == 0) {
                    last = argc + r.lastKey();
                } else {
                    last = first + ((argc - first) / r.limit() + r.lastKey());
                }
            }
            case KeySpec.KeyNum k -> {
                step = k.keyStep();
                if (k.keyNumIndex() >= argc - first) {
                    return false;
                }
                long numKeys;
                try {
                    numKeys = RedisNumbers.parseLong(args[first + k.keyNumIndex()]);
                } catch (RuntimeException e) {
                    return false;
                }
                if (numKeys < 0 || numKeys > argc) {
                    return false;
                }
                first += k.firstKey();
                last = first + (int) numKeys - 1;
            }
            case KeySpec.Unknown u -> {
                return true; // keys no position describes (SORT's BY/GET patterns): the command checks them
            }
        }
        if (last >= argc || last < first || first >= argc) {
            return false;
        }
        int access = access(spec);
        for (int i = first; i <= last; i += Math.max(1, step)) {
            refs.add(new KeyRef(i, access));
        }
        return true;
    }

    /** SET reads its key too when one of its arguments is GET. */
    private static int setAccess(byte[][] args) {
        for (int i = 2; i < args.length; i++) {
            byte[] a = args[i];
            if (a.length == 3 && (a[0] | 0x20) == 'g' && (a[1] | 0x20) == 'e' && (a[2] | 0x20) == 't') {
                return AclSelector.READ_WRITE;
            }
        }
        return AclSelector.WRITE;
    }

    /**
     * BITFIELD's access, as Redis's {@code bitfieldGetKeys} decides it: read only while the
     * operations are GETs and OVERFLOWs; read and write from the first SET or INCRBY, or from
     * anything it does not understand.
     */
    private static int bitfieldAccess(byte[][] args) {
        for (int i = 2; i < args.length; i++) {
            int remaining = args.length - i - 1;
            String arg = new String(args[i], java.nio.charset.StandardCharsets.ISO_8859_1);
            if (arg.equalsIgnoreCase("get") && remaining >= 2) {
                i += 2;
            } else if (arg.equalsIgnoreCase("overflow") && remaining >= 1) {
                i += 1;
            } else {
                return AclSelector.READ_WRITE;
            }
        }
        return AclSelector.READ;
    }

    /** The access a spec's flags need. */
    static int access(KeySpec spec) {
        int access = 0;
        for (String f : spec.flags()) {
            if (f.equalsIgnoreCase("access")) {
                access |= AclSelector.READ;
            } else if (f.equalsIgnoreCase("insert") || f.equalsIgnoreCase("delete") || f.equalsIgnoreCase("update")) {
                access |= AclSelector.WRITE;
            }
        }
        return access;
    }

    private static boolean hasFlag(KeySpec spec, String flag) {
        for (String f : spec.flags()) {
            if (f.equalsIgnoreCase(flag)) {
                return true;
            }
        }
        return false;
    }
}
