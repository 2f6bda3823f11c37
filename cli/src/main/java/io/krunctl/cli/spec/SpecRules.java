package io.krunctl.cli.spec;

import io.krunctl.vmm.config.Rlimit;
import io.krunctl.vmm.fsdev.RootEntries;
import java.util.Arrays;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The value rules of the spec format: patterns, ranges and reserved names. The readers check
 * values against them, {@link SpecSchema} writes them as JSON Schema and {@link SpecModel} names
 * them in the manual, so they live here, apart from all three, and no two can disagree.
 */
final class SpecRules {

    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    static final int MAX_HOSTNAME = 64;
    static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    static final Pattern OCTAL_MODE = Pattern.compile("[0-7]{3,4}");
    static final Pattern DECIMAL = Pattern.compile("[0-9]{1,9}");

    static final int MAX_CPUS = 64;
    static final int DEFAULT_MODE = 0644;
    /**
     * Guest paths of the root device that krunctl fills itself, so {@code files} may not name them
     * (the init's only with {@code init.disabled}).
     */
    static final String INIT_PATH = RootEntries.INIT_PATH;
    static final String AGENT_PATH = RootEntries.AGENT_PATH;
    /** The workload description krunctl writes from {@code process}. */
    static final String CONFIG_PATH = "/" + io.krunctl.vmm.guest.KrunConfigJson.FILE_NAME;

    // A block root's filesystem type and options travel on the guest kernel's command line, so
    // they are limited to characters that cannot split into more kernel parameters.
    static final Pattern FSTYPE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,31}");
    static final Pattern MOUNT_OPTIONS = Pattern.compile("[A-Za-z0-9_.,:=/+@%-]{0,256}");
    /**
     * Words mount(8) turns into mount flags, not filesystem data. The init passes a block root's
     * options to mount(2) as data, where the guest kernel takes only ro, rw, sync, dirsync, lazytime
     * and mand as flags; the filesystem rejects the rest (EINVAL).
     */
    static final Set<String> MOUNT_FLAG_WORDS = Set.of("atime", "noatime", "diratime",
            "nodiratime", "relatime", "norelatime", "strictatime", "nostrictatime", "suid", "nosuid", "dev", "nodev",
            "exec", "noexec", "defaults", "auto", "noauto", "user", "nouser", "users", "owner", "group", "nofail",
            "_netdev", "remount", "bind", "rbind", "move");

    static final Pattern LIMIT = Pattern.compile("[0-9]{1,20}|unlimited");
    static final Pattern PORT_FORWARD = Pattern.compile("(?:([0-9.]+):)?([0-9]{1,5}):([0-9]{1,5})");
    static final List<String> NETWORK_MODES = List.of("none", "user");
    static final List<String> RLIMIT_NAMES = Arrays.stream(Rlimit.Resource.values()).map(Rlimit.Resource::key).toList();
    /** How many images {@code disks} may list. */
    static final int MAX_DISKS = 16;
    /**
     * The most open files a guest process may have: the guest kernel's {@code fs.nr_open} default,
     * above which {@code setrlimit(RLIMIT_NOFILE)} fails.
     */
    static final long MAX_NOFILE = 1L << 20;

    /** The name of a spec that gives none, when nothing of its file's name is left to make one. */
    static final String FALLBACK_NAME = "vm";

    private SpecRules() {
    }

    /**
     * The name of a spec that gives none: its file's base name without the extension, lower-cased,
     * each character outside {@code [a-z0-9-]} made a {@code -} and each run of {@code -} one,
     * without {@code -} at either end and cut to 63 characters ({@code My App.v2.yaml} is
     * {@code my-app-v2}), or {@value #FALLBACK_NAME} when nothing is left.
     */
    static String nameFromFile(Path file) {
        Path last = file == null ? null : file.getFileName();
        String base = last == null ? "" : last.toString();
        int dot = base.lastIndexOf('.');
        if (dot >= 0) {
            base = base.substring(0, dot);
        }
        String name = trimDashes(base.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("-+", "-"));
        name = trimDashes(name.substring(0, Math.min(name.length(), 63)));
        return name.isEmpty() ? FALLBACK_NAME : name;
    }

    private static String trimDashes(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && s.charAt(from) == '-') {
            from++;
        }
        while (to > from && s.charAt(to - 1) == '-') {
            to--;
        }
        return s.substring(from, to);
    }
}
