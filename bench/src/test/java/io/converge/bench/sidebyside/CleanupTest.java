package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CleanupTest {
    @Test
    void closesNewestFirstAndKeepsGoingWhenOneFails() {
        List<String> closed = new ArrayList<>();
        Cleanup cleanup = new Cleanup();
        cleanup.register(() -> closed.add("first"));
        cleanup.register(() -> {
            throw new IllegalStateException("boom");
        });
        cleanup.register(() -> closed.add("third"));

        cleanup.close();

        assertThat(closed).containsExactly("third", "first");
    }

    @Test
    void unregisteredResourcesAreNotClosed() {
        List<String> closed = new ArrayList<>();
        Cleanup cleanup = new Cleanup();
        AutoCloseable done = cleanup.register(() -> closed.add("done"));
        cleanup.unregister(done);

        cleanup.close();

        assertThat(closed).isEmpty();
    }

    @Test
    void somethingRegisteredAfterCleanupBeganIsClosedAtOnce() {
        List<String> closed = new ArrayList<>();
        Cleanup cleanup = new Cleanup();
        cleanup.close();

        assertThatThrownBy(() -> cleanup.register(() -> closed.add("late")))
                .isInstanceOf(Cleanup.StoppedException.class);
        assertThat(closed).containsExactly("late");
    }
}
