package io.krunctl.virtiofs.vhostuser;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.nativeio.Fd;
import io.krunctl.nativeio.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GuestMemoryTest {
    private static final long PAGE = 4096;
    private Fd memfd;
    private Arena arena;
    private MemorySegment file;

    @BeforeEach
    void setUp() throws Exception {
        memfd = Fd.adopt(Libc.memfdCreate("guest-memory-test", Libc.MFD_CLOEXEC));
        Libc.ftruncate(memfd.get(), 8 * PAGE);
        arena = Arena.ofShared();
        file = Libc.mmap(8 * PAGE, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, memfd.get(), 0, arena);
    }

    @AfterEach
    void tearDown() {
        arena.close();
        memfd.close();
    }

    /** Two regions: gpa [0x10000, +2 pages) at file page 1, gpa [0x12000, +3 pages) at file page 4. */
    private GuestMemory twoAdjacentRegions() throws Exception {
        return GuestMemory.map(List.of(
                new GuestMemory.RegionSpec(0x10000, 2 * PAGE, 0x7000_0000L, PAGE),
                new GuestMemory.RegionSpec(0x12000, 3 * PAGE, 0x7100_0000L, 4 * PAGE)),
                new int[] {memfd.get(), memfd.get()});
    }

    @Test
    void translatesGuestAndUserAddressesThroughTheRightFileOffsets() throws Exception {
        file.set(JAVA_LONG, PAGE + 8, 0x1111L);
        file.set(JAVA_LONG, 4 * PAGE + 16, 0x2222L);
        GuestMemory m = twoAdjacentRegions();
        try {
            assertThat(m.guestRange(0x10008, 8).get(JAVA_LONG, 0)).isEqualTo(0x1111L);
            assertThat(m.guestRange(0x12010, 8).get(JAVA_LONG, 0)).isEqualTo(0x2222L);
            assertThat(m.userRange(0x7000_0008L, 8).get(JAVA_LONG, 0)).isEqualTo(0x1111L);
            assertThat(m.userRange(0x7100_0010L, 8).get(JAVA_LONG, 0)).isEqualTo(0x2222L);
            // Writes through the device's view land in the shared file.
            m.guestRange(0x12000, 8).set(JAVA_LONG, 0, 0x3333L);
            assertThat(file.get(JAVA_LONG, 4 * PAGE)).isEqualTo(0x3333L);
        } finally {
            m.release();
        }
    }

    @Test
    void singleRangesMustFitOneRegionButScatterRangesMayCrossAdjacentOnes() throws Exception {
        GuestMemory m = twoAdjacentRegions();
        try {
            assertThat(m.guestRange(0x11ff8, 16)).isNull();
            List<MemorySegment> out = new ArrayList<>();
            assertThat(m.guestRanges(0x11ff8, 16, out)).isTrue();
            assertThat(out).hasSize(2);
            assertThat(out.get(0).byteSize()).isEqualTo(8);
            assertThat(out.get(1).byteSize()).isEqualTo(8);
            assertThat(out.get(1).address()).isEqualTo(m.guestRange(0x12000, 8).address());
        } finally {
            m.release();
        }
    }

    @Test
    void rangesOutsideEveryRegionAreRefused() throws Exception {
        GuestMemory m = twoAdjacentRegions();
        try {
            List<MemorySegment> out = new ArrayList<>();
            assertThat(m.guestRanges(0xf000, 8, out)).isFalse();
            assertThat(m.guestRanges(0x14ff8, 16, out)).isFalse(); // runs past the end
            assertThat(m.guestRanges(-8L, 16, out)).isFalse(); // wraps 2^64
            assertThat(m.guestRange(0x15000, 1)).isNull();
            assertThat(m.userRange(0x7000_0000L + 2 * PAGE - 4, 8)).isNull();
            assertThat(m.userRange(0x6fff_fff8L, 16)).isNull();
        } finally {
            m.release();
        }
    }

    @Test
    void theLastReferenceUnmaps() throws Exception {
        GuestMemory m = twoAdjacentRegions();
        MemorySegment view = m.guestRange(0x10000, 8);
        assertThat(m.retain()).isTrue();
        m.release();
        view.get(JAVA_LONG, 0); // still mapped: one reference left
        m.release();
        assertThatThrownBy(() -> view.get(JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
        assertThat(m.retain()).isFalse();
    }

    @Test
    void regionsThatCannotBeMappedSafelyAreRefused() {
        assertThatThrownBy(() -> GuestMemory.map(List.of(new GuestMemory.RegionSpec(0, 16 * PAGE, 0, 0)),
                new int[] {memfd.get()}))
                .isInstanceOf(VhostUserException.class).hasMessageContaining("its file holds only");
        assertThatThrownBy(() -> GuestMemory.map(List.of(new GuestMemory.RegionSpec(-PAGE, 2 * PAGE, 0, 0)),
                new int[] {memfd.get()}))
                .isInstanceOf(VhostUserException.class).hasMessageContaining("wraps");
        assertThatThrownBy(() -> GuestMemory.map(List.of(new GuestMemory.RegionSpec(0, 0, 0, 0)),
                new int[] {memfd.get()}))
                .isInstanceOf(VhostUserException.class).hasMessageContaining("size 0");
        assertThatThrownBy(() -> GuestMemory.map(List.of(new GuestMemory.RegionSpec(0, PAGE, 0, 0)), new int[0]))
                .isInstanceOf(VhostUserException.class).hasMessageContaining("file descriptors");
    }
}
