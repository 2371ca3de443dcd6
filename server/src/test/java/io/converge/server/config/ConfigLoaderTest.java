package io.converge.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws IOException {
        Path f = dir.resolve("converge.yaml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void defaultsMatchTheDocumentation() {
        ConvergeConfig c = ConfigLoader.load(null, Map.of());
        assertThat(c.bind()).containsExactly("127.0.0.1");
        assertThat(c.port()).isEqualTo(7001);
        assertThat(c.protoMaxBulkLen()).isEqualTo(512L * 1024 * 1024);
        assertThat(c.clientQueryBufferLimit()).isEqualTo(1024L * 1024 * 1024);
        assertThat(c.clientOutputBufferLimit()).isEqualTo(ClientOutputLimits.DEFAULT);
        assertThat(c.timeout()).isZero();
        assertThat(c.maxmemory()).isZero();
        assertThat(c.maxmemoryPolicy()).isEqualTo("noeviction");
        assertThat(c.engine()).isEqualTo("embedded");
        assertThat(c.appendfsync()).isEqualTo("everysec");
        assertThat(c.maxClockDriftMs()).isEqualTo(1000);
        assertThat(c.hz()).isEqualTo(10);
        assertThat(c.activeExpire()).isTrue();
        assertThat(c.defaultUserPassword()).isNull();
        assertThat(c.effectiveDataDir()).isEqualTo(Path.of("data", "node-7001"));
    }

    @Test
    void yamlThenCommandLineOverrides() throws IOException {
        Path f = yaml("""
                bind: [127.0.0.1, "::1"]
                port: 7100
                maxmemory: 2gb
                requirepass: s3cret
                users:
                  - name: alice
                    password: pw
                client-output-buffer-limit: normal 64mb 16mb 30
                active-expire: no
                timeout: 60
                """);
        ConvergeConfig c = ConfigLoader.load(f, Map.of("port", "7200", "timeout", "5"));
        assertThat(c.bind()).containsExactly("127.0.0.1", "::1");
        assertThat(c.port()).isEqualTo(7200);
        assertThat(c.maxmemory()).isEqualTo(2L * 1024 * 1024 * 1024);
        assertThat(c.requirepass()).isEqualTo("s3cret");
        assertThat(c.users()).containsExactly(new UserSpec("alice", "pw"));
        assertThat(c.clientOutputBufferLimit().normal()).isEqualTo(new OutputBufferLimit(64L << 20, 16L << 20, 30));
        assertThat(c.clientOutputBufferLimit().pubsub()).isEqualTo(ClientOutputLimits.DEFAULT.pubsub());
        assertThat(c.activeExpire()).isFalse();
        assertThat(c.timeout()).isEqualTo(5);
    }

    @Test
    void unknownKeysAndBadValuesStopStartup() throws IOException {
        assertThatThrownBy(() -> ConfigLoader.load(yaml("prot: 1\n"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown configuration key 'prot'").hasMessageContaining("known keys: bind, port");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("port: seventy\n"), Map.of()))
                .hasMessageContaining("invalid value for 'port'").hasMessageContaining("integer");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("maxmemory: lots\n"), Map.of()))
                .hasMessageContaining("argument must be a memory value");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("engine: redis\n"), Map.of()))
                .hasMessageContaining("must be one of the following: embedded");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("users:\n  - name: bob\n    pass: x\n"), Map.of()))
                .hasMessageContaining("unknown user field 'pass'");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("port: [1, 2]\n"), Map.of()))
                .hasMessageContaining("expected a single value");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("port: 1\n  bad indent: [\n"), Map.of()))
                .hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("nope", "1")))
                .hasMessageContaining("unknown configuration key 'nope' on the command line");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("requirepass: a\nusers:\n  - {name: default, password: b}\n"), Map.of()))
                .hasMessageContaining("requirepass");
    }

    @Test
    void usersMayCarryAclRulesAndAnAclFileExcludesThem() throws IOException {
        ConvergeConfig c = ConfigLoader.load(yaml("""
                users:
                  - {name: alice, password: pw}
                  - {name: cache, password: c, rules: "on ~cache:* +@read"}
                  - {name: ops, rules: "on nopass +@admin (~tmp:* +@write)"}
                acllog-max-len: 16
                acl-pubsub-default: allchannels
                """), Map.of());
        assertThat(c.users()).containsExactly(new UserSpec("alice", "pw"), new UserSpec("cache", "c", "on ~cache:* +@read"),
                new UserSpec("ops", null, "on nopass +@admin (~tmp:* +@write)"));
        assertThat(c.acllogMaxLen()).isEqualTo(16);
        assertThat(c.aclPubsubDefault()).isEqualTo("allchannels");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("users:\n  - {name: bob}\n"), Map.of()))
                .hasMessageContaining("needs a password");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("users:\n  - {name: bob, rules: [on]}\n"), Map.of()))
                .hasMessageContaining("rules must be one string");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("aclfile: /x.acl\nusers:\n  - {name: bob, password: p}\n"),
                Map.of())).hasMessageContaining("not both");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("acl-pubsub-default: some\n"), Map.of()))
                .hasMessageContaining("resetchannels, allchannels");
        assertThat(ConfigLoader.load(yaml("aclfile: /etc/users.acl\n"), Map.of()).aclfile()).isEqualTo("/etc/users.acl");
    }

    @Test
    void memoryUnitsAreRedis() {
        assertThat(MemorySize.parse("1k")).isEqualTo(1000);
        assertThat(MemorySize.parse("1kb")).isEqualTo(1024);
        assertThat(MemorySize.parse("3MB")).isEqualTo(3L * 1024 * 1024);
        assertThat(MemorySize.parse("2g")).isEqualTo(2_000_000_000L);
        assertThat(MemorySize.parse("42")).isEqualTo(42);
        assertThatThrownBy(() -> MemorySize.parse("-1")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> MemorySize.parse("1tb")).isInstanceOf(ConfigException.class);
    }

    @Test
    void liveConfigSetIsAllOrNothing() {
        LiveConfig live = new LiveConfig(ConvergeConfig.defaults());
        live.set(Map.of("timeout", "30"));
        assertThat(live.current().timeout()).isEqualTo(30);
        assertThatThrownBy(() -> live.set(new java.util.LinkedHashMap<>(Map.of("hz", "20", "port", "1"))))
                .hasMessageContaining("can't set immutable config");
        assertThat(live.current().hz()).isEqualTo(10);
        assertThat(live.get(List.of("time*".getBytes()))).containsEntry("timeout", "30");
    }

    @Test
    void everyKeyIsDocumented() throws IOException {
        Path docs = Path.of("..", "docs", "configuration.md");
        String text = Files.readString(docs);
        for (ConfigKeys.Key key : ConfigKeys.all()) {
            assertThat(text).as("docs/configuration.md documents %s", key.name()).contains("`" + key.name() + "`");
        }
    }
}
