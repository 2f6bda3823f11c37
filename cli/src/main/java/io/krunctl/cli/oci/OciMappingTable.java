package io.krunctl.cli.oci;

import java.util.List;

/**
 * What {@link BundleMapping} does with each part of a config.json, in words: the table of
 * {@code krunctl-oci(7)}, kept beside the code it describes.
 */
public final class OciMappingTable {
    /**
     * One row.
     *
     * @param key  a config.json key, or a group of them
     * @param inVm what becomes of it in the VM
     */
    public record Row(String key, String inVm) {}

    public static final List<Row> ROWS = List.of(
            new Row("root.path", "The guest's root directory, served by krunctl's own virtio-fs device (relative paths"
                    + " are taken from the bundle). The container's writes land in it, as in podman's overlay."),
            new Row("root.readonly", "The guest mounts / read-only; every write is refused (EROFS)."),
            new Row("process.args", "The program the guest init runs, looked up on PATH when it has no slash."),
            new Row("process.env", "Its environment, in order; each entry must be NAME=VALUE."),
            new Row("process.cwd", "Its working directory (absolute; / when absent)."),
            new Row("process.user", "uid, gid, additionalGids (exactly these supplementary groups) and umask, set by"
                    + " the init just before it runs the program; exec uses uid and gid."),
            new Row("process.rlimits", "Set by the init in the guest before the program starts; never applied to host"
                    + " processes (so podman's default NOFILE 1048576 works whatever the host's limits)."),
            new Row("process.terminal", "The program runs on the guest console as its controlling terminal, relayed to"
                    + " a new pseudo-terminal whose master goes to --console-socket; window size changes follow."),
            new Row("hostname", "The guest's host name (default: the first 12 characters of the id)."),
            new Row("mounts: bind of a file", "A read-only virtual file with the host file's bytes when the VM boots:"
                    + " podman's /etc/hosts, /etc/hostname, /etc/passwd, /etc/group and /run/.containerenv."
                    + " /etc/resolv.conf keeps the engine's servers and gets the user-mode network's DNS forwarder"
                    + " 10.0.2.3 last."),
            new Row("mounts: bind of a directory", "A virtio-fs share of its own, read-only with the ro option"
                    + " (podman -v HOST:DEST[:ro])."),
            new Row("mounts: tmpfs", "A tmpfs in guest memory, with size=N[kmg] when given (podman --tmpfs)."),
            new Row("mounts: proc, sysfs, devpts, mqueue, cgroup, /dev, /dev/shm",
                    "Ignored: the guest init mounts the guest's own /proc, /sys, /dev, /dev/pts and /dev/shm."),
            new Row("mounts: any other type", "Refused by create (a VM cannot mount the host's filesystems)."),
            new Row("linux.namespaces", "A network namespace without a path (podman --network none) gives the guest no"
                    + " network; otherwise it gets QEMU's user-mode network in the host's namespace, which reaches"
                    + " out through the host (published ports, -p, do not reach it). The other namespaces are moot:"
                    + " the VM is the boundary."),
            new Row("linux.resources.memory.limit", "The guest's memory, at least 128 MiB (default 512 MiB)."),
            new Row("linux.resources.cpu quota/period", "The number of virtual CPUs, rounded up (default 1)."),
            new Row("annotations krunctl.cpus, krunctl.memory", "The number of virtual CPUs and the guest's memory"
                    + " (512Mi, 1Gi), over the resources above (podman --annotation krunctl.memory=1Gi)."),
            new Row("linux.devices", "Refused unless the standard ones (/dev/null, /dev/zero, /dev/tty...), which the"
                    + " guest has of its own: host devices cannot be passed into a VM."),
            new Row("hooks", "Refused when any is given: a host hook cannot reach into the VM."),
            new Row("process.capabilities, noNewPrivileges, apparmorProfile, selinuxLabel, oomScoreAdj, linux.seccomp,"
                    + " linux.maskedPaths, linux.readonlyPaths, linux.sysctl, linux.cgroupsPath, other resources",
                    "Ignored: they confine a container on a shared kernel; here the program has a kernel of its own"
                            + " and the VM confines it. No host cgroup is made (podman stats and top do not work)."));

    private OciMappingTable() {}
}
