package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The answers of cluster-wide keyspace requests: what is written reads back, and a malformed
 * answer (cut short, a length past its end, a huge length) is refused without allocating for it.
 */
class KeyspaceCodecTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void answersReadBackAsWritten() {
        List<byte[]> keys = List.of(b("a"), b(""), b("key:3"));
        assertThat(KeyspaceCodec.decodeKeys(ByteBuffer.wrap(KeyspaceCodec.encodeKeys(keys))))
                .containsExactly(b("a"), b(""), b("key:3"));
        OwnedKeyWalks.Page page = KeyspaceCodec.decodePage(KeyspaceCodec.encodePage(
                new OwnedKeyWalks.Page(12345, keys)));
        assertThat(page.reached()).isEqualTo(12345);
        assertThat(page.keys()).containsExactly(b("a"), b(""), b("key:3"));
        OwnedKeyWalks.Found found = KeyspaceCodec.decodeFound(KeyspaceCodec.encodeFound(new OwnedKeyWalks.Found(b("k"), 7)));
        assertThat(found.key()).isEqualTo(b("k"));
        assertThat(found.reached()).isEqualTo(7);
        OwnedKeyWalks.Found none = KeyspaceCodec.decodeFound(KeyspaceCodec.encodeFound(new OwnedKeyWalks.Found(null, 9)));
        assertThat(none.key()).isNull();
        assertThat(none.reached()).isEqualTo(9);
        long[] sum = {1, 2, 3};
        KeyspaceCodec.addStats(sum, KeyspaceCodec.encodeStats(new OwnedKeyWalks.Stats(10, 20, 30)));
        assertThat(sum).containsExactly(11, 22, 33);
        ByteBuffer bytes = ByteBuffer.allocate(KeyspaceCodec.bytesSize(b("xy")) + KeyspaceCodec.bytesSize(null));
        KeyspaceCodec.putBytes(bytes, b("xy"));
        KeyspaceCodec.putBytes(bytes, null);
        bytes.flip();
        assertThat(KeyspaceCodec.getBytes(bytes)).isEqualTo(b("xy"));
        assertThat(KeyspaceCodec.getBytes(bytes)).isNull();
    }

    @Test
    void aLengthPastTheEndIsRefusedBeforeAnythingIsAllocated() {
        ByteBuffer hugeKey = ByteBuffer.allocate(12).putInt(1).putInt(Integer.MAX_VALUE).putInt(0).flip();
        assertThatThrownBy(() -> KeyspaceCodec.decodeKeys(hugeKey)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length 2147483647");
        ByteBuffer negativeKey = ByteBuffer.allocate(8).putInt(1).putInt(-5).flip();
        assertThatThrownBy(() -> KeyspaceCodec.decodeKeys(negativeKey)).isInstanceOf(IllegalArgumentException.class);
        ByteBuffer manyKeys = ByteBuffer.allocate(8).putInt(1_000_000).putInt(0).flip();
        assertThatThrownBy(() -> KeyspaceCodec.decodeKeys(manyKeys)).isInstanceOf(IllegalArgumentException.class);
        ByteBuffer hugeBytes = ByteBuffer.allocate(6).putInt(2_000_000_000).putShort((short) 1).flip();
        assertThatThrownBy(() -> KeyspaceCodec.getBytes(hugeBytes)).isInstanceOf(IllegalArgumentException.class);
        ByteBuffer trailing = ByteBuffer.allocate(9).putInt(1).putInt(0).put((byte) 1).flip();
        assertThatThrownBy(() -> KeyspaceCodec.decodeKeys(trailing)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void answersCutShortOrOutOfRangeAreRefused() {
        // RANDOMKEY answers of 0 to 8 bytes, a flag other than 0 or 1, a key after "none".
        for (int n = 0; n <= 8; n++) {
            byte[] answer = new byte[n];
            assertThatThrownBy(() -> KeyspaceCodec.decodeFound(answer)).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] badFlag = ByteBuffer.allocate(10).putLong(1).put((byte) 2).put((byte) 'k').array();
        assertThatThrownBy(() -> KeyspaceCodec.decodeFound(badFlag)).isInstanceOf(IllegalArgumentException.class);
        byte[] keyAfterNone = ByteBuffer.allocate(10).putLong(1).put((byte) 0).put((byte) 'k').array();
        assertThatThrownBy(() -> KeyspaceCodec.decodeFound(keyAfterNone)).isInstanceOf(IllegalArgumentException.class);
        byte[] negative = ByteBuffer.allocate(9).putLong(-1).put((byte) 0).array();
        assertThatThrownBy(() -> KeyspaceCodec.decodeFound(negative)).isInstanceOf(IllegalArgumentException.class);
        // SCAN pages shorter than their position, or with a position past the end.
        assertThatThrownBy(() -> KeyspaceCodec.decodePage(new byte[3])).isInstanceOf(BufferUnderflowException.class);
        byte[] pastTheEnd = ByteBuffer.allocate(12).putLong(OwnedKeyWalks.END + 1).putInt(0).array();
        assertThatThrownBy(() -> KeyspaceCodec.decodePage(pastTheEnd)).isInstanceOf(IllegalArgumentException.class);
        // DBSIZE figures of the wrong size.
        assertThatThrownBy(() -> KeyspaceCodec.addStats(new long[3], new byte[2]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyspaceCodec.addStats(new long[3], new byte[25]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
