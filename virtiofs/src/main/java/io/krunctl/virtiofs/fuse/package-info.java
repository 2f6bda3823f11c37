/**
 * The FUSE wire protocol (7.27) over virtio-fs buffers: {@link io.krunctl.virtiofs.fuse.FuseServer}
 * decodes one request from a {@link io.krunctl.virtiofs.fuse.ScatterBuffer}, dispatches it to a {@link
 * io.krunctl.virtiofs.fs.FileSystem} and encodes the reply in place.
 */
package io.krunctl.virtiofs.fuse;
