package io.krunctl.vmm.config;

/** What the guest's root filesystem is. Each kind is served by krunctl's own virtio-fs device. */
public sealed interface RootConfig {

    /** An empty root: only virtual entries (the init, injected files, mount points) exist in it. */
    record NullFs() implements RootConfig {}
}
