package io.krunctl.cli;

import io.krunctl.cli.spec.SpecModel;
import io.krunctl.cli.spec.SpecModel.Field;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Generates krunctl's man pages: {@code krunctl(1)} and one page per command from the picocli
 * model ({@link Main#commandLine()}), the exit-code table from {@link ExitCodes#TABLE}, and
 * {@code krunctl-spec(5)} from {@link SpecModel}. {@link ManPagesTest} checks the committed pages
 * in {@code man/} against this output; the prose around the generated parts lives here.
 */
final class ManPages {

    private static final String SOURCE = "krunctl";

    private ManPages() {}

    /** File name ({@code krunctl-run.1}) to page text, in a stable order. */
    static Map<String, String> generate() {
        CommandLine root = Main.commandLine();
        Map<String, String> pages = new LinkedHashMap<>();
        pages.put("krunctl.1", mainPage(root));
        for (CommandLine sub : root.getSubcommands().values()) {
            if (sub.getCommandName().equals("help") || sub.getCommandSpec().usageMessage().hidden()) {
                continue;
            }
            pages.put("krunctl-" + sub.getCommandName() + ".1", commandPage(sub));
        }
        pages.put("krunctl-spec.5", specPage());
        pages.put("krunctl-oci.7", ociPage());
        return pages;
    }

    /** The commands that have a page of their own. */
    static List<String> commands() {
        return generate().keySet().stream()
                .filter(n -> n.startsWith("krunctl-") && n.endsWith(".1"))
                .map(n -> n.substring("krunctl-".length(), n.length() - 2))
                .toList();
    }

    // ---- krunctl(1) ----------------------------------------------------------------------------

    private static String mainPage(CommandLine root) {
        CommandSpec spec = root.getCommandSpec();
        Roff r = new Roff();
        r.header("KRUNCTL", 1, "User Commands");
        r.section("NAME");
        r.line("krunctl \\- " + esc(nameLine(spec)));
        r.section("SYNOPSIS");
        r.synopsis("krunctl", spec, "COMMAND [ARGS]...");
        r.section("DESCRIPTION");
        r.para("krunctl boots a real Linux guest under QEMU, serves its root filesystem through its own"
                + " virtio-fs device, injects its bundled init and the files the spec names as virtual entries,"
                + " runs the spec's process and exits with that process's exit code.");
        r.para("The workload's standard output and standard error are those of krunctl; krunctl's own messages"
                + " and the guest console go to standard error or to the file given with run --console, never to"
                + " standard output. The spec format is described in krunctl-spec(5).");
        r.section("COMMANDS");
        for (CommandLine sub : root.getSubcommands().values()) {
            CommandSpec s = sub.getCommandSpec();
            if (s.usageMessage().hidden()) {
                continue;
            }
            r.tag("\\fB" + esc(sub.getCommandName()) + "\\fR");
            String page = sub.getCommandName().equals("help") ? "" : " See krunctl-" + sub.getCommandName() + "(1).";
            r.line(esc(first(s.usageMessage().description())) + esc(page));
        }
        r.section("OPTIONS");
        options(r, spec);
        r.section("EXIT STATUS");
        r.para("krunctl exits with one of these codes; this table is the one place they are defined. The"
                + " workload's own exit code passes through unchanged, so a workload can also exit with a"
                + " number from this table.");
        for (ExitCodes.Row row : ExitCodes.TABLE) {
            r.tag("\\fB" + esc(row.codes()) + "\\fR");
            r.line(esc(row.meaning()));
        }
        r.section("ENVIRONMENT");
        r.tag("\\fBKRUNCTL_QEMU\\fR");
        r.line(esc("The QEMU executable to use instead of qemu-system-x86_64 on PATH."));
        r.tag("\\fBKRUNCTL_INIT_BINARY_PATH\\fR");
        r.line(esc("A guest init binary to inject instead of the bundled one."));
        r.tag("\\fBXDG_CACHE_HOME\\fR");
        r.line(esc("The kernel cache lives in $XDG_CACHE_HOME/krunctl (default ~/.cache/krunctl)."));
        r.tag("\\fBNO_COLOR\\fR");
        r.line(esc("When set, help is printed without colours."));
        r.section("FILES");
        r.tag("\\fI" + esc("~/.cache/krunctl/kernel/") + "\\fR");
        r.line(esc("The distribution kernel, fetched with apt-get download on first use and unpacked once;"
                + " under own/, krunctl's own kernels, built by make build (kernel/build.sh), one directory"
                + " per configuration, and own/current, the one krunctl boots."));
        examples(r, spec);
        seeAlso(r, root, null);
        return r.toString();
    }

    // ---- krunctl-COMMAND(1) --------------------------------------------------------------------

    private static String commandPage(CommandLine cmd) {
        CommandSpec spec = cmd.getCommandSpec();
        String name = cmd.getCommandName();
        Roff r = new Roff();
        r.header("KRUNCTL-" + name.toUpperCase(Locale.ROOT), 1, "User Commands");
        r.section("NAME");
        r.line("krunctl\\-" + esc(name) + " \\- " + esc(nameLine(spec)));
        r.section("SYNOPSIS");
        r.synopsis("krunctl " + name, spec, null);
        r.section("DESCRIPTION");
        for (String d : spec.usageMessage().description()) {
            r.para(fmt(d));
        }
        if (!spec.positionalParameters().isEmpty()) {
            r.section("ARGUMENTS");
            for (PositionalParamSpec p : spec.positionalParameters()) {
                r.tag("\\fI" + esc(p.paramLabel()) + "\\fR" + (p.arity().max() > 1 ? "..." : ""));
                r.line(esc(description(p)));
            }
        }
        r.section("OPTIONS");
        options(r, spec);
        r.section("EXIT STATUS");
        r.para("krunctl " + name + " exits with one of these codes from the table in krunctl(1):");
        for (ExitCodes.Row row : ExitCodes.forCommand(name)) {
            r.tag("\\fB" + esc(row.codes()) + "\\fR");
            r.line(esc(row.meaning()));
        }
        examples(r, spec);
        seeAlso(r, cmd.getParent(), name);
        return r.toString();
    }

    private static void options(Roff r, CommandSpec spec) {
        List<OptionSpec> options = new ArrayList<>(spec.options());
        options.removeIf(o -> o.hidden());
        options.sort(Comparator.comparing(o -> o.longestName().replaceFirst("^-+", "").toLowerCase(Locale.ROOT)));
        for (OptionSpec o : options) {
            StringBuilder tag = new StringBuilder();
            for (String n : o.names()) {
                tag.append(tag.isEmpty() ? "" : ", ").append("\\fB").append(esc(n)).append("\\fR");
            }
            if (o.arity().max() > 0) {
                tag.append(" \\fI").append(esc(o.paramLabel())).append("\\fR");
            }
            r.tag(tag.toString());
            r.line(esc(description(o)) + (o.isMultiValue() ? esc(" May be given more than once.") : ""));
        }
    }

    private static void examples(Roff r, CommandSpec spec) {
        String[] footer = spec.usageMessage().footer();
        if (footer.length == 0) {
            return;
        }
        r.section("EXAMPLES");
        r.raw(".RS 4\n.nf");
        for (String line : footer) {
            r.line(esc(fmt(line).strip()));
        }
        r.raw(".fi\n.RE");
    }

    private static void seeAlso(Roff r, CommandLine root, String self) {
        List<String> refs = new ArrayList<>();
        if (self != null) {
            refs.add("krunctl(1)");
        }
        for (CommandLine sub : root.getSubcommands().values()) {
            String n = sub.getCommandName();
            if (!n.equals("help") && !n.equals(self) && !sub.getCommandSpec().usageMessage().hidden()) {
                refs.add("krunctl-" + n + "(1)");
            }
        }
        refs.add("krunctl-spec(5)");
        refs.add("krunctl-oci(7)");
        refs.add("qemu-system-x86_64(1)");
        r.section("SEE ALSO");
        r.line(esc(String.join(", ", refs)));
    }

    // ---- krunctl-oci(7) ------------------------------------------------------------------------

    private static String ociPage() {
        Roff r = new Roff();
        r.header("KRUNCTL-OCI", 7, "Miscellaneous");
        r.section("NAME");
        r.line("krunctl\\-oci \\- " + esc("krunctl as an OCI runtime: containers in microVMs under podman"));
        r.section("SYNOPSIS");
        r.line("\\fBpodman \\-\\-runtime\\fR \\fI/path/to/krunctl\\fR \\fBrun\\fR \\fIIMAGE\\fR [\\fICOMMAND\\fR]");
        r.raw(".br");
        r.line("\\fBkrunctl\\fR [\\fIGLOBAL OPTIONS\\fR] \\fBcreate\\fR|\\fBstart\\fR|\\fBstate\\fR|\\fBkill\\fR|"
                + "\\fBdelete\\fR|\\fBexec\\fR|\\fBfeatures\\fR \\fIID\\fR ...");
        r.section("DESCRIPTION");
        r.para("krunctl implements the OCI runtime command line (runtime-spec runtime.md, with runc's exec and"
                + " delete --force), so a container engine can run each container's program in a microVM of its own:"
                + " the program gets its own guest kernel, the container's root directory is served to the guest by"
                + " krunctl's virtio-fs device, and its stdin, stdout, stderr, terminal, signals and exit code reach"
                + " the engine as if it ran on the host.");
        r.para("create reads the bundle's config.json, refuses with one line on stderr what a VM cannot honour (see"
                + " CONFIG.JSON below), and starts the container's supervisor, a krunctl process that is the"
                + " container's pid: it prepares the VM's devices and waits. start makes the supervisor boot the"
                + " VM; the program runs as with krunctl run, and the supervisor exits with the program's exit code"
                + " (128+N after signal N), which is the container's. kill sends the signal to the supervisor, which"
                + " passes HUP, INT, QUIT, TERM, USR1 and USR2 to the program; KILL ends the supervisor and its"
                + " QEMU at once. exec runs a process beside the program through the guest agent. delete removes"
                + " a stopped container (with --force, a running one too, after killing it), and the id can be"
                + " created again.");
        r.para("The container records live in /run/krunctl/oci/ID (for root), whatever --root says: engines do"
                + " not pass global options to every call. A record names its supervisor by pid and start time,"
                + " so a container whose supervisor crashed is reported stopped, and never confused with a later"
                + " process of the same pid. Errors exit with status 1; with --log FILE they are also appended to"
                + " FILE (--log-format json writes runc's {\"level\",\"msg\",\"time\"} objects). Options before the"
                + " command that krunctl does not know are ignored.");
        r.section("USE WITH PODMAN");
        r.para("Per command: podman --runtime /path/to/krunctl run --rm -it IMAGE sh. As a named runtime, in"
                + " /etc/containers/containers.conf:");
        r.raw(".nf");
        r.line("[engine.runtimes]");
        r.line("krunctl = [\"/path/to/krunctl\"]");
        r.raw(".fi");
        r.para("then podman --runtime krunctl run .... Every podman command works as with crun: run (with -i, -t,"
                + " -d, --rm), ps, logs, exec (-i, -t), stop, kill, start, rm; options that the program sees (-e,"
                + " -w, -u, --hostname, --ulimit, -v, --tmpfs, --read-only) are honoured in the VM. Size the VM with"
                + " --memory and --cpus, or with --annotation krunctl.memory=1Gi --annotation krunctl.cpus=2. krunctl"
                + " runs under rootful podman.");
        r.section("USE WITH CRI-O");
        r.para("CRI-O takes krunctl as a runtime handler (untested here); a Kubernetes RuntimeClass named after the"
                + " handler then selects it per pod. In /etc/crio/crio.conf.d/99-krunctl.conf:");
        r.raw(".nf");
        r.line("[crio.runtime.runtimes.krunctl]");
        r.line("runtime_path = \"/path/to/krunctl\"");
        r.line("runtime_type = \"oci\"");
        r.line("runtime_root = \"/run/krunctl/oci\"");
        r.raw(".fi");
        r.para("and a RuntimeClass with handler: krunctl. Each container of a pod then gets a VM of its own; the pod's"
                + " shared namespaces do not reach into the VMs.");
        r.section("CONFIG.JSON");
        r.para("What krunctl does with each part of the bundle's config.json:");
        for (io.krunctl.cli.oci.OciMappingTable.Row row : io.krunctl.cli.oci.OciMappingTable.ROWS) {
            r.tag("\\fB" + esc(row.key()) + "\\fR");
            r.line(esc(row.inVm()));
        }
        r.section("FILES");
        r.tag("/run/krunctl/oci/ID/");
        r.line(esc("A container's record (state.json), its supervisor's sockets, and supervisor.log, the"
                + " supervisor's own log (its stderr is the program's)."));
        r.section("SEE ALSO");
        r.line(esc("krunctl(1), krunctl-create(1), krunctl-start(1), krunctl-state(1), krunctl-kill(1),"
                + " krunctl-delete(1), krunctl-exec(1), krunctl-features(1), podman-run(1), containers.conf(5)"));
        return r.toString();
    }

    // ---- krunctl-spec(5) -----------------------------------------------------------------------

    private static String specPage() {
        Roff r = new Roff();
        r.header("KRUNCTL-SPEC", 5, "File Formats");
        r.section("NAME");
        r.line("krunctl\\-spec \\- " + esc("the YAML spec of a krunctl microVM (apiVersion " + SpecModel.API_VERSION + ")"));
        r.section("SYNOPSIS");
        r.raw(".nf");
        for (String line : synopsisSpec().split("\n")) {
            r.line(esc(line));
        }
        r.raw(".fi");
        r.section("DESCRIPTION");
        r.para("A spec describes one microVM and the one workload it runs: krunctl run boots it, krunctl validate"
                + " checks it, and krunctl schema prints its JSON Schema for editors. A spec is one YAML document"
                + " holding one mapping. Every rule is strict: unknown keys (with a did-you-mean hint), duplicate"
                + " keys, wrong types, bad sizes and modes, out-of-range values and conflicting keys are all"
                + " errors, each reported as FILE:LINE:COLUMN: MESSAGE, all of them at once.");
        r.section("FIELDS");
        r.para("Each field below is named by its path in the spec: files[].mode is the mode key of an entry of"
                + " the files list.");
        for (Field f : SpecModel.allFields()) {
            r.tag("\\fB" + esc(f.path()) + "\\fR");
            StringBuilder about = new StringBuilder();
            about.append("Type: ").append(f.kind().manual()).append(". ");
            if (f.required()) {
                about.append("Required.");
            } else if (SpecModel.ROOT.fields().contains(f) && SpecModel.ROOT_KINDS.contains(f.name())
                    && f.supported()) {
                about.append("One of the kinds of root.");
            } else if (!f.supported()) {
                about.append("Not supported yet.");
            } else {
                about.append("Default: ").append(f.defaultText() == null ? "none" : f.defaultText()).append('.');
            }
            r.line(esc(about.toString()));
            r.raw(".br");
            r.line(esc(f.description()));
            r.raw(".br");
            r.line("Example:");
            // Inside a tagged paragraph: no-fill lines, indented by spaces from the paragraph's margin.
            r.raw(".nf");
            for (String line : f.example().split("\n")) {
                r.raw("    " + esc(line));
            }
            r.raw(".fi");
        }
        r.section("VALUES");
        r.subsection("Scalars");
        r.para("Scalars are read by their text, never by YAML's implicit typing, and quoting changes nothing:"
                + " cpus: 2 equals cpus: \"2\", mode: 0755 is the octal text 0755, and an environment value written"
                + " DEBUG: yes, PORT: 8080 or V: 1.10 is the string \"yes\", \"8080\" or \"1.10\", exactly as written."
                + " The one implicit type that counts is null (an empty value, or an unquoted ~ or null), which no"
                + " field accepts; write \"\" for an empty string. YAML tags, merge keys (<<) and a second document"
                + " are errors.");
        r.subsection("Sizes");
        r.para("Digits with an optional fraction of up to 6 digits, then no unit (bytes) or one of Ki, Mi, Gi, Ti"
                + " or K, M, G, T. K, M, G and T are binary, the same as Ki, Mi, Gi and Ti, as in QEMU's -m and"
                + " Docker's --memory: 512M is 512 MiB. No B suffix, lower case, spaces or signs: 256MB is an error"
                + " that suggests 256Mi. The result must be a whole number of MiB and at least 64 MiB: 1.5Gi is"
                + " 1536 MiB; 63Mi, 0 and 100000000 are errors.");
        r.subsection("Modes");
        r.para("3 or 4 octal digits, quoted or not: \"0755\", 0755, \"644\". An unquoted 644 is octal 0644,"
                + " never decimal 644; \"0999\", \"12345\" and rwx are errors.");
        r.subsection("Booleans");
        r.para("true or false (also True, TRUE, False, FALSE). YAML 1.1's yes, no, on and off are errors.");
        r.subsection("Paths");
        r.para("Guest paths (files[].path, process.workdir, mounts[].destination) are absolute and normalized:"
                + " no empty, . or .. component and no trailing /. Host paths (files[].source, kernel other than krunctl"
                + " and debian, root.dir or root.dir.path, mounts[].source) are relative to the folder of the spec file;"
                + " files[].source and kernel must name an existing, readable regular file, root.dir (root.dir.path)"
                + " and mounts[].source an existing directory"
                + " (symbolic links are followed), and they are passed on absolute. Disk images (root.disk.path,"
                + " disks[].path) are host paths too: existing regular files, writable unless read-only, each"
                + " given once.");
        r.subsection("Disks");
        r.para("A disk image is a raw file whose bytes the guest sees as a virtio block device (no format is"
                + " probed; convert a qcow2 image with qemu-img convert -O raw). The guest names the devices"
                + " /dev/vda, /dev/vdb, ... in order: root.disk first, then disks in the order given. A root.disk's"
                + " fstype is a lower-case name of 1 to 32 letters, digits, _, . and - (ext4, xfs, btrfs), or"
                + " auto; its options are filesystem options of letters, digits and _ . , : = / + @ % -"
                + " (errors=remount-ro, commit=60, data=journal), because they travel unquoted on the guest"
                + " kernel's command line: a space or a quote is an error. The guest init gives them to mount(2)"
                + " as data, so mount flags (noatime, nodev, ...) are errors, except ro, rw, sync, dirsync and"
                + " lazytime, which the guest kernel takes from the data too. Before the VM ends, the guest init"
                + " ends every other process and remounts root.disk read-only, so what the guest wrote is in the"
                + " image and the image is left clean, as an unmount leaves it (an ext4 image has no"
                + " needs_recovery flag, and a readOnly run can boot it next); a VM stopped hard (a second"
                + " SIGINT or SIGTERM, the stop timeout) ends without that. The disks the workload mounts itself"
                + " are only synced: it should unmount them before it exits.");
        r.subsection("Ports");
        r.para("A port forward is \"HOSTPORT:GUESTPORT\" or \"ADDRESS:HOSTPORT:GUESTPORT\", with ports from 1"
                + " to 65535 and ADDRESS an IPv4 address of the host. It forwards TCP: krunctl's QEMU listens on"
                + " the host port and connects each connection to the guest port of 10.0.2.15. Without an address"
                + " the host port is bound to 127.0.0.1 only, so only the host itself can connect; write"
                + " \"0.0.0.0:8080:80\" to accept connections from other machines. Quote forwards in YAML. Host"
                + " ports below 1024 need privileges. A host port already in use is reported before the VM starts,"
                + " naming the port, with exit status 65.");
        r.subsection("Resource limits");
        r.para("process.rlimits names each limit by the RLIMIT_ constant of setrlimit(2) in lower case without the"
                + " prefix: cpu, fsize, data, stack, core, rss, nproc, nofile, memlock, as, locks, sigpending,"
                + " msgqueue, nice, rtprio, rttime. Each has a soft and a hard limit, a whole number (in the unit"
                + " setrlimit uses: bytes, seconds, microseconds for rttime, a count otherwise) or unlimited, soft"
                + " at most hard. nofile may not exceed 1048576, the guest kernel's fs.nr_open.");
        r.subsection("Cache policies");
        r.para("How much the guest kernel caches of a shared host directory (root.dir, virtiofs mounts), and so"
                + " how soon the guest sees what the host changes there. Whatever the policy, what the guest writes"
                + " is on the host when the write returns (the device writes through), and fsync or sync in the"
                + " guest also syncs the host file; virtual files never change and stay cached under every policy.");
        r.para("never: nothing is cached; every lookup, stat and read asks the host, so a host change is seen by"
                + " the guest's next access. For directories the host changes all the time. Shared writable mmap"
                + " does not work under it.");
        r.para("auto, the default: names and attributes are trusted for 1 second, a name found missing for 1"
                + " second; file data stays in the guest's page cache from one open to the next while the host"
                + " file's size, modification time and change time stay the same, so a program started again"
                + " is not read again. A change the host makes to a file (rewrite, truncate, append, replace by"
                + " rename, a new file) is seen within 1 second by the guest's next open, stat or read of it,"
                + " also through a descriptor the guest holds open; pages the guest has mapped are dropped at"
                + " its next stat or read of the file after that second.");
        r.para("always: names, attributes, data, directory listings and symbolic links are cached for a day and"
                + " host changes may never be seen; for directories nothing on the host touches while the guest"
                + " runs. The fastest.");
        r.subsection("Device nodes");
        r.para("A guest that builds a root filesystem for another machine (debootstrap, an image builder) creates"
                + " block and character device nodes in it. On a shared host directory (root.dir, a virtiofs"
                + " mount) that mknod fails with EPERM unless the share sets devices: true, as in:");
        r.raw(".RS 4\n.nf");
        r.line(esc("mounts:"));
        r.line(esc("  - {type: virtiofs, source: ./target-rootfs, destination: /target, devices: true}"));
        r.raw(".fi\n.RE");
        r.para("The risk: each node the guest makes is a device node on the host as well (krunctl creates it"
                + " as root), and a host process that opens it reaches the host's device of that number, not"
                + " the guest's: a guest-made /target/dev/sda (block 8:0) opened on the host is the host's first"
                + " disk. Keep such a directory where no untrusted host user can reach it (a parent of mode"
                + " 0700), or on a host filesystem mounted nodev, where opening the nodes fails.");
        r.subsection("Environment");
        r.para("Variable names match [A-Za-z_][A-Za-z0-9_]*; values are scalars read as text. No value, argument or"
                + " path may contain a NUL character.");
        r.section("OVERRIDES");
        r.para("krunctl run and krunctl validate change a spec before checking it: --set PATH=VALUE sets the field"
                + " at a dotted PATH (process.env.DEBUG, memory, files[0].mode; [N] picks a list entry, N may be"
                + " the list's length to add one) to VALUE, taken as text exactly as given. A VALUE starting with"
                + " [, {, \" or ' is read as YAML flow syntax, for lists, mappings and quoted text:"
                + " --set 'process.args=[/bin/sh, -c, \"echo hi\"]'. With krunctl run, the arguments after --"
                + " replace process.args. The result goes through every rule above; an error in an overridden"
                + " value names the flag (FILE: --set memory=1GB: memory: ...) instead of a position.");
        r.section("ERRORS");
        r.para("Each error is one line, FILE:LINE:COLUMN: MESSAGE, with FILE as given on the command line, the"
                + " position of the key or value at fault (columns count characters, from 1) and a message that"
                + " says what would be right. For example:");
        r.raw(".RS 4\n.nf");
        r.line(esc("app.yaml:6:3: unknown key 'workdr' in process; did you mean 'workdir'?"));
        r.line(esc("app.yaml:3:9: memory: expected a size like 256Mi, 1Gi or 512M, got \"256MB\"; did you mean \"256Mi\"?"));
        r.raw(".fi\n.RE");
        r.para("krunctl validate prints every error of every file; krunctl run prints them on standard error and"
                + " exits with code 65 (66 when the file cannot be read), as krunctl(1) lists.");
        r.section("EXAMPLES");
        r.para("The specs folder of the krunctl sources holds working examples; each is run by a test. An editor"
                + " with the YAML language server checks and completes a spec that starts with:");
        r.raw(".RS 4\n.nf");
        r.line(esc("# yaml-language-server: $schema=krunctl-spec.schema.json"));
        r.raw(".fi\n.RE");
        r.section("SEE ALSO");
        r.line(esc("krunctl(1), krunctl-run(1), krunctl-validate(1), krunctl-schema(1)"));
        return r.toString();
    }

    /** A spec that shows every supported field, built from the fields' own examples. */
    static String synopsisSpec() {
        StringBuilder out = new StringBuilder();
        for (Field f : SpecModel.SPEC.fields()) {
            out.append(f.example()).append('\n');
        }
        return out.toString().strip();
    }

    // ---- text ----------------------------------------------------------------------------------

    private static String nameLine(CommandSpec spec) {
        String d = first(spec.usageMessage().description());
        d = d.replaceAll("\\s*\\(see [^)]*\\)", "");
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        return Character.toLowerCase(d.charAt(0)) + d.substring(1);
    }

    private static String first(String[] lines) {
        return lines.length == 0 ? "" : fmt(lines[0]);
    }

    private static String description(CommandLine.Model.ArgSpec a) {
        String d = String.join(" ", a.description());
        d = d.replace("${DEFAULT-VALUE}", String.valueOf(a.defaultValueString()));
        if (a.completionCandidates() != null) {
            List<String> c = new ArrayList<>();
            a.completionCandidates().forEach(c::add);
            d = d.replace("${COMPLETION-CANDIDATES}", String.join(", ", c));
        }
        return fmt(d);
    }

    /** picocli's format markers as plain text. */
    private static String fmt(String s) {
        return s.replace("%n", " ").replace("%%", "%");
    }

    /** Text escaped for roff: backslashes, hyphens and quotes print as themselves on any device. */
    static String esc(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\e");
                case '-' -> out.append("\\-");
                case '\'' -> out.append("\\(aq");
                case '`' -> out.append("\\(ga");
                case '~' -> out.append("\\(ti");
                case '^' -> out.append("\\(ha");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A page being written: requests on their own lines, text lines never starting with '.' or '\''. */
    private static final class Roff {
        private final StringBuilder out = new StringBuilder();

        void header(String title, int section, String manual) {
            raw(".\\\" Generated from krunctl's command and spec models by ManPages (cli/src/test); do not edit.");
            raw(".\\\" Regenerate: mvn -o -q -pl cli test -Dtest=ManPagesTest -Dgolden.update=true");
            raw(".TH " + title + " " + section + " \"\" \"" + SOURCE + "\" \"" + manual + "\"");
            raw(".nh");
            raw(".ad l");
        }

        void section(String name) {
            raw(".SH " + name);
        }

        void subsection(String name) {
            raw(".SS " + name);
        }

        void para(String text) {
            raw(".PP");
            line(esc(text));
        }

        void tag(String tag) {
            raw(".TP");
            line(tag);
        }

        void synopsis(String command, CommandSpec spec, String rest) {
            StringBuilder s = new StringBuilder("\\fB" + esc(command) + "\\fR");
            List<OptionSpec> options = new ArrayList<>(spec.options());
            options.removeIf(OptionSpec::hidden);
            options.sort(Comparator.comparing(o -> o.longestName().replaceFirst("^-+", "").toLowerCase(Locale.ROOT)));
            for (OptionSpec o : options) {
                s.append(" [\\fB").append(esc(o.longestName())).append("\\fR");
                if (o.arity().max() > 0) {
                    s.append(" \\fI").append(esc(o.paramLabel())).append("\\fR");
                }
                s.append("]").append(o.isMultiValue() ? "..." : "");
            }
            if (rest != null) {
                s.append(" \\fI").append(esc(rest)).append("\\fR");
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                boolean optional = p.arity().min() == 0;
                s.append(' ').append(optional ? "[" : "").append("\\fI").append(esc(p.paramLabel())).append("\\fR")
                        .append(p.arity().max() > 1 ? "..." : "").append(optional ? "]" : "");
            }
            line(s.toString());
        }

        /** A text line; escapes a leading control character. */
        void line(String text) {
            if (text.startsWith(".") || text.startsWith("'")) {
                out.append("\\&");
            }
            out.append(text).append('\n');
        }

        void raw(String request) {
            out.append(request).append('\n');
        }

        @Override
        public String toString() {
            return out.toString();
        }
    }
}
