package io.krunctl.virtiofs.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.virtiofs.fuse.FuseStructs.AccessIn;
import io.krunctl.virtiofs.fuse.FuseStructs.AttrOut;
import io.krunctl.virtiofs.fuse.FuseStructs.BatchForgetIn;
import io.krunctl.virtiofs.fuse.FuseStructs.CopyFileRangeIn;
import io.krunctl.virtiofs.fuse.FuseStructs.CreateIn;
import io.krunctl.virtiofs.fuse.FuseStructs.Dirent;
import io.krunctl.virtiofs.fuse.FuseStructs.Direntplus;
import io.krunctl.virtiofs.fuse.FuseStructs.EntryOut;
import io.krunctl.virtiofs.fuse.FuseStructs.FallocateIn;
import io.krunctl.virtiofs.fuse.FuseStructs.FlushIn;
import io.krunctl.virtiofs.fuse.FuseStructs.ForgetIn;
import io.krunctl.virtiofs.fuse.FuseStructs.ForgetOne;
import io.krunctl.virtiofs.fuse.FuseStructs.FsyncIn;
import io.krunctl.virtiofs.fuse.FuseStructs.FuseAttr;
import io.krunctl.virtiofs.fuse.FuseStructs.FuseFileLock;
import io.krunctl.virtiofs.fuse.FuseStructs.GetattrIn;
import io.krunctl.virtiofs.fuse.FuseStructs.GetxattrIn;
import io.krunctl.virtiofs.fuse.FuseStructs.GetxattrOut;
import io.krunctl.virtiofs.fuse.FuseStructs.InHeader;
import io.krunctl.virtiofs.fuse.FuseStructs.InitIn;
import io.krunctl.virtiofs.fuse.FuseStructs.InitOut;
import io.krunctl.virtiofs.fuse.FuseStructs.InterruptIn;
import io.krunctl.virtiofs.fuse.FuseStructs.IoctlIn;
import io.krunctl.virtiofs.fuse.FuseStructs.IoctlOut;
import io.krunctl.virtiofs.fuse.FuseStructs.Kstatfs;
import io.krunctl.virtiofs.fuse.FuseStructs.LinkIn;
import io.krunctl.virtiofs.fuse.FuseStructs.LkIn;
import io.krunctl.virtiofs.fuse.FuseStructs.LkOut;
import io.krunctl.virtiofs.fuse.FuseStructs.LseekIn;
import io.krunctl.virtiofs.fuse.FuseStructs.LseekOut;
import io.krunctl.virtiofs.fuse.FuseStructs.MkdirIn;
import io.krunctl.virtiofs.fuse.FuseStructs.MknodIn;
import io.krunctl.virtiofs.fuse.FuseStructs.OpenIn;
import io.krunctl.virtiofs.fuse.FuseStructs.OpenOut;
import io.krunctl.virtiofs.fuse.FuseStructs.OutHeader;
import io.krunctl.virtiofs.fuse.FuseStructs.ReadIn;
import io.krunctl.virtiofs.fuse.FuseStructs.ReleaseIn;
import io.krunctl.virtiofs.fuse.FuseStructs.Rename2In;
import io.krunctl.virtiofs.fuse.FuseStructs.RenameIn;
import io.krunctl.virtiofs.fuse.FuseStructs.SetattrIn;
import io.krunctl.virtiofs.fuse.FuseStructs.SetxattrIn;
import io.krunctl.virtiofs.fuse.FuseStructs.SetxattrInExt;
import io.krunctl.virtiofs.fuse.FuseStructs.StatfsOut;
import io.krunctl.virtiofs.fuse.FuseStructs.WriteIn;
import io.krunctl.virtiofs.fuse.FuseStructs.WriteOut;
import java.lang.foreign.StructLayout;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Struct sizes and field offsets pinned to the kernel's {@code include/uapi/linux/fuse.h}. */
class FuseStructsTest {

    static Stream<Arguments> kernelSizes() {
        return Stream.of(
                size(InHeader.LAYOUT, 40), size(OutHeader.LAYOUT, 16),
                size(InitIn.LAYOUT, 64), size(InitOut.LAYOUT, 64),
                size(FuseAttr.LAYOUT, 88), size(EntryOut.LAYOUT, 128), size(AttrOut.LAYOUT, 104),
                size(GetattrIn.LAYOUT, 16), size(SetattrIn.LAYOUT, 88),
                size(OpenIn.LAYOUT, 8), size(OpenOut.LAYOUT, 16), size(CreateIn.LAYOUT, 16),
                size(MknodIn.LAYOUT, 16), size(MkdirIn.LAYOUT, 8),
                size(RenameIn.LAYOUT, 8), size(Rename2In.LAYOUT, 16), size(LinkIn.LAYOUT, 8),
                size(ReadIn.LAYOUT, 40), size(WriteIn.LAYOUT, 40), size(WriteOut.LAYOUT, 8),
                size(ReleaseIn.LAYOUT, 24), size(FlushIn.LAYOUT, 24), size(FsyncIn.LAYOUT, 16),
                size(ForgetIn.LAYOUT, 8), size(ForgetOne.LAYOUT, 16), size(BatchForgetIn.LAYOUT, 8),
                size(Kstatfs.LAYOUT, 80), size(StatfsOut.LAYOUT, 80),
                size(AccessIn.LAYOUT, 8), size(GetxattrIn.LAYOUT, 8), size(GetxattrOut.LAYOUT, 8),
                size(SetxattrIn.LAYOUT, 8), size(SetxattrInExt.LAYOUT, 16),
                size(IoctlIn.LAYOUT, 32), size(IoctlOut.LAYOUT, 16),
                size(LseekIn.LAYOUT, 24), size(LseekOut.LAYOUT, 8), size(FallocateIn.LAYOUT, 32),
                size(CopyFileRangeIn.LAYOUT, 56),
                size(FuseFileLock.LAYOUT, 24), size(LkIn.LAYOUT, 48), size(LkOut.LAYOUT, 24),
                size(InterruptIn.LAYOUT, 8),
                size(Dirent.LAYOUT, 24), size(Direntplus.LAYOUT, 152));
    }

    private static Arguments size(StructLayout layout, long expected) {
        return Arguments.of(Named.of(layout.name().orElseThrow(), layout), expected);
    }

    @ParameterizedTest(name = "sizeof({0}) == {1}")
    @MethodSource("kernelSizes")
    void structSizesMatchTheKernelHeader(StructLayout layout, long expected) {
        assertThat(layout.byteSize()).isEqualTo(expected);
    }

    @Test
    void headerFieldOffsets() {
        assertThat(InHeader.LEN).isZero();
        assertThat(InHeader.OPCODE).isEqualTo(4);
        assertThat(InHeader.UNIQUE).isEqualTo(8);
        assertThat(InHeader.NODEID).isEqualTo(16);
        assertThat(InHeader.UID).isEqualTo(24);
        assertThat(InHeader.GID).isEqualTo(28);
        assertThat(InHeader.PID).isEqualTo(32);
        assertThat(OutHeader.ERROR).isEqualTo(4);
        assertThat(OutHeader.UNIQUE).isEqualTo(8);
    }

    @Test
    void initFieldOffsets() {
        assertThat(InitIn.FLAGS).isEqualTo(12);
        assertThat(InitIn.FLAGS2).isEqualTo(16);
        assertThat(InitOut.MAX_BACKGROUND).isEqualTo(16);
        assertThat(InitOut.CONGESTION_THRESHOLD).isEqualTo(18);
        assertThat(InitOut.MAX_WRITE).isEqualTo(20);
        assertThat(InitOut.TIME_GRAN).isEqualTo(24);
        assertThat(InitOut.MAX_PAGES).isEqualTo(28);
        assertThat(InitOut.MAP_ALIGNMENT).isEqualTo(30);
        assertThat(InitOut.FLAGS2).isEqualTo(32);
    }

    @Test
    void attributeFieldOffsets() {
        assertThat(FuseAttr.ATIMENSEC).isEqualTo(48);
        assertThat(FuseAttr.MODE).isEqualTo(60);
        assertThat(FuseAttr.NLINK).isEqualTo(64);
        assertThat(FuseAttr.RDEV).isEqualTo(76);
        assertThat(FuseAttr.BLKSIZE).isEqualTo(80);
        assertThat(FuseAttr.FLAGS).isEqualTo(84);
        assertThat(EntryOut.ENTRY_VALID_NSEC).isEqualTo(32);
        assertThat(EntryOut.ATTR).isEqualTo(40);
        assertThat(AttrOut.ATTR_VALID_NSEC).isEqualTo(8);
        assertThat(AttrOut.ATTR).isEqualTo(16);
    }

    @Test
    void argumentFieldOffsets() {
        assertThat(ReadIn.READ_SIZE).isEqualTo(16);
        assertThat(ReadIn.LOCK_OWNER).isEqualTo(24);
        assertThat(ReadIn.FLAGS).isEqualTo(32);
        assertThat(SetattrIn.ATIMENSEC).isEqualTo(56);
        assertThat(SetattrIn.MODE).isEqualTo(68);
        assertThat(SetattrIn.UID).isEqualTo(76);
        assertThat(SetattrIn.GID).isEqualTo(80);
        assertThat(IoctlIn.CMD).isEqualTo(12);
        assertThat(IoctlIn.ARG).isEqualTo(16);
        assertThat(IoctlIn.OUT_SIZE).isEqualTo(28);
        assertThat(LkIn.LK).isEqualTo(16);
        assertThat(LkIn.LK_FLAGS).isEqualTo(40);
        assertThat(Kstatfs.BSIZE).isEqualTo(40);
        assertThat(Kstatfs.FRSIZE).isEqualTo(48);
        assertThat(CopyFileRangeIn.NODEID_OUT).isEqualTo(16);
        assertThat(CopyFileRangeIn.FLAGS).isEqualTo(48);
    }

    @Test
    void directoryEntriesAreEightByteAligned() {
        assertThat(Dirent.NAMELEN).isEqualTo(16);
        assertThat(Dirent.TYPE).isEqualTo(20);
        assertThat(Direntplus.DIRENT).isEqualTo(128);
        assertThat(FuseStructs.direntAlign(24 + 1)).isEqualTo(32);
        assertThat(FuseStructs.direntAlign(24 + 8)).isEqualTo(32);
        assertThat(FuseStructs.direntAlign(24 + 9)).isEqualTo(40);
        assertThat(FuseStructs.direntAlign(152 + 3)).isEqualTo(160);
    }

    @Test
    void opcodesKeepTheirKernelNumbers() {
        assertThat(Opcode.LOOKUP.code()).isEqualTo(1);
        assertThat(Opcode.MKNOD.code()).isEqualTo(8);
        assertThat(Opcode.FSYNC.code()).isEqualTo(20);
        assertThat(Opcode.INIT.code()).isEqualTo(26);
        assertThat(Opcode.IOCTL.code()).isEqualTo(39);
        assertThat(Opcode.BATCH_FORGET.code()).isEqualTo(42);
        assertThat(Opcode.READDIRPLUS.code()).isEqualTo(44);
        assertThat(Opcode.COPY_FILE_RANGE.code()).isEqualTo(47);
        for (Opcode op : Opcode.values()) {
            assertThat(Opcode.of(op.code())).isSameAs(op);
        }
        assertThat(Opcode.of(7)).isNull();
        assertThat(Opcode.of(19)).isNull();
        assertThat(Opcode.of(4096)).isNull();
        assertThat(Opcode.of(-1)).isNull();
    }
}
