package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class InodeAllocatorTest {
    @Test
    void theRootIsOneAndNumbersStartRightAfterIt() {
        InodeAllocator inodes = new InodeAllocator();

        assertThat(InodeAllocator.ROOT_ID).isEqualTo(1);
        assertThat(inodes.next()).isEqualTo(2);
        assertThat(inodes.next()).isEqualTo(3);
    }

    @Test
    void concurrentCallersNeverShareANumber() {
        InodeAllocator inodes = new InodeAllocator();
        Set<Long> seen = ConcurrentHashMap.newKeySet();

        IntStream.range(0, 100_000).parallel().forEach(i -> assertThat(seen.add(inodes.next())).isTrue());

        assertThat(seen).hasSize(100_000).doesNotContain(0L, 1L);
    }
}
