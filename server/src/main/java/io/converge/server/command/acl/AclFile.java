package io.converge.server.command.acl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Redis's ACL file: one {@code user <name> <rule> <rule>...} line per user, read whole or not at
 * all, as Redis 7.0 reads it: lines are trimmed and split at single spaces, blank lines skipped,
 * anything else (comments too) an error; every error of the file is collected into one message.
 */
final class AclFile {
    private static final String REJECTED = "WARNING: ACL errors detected, no change to the previously active ACL "
            + "rules was performed";

    private AclFile() {}

    /**
     * The users of {@code path} (named {@code shownPath} in messages), in file order, with
     * {@code rules} applied to new users; throws with Redis's message when the file cannot be read
     * or has any error.
     */
    static Map<String, UserRules> load(Path path, String shownPath, AclRules rules) throws AclFileException {
        String text;
        try {
            text = new String(Files.readAllBytes(path), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new AclFileException("Error loading ACLs, opening file '" + shownPath + "': " + reason(e));
        }
        Map<String, UserRules> users = new LinkedHashMap<>();
        StringBuilder errors = new StringBuilder();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNumber = i + 1;
            String line = strip(lines[i], " \t\r\n");
            if (line.isEmpty()) {
                continue;
            }
            List<String> argv = new ArrayList<>(Arrays.asList(line.split(" ", -1)));
            if (!argv.get(0).equals("user") || argv.size() < 2) {
                errors.append(shownPath).append(':').append(lineNumber)
                        .append(" should start with user keyword followed by the username. ");
                continue;
            }
            String name = argv.get(1);
            if (AclText.hasSpaces(name)) {
                errors.append('\'').append(shownPath).append(':').append(lineNumber).append(": username '")
                        .append(name).append("' contains invalid characters. ");
                continue;
            }
            if (users.containsKey(name)) {
                errors.append("WARNING: Duplicate user '").append(name).append("' found on line ")
                        .append(lineNumber).append(". ");
                continue;
            }
            UserRules user = rules.newUser().copy();
            users.put(name, user);
            List<String> ops = AclRules.mergeSelectorArguments(argv.subList(2, argv.size()), new int[1]);
            if (ops == null) {
                errors.append(shownPath).append(':').append(lineNumber)
                        .append(": Unmatched parenthesis in selector definition.");
                continue;
            }
            boolean syntaxError = false;
            for (String op : ops) {
                String rule = strip(op, "\t\r\n");
                try {
                    rules.apply(user, rule);
                } catch (AclRuleException e) {
                    if (e.getMessage().equals(AclRules.UNKNOWN)) {
                        // An unknown command reveals nothing secret: named, as Redis 7.0.x does.
                        errors.append(shownPath).append(':').append(lineNumber).append(": Error in applying operation '")
                                .append(rule).append("': ").append(e.getMessage()).append(". ");
                    } else if (!syntaxError) {
                        // Other rules may hold a password: only the first such error of the line, without the rule.
                        errors.append(shownPath).append(':').append(lineNumber).append(": ").append(e.getMessage())
                                .append(". ");
                        syntaxError = true;
                    }
                }
            }
            user.freeze();
        }
        if (!errors.isEmpty()) {
            throw new AclFileException(errors + REJECTED);
        }
        return users;
    }

    /** Writes {@code lines} ({@code user <name> <rules>}) to {@code path} through a temporary file renamed over it. */
    static void save(Path path, List<String> lines) throws IOException {
        StringBuilder out = new StringBuilder();
        for (String line : lines) {
            out.append(line).append('\n');
        }
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + System.currentTimeMillis());
        try {
            Files.write(tmp, out.toString().getBytes(StandardCharsets.ISO_8859_1));
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The C library's wording of common failures (strerror), as Redis prints it. */
    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        String m = e.getMessage();
        return m != null && m.contains("directory") ? "Is a directory" : String.valueOf(m);
    }

    /** {@code s} without the characters of {@code chars} at either end (sdstrim). */
    private static String strip(String s, String chars) {
        int from = 0;
        int to = s.length();
        while (from < to && chars.indexOf(s.charAt(from)) >= 0) {
            from++;
        }
        while (to > from && chars.indexOf(s.charAt(to - 1)) >= 0) {
            to--;
        }
        return s.substring(from, to);
    }
}
