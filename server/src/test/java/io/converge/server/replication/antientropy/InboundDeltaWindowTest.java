package io.converge.server.replication.antientropy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InboundDeltaWindowTest {

    private final InboundDeltaWindow w = new InboundDeltaWindow();

    @Test
    void acceptsInOrderAndDropsDuplicates() {
        assertThat(w.beginBatch(5, 1)).isTrue();
        assertThat(w.accept(1)).isTrue();
        assertThat(w.accept(2)).isTrue();
        assertThat(w.accept(2)).isFalse();
        assertThat(w.accept(1)).isFalse();
        assertThat(w.ackedSeq()).isEqualTo(2);
        assertThat(w.accepted()).isEqualTo(2);
        assertThat(w.duplicates()).isEqualTo(2);
    }

    @Test
    void acceptsOutOfOrderAndAcksOnlyTheContiguousPrefix() {
        w.beginBatch(5, 1);
        assertThat(w.accept(3)).isTrue();
        assertThat(w.accept(4)).isTrue();
        assertThat(w.ackedSeq()).isZero();
        assertThat(w.isNew(3)).isFalse();
        assertThat(w.accept(3)).isFalse();
        assertThat(w.accept(1)).isTrue();
        assertThat(w.ackedSeq()).isEqualTo(1);
        assertThat(w.accept(2)).isTrue();
        assertThat(w.ackedSeq()).as("fills the gap and advances over 3 and 4").isEqualTo(4);
        assertThat(w.accept(4)).isFalse();
    }

    @Test
    void refusesDeltasBeyondTheWindow() {
        w.beginBatch(5, 1);
        assertThat(w.accept(InboundDeltaWindow.WINDOW + 1)).isFalse();
        assertThat(w.beyondWindow()).isEqualTo(1);
        assertThat(w.accept(InboundDeltaWindow.WINDOW)).isTrue();
    }

    @Test
    void baseSeqSkipsAHoleTheSenderWillNeverFill() {
        w.beginBatch(5, 1);
        w.accept(1);
        w.accept(5);
        w.beginBatch(5, 4);
        assertThat(w.ackedSeq()).as("3 skipped, then 4 missing").isEqualTo(3);
        assertThat(w.accept(4)).isTrue();
        assertThat(w.ackedSeq()).isEqualTo(5);
        w.beginBatch(5, 200_000);
        assertThat(w.ackedSeq()).as("a jump beyond the window").isEqualTo(199_999);
        assertThat(w.accept(200_000)).isTrue();
    }

    @Test
    void aNewSenderIncarnationResetsAndAnOldOneIsStale() {
        w.beginBatch(5, 1);
        w.accept(1);
        w.accept(2);
        assertThat(w.beginBatch(6, 1)).isTrue();
        assertThat(w.ackedSeq()).isZero();
        assertThat(w.accept(1)).as("sequence numbers restart with the new incarnation").isTrue();
        assertThat(w.beginBatch(5, 1)).isFalse();
        assertThat(w.staleBatches()).isEqualTo(1);
        assertThat(w.incarnation()).isEqualTo(6);
    }
}
