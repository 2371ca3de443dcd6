package io.converge.server.replication.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Duplicate detection of forwarded commands: an id is recognised for at least one generation. */
class RecentRequestIdsTest {

    @Test
    void recentRequestIdsCatchDuplicatesForAtLeastOneGeneration() {
        RecentRequestIds ids = new RecentRequestIds(16, 100, 0);
        assertThat(ids.firstTime(5, 0)).isTrue();
        assertThat(ids.firstTime(5, 1)).isFalse();
        assertThat(ids.firstTime(6, 150)).isTrue(); // rotates: 5 moves to the previous generation
        assertThat(ids.firstTime(5, 160)).isFalse();
        assertThat(ids.firstTime(7, 400)).isTrue(); // rotates again: 5 is forgotten
        assertThat(ids.firstTime(5, 401)).isTrue();
        for (long id = 100; id < 200; id++) {
            assertThat(ids.firstTime(id, 500)).isTrue(); // bursts rotate by size and never fill the table
        }
        assertThat(ids.firstTime(199, 500)).isFalse();
        assertThatThrownBy(() -> ids.firstTime(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
