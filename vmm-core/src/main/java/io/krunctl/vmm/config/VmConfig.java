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
 * @param process     the workload
 * @param hostname    the guest's host name
 * @param kernel      which kernel boots the guest
 */
public record VmConfig(
        String name,
        int cpus,
        long memoryBytes,
        RootConfig root,
        List<VirtualFile> files,
        ProcessConfig process,
        String hostname,
        KernelChoice kernel) {

    public static final long MIB = 1024L * 1024L;

    public VmConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(process, "process");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(kernel, "kernel");
        files = List.copyOf(files);
        if (cpus < 1) {
            throw new IllegalArgumentException("cpus must be at least 1, got " + cpus);
        }
        if (memoryBytes < 64 * MIB || memoryBytes % MIB != 0) {
            throw new IllegalArgumentException(
                    "memory must be a whole number of MiB and at least 64 MiB, got " + memoryBytes + " bytes");
        }
    }
}
