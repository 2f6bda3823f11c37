package io.krunctl.vmm.qemu;

import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.config.NetworkConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;

/**
 * Checks the host ports of {@code network.ports} before QEMU starts. QEMU would fail on a taken port
 * too, but only after the VM was set up, and in its own words ("Could not set up host forwarding
 * rule"); this names the port and the spec field. A port taken in the moment between the check and
 * QEMU's bind still ends as QEMU's failure.
 */
public final class HostPorts {
    private HostPorts() {}

    /** @throws VmmException naming the first forward whose host address and port cannot be bound */
    public static void requireFree(NetworkConfig network) throws VmmException {
        for (NetworkConfig.PortForward forward : network.ports()) {
            try (ServerSocketChannel probe = ServerSocketChannel.open()) {
                // As QEMU's user network binds it: a port left in TIME_WAIT is free to use.
                probe.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                probe.bind(new InetSocketAddress(forward.hostAddress(), forward.hostPort()));
            } catch (IOException e) {
                throw new VmmException(VmmException.Kind.BAD_CONFIGURATION, "network.ports: cannot forward "
                        + forward.hostAddress() + ":" + forward.hostPort() + " to guest port " + forward.guestPort()
                        + ": " + e.getMessage() + "; free that host port or forward another one");
            }
        }
    }
}
