package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.nativeio.FileCalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectoredIoTest {
    @TempDir
    Path dir;

    private final WorkerState w = WorkerState.current();
    private final Arena arena = Arena.ofConfined();
    private Path file;
    private int fd;

    @BeforeEach
    void open() {
        file = dir.resolve("f");
        fd = HostFds.open(file, Fcntl.O_RDWR | Fcntl.O_CREAT, 0644);
    }

    @AfterEach
    void close() {
        FileCalls.close(fd);
        arena.close();
    }

    private List<MemorySegment> nativeSegments(int... sizes) {
        List<MemorySegment> segments = new ArrayList<>();
        for (int size : sizes) {
            segments.add(arena.allocate(size));
        }
        return segments;
    }

    private static String text(List<MemorySegment> segments, long length) {
        StringBuilder out = new StringBuilder();
        for (MemorySegment s : segments) {
            int take = (int) Math.min(s.byteSize(), length - out.length());
            out.append(new String(s.asSlice(0, take).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
        }
        return out.toString();
    }

    @Test
    void segmentsAreFilledInOrderAndAShortReadIsTheEnd() throws Exception {
        Files.writeString(file, "abcdefghij");
        List<MemorySegment> into = nativeSegments(3, 4, 8);
        long n = VectoredIo.read(w, fd, into, 1);
        assertThat(n).isEqualTo(9);
        assertThat(text(into, n)).isEqualTo("bcdefghij");
    }

    @Test
    void segmentsAreWrittenInOrder() throws Exception {
        List<MemorySegment> from = nativeSegments(2, 3);
        from.get(0).copyFrom(MemorySegment.ofArray("ab".getBytes(StandardCharsets.US_ASCII)));
        from.get(1).copyFrom(MemorySegment.ofArray("cde".getBytes(StandardCharsets.US_ASCII)));
        assertThat(VectoredIo.write(w, fd, from, 2)).isEqualTo(5);
        assertThat(Files.readString(file)).isEqualTo("\0\0abcde");
    }

    @Test
    void heapSegmentsGoThroughANativeBuffer() throws Exception {
        Files.writeString(file, "hello");
        MemorySegment heap = MemorySegment.ofArray(new byte[8]);
        assertThat(VectoredIo.read(w, fd, List.of(heap), 0)).isEqualTo(5);
        assertThat(text(List.of(heap), 5)).isEqualTo("hello");
        MemorySegment data = MemorySegment.ofArray("HELLO".getBytes(StandardCharsets.US_ASCII));
        assertThat(VectoredIo.write(w, fd, List.of(data), 5)).isEqualTo(5);
        assertThat(Files.readString(file)).isEqualTo("helloHELLO");
    }

    @Test
    void moreSegmentsThanOneCallTakesAreSplitAcrossCalls() throws Exception {
        int count = VectoredIo.IOV_MAX + 3;
        Files.write(file, new byte[count]);
        List<MemorySegment> from = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            MemorySegment one = arena.allocate(1);
            one.set(ValueLayout.JAVA_BYTE, 0, (byte) ('a' + i % 26));
            from.add(one);
        }
        assertThat(VectoredIo.write(w, fd, from, 0)).isEqualTo(count);
        byte[] back = Files.readAllBytes(file);
        assertThat(back[0]).isEqualTo((byte) 'a');
        assertThat(back[count - 1]).isEqualTo((byte) ('a' + (count - 1) % 26));
        List<MemorySegment> into = new ArrayList<>();
        for (int i = 0; i < count + 10; i++) {
            into.add(arena.allocate(1));
        }
        assertThat(VectoredIo.read(w, fd, into, 0)).as("the end of the file ends the read").isEqualTo(count);
    }

    @Test
    void nothingToMoveIsZero() throws Exception {
        assertThat(VectoredIo.read(w, fd, List.of(), 0)).isZero();
    }
}
