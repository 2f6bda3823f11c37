package io.krunctl.cli;

import io.krunctl.nativeio.Fd;
import io.krunctl.nativeio.ProcessFds;
import io.krunctl.nativeio.UnixSocket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A running krunctl's end of one virtio-fs device's vhost-user connection, broken from outside as
 * any process of the same user may: found through {@code /proc}, copied with {@code pidfd_getfd(2)}
 * and shut down, so that krunctl's device reads end of file while QEMU still runs. krunctl has no
 * hook for this.
 */
final class DeviceConnection {
    private DeviceConnection() {
    }

    /** Shuts down krunctl {@code pid}'s connected socket bound to a path ending in {@code /socketName}. */
    static void shutDown(long pid, String socketName) throws IOException {
        int fd = connectedSocketFd(pid, socketName);
        try (Fd copy = ProcessFds.copy(pid, fd)) {
            UnixSocket.shutdown(copy.get(), UnixSocket.SHUT_RDWR);
        }
    }

    /**
     * The descriptor number: the device's accepted socket carries its listener's path in
     * {@code /proc/net/unix}, and state 03 (connected) tells it from the listener.
     */
    private static int connectedSocketFd(long pid, String socketName) throws IOException {
        Set<String> inodes;
        try (Stream<String> lines = Files.lines(Path.of("/proc/net/unix"))) {
            inodes = lines.skip(1).map(l -> l.trim().split("\\s+"))
                    .filter(f -> f.length >= 8 && f[5].equals("03") && f[7].endsWith("/" + socketName))
                    .map(f -> f[6]).collect(Collectors.toSet());
        }
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.filter(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    return target.startsWith("socket:[") && inodes.contains(target.substring(8, target.length() - 1));
                } catch (IOException e) {
                    return false; // closed since it was listed
                }
            }).map(fd -> Integer.parseInt(fd.getFileName().toString())).findFirst()
                    .orElseThrow(() -> new IOException("krunctl " + pid + " holds no connected " + socketName));
        }
    }
}
