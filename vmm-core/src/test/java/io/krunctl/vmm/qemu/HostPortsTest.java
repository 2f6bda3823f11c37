package io.krunctl.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.config.NetworkConfig;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Real sockets on the loopback address. */
class HostPortsTest {
    @Test
    void aTakenHostPortIsABadConfigurationNamingThePortAndTheField() throws Exception {
        try (ServerSocketChannel taken = ServerSocketChannel.open()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = ((InetSocketAddress) taken.getLocalAddress()).getPort();
            NetworkConfig network = new NetworkConfig(NetworkConfig.Mode.USER,
                    List.of(new NetworkConfig.PortForward(port, 80)));

            assertThatThrownBy(() -> HostPorts.requireFree(network)).isInstanceOfSatisfying(VmmException.class,
                    e -> assertThat(e.kind()).isEqualTo(VmmException.Kind.BAD_CONFIGURATION))
                    .hasMessageStartingWith("network.ports: cannot forward 127.0.0.1:" + port + " to guest port 80: ")
                    .hasMessageEndingWith("; free that host port or forward another one");
        }
    }

    @Test
    void aFreePortPassesAndStaysFree() throws Exception {
        int port;
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            probe.bind(new InetSocketAddress("127.0.0.1", 0));
            port = ((InetSocketAddress) probe.getLocalAddress()).getPort();
        }
        NetworkConfig network = new NetworkConfig(NetworkConfig.Mode.USER, List.of(new NetworkConfig.PortForward(port, 80)));

        assertThatCode(() -> HostPorts.requireFree(network)).doesNotThrowAnyException();
        try (ServerSocketChannel again = ServerSocketChannel.open()) {
            again.bind(new InetSocketAddress("127.0.0.1", port));
        }
    }
}
