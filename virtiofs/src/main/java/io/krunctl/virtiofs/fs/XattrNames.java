package io.krunctl.virtiofs.fs;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Which host extended attribute a guest's attribute name is, and back: the guest's privileged
 * namespaces live under a {@code user.} prefix of krunctl's own on the host, as virtiofsd's
 * {@code --xattrmap} can arrange.
 *
 * <p>The host kernel acts on {@code trusted.*} and {@code security.*} attributes: a
 * {@code trusted.overlay.opaque} or {@code trusted.overlay.redirect} on a directory that is (or
 * becomes) an overlayfs upper layer on the host changes what the host's overlay mount shows;
 * {@code security.selinux} is a host label; and a {@code security.capability} is a file capability
 * the host kernel grants to whoever runs the file on the host. Since krunctl sets attributes as
 * root when it runs as root, a guest could otherwise write any of these on host files. So:
 * <ul>
 *   <li>guest {@code trusted.X} and {@code security.X} are host {@code user.krunctl.trusted.X} and
 *       {@code user.krunctl.security.X}, which mean nothing to the host kernel. That includes
 *       {@code security.capability}: the guest kernel reads a file's capabilities through
 *       GETXATTR, and removes them on write and chown (killpriv) through REMOVEXATTR, so file
 *       capabilities set in the guest work in the guest under the mapped name, while a
 *       capability left in effect on a host file would raise privileges on the host;</li>
 *   <li>the host's own {@code trusted.*} and {@code security.*} attributes are hidden from the
 *       guest: they are the host's (its SELinux labels, its overlay markers, capabilities of its
 *       files), and listing them would show the guest names it cannot read under the mapping;</li>
 *   <li>names under {@code user.krunctl.} are krunctl's: a guest may not set or remove one (it
 *       could forge a mapped attribute), never finds one, and host names there that map nothing
 *       are hidden;</li>
 *   <li>everything else, {@code user.*} and {@code system.posix_acl_*} among them, is passed
 *       through unchanged (ACLs are the host kernel's to enforce, and it does).</li>
 * </ul>
 * Linux allows {@code user.*} attributes on regular files and directories only, so on a
 * symlink, device node, FIFO or socket a mapped attribute cannot be set (EPERM, the host kernel's
 * answer) and is never found. A mapped name is 13 bytes longer on the host, so a guest name longer
 * than 242 bytes in a mapped namespace gets ERANGE (XATTR_NAME_MAX is 255).
 */
final class XattrNames {
    /** The host prefix of mapped names. */
    static final String HOST_PREFIX = "user.krunctl.";
    private static final byte[] PREFIX = HOST_PREFIX.getBytes(StandardCharsets.US_ASCII);
    /** The guest namespaces that are mapped. */
    private static final byte[][] MAPPED = {
            "trusted.".getBytes(StandardCharsets.US_ASCII), "security.".getBytes(StandardCharsets.US_ASCII)};

    private XattrNames() {
    }

    /**
     * Whether the guest names an attribute under krunctl's own prefix, which the guest may neither
     * set nor remove (EPERM) nor find (ENODATA); {@link #toHost} is undefined for it.
     */
    static boolean reserved(Name guest) {
        return startsWith(guest, PREFIX, 0);
    }

    /** The host name of a guest name that is not {@link #reserved}. */
    static Name toHost(Name guest) {
        if (!mapped(guest, 0)) {
            return guest;
        }
        byte[] bytes = guest.toByteArray();
        byte[] host = Arrays.copyOf(PREFIX, PREFIX.length + bytes.length);
        System.arraycopy(bytes, 0, host, PREFIX.length, bytes.length);
        return Name.of(host);
    }

    /** The name the guest sees for a host attribute, or null if the guest does not see it. */
    static Name toGuest(Name host) {
        if (reserved(host)) {
            if (!mapped(host, PREFIX.length)) {
                return null;
            }
            byte[] bytes = host.toByteArray();
            return Name.of(Arrays.copyOfRange(bytes, PREFIX.length, bytes.length));
        }
        return mapped(host, 0) ? null : host;
    }

    /** Whether {@code name} from {@code at} is in a mapped namespace. */
    private static boolean mapped(Name name, int at) {
        for (byte[] namespace : MAPPED) {
            if (startsWith(name, namespace, at)) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWith(Name name, byte[] prefix, int at) {
        if (name.length() - at < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (name.byteAt(at + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
