package io.converge.server.cluster.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.wire.KeyedBytes;
import io.converge.server.cluster.wire.PeerAuth;
import io.converge.server.cluster.wire.PeerCodec;
import io.converge.server.cluster.wire.PeerMessage;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NettyTransportTest {

    private static final NettyTransportSettings SETTINGS = NettyTransportSettings.defaults().withReconnect(20, 200);

    private final List<NettyTransport> started = new ArrayList<>();

    /** A received message with its sender. */
    private record Received(int from, PeerMessage message) {}

    /** Collects deliveries for assertions. */
    private static final class Inbox implements PeerMessageHandler {
        final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();

        @Override
        public void onMessage(int fromNodeId, PeerMessage message) {
            messages.add(new Received(fromNodeId, message));
        }

        Received next() throws InterruptedException {
            Received r = messages.poll(10, TimeUnit.SECONDS);
            assertThat(r).as("a message arrives").isNotNull();
            return r;
        }
    }

    @AfterEach
    void closeAll() {
        started.forEach(NettyTransport::close);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static ClusterSpec twoNodes(String secret, int port1, int port2) {
        return new ClusterSpec("loopback", secret, 8, Map.of("dc1", 2), List.of(
                new NodeSpec(1, "127.0.0.1", 1, port1, "dc1", "r1"),
                new NodeSpec(2, "127.0.0.1", 2, port2, "dc1", "r2")));
    }

    private NettyTransport start(ClusterSpec spec, int node, PeerMessageHandler handler) {
        NettyTransport t = new NettyTransport(Topology.of(spec), node, SETTINGS, null);
        t.setHandler(handler);
        started.add(t);
        t.start();
        return t;
    }

    @Test
    void twoNodesAuthenticateAndExchangeEveryKindOfMessage() throws Exception {
        ClusterSpec spec = twoNodes("shared-secret", freePort(), freePort());
        Inbox inbox1 = new Inbox();
        Inbox inbox2 = new Inbox();
        NettyTransport t1 = start(spec, 1, inbox1);
        NettyTransport t2 = start(spec, 2, inbox2);
        await().atMost(Duration.ofSeconds(10)).until(() ->
                t1.connectionState(2) == ConnectionState.CONNECTED && t2.connectionState(1) == ConnectionState.CONNECTED);

        byte[] key = "user:1".getBytes(StandardCharsets.UTF_8);
        PeerMessage.DeltaBatch batch = new PeerMessage.DeltaBatch(7, 1, 1,
                List.of(new KeyedBytes(key, new byte[] {1, 2, 3}), new KeyedBytes(key, new byte[100_000])));
        assertThat(t1.send(2, batch)).isTrue();
        assertThat(t1.send(2, new PeerMessage.ReadState(11, List.of(key)))).isTrue();
        Received got = inbox2.next();
        assertThat(got.from()).isEqualTo(1);
        // (Compared field by field: a recursive comparison of a 100 kB array is needlessly slow.)
        PeerMessage.DeltaBatch gotBatch = (PeerMessage.DeltaBatch) got.message();
        assertThat(gotBatch.incarnation()).isEqualTo(7);
        assertThat(gotBatch.entries()).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(Arrays.equals(gotBatch.entries().get(i).key(), batch.entries().get(i).key())).isTrue();
            assertThat(Arrays.equals(gotBatch.entries().get(i).value(), batch.entries().get(i).value())).isTrue();
        }
        assertThat(inbox2.next().message()).usingRecursiveComparison().isEqualTo(new PeerMessage.ReadState(11, List.of(key)));

        t2.send(1, new PeerMessage.DeltaAck(7, 2));
        t2.send(1, new PeerMessage.ReadStateReply(11, Arrays.asList(new byte[] {9}, null)));
        assertThat(inbox1.next()).usingRecursiveComparison().isEqualTo(new Received(2, new PeerMessage.DeltaAck(7, 2)));
        assertThat(inbox1.next().message()).usingRecursiveComparison()
                .isEqualTo(new PeerMessage.ReadStateReply(11, Arrays.asList(new byte[] {9}, null)));

        // Many small messages in a burst arrive complete and in order.
        for (int i = 0; i < 2_000; i++) {
            t1.send(2, new PeerMessage.Write(i, key, new byte[] {(byte) i}));
        }
        for (int i = 0; i < 2_000; i++) {
            PeerMessage m = inbox2.next().message();
            assertThat(((PeerMessage.Write) m).requestId()).isEqualTo(i);
        }
        assertThat(t1.authFailures() + t2.authFailures()).isZero();
        assertThat(t1.protocolErrors() + t2.protocolErrors()).isZero();
    }

    @Test
    void aNodeWithTheWrongSecretIsRejectedBothWays() throws Exception {
        int port1 = freePort();
        int port2 = freePort();
        Inbox inbox1 = new Inbox();
        Inbox inbox2 = new Inbox();
        NettyTransport good = start(twoNodes("the-real-secret", port1, port2), 1, inbox1);
        NettyTransport impostor = start(twoNodes("a-guessed-secret", port1, port2), 2, inbox2);

        await().atMost(Duration.ofSeconds(10)).until(() -> good.authFailures() > 0 && impostor.authFailures() > 0);
        good.send(2, new PeerMessage.Heartbeat(1, 0, 0));
        impostor.send(1, new PeerMessage.Heartbeat(2, 0, 0));
        Thread.sleep(300);
        assertThat(good.connectionState(2)).isNotEqualTo(ConnectionState.CONNECTED);
        assertThat(impostor.connectionState(1)).isNotEqualTo(ConnectionState.CONNECTED);
        assertThat(inbox1.messages).isEmpty();
        assertThat(inbox2.messages).isEmpty();
    }

    @Test
    void acceptorRefusesAForgedProofAndOtherClusters() throws Exception {
        ClusterSpec spec = twoNodes("the-real-secret", freePort(), freePort());
        NettyTransport t1 = start(spec, 1, new Inbox());
        int port = spec.node(1).peerPort();

        try (Socket s = new Socket("127.0.0.1", port)) {
            byte[] dialerNonce = PeerAuth.newNonce();
            write(s, new PeerMessage.Hello("loopback", 2, 1, dialerNonce));
            PeerMessage.Challenge challenge = (PeerMessage.Challenge) read(s);
            assertThat(new PeerAuth("the-real-secret").verify(challenge.proof(), PeerAuth.Role.ACCEPTOR, "loopback", 2,
                    1, dialerNonce, challenge.nonce())).as("the acceptor proves the secret").isTrue();
            byte[] forged = new PeerAuth("guess").proof(PeerAuth.Role.DIALER, "loopback", 2, 1, dialerNonce,
                    challenge.nonce());
            write(s, new PeerMessage.AuthResponse(forged));
            assertThat(read(s)).isEqualTo(new PeerMessage.Reject("authentication failed"));
            assertThat(s.getInputStream().read()).as("then closes").isEqualTo(-1);
        }
        assertThat(t1.authFailures()).isEqualTo(1);

        try (Socket s = new Socket("127.0.0.1", port)) {
            write(s, new PeerMessage.Hello("other-cluster", 2, 1, PeerAuth.newNonce()));
            assertThat(((PeerMessage.Reject) read(s)).reason()).contains("cluster name mismatch");
        }
        try (Socket s = new Socket("127.0.0.1", port)) {
            write(s, new PeerMessage.Hello("loopback", 9, 1, PeerAuth.newNonce()));
            assertThat(((PeerMessage.Reject) read(s)).reason()).contains("node 9 is not a member");
        }
    }

    @Test
    void hostileBytesCloseTheConnection() throws Exception {
        ClusterSpec spec = twoNodes("s3cret", freePort(), freePort());
        NettyTransport t1 = start(spec, 1, new Inbox());
        int port = spec.node(1).peerPort();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 1});
            s.setSoTimeout(5_000);
            assertThat(s.getInputStream().read()).as("oversized frame: closed at once").isEqualTo(-1);
        }
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(new byte[] {0, 0, 0, 3, PeerCodec.VERSION, 42, 0});
            s.setSoTimeout(5_000);
            assertThat(s.getInputStream().read()).as("unknown message type: closed").isEqualTo(-1);
        }
        try (Socket s = new Socket("127.0.0.1", port)) {
            write(s, new PeerMessage.Heartbeat(1, 0, 0));
            s.setSoTimeout(5_000);
            assertThat(s.getInputStream().read()).as("traffic before authentication: closed").isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> t1.protocolErrors() == 3);
    }

    @Test
    void reconnectsAfterThePeerRestartsAndDeliversWhatWasQueued() throws Exception {
        ClusterSpec spec = twoNodes("s3cret", freePort(), freePort());
        NettyTransport t1 = start(spec, 1, new Inbox());
        Inbox inbox2 = new Inbox();
        NettyTransport t2 = start(spec, 2, inbox2);
        await().atMost(Duration.ofSeconds(10)).until(() -> t1.connectionState(2) == ConnectionState.CONNECTED);

        t2.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> t1.connectionState(2) != ConnectionState.CONNECTED);
        assertThat(t1.send(2, new PeerMessage.Heartbeat(42, 0, 0))).as("queued while the peer is away").isTrue();
        assertThat(t1.queuedMessages(2)).isEqualTo(1);

        Inbox inbox2b = new Inbox();
        start(spec, 2, inbox2b);
        assertThat(inbox2b.next()).usingRecursiveComparison().isEqualTo(new Received(1, new PeerMessage.Heartbeat(42, 0, 0)));
        assertThat(t1.connects(2)).isEqualTo(2);
        assertThat(inbox2.messages).isEmpty();
    }

    @Test
    void aFullQueueDropsInsteadOfGrowing() throws Exception {
        ClusterSpec spec = twoNodes("s3cret", freePort(), freePort());
        NettyTransport t1 = new NettyTransport(Topology.of(spec), 1, SETTINGS.withQueueLimits(3, 1L << 20), null);
        started.add(t1);
        t1.start(); // node 2 is not running: everything queues
        byte[] key = {1};
        for (int i = 0; i < 3; i++) {
            assertThat(t1.send(2, new PeerMessage.Write(i, key, new byte[] {2}))).isTrue();
        }
        assertThat(t1.send(2, new PeerMessage.Write(3, key, new byte[] {2}))).isFalse();
        assertThat(t1.droppedMessages(2)).isEqualTo(1);
        assertThat(t1.send(2, new PeerMessage.Heartbeat(0, 0, 0))).as("control messages have a lane of their own").isTrue();
        assertThat(t1.queuedMessages(2)).isEqualTo(4);
        assertThatThrownBy(() -> t1.send(1, new PeerMessage.Heartbeat(0, 0, 0))).isInstanceOf(IllegalArgumentException.class);
        assertThat(t1.send(77, new PeerMessage.Heartbeat(0, 0, 0))).as("unknown node").isFalse();
    }

    @Test
    void theQueueTakesAnOversizedMessageWhenEmptyAndStillBoundsTheRest() throws Exception {
        ClusterSpec spec = new ClusterSpec("loopback", "s3cret", 8, Map.of("dc1", 3), List.of(
                new NodeSpec(1, "127.0.0.1", 1, freePort(), "dc1", "r1"),
                new NodeSpec(2, "127.0.0.1", 2, freePort(), "dc1", "r2"),
                new NodeSpec(3, "127.0.0.1", 3, freePort(), "dc1", "r3")));
        long bound = 1L << 20;
        NettyTransport t1 = new NettyTransport(Topology.of(spec), 1, SETTINGS.withQueueLimits(1000, bound), null);
        started.add(t1);
        t1.start(); // nodes 2 and 3 are not running: everything queues
        byte[] key = {1};
        byte[] payload = new byte[3 << 20];
        new java.util.Random(3).nextBytes(payload);
        PeerMessage.Write big = new PeerMessage.Write(1, key, payload);
        int bigBytes = PeerCodec.LENGTH_FIELD_BYTES + PeerCodec.frameLength(big);

        assertThat(t1.send(2, big)).as("alone: accepted, three times the byte bound").isTrue();
        assertThat(t1.queuedBytes(2)).isEqualTo(bigBytes);
        assertThat(t1.send(2, new PeerMessage.Write(2, key, new byte[10]))).as("then the bound holds").isFalse();
        assertThat(t1.send(2, new PeerMessage.Write(3, key, payload))).isFalse();
        assertThat(t1.send(2, new PeerMessage.Heartbeat(7, 0, 0))).as("control messages have a lane of their own").isTrue();
        assertThat(t1.send(3, new PeerMessage.Write(4, key, new byte[10]))).isTrue();
        assertThat(t1.send(3, big)).as("not alone: refused").isFalse();
        assertThat(t1.droppedMessages(2)).isEqualTo(2);
        assertThat(t1.droppedMessages(3)).isEqualTo(1);

        Inbox inbox2 = new Inbox();
        NettyTransport t2 = start(spec, 2, inbox2);
        assertThat(inbox2.next().message()).as("the control lane first").isEqualTo(new PeerMessage.Heartbeat(7, 0, 0));
        PeerMessage.Write got = (PeerMessage.Write) inbox2.next().message();
        assertThat(got.requestId()).isEqualTo(1);
        assertThat(Arrays.equals(got.payload(), payload)).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> t1.queuedBytes(2) == 0);
        int chunk = PeerCodec.fragmentChunkBytes(SETTINGS.maxFrameBytes());
        long fragments = (PeerCodec.frameLength(big) + chunk - 1) / chunk;
        assertThat(t1.messagesFragmented()).isEqualTo(1);
        assertThat(t1.fragmentsSent()).isEqualTo(fragments);
        assertThat(t1.largestMessageSent()).isEqualTo(PeerCodec.frameLength(big));
        assertThat(t2.messagesReassembled()).isEqualTo(1);
        assertThat(t2.fragmentsReceived()).isEqualTo(fragments);
        assertThat(t2.largestMessageReceived()).isEqualTo(PeerCodec.frameLength(big));
        assertThat(t1.send(2, new PeerMessage.Write(5, key, new byte[10]))).as("once sent, room again").isTrue();
        assertThat(((PeerMessage.Write) inbox2.next().message()).requestId()).isEqualTo(5);
    }

    @Test
    void aMessageOverTheMessageLimitIsDroppedAtTheSender() throws Exception {
        ClusterSpec spec = twoNodes("s3cret", freePort(), freePort());
        NettyTransport t1 = new NettyTransport(Topology.of(spec), 1,
                SETTINGS.withFrameLimits(PeerCodec.MIN_FRAME_BYTES, 1 << 20), null);
        started.add(t1);
        t1.start();
        assertThat(t1.send(2, new PeerMessage.Write(1, new byte[1], new byte[1 << 20]))).isFalse();
        assertThat(t1.droppedMessages(2)).isEqualTo(1);
        assertThat(t1.send(2, new PeerMessage.Write(1, new byte[1], new byte[(1 << 20) - 100]))).isTrue();
    }

    /** Opens a connection to node 1 at {@code port} and authenticates as node 2 with {@code secret}. */
    private static Socket authenticated(int port, String secret) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        byte[] dialerNonce = PeerAuth.newNonce();
        write(s, new PeerMessage.Hello("loopback", 2, 1, dialerNonce));
        PeerMessage.Challenge challenge = (PeerMessage.Challenge) read(s);
        write(s, new PeerMessage.AuthResponse(new PeerAuth(secret).proof(PeerAuth.Role.DIALER, "loopback", 2, 1,
                dialerNonce, challenge.nonce())));
        assertThat(read(s)).isEqualTo(new PeerMessage.AuthOk());
        return s;
    }

    private static byte[] fragment(boolean first, int totalOrOffset, int chunkBytes) {
        return PeerFrameDecoderTest.fragment(first, totalOrOffset, new byte[chunkBytes], 0, chunkBytes);
    }

    private static void assertClosed(Socket s, String what, byte[]... frames) throws IOException {
        try {
            for (byte[] f : frames) {
                s.getOutputStream().write(f);
            }
            s.getOutputStream().flush();
        } catch (IOException e) {
            // closed while writing: as good
        }
        s.setSoTimeout(5_000);
        try {
            assertThat(s.getInputStream().read()).as("%s: closed", what).isEqualTo(-1);
        } catch (java.net.SocketException e) {
            // reset by the peer (it closed with our bytes unread): closed as well
        }
        s.close();
    }

    @Test
    void hostileFragmentSequencesCloseTheConnection() throws Exception {
        String secret = "s3cret";
        ClusterSpec spec = twoNodes(secret, freePort(), freePort());
        int frame = 64 << 10;
        int limit = 16 << 20;
        Inbox inbox = new Inbox();
        NettyTransport t1 = new NettyTransport(Topology.of(spec), 1, SETTINGS.withFrameLimits(frame, limit), null);
        t1.setHandler(inbox);
        started.add(t1);
        t1.start();
        int port = spec.node(1).peerPort();
        int chunk = PeerCodec.fragmentChunkBytes(frame);

        try (Socket s = new Socket("127.0.0.1", port)) {
            assertClosed(s, "before any handshake", fragment(true, 3 * chunk, chunk));
        }
        try (Socket s = new Socket("127.0.0.1", port)) {
            write(s, new PeerMessage.Hello("loopback", 2, 1, PeerAuth.newNonce()));
            read(s); // the challenge, left unanswered
            assertClosed(s, "during the handshake", fragment(true, 3 * chunk, chunk));
        }
        assertClosed(authenticated(port, secret), "announced over the limit", fragment(true, limit + 1, 100));
        assertClosed(authenticated(port, secret), "announced 2 GiB", fragment(true, Integer.MAX_VALUE, 100));
        assertClosed(authenticated(port, secret), "an overlong fragment", fragment(true, limit, chunk + 1));
        assertClosed(authenticated(port, secret), "a fragment without a start", fragment(false, 0, chunk));
        assertClosed(authenticated(port, secret), "a new start mid-message", fragment(true, 3 * chunk, chunk),
                fragment(true, 3 * chunk, chunk));
        assertClosed(authenticated(port, secret), "out of order", fragment(true, 3 * chunk, chunk),
                fragment(false, 2 * chunk, chunk));
        assertClosed(authenticated(port, secret), "too many bytes", fragment(true, 3 * chunk, chunk),
                fragment(false, chunk, chunk), fragment(false, 2 * chunk, chunk - 1), fragment(false, 3 * chunk - 1, 2));

        // Fragments that reassemble into something that is not a message: refused on the delivery
        // thread, where it is decoded, and what follows it is not delivered.
        byte[] garbage = new byte[2 * chunk];
        new java.util.Random(5).nextBytes(garbage);
        garbage[0] = PeerCodec.VERSION;
        garbage[1] = (byte) 11; // WRITE, with a random body
        assertClosed(authenticated(port, secret), "not a message",
                PeerFrameDecoderTest.fragment(true, 2 * chunk, garbage, 0, chunk),
                PeerFrameDecoderTest.fragment(false, chunk, garbage, chunk, chunk),
                PeerCodec.encodeToBytes(new PeerMessage.Write(1, new byte[1], new byte[1])));

        await().atMost(Duration.ofSeconds(5)).until(() -> t1.protocolErrors() == 10);
        assertThat(t1.reassemblyErrors())
                .as("the fragment sequences after authentication but the overlong frame: the two before it are "
                        + "refused by their length, larger than a handshake frame, as is the overlong one")
                .isEqualTo(6);
        assertThat(inbox.messages).isEmpty();

        // A well-formed fragmented message on an authenticated connection is delivered.
        try (Socket s = authenticated(port, secret)) {
            PeerMessage.Write w = new PeerMessage.Write(9, new byte[] {1}, new byte[3 * chunk]);
            for (byte[] f : PeerFrameDecoderTest.fragments(w, frame)) {
                s.getOutputStream().write(f);
            }
            PeerMessage got = inbox.next().message();
            assertThat(((PeerMessage.Write) got).payload()).hasSize(3 * chunk);
        }
        assertThat(t1.protocolErrors()).isEqualTo(10);
    }

    @Test
    void connectionsWaitingToAuthenticateAreLimitedInNumber() throws Exception {
        String secret = "s3cret";
        ClusterSpec spec = twoNodes(secret, freePort(), freePort());
        NettyTransport t1 = new NettyTransport(Topology.of(spec), 1, SETTINGS, null);
        t1.setHandler(new Inbox());
        started.add(t1);
        t1.start();
        int port = spec.node(1).peerPort();
        List<Socket> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) { // the limit for a cluster this small
                silent.add(new Socket("127.0.0.1", port));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> t1.unauthenticatedConnections() == 64);
            try (Socket extra = new Socket("127.0.0.1", port)) {
                extra.setSoTimeout(5_000);
                assertThat(extra.getInputStream().read()).as("closed at once").isEqualTo(-1);
            }
            assertThat(t1.unauthenticatedRefused()).isEqualTo(1);
        } finally {
            for (Socket s : silent) {
                s.close();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> t1.unauthenticatedConnections() == 0);
        try (Socket s = authenticated(port, secret)) {
            assertThat(s.isConnected()).as("a peer authenticates once the strangers left").isTrue();
        }
    }

    @Test
    void aTakenPortFailsLoudly() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            ClusterSpec spec = twoNodes("s3cret", taken.getLocalPort(), freePort());
            NettyTransport t = new NettyTransport(Topology.of(spec), 1, SETTINGS, null);
            started.add(t);
            assertThatThrownBy(t::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot listen for peers on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    private static void write(Socket s, PeerMessage m) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(PeerCodec.encodeToBytes(m));
        out.flush();
    }

    private static PeerMessage read(Socket s) throws IOException {
        s.setSoTimeout(5_000);
        InputStream in = s.getInputStream();
        DataInputStream data = new DataInputStream(in);
        int length = data.readInt();
        byte[] frame = new byte[4 + length];
        frame[0] = (byte) (length >>> 24);
        frame[1] = (byte) (length >>> 16);
        frame[2] = (byte) (length >>> 8);
        frame[3] = (byte) length;
        data.readFully(frame, 4, length);
        return PeerCodec.decodeFrame(frame, PeerCodec.DEFAULT_MAX_FRAME_BYTES);
    }
}
