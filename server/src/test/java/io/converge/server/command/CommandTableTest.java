package io.converge.server.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandTableTest {
    private static final CommandHandler NOOP = ctx -> ctx.reply().ok();

    @Test
    void lookupIsCaseInsensitiveOnBytesAndHandlesManyCommands() {
        CommandTable t = new CommandTable();
        for (int i = 0; i < 300; i++) {
            t.register(CommandSpec.builder("cmd" + i).arity(1).handler(NOOP).build());
        }
        t.register(CommandSpec.builder("GET").arity(2).flags(CommandFlag.READONLY, CommandFlag.FAST)
                .keys(1, 1, 1).acl(AclCategory.STRING).handler(NOOP).build());
        assertThat(t.lookup("get".getBytes(StandardCharsets.US_ASCII)).name()).isEqualTo("get");
        assertThat(t.lookup("GeT".getBytes(StandardCharsets.US_ASCII)).fullName()).isEqualTo("get");
        assertThat(t.lookup("CMD299")).isNotNull();
        assertThat(t.lookup("gets")).isNull();
        assertThat(t.lookup("ge")).isNull();
        assertThat(t.size()).isEqualTo(301);
        assertThatThrownBy(() -> t.register(CommandSpec.builder("Get").arity(2).handler(NOOP).build()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void impliedAclCategoriesAndKeysFollowRedis() {
        CommandSpec get = CommandSpec.builder("get").arity(2).flags(CommandFlag.READONLY, CommandFlag.FAST)
                .keys(1, 1, 1).acl(AclCategory.STRING).handler(NOOP).build();
        assertThat(get.inCategory(AclCategory.READ)).isTrue();
        assertThat(get.inCategory(AclCategory.FAST)).isTrue();
        assertThat(get.inCategory(AclCategory.SLOW)).isFalse();
        CommandSpec mset = CommandSpec.builder("mset").arity(-3).flags(CommandFlag.WRITE, CommandFlag.DENYOOM)
                .keys(1, -1, 2).handler(NOOP).build();
        assertThat(mset.inCategory(AclCategory.WRITE)).isTrue();
        assertThat(mset.inCategory(AclCategory.SLOW)).isTrue();
        byte[][] args = {"MSET".getBytes(), "k1".getBytes(), "v1".getBytes(), "k2".getBytes(), "v2".getBytes()};
        List<byte[]> keys = mset.keys(args);
        assertThat(keys).extracting(String::new).containsExactly("k1", "k2");
        assertThat(mset.arityAccepts(3)).isTrue();
        assertThat(mset.arityAccepts(2)).isFalse();
        assertThat(get.arityAccepts(3)).isFalse();
    }

    @Test
    void subcommandsHaveFullNames() {
        CommandTable t = new CommandTable();
        t.register(CommandSpec.builder("object").arity(-2)
                .subcommand(CommandSpec.builder("encoding").arity(3).handler(NOOP)).build());
        CommandSpec sub = t.lookupFullName("OBJECT|Encoding".getBytes(StandardCharsets.US_ASCII));
        assertThat(sub.fullName()).isEqualTo("object|encoding");
        assertThat(t.lookupFullName("object|nope".getBytes(StandardCharsets.US_ASCII))).isNull();
    }

    @Test
    void unknownCommandErrorFollowsRedisFormat() {
        byte[][] args = {"foo".getBytes(), "a".getBytes(), "b".getBytes()};
        assertThat(new String(Errors.unknownCommand(args), StandardCharsets.US_ASCII))
                .isEqualTo("ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
        assertThat(new String(Errors.unknownSubcommand("x".getBytes(), "client"), StandardCharsets.US_ASCII))
                .isEqualTo("ERR unknown subcommand 'x'. Try CLIENT HELP.");
    }
}
