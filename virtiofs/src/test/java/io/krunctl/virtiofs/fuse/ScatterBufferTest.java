package io.krunctl.virtiofs.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The guest's scattered buffers seen as one byte range, the way every request and reply is read and written. */
class ScatterBufferTest {
    /** Segments of 3, 0, 5 and 2 bytes holding 0..9. */
    private final MemorySegment[] parts = {
        MemorySegment.ofArray(new byte[] {0, 1, 2}),
        MemorySegment.ofArray(new byte[0]),
        MemorySegment.ofArray(new byte[] {3, 4, 5, 6, 7}),
        MemorySegment.ofArray(new byte[] {8, 9}),
    };
    private final ScatterBuffer buffer = ScatterBuffer.of(parts);

    private static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void readsAcrossSegmentBoundariesAndPastEmptySegments() {
        assertThat(buffer.size()).isEqualTo(10);
        byte[] all = new byte[10];
        buffer.read(0, MemorySegment.ofArray(all));
        assertThat(all).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        byte[] middle = new byte[6];
        buffer.read(2, MemorySegment.ofArray(middle));
        assertThat(middle).containsExactly(2, 3, 4, 5, 6, 7);
        byte[] fromSecond = new byte[2];
        buffer.read(3, MemorySegment.ofArray(fromSecond));
        assertThat(fromSecond).as("offset 3 is in the third segment, past the empty one").containsExactly(3, 4);
    }

    @Test
    void writesLandInTheRightSegments() {
        buffer.write(1, MemorySegment.ofArray(new byte[] {-1, -2, -3, -4, -5, -6, -7, -8}));
        assertThat(bytes(parts[0])).containsExactly(0, -1, -2);
        assertThat(bytes(parts[2])).containsExactly(-3, -4, -5, -6, -7);
        assertThat(bytes(parts[3])).containsExactly(-8, 9);
    }

    @Test
    void nothingOutsideTheRangeIsTouchedAndALieIsRefused() {
        assertThatThrownBy(() -> buffer.read(8, MemorySegment.ofArray(new byte[3])))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("outside buffer of 10 bytes");
        assertThatThrownBy(() -> buffer.write(-1, MemorySegment.ofArray(new byte[1])))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> buffer.write(11, MemorySegment.ofArray(new byte[0])))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(bytes(parts[3])).containsExactly(8, 9);
        buffer.write(10, MemorySegment.ofArray(new byte[0]));
    }

    @Test
    void slicesAreViewsNotCopies() {
        List<MemorySegment> views = buffer.slices(2, 4);
        assertThat(views).hasSize(2);
        assertThat(bytes(views.get(0))).containsExactly(2);
        assertThat(bytes(views.get(1))).containsExactly(3, 4, 5);
        views.get(1).set(ValueLayout.JAVA_BYTE, 0, (byte) 42);
        assertThat(bytes(parts[2])[0]).isEqualTo((byte) 42);
    }
}
