package io.converge.server.cluster.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.wire.PeerMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatedNetworkTest {

    /** Runs a small chatty scenario and returns everything that was delivered, with times. */
    private static List<String> trace(long seed) {
        SimulatedNetwork net = new SimulatedNetwork(seed, NetworkConditions.faulty(0.2, 0.2), true);
        List<String> log = new ArrayList<>();
        for (int node = 1; node <= 3; node++) {
            int self = node;
            net.transport(node).setHandler((from, m) ->
                    log.add(net.clock().nowMillis() + ":" + from + "->" + self + ":" + ((PeerMessage.Heartbeat) m).sentAtMillis()));
        }
        for (int i = 0; i < 50; i++) {
            int from = 1 + net.random().nextInt(3);
            int to = from % 3 + 1;
            long stamp = i;
            net.schedule(net.random().nextInt(100), () -> net.transport(from).send(to, new PeerMessage.Heartbeat(stamp, 0, 0)));
        }
        net.runFor(1_000);
        return log;
    }

    @Test
    void oneSeedReplaysTheSameRun() {
        assertThat(trace(42)).isEqualTo(trace(42)).isNotEqualTo(trace(43));
    }

    @Test
    void reliableLinksDeliverInOrderAfterTheDelay() {
        SimulatedNetwork net = new SimulatedNetwork(1);
        List<Long> received = new ArrayList<>();
        net.transport(1);
        net.transport(2).setHandler((from, m) -> received.add(((PeerMessage.Heartbeat) m).sentAtMillis()));
        for (long i = 0; i < 5; i++) {
            assertThat(net.transport(1).send(2, new PeerMessage.Heartbeat(i, 0, 0))).isTrue();
        }
        assertThat(received).isEmpty();
        net.runFor(1);
        assertThat(received).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(net.stats().delivered()).isEqualTo(5);
    }

    @Test
    void lossAndDuplicationHappenAtRoughlyTheConfiguredRates() {
        SimulatedNetwork net = new SimulatedNetwork(5, new NetworkConditions(0.1, 0.2, 0, 5), false);
        int[] received = new int[1];
        net.transport(1);
        net.transport(2).setHandler((from, m) -> received[0]++);
        for (int i = 0; i < 10_000; i++) {
            net.transport(1).send(2, new PeerMessage.Keepalive());
        }
        net.runFor(10);
        NetworkStats stats = net.stats();
        assertThat(stats.sent()).isEqualTo(10_000);
        assertThat(stats.lost()).isBetween(850L, 1_150L);
        assertThat(stats.duplicated()).isBetween(1_600L, 2_000L);
        assertThat(received[0]).isEqualTo(stats.delivered()).isEqualTo((int) (10_000 - stats.lost() + stats.duplicated()));
    }

    @Test
    void partitionsDropTrafficBetweenGroupsUntilHealed() {
        SimulatedNetwork net = new SimulatedNetwork(1);
        List<String> received = new ArrayList<>();
        for (int node = 1; node <= 3; node++) {
            int self = node;
            net.transport(node).setHandler((from, m) -> received.add(from + "->" + self));
        }
        net.partition(List.of(List.of(1, 2)));
        assertThat(net.canCommunicate(1, 2)).isTrue();
        assertThat(net.canCommunicate(1, 3)).isFalse();
        assertThat(net.transport(1).connectionState(3)).isEqualTo(ConnectionState.DISCONNECTED);
        net.transport(1).send(2, new PeerMessage.Keepalive());
        net.transport(1).send(3, new PeerMessage.Keepalive());
        net.transport(3).send(2, new PeerMessage.Keepalive());
        net.runFor(5);
        assertThat(received).containsExactly("1->2");
        assertThat(net.stats().droppedPartitioned()).isEqualTo(2);

        net.transport(1).send(3, new PeerMessage.Keepalive());
        net.heal();
        net.runFor(5);
        assertThat(received).as("a message sent before the heal arrives after it").containsExactly("1->2", "1->3");
        net.isolate(2);
        assertThat(net.canCommunicate(1, 2)).isFalse();
        assertThat(net.canCommunicate(1, 3)).isTrue();
    }

    @Test
    void crashesKillInFlightMessagesAndTimersButRestartsReconnect() {
        SimulatedNetwork net = new SimulatedNetwork(1);
        List<String> events = new ArrayList<>();
        net.transport(1).setHandler(new PeerMessageHandler() {
            @Override
            public void onMessage(int from, PeerMessage message) {
                events.add("msg from " + from);
            }

            @Override
            public void onConnectionStateChanged(int node, ConnectionState state) {
                events.add(node + " " + state);
            }
        });
        net.transport(2);
        net.scheduleOn(2, 10, () -> events.add("timer of 2"));
        net.transport(2).send(1, new PeerMessage.Keepalive());
        net.crash(2);
        assertThat(net.transport(2).send(1, new PeerMessage.Keepalive())).as("a crashed node cannot send").isFalse();
        net.runFor(20);
        assertThat(events).containsExactly("2 DISCONNECTED");
        assertThat(net.stats().droppedDown()).isEqualTo(1);

        net.restart(2);
        net.transport(2).send(1, new PeerMessage.Keepalive());
        net.runFor(20);
        assertThat(events).containsExactly("2 DISCONNECTED", "2 CONNECTED", "msg from 2");
    }

    @Test
    void wallClocksCanBeSkewed() {
        SimulatedNetwork net = new SimulatedNetwork(1);
        net.clock().advance(1_000);
        net.setClockSkew(2, -300);
        assertThat(net.wallClock(1).nowMillis()).isEqualTo(1_000);
        assertThat(net.wallClock(2).nowMillis()).isEqualTo(700);
        assertThatThrownBy(() -> net.clock().advanceTo(10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void runUntilStopsWhenTheConditionHolds() {
        SimulatedNetwork net = new SimulatedNetwork(1);
        int[] ticks = new int[1];
        Runnable[] tick = new Runnable[1];
        tick[0] = () -> {
            ticks[0]++;
            net.schedule(100, tick[0]);
        };
        net.schedule(100, tick[0]);
        assertThat(net.runUntil(() -> ticks[0] == 5, 10_000)).isTrue();
        assertThat(net.clock().nowMillis()).isEqualTo(500);
        assertThat(net.runUntil(() -> false, 1_000)).isFalse();
        assertThat(net.clock().nowMillis()).isEqualTo(1_500);
    }

    @Test
    void sendingToSelfIsAProgrammingError() {
        SimulatedNetwork net = new SimulatedNetwork(1);
        assertThatThrownBy(() -> net.transport(1).send(1, new PeerMessage.Keepalive()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
