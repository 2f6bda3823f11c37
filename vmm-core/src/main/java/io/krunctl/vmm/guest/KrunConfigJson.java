package io.krunctl.vmm.guest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krunctl.vmm.config.ProcessConfig;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code /.krun_config.json}: the workload description the guest init reads, in the OCI
 * {@code process} form that libkrun's init accepts ({@code args}, {@code env} as
 * {@code KEY=VALUE}, {@code cwd}).
 */
public final class KrunConfigJson {
    /** Where the init looks for the file, at the root of the guest. */
    public static final String FILE_NAME = ".krun_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private KrunConfigJson() {}

    public static byte[] encode(ProcessConfig process) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode p = root.putObject("process");
        ArrayNode args = p.putArray("args");
        process.args().forEach(args::add);
        ArrayNode env = p.putArray("env");
        for (Map.Entry<String, String> e : process.env().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        p.put("cwd", process.workdir());
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }
}
