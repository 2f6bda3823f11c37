import io.krunctl.initblob.InitBlob;
import io.krunctl.vmm.initramfs.InitramfsBuilder;
import io.krunctl.vmm.kernel.BootKernel;
import io.krunctl.vmm.kernel.KernelProvider;
import java.nio.file.Path;

/**
 * Writes the initramfs krunctl itself generates for the distribution kernel (the same builder, the
 * same init and modules, so the same bytes), for the reference stack of bench/fs.sh: krunctl's own
 * copy lives in its private runtime directory, which is gone when krunctl exits.
 *
 * <pre>
 *   java -cp 'cli/target/krunctl-cli.jar:cli/target/lib/*' bench/ReferenceInitramfs.java OUT
 * </pre>
 */
public class ReferenceInitramfs {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java ReferenceInitramfs.java OUT");
            System.exit(64);
        }
        BootKernel kernel = new KernelProvider(KernelProvider.defaultCacheDir()).distributionKernel();
        InitramfsBuilder.write(Path.of(args[0]), InitBlob.bytes(), kernel.modules());
    }
}
