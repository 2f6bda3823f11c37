package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Fcntl;
import org.junit.jupiter.api.Test;

class FileOpenerTest {
    private static final int NO_PROC = -1;

    @Test
    void flagsThatAreNotThisOpensJobNeverReachTheHost() {
        FileOpener opener = new FileOpener(new HandleTable(new DescriptorBudget(PassthroughConfig.UNBOUNDED)), NO_PROC, CachePolicy.AUTO);
        int guest = Fcntl.O_WRONLY | Fcntl.O_APPEND | Fcntl.O_CREAT | Fcntl.O_EXCL | Fcntl.O_NOCTTY
                | Fcntl.O_DIRECT | Fcntl.O_NOFOLLOW | Fcntl.O_PATH | Fcntl.O_TMPFILE_BIT | Fcntl.O_TRUNC;
        assertThat(opener.hostFlags(guest)).isEqualTo(Fcntl.O_WRONLY | Fcntl.O_APPEND | Fcntl.O_TRUNC | Fcntl.O_CLOEXEC);
    }

    @Test
    void underWritebackAWriteOnlyOpenReadsTooAndAppendsAreTheGuestsJob() {
        FileOpener opener = new FileOpener(new HandleTable(new DescriptorBudget(PassthroughConfig.UNBOUNDED)), NO_PROC, CachePolicy.AUTO);
        opener.writeback(true);
        assertThat(opener.hostFlags(Fcntl.O_WRONLY | Fcntl.O_APPEND)).isEqualTo(Fcntl.O_RDWR | Fcntl.O_CLOEXEC);
        assertThat(opener.hostFlags(Fcntl.O_RDONLY)).isEqualTo(Fcntl.O_RDONLY | Fcntl.O_CLOEXEC);
    }

    @Test
    void theCachePolicyDecidesWhatTheGuestKeeps() {
        assertThat(new FileOpener(new HandleTable(new DescriptorBudget(PassthroughConfig.UNBOUNDED)), NO_PROC, CachePolicy.NEVER).createdFlags())
                .isEqualTo(OpenResult.DIRECT_IO);
        assertThat(new FileOpener(new HandleTable(new DescriptorBudget(PassthroughConfig.UNBOUNDED)), NO_PROC, CachePolicy.AUTO).createdFlags()).isZero();
        FileOpener always = new FileOpener(new HandleTable(new DescriptorBudget(PassthroughConfig.UNBOUNDED)), NO_PROC, CachePolicy.ALWAYS);
        assertThat(always.createdFlags()).isEqualTo(OpenResult.KEEP_CACHE);
        assertThat(always.directoryFlags()).isEqualTo(OpenResult.CACHE_DIR | OpenResult.KEEP_CACHE);
    }
}
