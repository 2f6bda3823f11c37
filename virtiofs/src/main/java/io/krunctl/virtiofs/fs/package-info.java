/**
 * The filesystems a virtio-fs device serves, in FUSE's terms: the {@link
 * io.krunctl.virtiofs.fs.FileSystem} interface, {@link io.krunctl.virtiofs.fs.NullFs} (an empty root),
 * {@link io.krunctl.virtiofs.fs.PassthroughFs} (a host directory, confined to it) and
 * {@link io.krunctl.virtiofs.fs.PassthroughFsRo} (the same, refusing every change),
 * {@link io.krunctl.virtiofs.fs.AugmentFs} (virtual entries and the exit-code ioctl above any other
 * filesystem, reporting to a {@link io.krunctl.virtiofs.fs.GuestExitListener}) and the
 * {@link io.krunctl.virtiofs.fs.InodeAllocator} every layer of one device shares. How much the guest
 * may cache of a host directory is its {@link io.krunctl.virtiofs.fs.CachePolicy}. Nothing here knows
 * the wire format; that is {@code io.krunctl.virtiofs.fuse}.
 */
package io.krunctl.virtiofs.fs;
