package io.krunctl.nativeio;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.StructLayout;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Sizes and offsets as gcc reports them for Linux x86_64 (glibc 2.36, kernel headers 6.1). */
class FileStructsTest {

    static Stream<Arguments> sizes() {
        return Stream.of(
                Arguments.of(FileStructs.STATX, 256L),
                Arguments.of(FileStructs.STATX_TIMESTAMP, 16L),
                Arguments.of(FileStructs.OPEN_HOW, 24L),
                Arguments.of(FileStructs.TIMESPEC, 16L),
                Arguments.of(FileStructs.STATFS, 120L),
                Arguments.of(FileStructs.CAP_HEADER, 8L),
                Arguments.of(FileStructs.CAP_DATA, 12L));
    }

    @ParameterizedTest(name = "{0} is {1} bytes")
    @MethodSource("sizes")
    void sizeMatchesLinuxX8664(StructLayout layout, long size) {
        assertThat(layout.byteSize()).isEqualTo(size);
    }

    static Stream<Arguments> offsets() {
        return Stream.of(
                Arguments.of(FileStructs.STATX, "stx_mask", 0L),
                Arguments.of(FileStructs.STATX, "stx_blksize", 4L),
                Arguments.of(FileStructs.STATX, "stx_attributes", 8L),
                Arguments.of(FileStructs.STATX, "stx_nlink", 16L),
                Arguments.of(FileStructs.STATX, "stx_uid", 20L),
                Arguments.of(FileStructs.STATX, "stx_gid", 24L),
                Arguments.of(FileStructs.STATX, "stx_mode", 28L),
                Arguments.of(FileStructs.STATX, "stx_ino", 32L),
                Arguments.of(FileStructs.STATX, "stx_size", 40L),
                Arguments.of(FileStructs.STATX, "stx_blocks", 48L),
                Arguments.of(FileStructs.STATX, "stx_attributes_mask", 56L),
                Arguments.of(FileStructs.STATX, "stx_atime", 64L),
                Arguments.of(FileStructs.STATX, "stx_btime", 80L),
                Arguments.of(FileStructs.STATX, "stx_ctime", 96L),
                Arguments.of(FileStructs.STATX, "stx_mtime", 112L),
                Arguments.of(FileStructs.STATX, "stx_rdev_major", 128L),
                Arguments.of(FileStructs.STATX, "stx_rdev_minor", 132L),
                Arguments.of(FileStructs.STATX, "stx_dev_major", 136L),
                Arguments.of(FileStructs.STATX, "stx_dev_minor", 140L),
                Arguments.of(FileStructs.STATX, "stx_mnt_id", 144L),
                Arguments.of(FileStructs.STATX_TIMESTAMP, "tv_nsec", 8L),
                Arguments.of(FileStructs.OPEN_HOW, "mode", 8L),
                Arguments.of(FileStructs.OPEN_HOW, "resolve", 16L),
                Arguments.of(FileStructs.STATFS, "f_bsize", 8L),
                Arguments.of(FileStructs.STATFS, "f_blocks", 16L),
                Arguments.of(FileStructs.STATFS, "f_bfree", 24L),
                Arguments.of(FileStructs.STATFS, "f_bavail", 32L),
                Arguments.of(FileStructs.STATFS, "f_files", 40L),
                Arguments.of(FileStructs.STATFS, "f_ffree", 48L),
                Arguments.of(FileStructs.STATFS, "f_fsid", 56L),
                Arguments.of(FileStructs.STATFS, "f_namelen", 64L),
                Arguments.of(FileStructs.STATFS, "f_frsize", 72L),
                Arguments.of(FileStructs.STATFS, "f_flags", 80L),
                Arguments.of(FileStructs.CAP_DATA, "permitted", 4L),
                Arguments.of(FileStructs.CAP_DATA, "inheritable", 8L));
    }

    @ParameterizedTest(name = "{0}.{1} at {2}")
    @MethodSource("offsets")
    void fieldOffsets(StructLayout layout, String field, long offset) {
        assertThat(layout.byteOffset(groupElement(field))).isEqualTo(offset);
    }
}
