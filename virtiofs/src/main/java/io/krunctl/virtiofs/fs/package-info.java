/**
 * The filesystems a virtio-fs device serves, in FUSE's terms: the {@link
 * io.krunctl.virtiofs.fs.FileSystem} interface, {@link io.krunctl.virtiofs.fs.NullFs} (an empty root),
 * {@link io.krunctl.virtiofs.fs.AugmentFs} (virtual entries and the exit-code ioctl above any other
 * filesystem) and the {@link io.krunctl.virtiofs.fs.InodeAllocator} every layer of one device shares.
 * Nothing here knows the wire format; that is {@code io.krunctl.virtiofs.fuse}.
 */
package io.krunctl.virtiofs.fs;
