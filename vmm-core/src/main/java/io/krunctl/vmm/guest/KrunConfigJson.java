package io.krunctl.vmm.guest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krunctl.vmm.config.MountConfig;
import io.krunctl.vmm.config.ProcessConfig;
import io.krunctl.vmm.fsdev.FsDevices;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * {@code /.krun_config.json}: the workload description the guest init reads, in the OCI
 * {@code process} form that libkrun's init accepts ({@code args}, {@code env} as
 * {@code KEY=VALUE}, {@code cwd}), and OCI's {@code user} ({@code uid}, {@code gid},
 * {@code additionalGids}, {@code umask}) when the workload does not run as root.
 *
 * <p>krunctl's own mounts travel in {@value #MOUNTS_KEY}, a key libkrun's init does not know (its
 * {@code mounts} rule is left to OCI configs): a list of {@code {"type", "source", "destination",
 * "options"}} objects the init mounts in order once the root is set up. {@code type} is
 * {@code virtiofs} (source: the device's tag) or {@code tmpfs} (source: {@code tmpfs});
 * {@code options} is a mount(8)-style comma-separated list, absent when empty: flags such as
 * {@code ro}, {@code nosuid}, {@code nodev}, {@code noexec}, the rest passed to the filesystem as
 * data (e.g. {@code size=67108864}). {@value #READ_ONLY_ROOT_KEY}{@code : true} has the init remount
 * {@code /} read-only after them, for a read-only root directory.
 */
public final class KrunConfigJson {
    /** Where the init looks for the file, at the root of the guest. */
    public static final String FILE_NAME = ".krun_config.json";
    /** The key of krunctl's mounts. */
    public static final String MOUNTS_KEY = "krunctl_mounts";
    /** The key that asks for a read-only {@code /}. */
    public static final String READ_ONLY_ROOT_KEY = "krunctl_root_read_only";
    private static final ObjectMapper JSON = new ObjectMapper();

    private KrunConfigJson() {}

    public static byte[] encode(ProcessConfig process) {
        return encode(process, List.of());
    }

    /** The file for {@code process} with {@code mounts}, virtio-fs ones tagged as {@link FsDevices} does. */
    public static byte[] encode(ProcessConfig process, List<MountConfig> mounts) {
        return encode(process, mounts, false);
    }

    /** As {@link #encode(ProcessConfig, List)}, for a root the guest must see read-only or not. */
    public static byte[] encode(ProcessConfig process, List<MountConfig> mounts, boolean readOnlyRoot) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode p = root.putObject("process");
        ArrayNode args = p.putArray("args");
        process.args().forEach(args::add);
        ArrayNode env = p.putArray("env");
        for (Map.Entry<String, String> e : process.env().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        p.put("cwd", process.workdir());
        process.user().ifPresent(user -> {
            ObjectNode u = p.putObject("user");
            u.put("uid", user.uid());
            u.put("gid", user.gid());
            ArrayNode groups = u.putArray("additionalGids");
            user.additionalGids().forEach(groups::add);
            user.umask().ifPresent(mask -> u.put("umask", mask));
        });
        if (readOnlyRoot) {
            root.put(READ_ONLY_ROOT_KEY, true);
        }
        if (!mounts.isEmpty()) {
            ArrayNode list = root.putArray(MOUNTS_KEY);
            int shares = 0;
            for (MountConfig m : mounts) {
                ObjectNode entry = list.addObject();
                String options = switch (m) {
                    case MountConfig.VirtioFs v -> {
                        entry.put("type", "virtiofs");
                        entry.put("source", FsDevices.mountTag(shares++));
                        yield v.readOnly() ? "ro" : "";
                    }
                    case MountConfig.Tmpfs t -> {
                        entry.put("type", "tmpfs");
                        entry.put("source", "tmpfs");
                        yield t.sizeBytes().isPresent() ? "size=" + t.sizeBytes().getAsLong() : "";
                    }
                };
                entry.put("destination", m.destination());
                if (!options.isEmpty()) {
                    entry.put("options", options);
                }
            }
        }
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }
}
