package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.krunctl.nativeio.ThreadCredentials;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.Test;

class CredentialsTest {
    private static final boolean IS_ROOT = ThreadCredentials.geteuid() == 0;

    /** This thread's filesystem uid: an invalid id changes nothing and answers the current one. */
    private static int fsuid() {
        return ThreadCredentials.setfsuid(-1);
    }

    private static int fsgid() {
        return ThreadCredentials.setfsgid(-1);
    }

    /** Runs {@code body} on a platform thread of its own: a switch must not touch the test runner's. */
    private static <T> T onWorker(Callable<T> body) throws Exception {
        FutureTask<T> task = new FutureTask<>(body);
        Thread.ofPlatform().start(task).join();
        try {
            return task.get();
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    @Test
    void theCallerIdsHoldInsideTheGuardAndRootsAfterIt() throws Exception {
        assumeTrue(IS_ROOT, "switching ids needs root");
        Credentials creds = new Credentials(true);
        String ids = onWorker(() -> {
            String inside;
            try (var _ = creds.as(new Context(1000, 1001, 1))) {
                inside = fsuid() + ":" + fsgid();
            }
            return inside + " " + fsuid() + ":" + fsgid();
        });
        assertThat(ids).isEqualTo("1000:1001 0:0");
    }

    @Test
    void theGuardRestoresRootIdsWhenTheGuardedCallThrows() throws Exception {
        assumeTrue(IS_ROOT, "switching ids needs root");
        Credentials creds = new Credentials(true);
        String ids = onWorker(() -> {
            try (var _ = creds.as(new Context(1000, 1001, 1))) {
                throw new IllegalStateException("the creating call failed");
            } catch (IllegalStateException expected) {
                return fsuid() + ":" + fsgid();
            }
        });
        assertThat(ids).isEqualTo("0:0");
    }

    @Test
    void rootAndUnknownCallersKeepThisProcesssIds() throws Exception {
        Credentials creds = new Credentials(IS_ROOT);
        int own = onWorker(CredentialsTest::fsuid);
        String ids = onWorker(() -> {
            String seen;
            try (var _ = creds.as(new Context(0, 0, 1))) {
                seen = fsuid() + " ";
            }
            try (var _ = creds.as(new Context(Context.INVALID_ID, Context.INVALID_ID, 1))) {
                seen += fsuid();
            }
            return seen;
        });
        assertThat(ids).isEqualTo(own + " " + own);
    }

    @Test
    void withoutSwitchingTheGuardLeavesIdsAlone() throws Exception {
        Credentials creds = new Credentials(false);
        int own = onWorker(CredentialsTest::fsuid);
        int inside = onWorker(() -> {
            try (var _ = creds.as(new Context(1000, 1000, 1))) {
                return fsuid();
            }
        });
        assertThat(inside).isEqualTo(own);
    }
}
