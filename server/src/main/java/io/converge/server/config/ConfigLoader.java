package io.converge.server.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Builds a {@link ConvergeConfig} from defaults, an optional YAML file and command-line
 * overrides, in that order. Any unknown key, wrong type or invalid value stops startup with a
 * message naming the file and key.
 *
 * <p>YAML layout: one top-level mapping whose keys are those of {@link ConfigKeys}; scalar values
 * use the same text as CONFIG SET ({@code maxmemory: 2gb}, {@code active-expire: yes}); {@code bind}
 * may be a list; {@code users} is a list of {@code {name, password, rules}} mappings.
 */
public final class ConfigLoader {
    private ConfigLoader() {}

    /**
     * Loads the configuration.
     *
     * @param file YAML file, or null for defaults only
     * @param overrides key to textual value, applied last (command-line flags)
     */
    public static ConvergeConfig load(Path file, Map<String, String> overrides) {
        ConvergeConfig.Builder b = ConvergeConfig.builder();
        if (file != null) {
            applyYaml(b, file);
        }
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            ConfigKeys.Key key = ConfigKeys.find(e.getKey());
            if (key == null || !key.exposed()) {
                throw new ConfigException("unknown configuration key '" + e.getKey() + "' on the command line; known keys: " + knownKeys());
            }
            try {
                key.apply(b, e.getValue());
            } catch (ConfigException ex) {
                throw new ConfigException("invalid value for '" + key.name() + "' on the command line: " + ex.getMessage());
            }
        }
        try {
            return b.build();
        } catch (ConfigException ex) {
            throw new ConfigException((file != null ? file + ": " : "") + ex.getMessage());
        }
    }

    private static void applyYaml(ConvergeConfig.Builder b, Path file) {
        JsonNode root;
        try {
            String text = Files.readString(file);
            root = new YAMLMapper().readTree(text);
        } catch (JacksonException e) {
            throw new ConfigException(file + ": not valid YAML: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return; // an empty file means defaults
        }
        if (!root.isObject()) {
            throw new ConfigException(file + ": the top level must be a mapping of configuration keys");
        }
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            ConfigKeys.Key key = ConfigKeys.find(name);
            if (key == null || !key.name().equals(name)) {
                throw new ConfigException(file + ": unknown configuration key '" + name + "'; known keys: " + knownKeys());
            }
            try {
                if (name.equals("users")) {
                    b.users(parseUsers(value));
                } else {
                    key.apply(b, scalarText(name, value));
                }
            } catch (ConfigException ex) {
                throw new ConfigException(file + ": invalid value for '" + name + "': " + ex.getMessage());
            }
        }
    }

    private static String scalarText(String name, JsonNode value) {
        if (value == null || value.isNull()) {
            return "";
        }
        if (value.isArray() && name.equals("bind")) {
            List<String> parts = new ArrayList<>();
            for (JsonNode item : value) {
                if (!item.isValueNode()) {
                    throw new ConfigException("expected a list of addresses");
                }
                parts.add(item.asText());
            }
            return String.join(" ", parts);
        }
        if (value.isBoolean()) {
            return value.booleanValue() ? "yes" : "no";
        }
        if (!value.isValueNode()) {
            throw new ConfigException("expected a single value, not a " + (value.isArray() ? "list" : "mapping"));
        }
        return value.asText();
    }

    private static List<UserSpec> parseUsers(JsonNode value) {
        List<UserSpec> users = new ArrayList<>();
        if (value == null || value.isNull()) {
            return users;
        }
        if (!value.isArray()) {
            throw new ConfigException("expected a list of {name, password, rules} entries");
        }
        for (JsonNode entry : value) {
            if (!entry.isObject()) {
                throw new ConfigException("each user must be a mapping with name and password (and optional rules)");
            }
            Iterator<String> names = entry.fieldNames();
            while (names.hasNext()) {
                String f = names.next();
                if (!f.equals("name") && !f.equals("password") && !f.equals("rules")) {
                    throw new ConfigException("unknown user field '" + f + "' (known: name, password, rules)");
                }
            }
            JsonNode n = entry.get("name");
            JsonNode p = entry.get("password");
            JsonNode r = entry.get("rules");
            if (n == null || !n.isValueNode() || n.asText().isEmpty()) {
                throw new ConfigException("a user needs a name");
            }
            boolean hasRules = r != null && !r.isNull();
            if (hasRules && !r.isValueNode()) {
                throw new ConfigException("user '" + n.asText() + "': rules must be one string of ACL rules "
                        + "separated by spaces, e.g. \"on ~cache:* +@read\"");
            }
            if ((p == null || p.isNull()) && !hasRules) {
                throw new ConfigException("user '" + n.asText() + "' needs a password");
            }
            if (p != null && !p.isNull() && !p.isValueNode()) {
                throw new ConfigException("user '" + n.asText() + "' needs a password");
            }
            String userName = n.asText();
            for (int i = 0; i < userName.length(); i++) {
                char c = userName.charAt(i);
                if (c <= ' ' || c > '~') {
                    throw new ConfigException("user name '" + userName + "' may not contain spaces or special characters");
                }
            }
            String password = p == null || p.isNull() ? null : p.asText();
            users.add(new UserSpec(userName, password, hasRules ? r.asText() : null));
        }
        return users;
    }

    private static String knownKeys() {
        return ConfigKeys.all().stream().map(ConfigKeys.Key::name).collect(Collectors.joining(", "));
    }
}
