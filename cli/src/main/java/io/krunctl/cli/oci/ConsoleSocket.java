package io.krunctl.cli.oci;

import io.krunctl.nativeio.Fd;
import io.krunctl.nativeio.UnixSocket;
import io.krunctl.nativeio.PseudoTerminal;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The caller's end of a container's terminal ({@code --console-socket}): the runtime makes a
 * pseudo-terminal and sends its master over the socket, once, as runc, crun and conmon do it: one
 * message whose payload is the slave's name and whose SCM_RIGHTS carry the master, no reply. (The
 * JSON exchange of runtime-tools' command-line document is used by none of them.)
 */
public final class ConsoleSocket {
    private ConsoleSocket() {}

    /**
     * Opens a pseudo-terminal and sends its master to the listener at {@code socket}.
     *
     * @return the slave's path, for the container process's stdio
     * @throws OciException if the terminal cannot be made or the socket does not take it
     */
    public static Path sendNewTerminal(Path socket) throws OciException {
        try (PseudoTerminal.Pair pty = PseudoTerminal.open();
                Fd connection = UnixSocket.connect(socket);
                Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(pty.slave().toString());
            UnixSocket.sendAll(connection.get(), name.asSlice(0, name.byteSize() - 1), new int[] {pty.master().get()});
            return pty.slave();
        } catch (IOException e) {
            throw new OciException("cannot hand the terminal to the console socket " + socket + ": " + e.getMessage(), e);
        }
    }
}
