package io.krunctl.vmm.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A read-only file injected into the root device as a virtual entry. Missing parent directories of
 * {@code guestPath} become virtual directories.
 *
 * @param guestPath absolute path inside the guest, such as {@code /etc/motd}
 * @param content   where the bytes come from
 * @param mode      permission bits (no file-type bits), such as {@code 0644}
 * @param oneShot   whether the entry vanishes after its first lookup
 */
public record VirtualFile(String guestPath, Content content, int mode, boolean oneShot) {

    public VirtualFile {
        Objects.requireNonNull(guestPath, "guestPath");
        Objects.requireNonNull(content, "content");
        if (!guestPath.startsWith("/") || guestPath.equals("/")) {
            throw new IllegalArgumentException("guest path must be absolute and name a file: " + guestPath);
        }
        if ((mode & ~07777) != 0) {
            throw new IllegalArgumentException("mode has bits outside 07777: " + Integer.toOctalString(mode));
        }
    }

    /** The bytes of a virtual file. */
    public sealed interface Content {
        /** Bytes given inline. */
        record Inline(byte[] bytes) implements Content {
            public Inline {
                bytes = bytes.clone();
            }

            @Override
            public byte[] bytes() {
                return bytes.clone();
            }

            // Records compare arrays by identity; two specs with the same text must be equal.
            @Override
            public boolean equals(Object o) {
                return o instanceof Inline other && java.util.Arrays.equals(bytes, other.bytes);
            }

            @Override
            public int hashCode() {
                return java.util.Arrays.hashCode(bytes);
            }

            @Override
            public String toString() {
                return "Inline[" + bytes.length + " bytes]";
            }
        }

        /** A host file, read when the VM is launched. */
        record HostFile(Path path) implements Content {
            public HostFile {
                Objects.requireNonNull(path, "path");
            }
        }
    }
}
