package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DataVersionTest {
    private static final DataVersion CHANGED_AT_1000_S = new DataVersion(4, 1000, 0, 1000, 5_000_000);

    @Test
    void aVersionChangedWithinTheSettlingTimeIsNotSettled() {
        assertThat(CHANGED_AT_1000_S.settledBy(1_000_005)).isFalse();
        assertThat(CHANGED_AT_1000_S.settledBy(1_000_005 + DataVersion.SETTLE_MILLIS)).isFalse();
    }

    @Test
    void aVersionOlderThanTheSettlingTimeIsSettled() {
        assertThat(CHANGED_AT_1000_S.settledBy(1_000_006 + DataVersion.SETTLE_MILLIS)).isTrue();
    }

    @Test
    void versionsDifferInEachOfTheirParts() {
        assertThat(CHANGED_AT_1000_S).isEqualTo(new DataVersion(4, 1000, 0, 1000, 5_000_000))
                .isNotEqualTo(new DataVersion(5, 1000, 0, 1000, 5_000_000))
                .isNotEqualTo(new DataVersion(4, 1000, 1, 1000, 5_000_000))
                .isNotEqualTo(new DataVersion(4, 1000, 0, 1000, 5_000_001));
    }
}
