package io.krunctl.nativeio;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.StructLayout;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StructsTest {

    static Stream<Arguments> sizes() {
        return Stream.of(
                Arguments.of(Structs.IOVEC, 16L),
                Arguments.of(Structs.MSGHDR, 56L),
                Arguments.of(Structs.CMSGHDR, 16L),
                Arguments.of(Structs.POLLFD, 8L),
                Arguments.of(Structs.SOCKADDR_UN, 110L));
    }

    @ParameterizedTest(name = "{0} is {1} bytes")
    @MethodSource("sizes")
    void sizeMatchesLinuxX8664(StructLayout layout, long size) {
        assertThat(layout.byteSize()).isEqualTo(size);
    }

    static Stream<Arguments> offsets() {
        return Stream.of(
                Arguments.of(Structs.IOVEC, "iov_base", 0L),
                Arguments.of(Structs.IOVEC, "iov_len", 8L),
                Arguments.of(Structs.MSGHDR, "msg_name", 0L),
                Arguments.of(Structs.MSGHDR, "msg_namelen", 8L),
                Arguments.of(Structs.MSGHDR, "msg_iov", 16L),
                Arguments.of(Structs.MSGHDR, "msg_iovlen", 24L),
                Arguments.of(Structs.MSGHDR, "msg_control", 32L),
                Arguments.of(Structs.MSGHDR, "msg_controllen", 40L),
                Arguments.of(Structs.MSGHDR, "msg_flags", 48L),
                Arguments.of(Structs.CMSGHDR, "cmsg_len", 0L),
                Arguments.of(Structs.CMSGHDR, "cmsg_level", 8L),
                Arguments.of(Structs.CMSGHDR, "cmsg_type", 12L),
                Arguments.of(Structs.POLLFD, "fd", 0L),
                Arguments.of(Structs.POLLFD, "events", 4L),
                Arguments.of(Structs.POLLFD, "revents", 6L),
                Arguments.of(Structs.SOCKADDR_UN, "sun_family", 0L),
                Arguments.of(Structs.SOCKADDR_UN, "sun_path", 2L));
    }

    @ParameterizedTest(name = "{0}.{1} at {2}")
    @MethodSource("offsets")
    void fieldOffsets(StructLayout layout, String field, long offset) {
        assertThat(layout.byteOffset(groupElement(field))).isEqualTo(offset);
    }

    @Test
    void cmsgMacros() {
        assertThat(Structs.cmsgLen(4)).isEqualTo(20);
        assertThat(Structs.cmsgSpace(4)).isEqualTo(24);
        assertThat(Structs.cmsgSpace(8 * 4)).isEqualTo(48);
        assertThat(Structs.cmsgAlign(17)).isEqualTo(24);
    }
}
