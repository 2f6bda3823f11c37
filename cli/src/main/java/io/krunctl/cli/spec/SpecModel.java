package io.krunctl.cli.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The spec format as data: every field, its kind, whether it is required, its default, what it
 * means and an example. {@link SpecReader} takes its key lists from here, {@link SpecSchema}
 * generates the JSON Schema from it, and the test suite generates {@code krunctl-spec(5)} from it
 * and checks the committed page against it, so the reader, the schema and the manual cannot name
 * different fields.
 *
 * <p>The value rules each {@link Kind} stands for (patterns, ranges) live in {@link SpecRules}
 * ({@link SpecRules#NAME}, {@link SpecRules#MAX_CPUS}, ...) and {@link MemorySize#MIN_BYTES}, which
 * the readers and the schema share.
 */
public final class SpecModel {

    /** The one version of the format this krunctl reads. */
    public static final String API_VERSION = "krunctl/v1";

    /** What a field holds; each kind has one reader rule, one schema fragment and one manual text. */
    public enum Kind {
        /** The constant {@value SpecModel#API_VERSION}. */
        API_VERSION("string, exactly " + SpecModel.API_VERSION),
        /** A VM name. */
        NAME("name: 1 to 63 lowercase letters, digits and '-', starting with a letter or digit"),
        /** An integer from 1 to {@link SpecRules#MAX_CPUS}. */
        CPUS("integer, 1 to " + SpecRules.MAX_CPUS),
        /** A memory size (see {@link MemorySize}). */
        SIZE("size, a whole number of MiB, at least 64Mi (see VALUES)"),
        /** A host name: dot-separated labels. */
        HOSTNAME("host name: labels of letters, digits and '-', separated by '.', at most 64 characters"),
        /** A regular file on the host, relative to the spec's folder. */
        HOST_FILE("host path of a readable regular file (see VALUES)"),
        /** A raw disk image on the host, relative to the spec's folder. */
        DISK_IMAGE("host path of a raw disk image: a regular file, writable unless read-only (see VALUES)"),
        /** A filesystem type, or {@code auto}. */
        FSTYPE("filesystem type such as ext4, or auto (see VALUES)"),
        /** Mount options that travel unquoted on the kernel command line. */
        MOUNT_OPTIONS("filesystem mount options, comma-separated, no spaces or quotes (see VALUES)"),
        /** {@code none} or {@code user}. */
        NETWORK_MODE("none or user"),
        /** A list of TCP port forwards. */
        PORTS("list of port forwards \"[ADDRESS:]HOSTPORT:GUESTPORT\" (see VALUES)"),
        /** A mapping of resource limit names to {@code {soft, hard}}. */
        RLIMITS("mapping of resource names to {soft: LIMIT, hard: LIMIT} (see VALUES)"),
        /** {@code krunctl}, {@code debian}, or a kernel image on the host, relative to the spec's folder. */
        KERNEL("krunctl, debian, or a host path of a readable regular file (see VALUES)"),
        /** A directory on the host, relative to the spec's folder. */
        HOST_DIR("host path of a directory (see VALUES)"),
        /** A host directory as {@link #HOST_DIR}, or a mapping of the listed fields that names one. */
        DIR_ROOT("host path of a directory, or a mapping of path, readOnly, cache and devices"),
        /** A mapping of the listed fields. */
        MAPPING("mapping"),
        /** A mapping of exactly one of the listed fields, for {@code init}. */
        INIT("mapping with exactly one of source and disabled: true"),
        /** {@code true} only: a switch whose absence is its off position. */
        TRUE("boolean: true (false is an error: leave the key out)"),
        /** A mapping of exactly one of the listed fields. */
        ONE_OF("mapping with exactly one kind of root (nullfs, dir, disk) and that kind's settings"),
        /** An empty mapping {@code {}}. */
        EMPTY_MAPPING("empty mapping {}"),
        /** A list of mappings of the listed fields. */
        LIST_OF_MAPPINGS("list of mappings"),
        /** An absolute, normalized guest path naming a file (not {@code /}). */
        GUEST_FILE("absolute, normalized guest path of a file"),
        /** An absolute, normalized guest path, {@code /} allowed. */
        GUEST_DIR("absolute, normalized guest path"),
        /** An absolute, normalized guest path other than {@code /}. */
        MOUNT_POINT("absolute, normalized guest path other than /"),
        /** A cache policy: {@code never}, {@code auto} or {@code always}. */
        CACHE("never, auto or always (see VALUES)"),
        /** The kind of a mount. */
        MOUNT_TYPE("virtiofs or tmpfs"),
        /** A size of at least 1 MiB (see {@link MemorySize}). */
        TMPFS_SIZE("size, a whole number of MiB, at least 1Mi (see VALUES)"),
        /** Any scalar, read as text. */
        TEXT("string"),
        /** 3 or 4 octal digits. */
        MODE("octal mode, 3 or 4 digits (see VALUES)"),
        /** {@code true} or {@code false}. */
        BOOLEAN("boolean: true or false"),
        /** A non-empty list of scalars, read as text. */
        ARGS("list of strings, not empty"),
        /** A mapping of environment variable names to scalars, read as text. */
        ENV("mapping of variable names ([A-Za-z_][A-Za-z0-9_]*) to strings");

        private final String manual;

        Kind(String manual) {
            this.manual = manual;
        }

        /** The type as the manual names it. */
        public String manual() {
            return manual;
        }
    }

    /**
     * One field of the spec.
     *
     * @param name        the key
     * @param path        where it sits, as the manual and error messages write it: {@code process.env},
     *                    {@code files[].mode}
     * @param kind        what it holds
     * @param required    whether a spec must give it
     * @param defaultText the default as the manual says it, or {@code null} for none
     * @param defaultJson the default as a JSON value for the schema ({@link Integer}, {@link String},
     *                    {@link Boolean}), or {@code null} when it is not a constant
     * @param description what it means, in sentences
     * @param example     a YAML snippet showing it, one or more lines
     * @param supported   {@code false} for a key the format reserves but this krunctl rejects
     * @param fields      the fields of a {@link Kind#MAPPING}, {@link Kind#ONE_OF} or
     *                    {@link Kind#LIST_OF_MAPPINGS}, else empty
     */
    public record Field(
            String name,
            String path,
            Kind kind,
            boolean required,
            String defaultText,
            Object defaultJson,
            String description,
            String example,
            boolean supported,
            List<Field> fields) {

        public Field {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(example, "example");
            fields = List.copyOf(fields);
        }

        /** The keys of the fields below, in order. */
        public List<String> keys() {
            return fields.stream().map(Field::name).toList();
        }

        /** The keys of the supported fields below, in order. */
        public List<String> supportedKeys() {
            return fields.stream().filter(Field::supported).map(Field::name).toList();
        }

        /** The field below with this key. */
        public Field field(String key) {
            for (Field f : fields) {
                if (f.name.equals(key)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("no field " + key + " in " + path);
        }
    }

    private static Field leaf(String parent, String name, Kind kind, boolean required, String defaultText,
            Object defaultJson, String description, String example) {
        return new Field(name, join(parent, name), kind, required, defaultText, defaultJson, description,
                example, true, List.of());
    }

    private static String join(String parent, String name) {
        return parent.isEmpty() ? name : parent + "." + name;
    }

    // ---- the format ----------------------------------------------------------------------------

    /** The keys of {@code root} that name its kind: exactly one of them. */
    public static final List<String> ROOT_KINDS = List.of("nullfs", "dir", "disk");
    /**
     * The settings of {@code root} that apply to a {@code dir} root only, given beside it with the
     * short form {@code dir: PATH}; the mapping form {@code dir: {path: PATH, ...}} takes them inside.
     */
    public static final List<String> ROOT_DIR_SETTINGS = List.of("readOnly", "cache", "devices");

    /**
     * What {@code devices} of a shared directory means, in {@code root.dir} and in {@code mounts}: the
     * same words for both, so the manual cannot describe the two differently.
     */
    private static final String DEVICES = "whether the guest may create block and character device"
            + " nodes (mknod) in the directory, as a guest that builds a root filesystem for another machine"
            + " needs to. Off, such a mknod fails with EPERM (FIFOs, sockets and overlayfs's whiteout, the"
            + " character device 0:0, are always allowed). On, each node is a real device node on the host"
            + " (krunctl must run as root; otherwise the host refuses it, EPERM too). In the guest it is the"
            + " guest's own device of that number, as on any filesystem; but a host process that opens it"
            + " reaches the host's device of that number: the host's disk for block 8:0, its memory for"
            + " character 1:1. So set it only for a directory no untrusted host user can reach, or one on a"
            + " nodev mount. Not with readOnly, where the guest can create nothing.";

    /** {@code root.dir}: a host directory as the root, as a path or as a mapping like {@code root.disk}. */
    public static final Field ROOT_DIR = new Field("dir", "root.dir", Kind.DIR_ROOT, false, null, null,
            "A host directory as the root, such as an unpacked container image or a"
                    + " debootstrap tree, shared read-write unless 'readOnly'. The guest cannot"
                    + " reach anything outside it. The files of 'files' and the guest init shadow"
                    + " the directory's files of the same path without changing them; mount"
                    + " points the directory lacks appear as virtual directories. Files the guest"
                    + " creates belong to the user the guest names when krunctl runs as root,"
                    + " else to krunctl's user. Written either as the directory alone, dir: ./rootfs,"
                    + " with its settings beside it in root (root.readOnly, root.cache, root.devices), or as a"
                    + " mapping"
                    + " of the directory and its settings, as root.disk is written: dir: {path: ./rootfs,"
                    + " readOnly: true}. A mapping takes all of them: a setting beside it in root is an"
                    + " error. Extended attributes the guest sets in the trusted"
                    + " and security namespaces (overlayfs markers, SELinux labels, file"
                    + " capabilities) are stored on the host as user.krunctl.trusted.* and"
                    + " user.krunctl.security.*, which the host kernel gives no meaning: the guest"
                    + " sees them under its own names, never sees the host's own trusted.* and"
                    + " security.* attributes (file capabilities set on the host do not apply in"
                    + " the guest), and may not set or remove user.krunctl.* names"
                    + " itself (EPERM). Linux allows user.* attributes on regular files and"
                    + " directories only, so the guest cannot set trusted.* or security.* on"
                    + " symlinks, device nodes, FIFOs or sockets (EPERM). Other attributes, user.*"
                    + " and POSIX ACLs among them, are stored as they are. Set-user-id and"
                    + " set-group-id bits are kept as the guest sets them and cleared as Linux"
                    + " clears them: when a guest user without CAP_FSETID writes to or truncates"
                    + " a file (set-group-id only if group-executable), and when the owner or"
                    + " group of a file other than a directory changes; the guest's file"
                    + " capabilities are dropped on the same changes."
                    + " So when krunctl runs as root, a guest root can create set-user-id root"
                    + " programs in the directory: keep it out of reach of untrusted host users,"
                    + " or on a nosuid mount.",
            "root:\n  dir:\n    path: ./rootfs\n    readOnly: true",
            true,
            List.of(
                    leaf("root.dir", "path", Kind.HOST_DIR, true, null, null,
                            "With dir as a mapping: the directory.",
                            "root: {dir: {path: ./rootfs}}"),
                    leaf("root.dir", "readOnly", Kind.BOOLEAN, false, "false", false,
                            "With dir as a mapping: whether the guest may only read the directory; every"
                                    + " change it attempts fails with EROFS (read-only file system). Give the"
                                    + " guest somewhere to write with 'mounts' (a tmpfs on /tmp, a writable"
                                    + " share).",
                            "root: {dir: {path: ./rootfs, readOnly: true}}"),
                    leaf("root.dir", "cache", Kind.CACHE, false, "auto", "auto",
                            "With dir as a mapping: how much the guest kernel caches of the directory (see"
                                    + " VALUES).",
                            "root: {dir: {path: ./rootfs, cache: never}}"),
                    leaf("root.dir", "devices", Kind.BOOLEAN, false, "false", false,
                            "With dir as a mapping: " + DEVICES,
                            "root: {dir: {path: ./rootfs, devices: true}}")));

    /** {@code root.disk}: a disk image as the root. */
    public static final Field ROOT_DISK = new Field("disk", "root.disk", Kind.MAPPING, false, null, null,
            "A raw disk image as the root, such as an ext4 image made with mkfs.ext4 -d. The guest sees it as"
                    + " /dev/vda; the guest init mounts it and makes it / (libkrun's block root), so the"
                    + " guest's files are the image's, and what the guest writes stays in the image."
                    + " Not with 'files', which live on the root device the disk replaces.",
            "root:\n  disk: {path: ./root.ext4, fstype: ext4}",
            true,
            List.of(
                    leaf("root.disk", "path", Kind.DISK_IMAGE, true, null, null,
                            "The image file. krunctl never probes a format: the guest sees the file's bytes.",
                            "root: {disk: {path: ./root.ext4}}"),
                    leaf("root.disk", "fstype", Kind.FSTYPE, false, "auto", "auto",
                            "The filesystem in the image. auto tries every block filesystem the guest kernel"
                                    + " has, ext4 first; the default kernel has ext4 (which also mounts ext2 and"
                                    + " ext3 images) built in.",
                            "root: {disk: {path: ./root.ext4, fstype: ext4}}"),
                    leaf("root.disk", "options", Kind.MOUNT_OPTIONS, false, "none", "",
                            "Options for the filesystem, given to mount(2) as its data: the filesystem's own"
                                    + " options, as in mount -o, but not the mount flags mount(8) turns them"
                                    + " into (noatime, nosuid, ...), which are errors here.",
                            "root: {disk: {path: ./root.ext4, options: \"commit=60,errors=remount-ro\"}}"),
                    leaf("root.disk", "readOnly", Kind.BOOLEAN, false, "false", false,
                            "Whether the guest sees a write-protected disk, mounted read-only. The image must then"
                                    + " have the directories /dev, /proc and /sys (any root filesystem has them;"
                                    + " on a writable image the guest init creates them).",
                            "root: {disk: {path: ./root.ext4, readOnly: true}}")));

    /** {@code root}: what the guest's {@code /} is. */
    public static final Field ROOT = new Field("root", "root", Kind.ONE_OF, true, null, null,
            "What the guest's root filesystem is: exactly one kind, and that kind's settings. krunctl"
                    + " serves it through its own virtio-fs device.",
            "root:\n  nullfs: {}",
            true,
            List.of(
                    new Field("nullfs", "root.nullfs", Kind.EMPTY_MAPPING, false, null, null,
                            "An empty root: only virtual entries exist in it (the guest init, the files of"
                                    + " 'files', mount points). It takes no settings.",
                            "root: {nullfs: {}}", true, List.of()),
                    ROOT_DIR,
                    ROOT_DISK,
                    leaf("root", "readOnly", Kind.BOOLEAN, false, "false", false,
                            "With the short form dir: PATH: root.dir.readOnly, given beside 'dir'.",
                            "root: {dir: ./rootfs, readOnly: true}"),
                    leaf("root", "cache", Kind.CACHE, false, "auto", "auto",
                            "With the short form dir: PATH: root.dir.cache, given beside 'dir'.",
                            "root: {dir: ./rootfs, cache: always}"),
                    leaf("root", "devices", Kind.BOOLEAN, false, "false", false,
                            "With the short form dir: PATH: root.dir.devices, given beside 'dir'.",
                            "root: {dir: ./rootfs, devices: true}")));

    /** {@code disks[]}: one extra disk image. */
    public static final Field DISKS = new Field("disks", "disks", Kind.LIST_OF_MAPPINGS, false, "none", null,
            "Extra raw disk images, attached as virtio block devices: the guest sees them as /dev/vda,"
                    + " /dev/vdb, ... in the order given, after a root.disk (which is /dev/vda). The guest"
                    + " mounts them itself. No image may be given twice.",
            "disks:\n  - {path: ./cache.img, readOnly: true}",
            true,
            List.of(
                    leaf("disks[]", "path", Kind.DISK_IMAGE, true, null, null,
                            "The image file; the guest sees its bytes as the device's.",
                            "disks: [{path: ./cache.img}]"),
                    leaf("disks[]", "readOnly", Kind.BOOLEAN, false, "false", false,
                            "Whether the guest sees a write-protected device.",
                            "disks: [{path: ./cache.img, readOnly: true}]")));

    /** {@code network}: the guest's network. */
    public static final Field NETWORK = new Field("network", "network", Kind.MAPPING, false, "mode: none", null,
            "The guest's network. With mode user the guest has a virtio network card on QEMU's user-mode"
                    + " network: the guest init configures eth0 by DHCP (10.0.2.15/24, gateway 10.0.2.2, which"
                    + " is also the host, DNS 10.0.2.3), and the guest's TCP and UDP connections go out"
                    + " through QEMU's sockets on the host, with no privileges or host set-up needed. The guest"
                    + " is not reachable from outside except through 'ports'.",
            "network:\n  mode: user\n  ports: [\"8080:80\"]",
            true,
            List.of(
                    leaf("network", "mode", Kind.NETWORK_MODE, false, "none", "none",
                            "none: no network card, only the loopback interface; user: QEMU's user-mode"
                                    + " network.",
                            "network: {mode: user}"),
                    leaf("network", "ports", Kind.PORTS, false, "none", null,
                            "TCP ports of the host forwarded to the guest, with mode user only."
                                    + " \"8080:80\" makes connections to port 8080 of the host's loopback"
                                    + " address 127.0.0.1 reach port 80 of the guest; by default nothing"
                                    + " outside the host can connect. Prefix an address to listen on another"
                                    + " one: \"0.0.0.0:8080:80\" listens on every interface of the host.",
                            "network: {mode: user, ports: [\"8080:80\", \"127.0.0.1:2222:22\"]}")));

    /** The keys of a file entry that give its bytes: exactly one of them. */
    public static final List<String> FILE_DATA_KEYS = List.of("content", "source");

    /** {@code files[]}: one virtual file. */
    public static final Field FILE = new Field("files", "files", Kind.LIST_OF_MAPPINGS, false, "none", null,
            "Virtual files injected into the root, read-only in the guest. Missing parent directories"
                    + " appear as virtual directories. Each entry has a path and exactly one of 'content'"
                    + " and 'source'. No two entries may have the same path, and none may lie below"
                    + " another.",
            "files:\n  - path: /etc/motd\n    content: \"hello\\n\"\n  - path: /bin/busybox\n"
                    + "    source: /bin/busybox\n    mode: \"0755\"",
            true,
            List.of(
                    leaf("files[]", "path", Kind.GUEST_FILE, true, null, null,
                            "Where the file appears in the guest. /.krun_agent is reserved for krunctl's"
                                    + " guest agent and /.krun_config.json for the workload description krunctl"
                                    + " writes from 'process'; /init.krun is krunctl's guest init unless"
                                    + " init.disabled is true, when a file here must give it.",
                            "path: /etc/motd"),
                    leaf("files[]", "content", Kind.TEXT, false, null, null,
                            "The file's text, stored as UTF-8. Exactly one of 'content' and 'source'.",
                            "content: \"hello from a microVM\\n\""),
                    leaf("files[]", "source", Kind.HOST_FILE, false, null, null,
                            "A host file whose bytes the guest sees; checked when the spec is read, read"
                                    + " when the VM starts. Exactly one of 'content' and 'source'.",
                            "source: ./bin/tool"),
                    leaf("files[]", "mode", Kind.MODE, false, "\"0644\"", "0644",
                            "The permission bits the guest sees.",
                            "mode: \"0755\""),
                    leaf("files[]", "oneShot", Kind.BOOLEAN, false, "false", false,
                            "Whether the entry vanishes after the guest first looks it up, like the init's own"
                                    + " configuration.",
                            "oneShot: true")));

    /** The kinds of {@code mounts[].type}. */
    public static final List<String> MOUNT_TYPES = List.of("virtiofs", "tmpfs");
    /** The keys of a mount entry that apply to one type only, by key. */
    public static final java.util.Map<String, String> MOUNT_KEY_TYPE = java.util.Map.of(
            "source", "virtiofs", "readOnly", "virtiofs", "cache", "virtiofs", "devices", "virtiofs", "files", "virtiofs",
            "size", "tmpfs");

    /** {@code mounts[]}: one filesystem the guest init mounts. */
    public static final Field MOUNT = new Field("mounts", "mounts", Kind.LIST_OF_MAPPINGS, false, "none", null,
            "Filesystems the guest init mounts once the root is set up, in the order given (a mount inside"
                    + " another must come after it): host directories shared through virtio-fs devices of their"
                    + " own, and tmpfs. A missing mount point is created: on the root as a virtual directory"
                    + " (even on a read-only root), inside another mount with mkdir -p. No two mounts may have"
                    + " the same destination, and no entry of 'files' may lie inside a mount, where it would be"
                    + " hidden: a virtiofs mount takes files of its own ('files' below).",
            "mounts:\n  - {type: virtiofs, source: ./data, destination: /data, readOnly: true}\n"
                    + "  - {type: tmpfs, destination: /tmp, size: 64Mi}",
            true,
            List.of(
                    leaf("mounts[]", "type", Kind.MOUNT_TYPE, true, null, null,
                            "virtiofs: a host directory, shared with the guest as 'dir' roots are (file"
                                    + " ownership, extended attributes and set-id bits as described there); tmpfs:"
                                    + " guest memory, empty at boot and gone with the VM.",
                            "type: virtiofs"),
                    leaf("mounts[]", "source", Kind.HOST_DIR, false, null, null,
                            "virtiofs only, required there: the host directory to share.",
                            "source: ./data"),
                    leaf("mounts[]", "destination", Kind.MOUNT_POINT, true, null, null,
                            "Where the guest sees it.",
                            "destination: /data"),
                    leaf("mounts[]", "readOnly", Kind.BOOLEAN, false, "false", false,
                            "virtiofs only: whether the guest may only read the directory; every change it"
                                    + " attempts fails with EROFS.",
                            "readOnly: true"),
                    leaf("mounts[]", "cache", Kind.CACHE, false, "auto", "auto",
                            "virtiofs only: how much the guest kernel caches of the directory (see VALUES).",
                            "cache: never"),
                    leaf("mounts[]", "devices", Kind.BOOLEAN, false, "false", false,
                            "virtiofs only: " + DEVICES,
                            "devices: true"),
                    leaf("mounts[]", "size", Kind.TMPFS_SIZE, false, "half the guest's memory", null,
                            "tmpfs only: the most it may hold.",
                            "size: 64Mi"),
                    mountFiles()));

    /**
     * {@code mounts[].files}: a virtiofs mount's own virtual files, with the fields of {@link #FILE}'s
     * entries; only where a path lies differs.
     */
    private static Field mountFiles() {
        List<Field> fields = new ArrayList<>();
        for (Field f : FILE.fields()) {
            boolean path = f.name().equals("path");
            fields.add(new Field(f.name(), "mounts[].files[]." + f.name(), f.kind(), f.required(), f.defaultText(),
                    f.defaultJson(), path ? "Where the file appears in the guest: a path inside the mount's"
                            + " destination." : f.description(),
                    path ? "path: /data/app.conf" : f.example(), true, List.of()));
        }
        return new Field("files", "mounts[].files", Kind.LIST_OF_MAPPINGS, false, "none", null,
                "virtiofs only: virtual files overlaid on the shared directory without changing it, as the"
                        + " root's 'files' are on the root (and as libkrun's krun_fs_add_overlay_file adds them"
                        + " per device): read-only in the guest, shadowing the directory's own file of the same"
                        + " path, with missing parent directories appearing as virtual ones. The entries take the"
                        + " fields of 'files' entries; their paths lie inside the mount's destination, none twice,"
                        + " none below another, and none inside a mount nested in this one. Like the root's, a"
                        + " virtual file opens by its path but is not listed when the guest reads a directory of"
                        + " the host's.",
                "files:\n  - {path: /data/app.conf, content: \"debug = true\\n\"}",
                true, fields);
    }



    /** {@code process}: the workload. */
    public static final Field PROCESS = new Field("process", "process", Kind.MAPPING, false, "the image's, with"
            + " 'image'", null,
            "The workload: the program the guest init runs. krunctl exits with its exit code. Required unless"
                    + " 'image' gives it; with 'image', each field given here replaces the image's.",
            "process:\n  args: [/bin/busybox, sh, -c, \"echo $GREETING\"]\n  env: {GREETING: hi}\n"
                    + "  workdir: /",
            true,
            List.of(
                    leaf("process", "args", Kind.ARGS, false, "the image's Cmd, with 'image'", null,
                            "The program and its arguments; required unless 'image' is given. A program"
                                    + " without a '/' is looked up on the guest's PATH. 'krunctl run SPEC --"
                                    + " ARGS' replaces the whole list. With 'image' it replaces the image's Cmd"
                                    + " and comes after its Entrypoint, as docker run IMAGE ARGS does.",
                            "args: [/bin/busybox, sh, -c, \"echo hi\"]"),
                    leaf("process", "env", Kind.ENV, false, "none", null,
                            "Environment variables, in the order given. Values are scalars read as text:"
                                    + " PORT: 8080 is the string \"8080\".",
                            "env: {LANG: C.UTF-8, DEBUG: \"1\"}"),
                    leaf("process", "workdir", Kind.GUEST_DIR, false, "\"/\"", "/",
                            "The working directory of the program. If it does not exist in the guest, krunctl"
                                    + " exits with 125 and says so.",
                            "workdir: /tmp"),
                    leaf("process", "rlimits", Kind.RLIMITS, false, "the guest kernel's", null,
                            "Resource limits the guest init sets before it starts the program, as setrlimit(2)"
                                    + " and ulimit know them: nofile is ulimit -n, nproc ulimit -u.",
                            "rlimits: {nofile: {soft: 4096, hard: 8192}, core: {soft: 0, hard: unlimited}}"),
                    leaf("process", "pid1", Kind.BOOLEAN, false, "false", false,
                            "Whether the program runs as PID 1 in the guest: the guest init sets everything up"
                                    + " as usual, then executes the program in its own place (libkrun's"
                                    + " KRUN_INIT_PID1), for a program that must be PID 1, such as systemd or"
                                    + " another init. The program then reaps orphans itself, and as for any"
                                    + " PID 1 the kernel delivers it only the signals it has a handler for:"
                                    + " krunctl forwards SIGINT and SIGTERM as usual, and after --stop-timeout"
                                    + " stops the VM. When PID 1 exits the guest kernel panics naming its"
                                    + " status, and krunctl exits with that status, 128+N after signal N, as"
                                    + " usual; a program that powers the VM off or reboots it ends the run"
                                    + " with 0. In a terminal session the console is the terminal, so the"
                                    + " kernel's panic report appears there after the program's output.",
                            "pid1: true")));

    /** {@code image}: an OCI image's own process. */
    public static final Field IMAGE = new Field("image", "image", Kind.MAPPING, false, "none", null,
            "An OCI image whose process the VM runs, for a root that is the image unpacked (root.dir):"
                    + " krunctl reads its configuration when the spec is read and takes the process from its"
                    + " config object, as libkrun's init does: Entrypoint, then Cmd, as the program and its"
                    + " arguments; WorkingDir as the working directory ('/' without one); Env as the"
                    + " environment. Other keys, User among them, are ignored. Fields of 'process' win:"
                    + " process.args replaces Cmd (the Entrypoint still comes first), process.workdir"
                    + " replaces WorkingDir, and a variable of process.env replaces the image's of the same"
                    + " name. As with any environment from the spec, the guest init then sets HOME and TERM"
                    + " always, and any other variable only if the kernel command line has not set it.",
            "image:\n  config: ./image/config.json",
            true,
            List.of(
                    leaf("image", "config", Kind.HOST_FILE, true, null, null,
                            "The image's configuration file (JSON), as the OCI image specification has it (the"
                                    + " file the manifest's config.digest names in an OCI layout, such as"
                                    + " skopeo copy docker://IMAGE oci:DIR writes) and docker save writes it."
                                    + " A missing or malformed file, or one whose config object has neither"
                                    + " Entrypoint nor Cmd without process.args, is an error of the spec.",
                            "image: {config: ./image/config.json}")));

    /** The keys of {@code init}: exactly one of them. */
    public static final List<String> INIT_KEYS = List.of("source", "disabled");

    /** {@code init}: which program the guest runs as /init.krun. */
    public static final Field INIT = new Field("init", "init", Kind.INIT, false, "krunctl's own init", null,
            "The program the guest kernel runs as PID 1, /init.krun on the root device. By default it is"
                    + " krunctl's own init, which sets the guest up (mounts, network, limits), starts krunctl's"
                    + " agent and runs 'process', and reports its exit code. 'krunctl init-binary -o FILE' writes"
                    + " that init so it can be wrapped or patched. Give exactly one of 'source' and 'disabled'."
                    + " An init of one's own takes over all of that: krunctl still serves /.krun_config.json"
                    + " (the process, mounts and environment, readable once) and /.krun_agent, but learns the"
                    + " workload's exit code only if the init reports it as krunctl's does; when PID 1 exits the"
                    + " guest kernel panics and krunctl exits with 70. With a kernel that needs modules,"
                    + " krunctl's init still runs first from the initramfs, loads them, mounts the root and then"
                    + " runs /init.krun.",
            "init:\n  source: ./my-init",
            true,
            List.of(
                    leaf("init", "source", Kind.HOST_FILE, false, null, null,
                            "A host file served as /init.krun, mode 0755, for this VM only; checked when the"
                                    + " spec is read, read when the VM starts. Unlike krunctl's own init it stays"
                                    + " visible after the kernel runs it, so a script (#!/bin/busybox sh) works.",
                            "init: {source: ./my-init}"),
                    leaf("init", "disabled", Kind.TRUE, false, null, null,
                            "No implicit init at all: the spec's 'files' must then give /init.krun themselves"
                                    + " (with an executable mode), as libkrun's callers do when they disable the"
                                    + " implicit init.",
                            "init: {disabled: true}\nfiles:\n  - {path: /init.krun, source: ./my-init, mode: \"0755\"}")));

    /** The whole spec: the top-level mapping. */
    public static final Field SPEC = new Field("", "", Kind.MAPPING, true, null, null,
            "A krunctl spec: one YAML document holding one mapping.",
            "",
            true,
            List.of(
                    leaf("", "apiVersion", Kind.API_VERSION, true, null, null,
                            "The version of the spec format. This krunctl reads " + API_VERSION
                                    + " and rejects any other value, so a spec written for a later format"
                                    + " never runs with a silently different meaning.",
                            "apiVersion: " + API_VERSION),
                    leaf("", "name", Kind.NAME, false, "the spec file's name, made a name", null,
                            "A label for the VM: it names the QEMU process, appears in logs and is the"
                                    + " default host name. Without it, the VM is named after the spec file: its"
                                    + " name without the extension, lower-cased, each character other than a-z,"
                                    + " 0-9 and '-' made a '-' and each run of '-' one, with no '-' at either end,"
                                    + " cut to 63 characters. My App.v2.yaml gives my-app-v2; a file name with"
                                    + " nothing left, such as .yaml, gives vm.",
                            "name: hello"),
                    leaf("", "cpus", Kind.CPUS, false, "1", 1,
                            "The number of virtual CPUs.",
                            "cpus: 2"),
                    leaf("", "memory", Kind.SIZE, false, "256Mi", "256Mi",
                            "The guest's RAM.",
                            "memory: 1Gi"),
                    leaf("", "hostname", Kind.HOSTNAME, false, "the name", null,
                            "The guest's host name.",
                            "hostname: build.local"),
                    ROOT,
                    FILE,
                    MOUNT,
                    DISKS,
                    NETWORK,
                    IMAGE,
                    PROCESS,
                    INIT,
                    leaf("", "kernel", Kind.KERNEL, false, "krunctl", null,
                            "The guest kernel. krunctl: krunctl's own kernel, built from Debian's"
                                    + " linux-source package by make build and cached in"
                                    + " ~/.cache/krunctl/kernel/own; where it is not built, krunctl says so on"
                                    + " stderr and boots Debian's. debian: Debian's linux-image-cloud-amd64,"
                                    + " fetched once into ~/.cache/krunctl (about 2 s slower to boot under TCG)."
                                    + " Anything else is a kernel image on the host (an ELF vmlinux with a PVH"
                                    + " note, or a bzImage) with virtio-pci, virtio-fs and virtio-console built"
                                    + " in; write ./debian for a file of that name.",
                            "kernel: ./vmlinux")));

    private SpecModel() {}

    /** Every field, depth first, in spec order (the top-level mapping itself excluded). */
    public static List<Field> allFields() {
        List<Field> out = new ArrayList<>();
        collect(SPEC, out);
        return out;
    }

    private static void collect(Field parent, List<Field> out) {
        for (Field f : parent.fields()) {
            out.add(f);
            collect(f, out);
        }
    }
}
