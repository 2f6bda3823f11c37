package io.krunctl.vmm.config;

import java.util.List;
import java.util.Objects;

/**
 * Everything needed to run one workload in one microVM: the typed API that every front end (the
 * YAML spec, the OCI {@code config.json}, a Java caller embedding vmm-core) produces.
 *
 * @param name        a label for logs and the QEMU process name
 * @param cpus        number of virtual CPUs, at least 1
 * @param memoryBytes guest RAM in bytes, a multiple of 1 MiB
 * @param root        what the guest's {@code /} is
 * @param files       virtual entries injected into the root device, in spec order
 * @param mounts      filesystems the guest init mounts once the root is set up, in order
 * @param process     the workload
 * @param hostname    the guest's host name
 * @param kernel      which kernel boots the guest
 * @param disks       extra disk images, attached after a block root's in this order
 * @param network     the guest's network
 * @param init        what the root device serves as {@code /init.krun}
 */
public record VmConfig(
        String name,
        int cpus,
        long memoryBytes,
        RootConfig root,
        List<VirtualFile> files,
        List<MountConfig> mounts,
        ProcessConfig process,
        String hostname,
        KernelChoice kernel,
        List<Disk> disks,
        NetworkConfig network,
        InitChoice init) {

    public static final long MIB = 1024L * 1024L;

    /**
     * A builder for the VM running {@code process} on {@code root}, with the spec's defaults for
     * everything else: 1 CPU, 256 MiB, no files, mounts, disks or network, the host name
     * {@code name}, the default kernel, the bundled init.
     */
    /** A configuration with krunctl's bundled init. */
    public VmConfig(String name, int cpus, long memoryBytes, RootConfig root, List<VirtualFile> files,
            List<MountConfig> mounts, ProcessConfig process, String hostname, KernelChoice kernel, List<Disk> disks,
            NetworkConfig network) {
        this(name, cpus, memoryBytes, root, files, mounts, process, hostname, kernel, disks, network,
                new InitChoice.Bundled());
    }

    public static Builder builder(String name, RootConfig root, ProcessConfig process) {
        return new Builder(name, root, process);
    }

    /** A builder holding this configuration, to derive another from it. */
    public Builder toBuilder() {
        return new Builder(name, root, process).cpus(cpus).memoryBytes(memoryBytes).files(files).mounts(mounts)
                .hostname(hostname).kernel(kernel).disks(disks).network(network).init(init);
    }

    /** Every disk image in the order the guest sees them: a block root's first, then {@link #disks}. */
    public List<Disk> allDisks() {
        List<Disk> all = new java.util.ArrayList<>();
        if (root instanceof RootConfig.BlockDevice block) {
            all.add(block.disk());
        }
        all.addAll(disks);
        return List.copyOf(all);
    }

    public VmConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(process, "process");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(init, "init");
        files = List.copyOf(files);
        disks = List.copyOf(disks);
        mounts = List.copyOf(mounts);
        java.util.Set<String> destinations = new java.util.HashSet<>();
        for (MountConfig m : mounts) {
            if (!destinations.add(m.destination())) {
                throw new IllegalArgumentException("two mounts share the destination " + m.destination());
            }
        }
        if (init instanceof InitChoice.Disabled
                && files.stream().noneMatch(f -> f.guestPath().equals("/init.krun"))) {
            throw new IllegalArgumentException("with the implicit init disabled, files must give /init.krun");
        }
        if (cpus < 1) {
            throw new IllegalArgumentException("cpus must be at least 1, got " + cpus);
        }
        if (memoryBytes < 64 * MIB || memoryBytes % MIB != 0) {
            throw new IllegalArgumentException(
                    "memory must be a whole number of MiB and at least 64 MiB, got " + memoryBytes + " bytes");
        }
    }

    /** Collects a {@link VmConfig}; {@link #build()} checks it. */
    public static final class Builder {
        private final String name;
        private final RootConfig root;
        private final ProcessConfig process;
        private int cpus = 1;
        private long memoryBytes = 256 * MIB;
        private List<VirtualFile> files = List.of();
        private List<MountConfig> mounts = List.of();
        private String hostname;
        private KernelChoice kernel = new KernelChoice.Own();
        private List<Disk> disks = List.of();
        private NetworkConfig network = NetworkConfig.none();
        private InitChoice init = new InitChoice.Bundled();

        private Builder(String name, RootConfig root, ProcessConfig process) {
            this.name = name;
            this.root = root;
            this.process = process;
            this.hostname = name;
        }

        public Builder cpus(int count) {
            this.cpus = count;
            return this;
        }

        public Builder memoryBytes(long bytes) {
            this.memoryBytes = bytes;
            return this;
        }

        public Builder memoryMiB(long mib) {
            return memoryBytes(mib * MIB);
        }

        public Builder files(List<VirtualFile> entries) {
            this.files = entries;
            return this;
        }

        public Builder mounts(List<MountConfig> entries) {
            this.mounts = entries;
            return this;
        }

        public Builder hostname(String value) {
            this.hostname = value;
            return this;
        }

        public Builder kernel(KernelChoice choice) {
            this.kernel = choice;
            return this;
        }

        public Builder disks(List<Disk> images) {
            this.disks = images;
            return this;
        }

        public Builder network(NetworkConfig value) {
            this.network = value;
            return this;
        }

        public Builder init(InitChoice choice) {
            this.init = choice;
            return this;
        }

        /** @throws IllegalArgumentException if a value is out of range or two mounts collide */
        public VmConfig build() {
            return new VmConfig(name, cpus, memoryBytes, root, files, mounts, process, hostname, kernel, disks,
                    network, init);
        }
    }
}
