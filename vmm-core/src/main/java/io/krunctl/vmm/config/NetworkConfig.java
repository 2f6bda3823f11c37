package io.krunctl.vmm.config;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The guest's network.
 *
 * @param mode  none, or QEMU's user-mode network stack
 * @param ports TCP forwards from the host into the guest (only with {@link Mode#USER})
 */
public record NetworkConfig(Mode mode, List<PortForward> ports) {

    /** What the guest's network is. */
    public enum Mode {
        /** No network device: the guest has only {@code lo}. */
        NONE,
        /**
         * A virtio-net device on QEMU's user-mode stack (slirp): the guest gets 10.0.2.15/24 by DHCP,
         * the host is 10.0.2.2 and the DNS forwarder 10.0.2.3; outgoing TCP and UDP go through the
         * host's sockets, so no privileges or host set-up are needed.
         */
        USER
    }

    /** The loopback address host ports are bound to unless a forward names another. */
    public static final String LOOPBACK = "127.0.0.1";

    private static final Pattern IPV4 =
            Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

    /**
     * One TCP forward: connections to {@code hostAddress:hostPort} on the host reach
     * {@code guestPort} of the guest.
     *
     * @param hostAddress an IPv4 address of the host to listen on, {@link #LOOPBACK} by default
     * @param hostPort    1 to 65535
     * @param guestPort   1 to 65535
     */
    public record PortForward(String hostAddress, int hostPort, int guestPort) {
        public PortForward {
            Objects.requireNonNull(hostAddress, "hostAddress");
            if (!IPV4.matcher(hostAddress).matches()) {
                throw new IllegalArgumentException("not an IPv4 address: " + hostAddress);
            }
            if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) {
                throw new IllegalArgumentException("ports must be 1 to 65535: " + hostPort + ":" + guestPort);
            }
        }

        /** A forward from the host's loopback. */
        public PortForward(int hostPort, int guestPort) {
            this(LOOPBACK, hostPort, guestPort);
        }

        /** Whether {@code text} is an IPv4 address in dotted decimal, as a forward accepts it. */
        public static boolean isIpv4(String text) {
            return IPV4.matcher(text).matches();
        }
    }

    public NetworkConfig {
        Objects.requireNonNull(mode, "mode");
        ports = List.copyOf(ports);
        if (mode == Mode.NONE && !ports.isEmpty()) {
            throw new IllegalArgumentException("port forwards need the user-mode network");
        }
        Set<Integer> hostPorts = new HashSet<>();
        for (PortForward p : ports) {
            if (!hostPorts.add(p.hostPort())) {
                throw new IllegalArgumentException("host port " + p.hostPort() + " is forwarded twice");
            }
        }
    }

    /** No network. */
    public static NetworkConfig none() {
        return new NetworkConfig(Mode.NONE, List.of());
    }
}
